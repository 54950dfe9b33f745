#pragma once
// The error bodies AUTOMATIC1111's API answers with (docs/a1111-api.md §3), as one value a handler
// returns: FastAPI's 422 validation list, A1111's exception body {error, detail, body, errors}, and
// Starlette's {"detail": "..."} for routing errors.
#include <QByteArray>
#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QPair>
#include <QString>

namespace qd::api
{

struct ApiError {
    int status = 500;
    QJsonValue body;
    QList<QPair<QByteArray, QByteArray>> headers;

    // FastAPI's request validation error: 422 {"detail": [{"loc": [...], "msg", "type"}, ...]}.
    static ApiError validation(const QJsonArray& details);
    // One entry of that list: loc ["body", field(, index)], pydantic v1's msg and type.
    static QJsonObject detail(const QJsonArray& loc, const QString& msg, const QString& type,
        const QJsonObject& ctx = QJsonObject());
    // What A1111's exception handler makes of an HTTPException(status, detail) (api.py
    // handle_exception): {"error": "HTTPException", "detail", "body": "", "errors": "STATUS: detail"}.
    static ApiError http(int status, const QString& detail, const QString& errorClass = "HTTPException");
    // Starlette's own answers (no A1111 handler): {"detail": "Not Found"} and the like.
    static ApiError plain(int status, const QString& detail);
};

} // namespace qd::api
