#include "core/server/ApiError.h"

namespace qd::api
{

ApiError ApiError::validation(const QJsonArray& details)
{
    return { 422, QJsonObject { { "detail", details } }, {} };
}

QJsonObject ApiError::detail(
    const QJsonArray& loc, const QString& msg, const QString& type, const QJsonObject& ctx)
{
    QJsonObject d { { "loc", loc }, { "msg", msg }, { "type", type } };
    if (!ctx.isEmpty())
        d["ctx"] = ctx;
    return d;
}

ApiError ApiError::http(int status, const QString& detail, const QString& errorClass)
{
    return { status,
        QJsonObject { { "error", errorClass }, { "detail", detail }, { "body", "" },
            { "errors", QStringLiteral("%1: %2").arg(status).arg(detail) } },
        {} };
}

ApiError ApiError::plain(int status, const QString& detail)
{
    return { status, QJsonObject { { "detail", detail } }, {} };
}

} // namespace qd::api
