#include "core/server/ApiServer.h"

#include <QDir>
#include <QHttpServer>
#include <QHttpServerRequest>
#include <QHttpServerResponder>
#include <QHttpServerResponse>
#include <QJsonArray>
#include <QJsonDocument>
#include <QPointer>
#include <QRandomGenerator>
#include <QTcpServer>
#include <QTcpSocket>
#include <QThreadPool>
#include <QTimer>
#include <QUrlQuery>

#include <cmath>

#include "core/engine/EngineError.h"
#include "core/engine/EngineInfo.h"
#include "core/engine/Pipeline.h"
#include "core/generation/ImageSaver.h"
#include "core/generation/JobBuilder.h"
#include "core/library/ModelLibrary.h"
#include "core/metadata/ImageMetadata.h"
#include "core/metadata/Infotext.h"
#include "core/metadata/ParamsJson.h"
#include "core/server/ApiControlNet.h"
#include "core/server/ApiListings.h"

namespace qd::api
{

using Headers = QList<QPair<QByteArray, QByteArray>>;
using Method = QHttpServerRequest::Method;

// A request waiting for its job.
struct ApiServer::Pending {
    std::unique_ptr<QHttpServerResponder> responder;
    QPointer<QTcpSocket> socket; // null once the client has gone (Qt deletes the socket)
    Headers cors;
    GenerationRequest request;
    QString failure; // set by `failed`; answered once the worker has moved on
    bool started = false;
    QString timestamp; // A1111's job_timestamp, %Y%m%d%H%M%S
};

// What GET /progress reports: A1111's shared.state for the running job (shared_state.py).
struct ApiServer::Progress {
    int jobId = 0; // 0: idle
    QString job;
    int jobCount = 0;
    int jobNo = 0;
    int step = 0;
    int steps = 0;
    bool interrupted = false;
    bool skipped = false;
    QString timestamp = QStringLiteral("0");
    qint64 startMs = 0;
    QImage preview;
    QString previewBase64; // encoded on the first request that wants it
};

// The TCP side: counts the bytes of each request before the HTTP server's parser sees them and
// answers 413 (then drops what else the client sends) once a request is over the limit, so that an
// oversized body is never held in memory. Qt HttpServer 6.4 has no limit of its own.
class ApiServer::Listener : public QTcpServer
{
public:
    Listener(qint64 maxRequestBytes, QObject* parent)
        : QTcpServer(parent)
        , m_max(maxRequestBytes)
    {
    }

protected:
    void incomingConnection(qintptr descriptor) override
    {
        auto* socket = new QTcpSocket(this);
        if (!socket->setSocketDescriptor(descriptor)) {
            delete socket;
            return;
        }
        // Connected before the HTTP server connects its own reader (on pendingConnectionAvailable),
        // so this runs first for every chunk. While the parser reads a request it holds a transaction
        // open: bytesAvailable() is then what arrived since it last read.
        auto seen = std::make_shared<qint64>(0);
        const qint64 max = m_max;
        connect(socket, &QTcpSocket::readyRead, socket, [socket, seen, max] {
            const qint64 available = socket->bytesAvailable();
            *seen = socket->isTransactionStarted() ? *seen + available : available;
            if (*seen <= max)
                return;
            QObject::disconnect(socket, &QTcpSocket::readyRead, nullptr, nullptr); // the parser too
            const QByteArray body = QJsonDocument(
                QJsonObject {
                    { "detail", QStringLiteral("Request body over the limit of %1 bytes").arg(max) } })
                                        .toJson(QJsonDocument::Compact);
            socket->write("HTTP/1.1 413 Request Entity Too Large\r\nContent-Type: application/json\r\n"
                          "Connection: close\r\nContent-Length: "
                + QByteArray::number(body.size()) + "\r\n\r\n" + body);
            // Drop what the client still sends (so it reads the answer instead of a reset), then close.
            if (socket->isTransactionStarted())
                socket->commitTransaction();
            socket->readAll();
            auto* quiet = new QTimer(socket);
            quiet->setSingleShot(true);
            connect(quiet, &QTimer::timeout, socket, [socket] { socket->disconnectFromHost(); });
            quiet->start(1000);
            connect(socket, &QTcpSocket::readyRead, socket, [socket, quiet] {
                socket->readAll();
                quiet->start(1000);
            });
        });
        addPendingConnection(socket);
    }

private:
    qint64 m_max;
};

namespace
{

bool constantTimeEquals(const QByteArray& a, const QByteArray& b)
{
    const qsizetype n = std::max(a.size(), b.size());
    unsigned char diff = a.size() == b.size() ? 0 : 1;
    for (qsizetype i = 0; i < n; ++i)
        diff |= uchar(i < a.size() ? a[i] : 0) ^ uchar(i < b.size() ? b[i] : 0);
    return diff == 0;
}

// Idle again: A1111's state.end() keeps the last job_timestamp.
template <typename P> void resetProgress(P& p)
{
    const QString timestamp = p.timestamp;
    p = P();
    p.timestamp = timestamp;
}

QString nowTimestamp()
{
    return QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMddHHmmss"));
}

QJsonValue orNull(const std::string& s)
{
    return s.empty() ? QJsonValue(QJsonValue::Null) : QJsonValue(QString::fromStdString(s));
}

struct Route {
    Method method;
    bool auth; // behind --api-auth (A1111: every /sdapi route)
};

// Every route and its method (api.py's add_api_route calls that QDiffusion serves).
const QMultiHash<QString, Route>& routes()
{
    static const QMultiHash<QString, Route> table = [] {
        QMultiHash<QString, Route> t;
        for (const char* p : { "txt2img", "img2img", "extra-single-image", "extra-batch-images", "png-info",
                 "interrupt", "skip", "options", "refresh-checkpoints", "refresh-vae", "refresh-loras",
                 "unload-checkpoint", "reload-checkpoint" })
            t.insert(QStringLiteral("/sdapi/v1/") + QLatin1String(p), { Method::Post, true });
        for (const char* p : { "progress", "options", "cmd-flags", "samplers", "schedulers", "upscalers",
                 "latent-upscale-modes", "sd-models", "sd-vae", "hypernetworks", "face-restorers",
                 "realesrgan-models", "prompt-styles", "embeddings", "memory", "scripts", "script-info",
                 "extensions", "loras" })
            t.insert(QStringLiteral("/sdapi/v1/") + QLatin1String(p), { Method::Get, true });
        t.insert(QStringLiteral("/internal/ping"), { Method::Get, false });
        return t;
    }();
    return table;
}

QByteArray methodName(Method m)
{
    switch (m) {
    case Method::Get:
        return "GET";
    case Method::Post:
        return "POST";
    default:
        return "";
    }
}

} // namespace

bool parseCredentials(const QString& text, QList<QPair<QString, QString>>* out, QString* error)
{
    out->clear();
    for (const QString& pair : text.split(',', Qt::SkipEmptyParts)) {
        const qsizetype colon = pair.indexOf(':');
        if (colon <= 0) {
            *error = QStringLiteral("expected user:password[,user:password...], got '%1'").arg(pair);
            return false;
        }
        out->append({ pair.left(colon), pair.mid(colon + 1) });
    }
    return true;
}

ApiServer::ApiServer(ApiServerConfig config, Settings settings, InferenceWorker* worker,
    ModelLibrary* library, QObject* parent)
    : QObject(parent)
    , m_config(std::move(config))
    , m_settings(std::move(settings))
    , m_worker(worker)
    , m_library(library)
    , m_http(std::make_unique<QHttpServer>())
    , m_progress(std::make_unique<Progress>())
{
    m_http->setMissingHandler([this](const QHttpServerRequest& request, QHttpServerResponder&& responder) {
        dispatch(request, std::move(responder));
    });
    connect(m_worker, &InferenceWorker::started, this, &ApiServer::onStarted);
    connect(m_worker, &InferenceWorker::progress, this,
        [this](int id, int step, int total, double, double) { onProgress(id, step, total); });
    connect(m_worker, &InferenceWorker::preview, this,
        [this](int id, int, const QImage& image) { onPreview(id, image); });
    connect(m_worker, &InferenceWorker::finished, this, &ApiServer::onFinished);
    connect(m_worker, &InferenceWorker::failed, this, &ApiServer::onFailed);
    connect(m_worker, &InferenceWorker::skipped, this, &ApiServer::onSkipped);
    connect(m_worker, &InferenceWorker::idle, this, &ApiServer::onIdle);

    // sd_model_checkpoint starts as the configured model's title (A1111 shows the loaded one)
    ResolvedModel model;
    ApiError ignored;
    if (!resolveModel(m_config.checkpoint, QStringLiteral("Automatic"), &model, &ignored))
        model.title = m_config.checkpoint;
    m_options.set("sd_model_checkpoint", model.title);
    m_options.set("sd_checkpoint_hash", model.hash);
    m_options.set("samples_format", m_settings.outputFormat);
}

ApiServer::~ApiServer()
{
    if (m_extrasPool)
        m_extrasPool->waitForDone(); // an upscale under way finishes; its answer is dropped
    m_pending.clear(); // unanswered requests are dropped with their sockets
    m_http.reset();
}

bool ApiServer::listen(QString* error)
{
    // a request line and headers come on top of the body
    m_listener = new Listener(m_config.maxBodyBytes + (64 << 10), m_http.get());
    if (!m_listener->listen(m_config.host, m_config.port)) {
        if (error)
            *error = QStringLiteral("cannot listen on %1:%2: %3")
                         .arg(m_config.host.toString())
                         .arg(m_config.port)
                         .arg(m_listener->errorString());
        delete m_listener;
        m_listener = nullptr;
        return false;
    }
    m_port = m_listener->serverPort();
    m_http->bind(m_listener);
    return true;
}

QString ApiServer::baseUrl() const
{
    QString host = m_config.host.toString();
    if (m_config.host.protocol() == QAbstractSocket::IPv6Protocol)
        host = '[' + host + ']';
    return QStringLiteral("http://%1:%2").arg(host).arg(m_port);
}

// ---- HTTP plumbing ----------------------------------------------------------------------------------

void ApiServer::reply(
    QHttpServerResponder&& responder, int status, const QJsonValue& body, const Headers& headers)
{
    QByteArray bytes;
    if (body.isObject())
        bytes = QJsonDocument(body.toObject()).toJson(QJsonDocument::Compact);
    else if (body.isArray())
        bytes = QJsonDocument(body.toArray()).toJson(QJsonDocument::Compact);
    else if (body.isNull() || body.isUndefined())
        bytes = "null";
    else // a bare string or number: wrap and strip, as QJsonDocument takes only containers
        bytes = QJsonDocument(QJsonArray { body }).toJson(QJsonDocument::Compact).mid(1).chopped(1);
    QHttpServerResponse response(
        "application/json", std::move(bytes), QHttpServerResponse::StatusCode(status));
    for (const auto& [name, value] : headers)
        response.addHeader(name, value);
    response.write(std::move(responder));
}

void ApiServer::replyError(QHttpServerResponder&& responder, const ApiError& error)
{
    reply(std::move(responder), error.status, error.body, error.headers);
}

bool ApiServer::authorized(const QHttpServerRequest& request) const
{
    if (m_config.credentials.isEmpty())
        return true;
    const QByteArray header = request.value("Authorization").trimmed();
    if (!header.left(6).toLower().startsWith("basic "))
        return false;
    const QByteArray decoded = QByteArray::fromBase64(header.mid(6).trimmed());
    const qsizetype colon = decoded.indexOf(':');
    if (colon < 0)
        return false;
    const QByteArray user = decoded.left(colon), password = decoded.mid(colon + 1);
    bool ok = false;
    for (const auto& [u, p] : m_config.credentials) // every entry compared: no early exit
        ok |= constantTimeEquals(user, u.toUtf8()) & constantTimeEquals(password, p.toUtf8());
    return ok;
}

Headers ApiServer::corsHeaders(const QHttpServerRequest& request) const
{
    const QByteArray origin = request.value("Origin");
    if (m_config.corsOrigins.isEmpty() || origin.isEmpty())
        return {};
    const bool any = m_config.corsOrigins.contains(QStringLiteral("*"));
    if (!any && !m_config.corsOrigins.contains(QString::fromUtf8(origin)))
        return {};
    // Starlette's CORSMiddleware as A1111 configures it (allow_methods/headers *, credentials)
    return { { "Access-Control-Allow-Origin", any ? QByteArray("*") : origin },
        { "Access-Control-Allow-Credentials", "true" }, { "Vary", "Origin" } };
}

void ApiServer::dispatch(const QHttpServerRequest& request, QHttpServerResponder&& responder)
{
    const QString path = request.url().path();
    const Method method = request.method() == Method::Head ? Method::Get : request.method();
    const Headers cors = corsHeaders(request);
    auto answer = [&](int status, const QJsonValue& body, Headers extra = {}) {
        reply(std::move(responder), status, body, extra + cors);
    };
    auto answerError = [&](const ApiError& e) { answer(e.status, e.body, e.headers); };

    // sd-webui-controlnet's own routes (no --api-auth there either)
    if (path.startsWith(QLatin1String("/controlnet/")) && (method == Method::Get || method == Method::Post)) {
        const JobBuilder folders(m_settings, m_library);
        int status = 0;
        QJsonValue body;
        serveControlNetRoute(path, method == Method::Post, request.body(), QUrlQuery(request.url()),
            { folders.controlNetFolders(), folders.annotatorFolders().value(0) }, &status, &body);
        return answer(status, body);
    }
    const QList<Route> candidates = routes().values(path);
    if (candidates.isEmpty())
        return answerError(ApiError::plain(404, QStringLiteral("Not Found")));
    if (method == Method::Options && !cors.isEmpty()) // a CORS preflight
        return answer(200, QStringLiteral("OK"),
            { { "Access-Control-Allow-Methods", "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT" },
                { "Access-Control-Allow-Headers", request.value("Access-Control-Request-Headers") },
                { "Access-Control-Max-Age", "600" } });
    const Route* route = nullptr;
    QByteArray allow;
    for (const Route& r : candidates) {
        allow += (allow.isEmpty() ? "" : ", ") + methodName(r.method);
        if (r.method == method)
            route = &r;
    }
    if (!route)
        return answerError(
            { 405, QJsonObject { { "detail", "Method Not Allowed" } }, { { "Allow", allow } } });
    if (route->auth && !authorized(request)) {
        ApiError e = ApiError::http(401,
            request.value("Authorization").isEmpty() ? QStringLiteral("Not authenticated")
                                                     : QStringLiteral("Incorrect username or password"));
        e.headers = { { "WWW-Authenticate", "Basic" } };
        return answerError(e);
    }

    const QString name = path.section('/', -1);
    if (path == QLatin1String("/internal/ping"))
        return answer(200, QJsonObject());
    if (method == Method::Post) {
        if (name == QLatin1String("txt2img") || name == QLatin1String("img2img"))
            return generate(request, std::move(responder), name == QLatin1String("img2img"));
        if (name.startsWith(QLatin1String("extra-")))
            return extras(request, std::move(responder), name == QLatin1String("extra-batch-images"));
        if (name == QLatin1String("interrupt")) {
            if (m_progress->jobId != 0) {
                m_progress->interrupted = true;
                m_worker->interrupt();
            }
            return answer(200, QJsonObject());
        }
        if (name == QLatin1String("skip")) {
            if (m_progress->jobId != 0) {
                m_progress->skipped = true;
                m_worker->skip();
            }
            return answer(200, QJsonValue::Null);
        }
        if (name == QLatin1String("options")) {
            QJsonObject body;
            ApiError e;
            if (!parseJsonObject(request.body(), &body, &e) || !setOptions(body, &e))
                return answerError(e);
            return answer(200, QJsonValue::Null);
        }
        if (name == QLatin1String("png-info")) {
            QJsonObject body;
            ApiError e;
            if (!parseJsonObject(request.body(), &body, &e))
                return answerError(e);
            if (!body.value("image").isString())
                return answerError(ApiError::validation({ ApiError::detail({ "body", "image" },
                    body.contains("image") ? "str type expected" : "field required",
                    body.contains("image") ? "type_error.str" : "value_error.missing") }));
            QJsonObject info;
            if (!pngInfo(body.value("image").toString(), &info, &e))
                return answerError(e);
            return answer(200, info);
        }
        if (name == QLatin1String("refresh-checkpoints") || name == QLatin1String("refresh-vae")) {
            if (m_library)
                m_library->rescan();
            return answer(200, QJsonValue::Null);
        }
        if (name == QLatin1String("refresh-loras"))
            return answer(200, QJsonValue::Null); // the folders are listed on every /loras
        if (name == QLatin1String("unload-checkpoint")) {
            m_worker->unloadModel();
            return answer(200, QJsonObject());
        }
        if (name == QLatin1String("reload-checkpoint")) {
            m_worker->reloadModel();
            return answer(200, QJsonObject());
        }
    }
    if (name == QLatin1String("progress")) {
        const QString skip = QUrlQuery(request.url()).queryItemValue("skip_current_image").toLower();
        return answer(200, progress(skip == QLatin1String("true") || skip == QLatin1String("1")));
    }
    if (name == QLatin1String("options"))
        return answer(200, options());
    return answer(200, listing(name));
}

// ---- generation ---------------------------------------------------------------------------------------

bool ApiServer::resolveModel(
    const QString& checkpoint, const QString& vae, ResolvedModel* out, ApiError* error) const
{
    *out = ResolvedModel();
    const QString c = checkpoint.trimmed();
    if (c.isEmpty() || c == QString::fromStdString(qd::demoModelName()) || c == QLatin1String("demo")) {
        out->title = QString::fromStdString(qd::demoModelName());
        return true; // the built-in demo model keeps its own VAE
    }
    // names, titles and hashes only: a path is not looked up, so nothing outside the folders opens
    const std::optional<ModelEntry> entry
        = m_library && !QFileInfo(c).isAbsolute() ? m_library->find(c) : std::nullopt;
    if (!entry) {
        *error = ApiError::http(404, QStringLiteral("Checkpoint not found: '%1'").arg(c));
        return false;
    }
    out->checkpoint = entry->path;
    out->title = entry->title();
    out->hash = entry->hash();
    const QString v = vae.trimmed();
    if (v.isEmpty() || v == QLatin1String("Automatic") || v == QLatin1String("None")) {
        out->vae = v.isEmpty() ? QStringLiteral("Automatic") : v;
    } else {
        const std::optional<VaeEntry> found
            = QFileInfo(v).isAbsolute() ? std::nullopt : m_library->findVae(v);
        if (!found) {
            *error = ApiError::http(404, QStringLiteral("VAE not found: '%1'").arg(v));
            return false;
        }
        out->vae = found->path;
    }
    return true;
}

QStringList ApiServer::loraFolders() const
{
    return JobBuilder(m_settings, m_library).loraFolders();
}

void ApiServer::generate(const QHttpServerRequest& request, QHttpServerResponder&& responder, bool img2img)
{
    const Headers cors = corsHeaders(request);
    auto fail = [&](ApiError e) {
        e.headers += cors;
        replyError(std::move(responder), e);
    };
    auto pending = std::make_shared<Pending>();
    GenerationRequest& g = pending->request;
    ApiError error;
    if (!parseGenerationRequest(request.body(), img2img, m_options, m_config.caps, &g, &error))
        return fail(error);

    const QJsonValue ckpt = g.overrideSettings.value("sd_model_checkpoint");
    const QJsonValue vae = g.overrideSettings.value("sd_vae");
    ResolvedModel model;
    if (!resolveModel(ckpt.isString() ? ckpt.toString() : m_options.checkpoint(),
            vae.isString() ? vae.toString() : m_options.vae(), &model, &error))
        return fail(error);

    JobRequest jr;
    jr.params = g.params;
    // The infotext writes "Denoising strength" for an init image named by a file; one handed over in
    // memory carries it this way
    // The demo model draws at its native size (nativeSize: 128 px for the shapes model) unless asked
    // otherwise
    if (model.checkpoint.isEmpty()) {
        if (!g.widthGiven)
            jr.params.width = 0;
        if (!g.heightGiven)
            jr.params.height = 0;
    }
    jr.model = model.checkpoint;
    jr.vae = model.vae;
    jr.outputDir = m_config.outputDir;
    jr.initImage = g.initImage;
    jr.maskImage = g.maskImage;
    jr.styles = g.styles;
    jr.controlUnits = g.controlUnits;
    g.initImage = QImage(); // the job holds them now
    g.maskImage = QImage();
    if (!g.scriptName.isEmpty())
        return generateXyz(g, jr, model.checkpoint.isEmpty(), std::move(responder), cors);
    QString why;
    jr.demoModel = model.checkpoint.isEmpty();
    const std::optional<GenerationJob> job = JobBuilder(m_settings, m_library).build(jr, &why);
    if (!job)
        return fail(ApiError::http(422, why, "EngineError"));
    if (!g.restoreAfterwards && !g.overrideSettings.isEmpty()) { // the override stays
        m_options.apply(g.overrideSettings);
        if (ckpt.isString()) {
            m_options.set("sd_model_checkpoint", model.title);
            m_options.set("sd_checkpoint_hash", model.hash);
        }
    }

    pending->responder = std::make_unique<QHttpServerResponder>(std::move(responder));
    pending->socket = pending->responder->socket();
    pending->cors = cors;
    const int id = m_worker->enqueue(*job);
    m_pending.insert(id, pending);
    // A client that leaves before its job starts takes the job with it (a load balancer's retry
    // then runs it elsewhere); a running job finishes, as A1111's does.
    if (pending->socket)
        connect(pending->socket, &QTcpSocket::disconnected, this, [this, id] {
            const auto it = m_pending.find(id);
            if (it == m_pending.end() || (*it)->started || m_worker->runningJobId() == id)
                return; // remove() would skip a running job
            for (const GenerationJob& queued : m_worker->queuedJobs())
                if (queued.id == id && m_worker->remove(id)) {
                    m_pending.erase(it);
                    return;
                }
        });
}

void ApiServer::onStarted(int jobId, const GenerationJob& job)
{
    QList<int> failed; // jobs that failed before this one started
    for (auto it = m_pending.begin(); it != m_pending.end(); ++it)
        if (!(*it)->failure.isEmpty() && it.key() != jobId)
            failed << it.key();
    for (int id : failed)
        finishWithError(id, ApiError::http(500, m_pending.value(id)->failure, "EngineError"));
    Progress& p = *m_progress;
    p = Progress();
    p.jobId = jobId;
    p.startMs = QDateTime::currentMSecsSinceEpoch();
    p.timestamp = nowTimestamp();
    const auto pending = m_pending.value(jobId);
    if (pending) {
        pending->started = true;
        pending->timestamp = p.timestamp;
        p.job = pending->request.img2img ? QStringLiteral("scripts_img2img")
                                         : QStringLiteral("scripts_txt2img");
        p.jobCount = pending->request.params.batchCount;
        p.steps = pending->request.params.steps;
    } else { // a job of the studio's own
        p.job = job.params.initImage.empty() && job.initImage.isNull() ? QStringLiteral("txt2img")
                                                                       : QStringLiteral("img2img");
        p.jobCount = std::max(1, job.params.batchCount);
        p.steps = job.params.steps;
    }
}

void ApiServer::onProgress(int jobId, int step, int total)
{
    Progress& p = *m_progress;
    if (p.jobId != jobId)
        return;
    if (step < p.step && p.jobNo + 1 < std::max(1, p.jobCount)) // the next of n_iter batches began
        ++p.jobNo;
    p.step = step;
    p.steps = total;
}

void ApiServer::onPreview(int jobId, const QImage& image)
{
    if (m_progress->jobId != jobId)
        return;
    m_progress->preview = image;
    m_progress->previewBase64.clear();
}

QJsonValue ApiServer::progress(bool skipCurrentImage)
{
    const Progress& p = *m_progress;
    const QJsonObject state { { "skipped", p.skipped }, { "interrupted", p.interrupted },
        { "stopping_generation", false }, { "job", p.job }, { "job_count", p.jobCount },
        { "job_timestamp", p.timestamp }, { "job_no", p.jobNo }, { "sampling_step", p.step },
        { "sampling_steps", p.steps } };
    QJsonObject out { { "progress", 0.0 }, { "eta_relative", 0.0 }, { "state", state },
        { "current_image", QJsonValue::Null }, { "textinfo", QJsonValue::Null } };
    if (p.jobId == 0 || p.jobCount == 0)
        return out;
    // api.py progressapi: 0.01 + the finished batches + this batch's steps, capped at 1
    double progress = 0.01 + double(p.jobNo) / p.jobCount;
    if (p.steps > 0)
        progress += 1.0 / p.jobCount * p.step / p.steps;
    progress = std::min(progress, 1.0);
    const double elapsed = (QDateTime::currentMSecsSinceEpoch() - p.startMs) / 1000.0;
    out["progress"] = progress;
    out["eta_relative"] = elapsed / progress - elapsed;
    if (!skipCurrentImage && !p.preview.isNull()) {
        if (p.previewBase64.isEmpty())
            m_progress->previewBase64
                = QString::fromLatin1(encodeApiImage(p.preview, QString(), ImageFileFormat::Png, 0));
        out["current_image"] = p.previewBase64;
    }
    return out;
}

void ApiServer::onFailed(int jobId, const QString& message)
{
    // `failed` also reports an image that could not be saved, before `finished`: answer only once
    // the worker has moved on (finished, started, idle)
    const auto pending = m_pending.value(jobId);
    if (pending)
        pending->failure = message;
}

void ApiServer::onIdle()
{
    const QList<int> ids = m_pending.keys();
    for (int id : ids)
        if (!m_pending.value(id)->failure.isEmpty())
            finishWithError(id, ApiError::http(500, m_pending.value(id)->failure, "EngineError"));
    resetProgress(*m_progress);
}

void ApiServer::finishWithError(int jobId, const ApiError& error)
{
    const auto pending = m_pending.take(jobId);
    if (!pending || !pending->socket || pending->socket->state() != QAbstractSocket::ConnectedState)
        return;
    ApiError e = error;
    e.headers += pending->cors;
    replyError(std::move(*pending->responder), e);
}

void ApiServer::onSkipped(int jobId)
{
    GenerationResult none;
    none.jobId = jobId;
    onFinished(none);
}

void ApiServer::onFinished(const GenerationResult& result)
{
    if (m_progress->jobId == result.jobId)
        resetProgress(*m_progress);
    const auto pending = m_pending.take(result.jobId);
    if (!pending)
        return; // a job of the studio's own
    const GenerationRequest& g = pending->request;

    // the images: A1111's samples_format (override_settings first), with the infotext inside
    const QJsonValue fmtOverride = g.overrideSettings.value("samples_format");
    const ImageFileFormat format
        = imageFormatFromName(fmtOverride.isString() ? fmtOverride.toString() : m_options.samplesFormat());
    const int quality = m_options.jpegQuality();
    QJsonArray images;
    const bool save = g.saveImages || m_config.saveImages;
    for (const ResultImage& r : result.images) {
        if (save && r.file.isEmpty()) { // the studio's worker has saved it already
            ImageSaver::Options o;
            o.format = format == ImageFileFormat::Unknown ? ImageFileFormat::Png : format;
            o.quality = quality;
            o.outputDir
                = m_config.outputDir.isEmpty() ? m_settings.effectiveOutputFolder() : m_config.outputDir;
            o.addToHistory = false;
            QString why;
            if (ImageSaver(o).save(r.image, r.params, r.infotext, QString(), &why).isEmpty())
                qWarning("API: image not saved: %s", qPrintable(why));
        }
        if (!g.sendImages)
            continue;
        images.append(QString::fromLatin1(encodeApiImage(r.image, r.infotext, format, quality)));
    }

    // info: processing.py Processed.js(), as a JSON string
    const GenerationParams first = result.images.isEmpty() ? g.params : result.images.first().params;
    QJsonArray prompts, negatives, seeds, subseeds, infotexts;
    for (const ResultImage& r : result.images) {
        prompts.append(QString::fromStdString(r.params.prompt));
        negatives.append(QString::fromStdString(r.params.negativePrompt));
        seeds.append(qint64(r.params.seed));
        subseeds.append(qint64(r.params.subseed));
        infotexts.append(r.infotext);
    }
    QJsonObject extra;
    for (const auto& [k, v] : first.extra)
        extra.insert(QString::fromStdString(k), QString::fromStdString(v));
    if (first.scheduler != "Automatic")
        extra.insert("Schedule type", QString::fromStdString(first.scheduler));
    const QJsonObject info { { "prompt", QString::fromStdString(first.prompt) }, { "all_prompts", prompts },
        { "negative_prompt", QString::fromStdString(first.negativePrompt) },
        { "all_negative_prompts", negatives }, { "seed", qint64(first.seed) }, { "all_seeds", seeds },
        { "subseed", qint64(first.subseed) }, { "all_subseeds", subseeds },
        { "subseed_strength", first.subseedStrength }, { "width", first.width }, { "height", first.height },
        { "sampler_name", QString::fromStdString(first.sampler) }, { "cfg_scale", first.cfgScale },
        { "steps", first.steps }, { "batch_size", first.batchSize }, { "restore_faces", false },
        { "face_restoration_model", QJsonValue::Null }, { "sd_model_name", orNull(first.modelName) },
        { "sd_model_hash", orNull(first.modelHash) }, { "sd_vae_name", orNull(first.vaeName) },
        { "sd_vae_hash", orNull(first.vaeHash) },
        { "seed_resize_from_w", g.echo.value("seed_resize_from_w") },
        { "seed_resize_from_h", g.echo.value("seed_resize_from_h") },
        { "denoising_strength",
            g.img2img ? QJsonValue(first.denoisingStrength) : g.echo.value("denoising_strength") },
        { "extra_generation_params", extra }, { "index_of_first_image", 0 }, { "infotexts", infotexts },
        { "styles", QJsonArray::fromStringList(g.styles) }, { "job_timestamp", pending->timestamp },
        { "clip_skip", first.clipSkip }, { "is_using_inpainting_conditioning", false },
        { "version", QStringLiteral("QDiffusion " QD_VERSION) } };

    if (!pending->socket || pending->socket->state() != QAbstractSocket::ConnectedState)
        return; // the client has gone
    reply(std::move(*pending->responder), 200,
        QJsonObject { { "images", images }, { "parameters", g.echo },
            { "info", QString::fromUtf8(QJsonDocument(info).toJson(QJsonDocument::Compact)) } },
        pending->cors);
}

// ---- options ------------------------------------------------------------------------------------------

QJsonObject ApiServer::options() const
{
    return m_options.values();
}

bool ApiServer::setOptions(const QJsonObject& body, ApiError* error)
{
    QJsonObject coerced;
    if (!m_options.check(body, &coerced, error))
        return false;
    ResolvedModel model;
    const QString ckpt = coerced.value("sd_model_checkpoint").toString(m_options.checkpoint());
    const QString vae = coerced.value("sd_vae").toString(m_options.vae());
    if (!resolveModel(ckpt, vae, &model, error))
        return false;
    if (coerced.contains("samples_format")
        && imageFormatFromName(coerced.value("samples_format").toString()) == ImageFileFormat::Unknown) {
        *error = ApiError::http(422,
            QStringLiteral("samples_format '%1' is not png, jpg or webp")
                .arg(coerced.value("samples_format").toString()));
        return false;
    }
    const int clip = coerced.value("CLIP_stop_at_last_layers").toInt(m_options.clipSkip());
    if (clip < 1 || clip > 12) {
        *error = ApiError::validation({ ApiError::detail({ "body", "CLIP_stop_at_last_layers" },
            "ensure this value is between 1 and 12", "value_error.number.not_le") });
        return false;
    }
    coerced.remove("sd_checkpoint_hash"); // follows the checkpoint
    m_options.apply(coerced);
    m_options.set("sd_model_checkpoint", model.title);
    m_options.set("sd_checkpoint_hash", model.hash);
    return true;
}

} // namespace qd::api
