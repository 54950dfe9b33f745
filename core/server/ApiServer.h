#pragma once
// AUTOMATIC1111's HTTP API (/sdapi/v1, docs/a1111-api.md) over Qt HttpServer, so that clients made
// for A1111 (webuiapi, Open WebUI, SillyTavern, the GIMP / Photoshop / Blender plug-ins) work
// unchanged. Generation goes through the same queue as every other job: a txt2img or img2img
// request becomes a job on the InferenceWorker it is given (the studio's own, or the headless
// server's) and is answered when that job ends, without blocking the event loop, so progress,
// interrupt, skip and the listings answer at once while a job runs.
//
// Security: the address is the caller's choice (serve refuses a non-loopback one without
// credentials); HTTP Basic credentials are compared in constant time; a request body over the limit
// is refused with 413 before it is held in memory; the caps on size, steps and batch apply to every
// request; a model or VAE is only ever looked up by name in the model library, never opened by a
// path a request gives; CORS headers go out only for the configured origins.
//
// Device, dtype, previews and model folders come from the Settings it is given, through JobBuilder.
//
// Threads: the server lives on the thread that creates it (the GUI thread in the studio, the main
// thread in `qdiffusion-cli serve`); the worker's signals arrive there queued.
#include <QDateTime>
#include <QHash>
#include <QHostAddress>
#include <QImage>
#include <QObject>
#include <QPair>
#include <QStringList>

#include <memory>

#include "core/Settings.h"
#include "core/generation/InferenceWorker.h"
#include "core/server/ApiOptions.h"
#include "core/server/ApiRequest.h"

class QHttpServer;
class QHttpServerRequest;
class QHttpServerResponder;
class QThreadPool;

namespace qd
{

class ModelLibrary;

namespace api
{

struct ApiServerConfig {
    QHostAddress host = QHostAddress::LocalHost;
    quint16 port = 7860; // 0 = any free port
    QList<QPair<QString, QString>> credentials; // user, password; empty = no authentication
    QStringList corsOrigins; // "*" allows any; empty = no CORS headers
    qint64 maxBodyBytes = 64ll << 20; // 64 MiB: room for a few 4K PNGs in base64
    ApiCaps caps;
    QString outputDir; // where save_images writes ("" = the settings' output folder)
    bool saveImages = false; // save every image, as if each request asked save_images
    QString checkpoint; // the model at start: a library name / title / hash; "" = demo model
};

// "user:password[,user:password...]" (A1111's --api-auth) -> pairs; false with *error naming the
// entry without a colon or a user.
bool parseCredentials(const QString& text, QList<QPair<QString, QString>>* out, QString* error);

class ApiServer : public QObject
{
    Q_OBJECT
public:
    // `worker` and `library` must outlive the server; `library` may be null (then only the demo
    // model exists).
    ApiServer(ApiServerConfig config, Settings settings, InferenceWorker* worker, ModelLibrary* library,
        QObject* parent = nullptr);
    ~ApiServer() override;

    // Listens on the configured address; false with *error when the port is taken or the address
    // is not ours.
    bool listen(QString* error = nullptr);
    quint16 port() const { return m_port; }
    QString baseUrl() const;

    const ApiServerConfig& config() const { return m_config; }
    // New settings (model folders, device, previews) for the jobs from now on.
    void setSettings(const Settings& settings) { m_settings = settings; }
    // Requests waiting for their job (queued or running).
    int pendingRequests() const { return int(m_pending.size()); }

private:
    struct Pending;
    struct Progress;
    class Listener;

    void dispatch(const QHttpServerRequest& request, QHttpServerResponder&& responder);
    void generate(const QHttpServerRequest& request, QHttpServerResponder&& responder, bool img2img);
    // script_name "x/y/z plot" (ApiServerXyz.cpp): the cells queued as jobs, answered with the grid
    void generateXyz(const GenerationRequest& request, const JobRequest& base, bool demo,
        QHttpServerResponder&& responder, const QList<QPair<QByteArray, QByteArray>>& cors);
    // POST extra-single-image / extra-batch-images (ApiServerExtras.cpp): A1111's Extras upscale on
    // m_extrasPool, answered when it is done
    void extras(const QHttpServerRequest& request, QHttpServerResponder&& responder, bool batch);
    void reply(QHttpServerResponder&& responder, int status, const QJsonValue& body,
        const QList<QPair<QByteArray, QByteArray>>& headers = {});
    void replyError(QHttpServerResponder&& responder, const ApiError& error);
    bool authorized(const QHttpServerRequest& request) const;
    QList<QPair<QByteArray, QByteArray>> corsHeaders(const QHttpServerRequest& request) const;

    // Endpoints that answer at once.
    QJsonValue progress(bool skipCurrentImage);
    bool setOptions(const QJsonObject& body, ApiError* error);
    QJsonObject options() const;
    QJsonValue listing(const QString& path) const;

    // The model a request runs on, looked up by name in the library only (a request never names a
    // file): a checkpoint (or the demo model) and a VAE choice for JobBuilder. False with *error
    // naming the checkpoint or VAE the library does not have.
    struct ResolvedModel {
        QString checkpoint; // the library entry's path; "" = the demo model
        QString vae = QStringLiteral("Automatic"); // "Automatic", "None" or a library VAE's path
        QString title; // A1111's sd_model_checkpoint: "name [hash10]"
        QString hash; // hash10, "" until hashed
    };
    bool resolveModel(
        const QString& checkpoint, const QString& vae, ResolvedModel* out, ApiError* error) const;
    QStringList loraFolders() const;

    // Worker signals.
    void onStarted(int jobId, const GenerationJob& job);
    void onProgress(int jobId, int step, int total);
    void onPreview(int jobId, const QImage& image);
    void onFinished(const GenerationResult& result);
    void onFailed(int jobId, const QString& message);
    void onSkipped(int jobId);
    void onIdle();
    void finishWithError(int jobId, const ApiError& error);

    ApiServerConfig m_config;
    Settings m_settings;
    InferenceWorker* m_worker;
    ModelLibrary* m_library;
    std::unique_ptr<QHttpServer> m_http;
    Listener* m_listener = nullptr; // owned by m_http
    quint16 m_port = 0;
    ApiOptions m_options;
    QHash<int, std::shared_ptr<Pending>> m_pending; // by job id
    std::unique_ptr<Progress> m_progress;
    std::unique_ptr<QThreadPool> m_extrasPool; // one thread: extras requests run one at a time
};

} // namespace api
} // namespace qd
