#pragma once
// One HTTP request to a test's loopback API server, waiting for the answer (the Qt Test helpers of
// the API tests).
#include <QByteArray>
#include <QEventLoop>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QTimer>
#include <QUrl>

namespace qdtest
{

struct ApiReply {
    int status = 0;
    QByteArray body;
    QJsonDocument json;
};

// `method` with a JSON `body` (none when empty); gives up after `timeoutMs` (status 0).
inline ApiReply sendJson(QNetworkAccessManager& net, const QUrl& url, const QByteArray& method,
    const QByteArray& body = QByteArray(), int timeoutMs = 300000)
{
    QNetworkRequest req(url);
    req.setHeader(QNetworkRequest::ContentTypeHeader, "application/json");
    QNetworkReply* r = net.sendCustomRequest(req, method, body);
    QEventLoop loop;
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    QObject::connect(r, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    if (!r->isFinished())
        loop.exec();
    ApiReply out;
    out.status = r->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    out.body = r->readAll();
    out.json = QJsonDocument::fromJson(out.body);
    r->deleteLater();
    return out;
}

} // namespace qdtest
