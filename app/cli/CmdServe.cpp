// qdiffusion-cli serve: AUTOMATIC1111's HTTP API without a display (docs/a1111-api.md), on one
// inference thread and queue, for clients pointed at http://127.0.0.1:7860 (README "HTTP API").
#include <atomic>
#include <csignal>
#include <iostream>

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QGuiApplication>
#include <QHostAddress>
#include <QTimer>

#include "CliCommon.h"
#include "Commands.h"
#include "core/Settings.h"
#include "core/engine/EngineInfo.h"
#include "core/generation/InferenceWorker.h"
#include "core/library/ModelLibrary.h"
#include "core/server/ApiServer.h"

namespace qd::cli
{

namespace
{

struct ServeOptions {
    std::string host = "127.0.0.1";
    int port = 7860;
    std::string apiAuth; // user:pass[,user:pass...]
    std::vector<std::string> models; // model folders
    std::string outdir;
    std::string ckpt; // the model at start (a library name, title or hash)
    bool saveImages = false;
    std::vector<std::string> corsOrigins;
    std::string device = "auto";
    std::string dtype = "auto";
    bool insecure = false;
    int maxWidth = 2048, maxHeight = 2048, maxSteps = 150, maxBatchSize = 8, maxBatchCount = 100;
    int maxBodyMb = 64;
};

std::atomic<int> g_signal { 0 };

extern "C" void onSignal(int sig)
{
    g_signal = sig;
}

int run(const ServeOptions& o)
{
    int argc = 1;
    char name[] = "qdiffusion-cli";
    char* argv[] = { name, nullptr };
    // A GUI application on the offscreen platform: the X/Y/Z plot's grid labels need fonts
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QGuiApplication app(argc, argv);
    configureThreads();

    api::ApiServerConfig config;
    const QString host = QString::fromStdString(o.host);
    if (host == QLatin1String("localhost"))
        config.host = QHostAddress::LocalHost;
    else if (!config.host.setAddress(host))
        return badInput("--host '" + o.host + "' is not an IP address (e.g. 127.0.0.1, 0.0.0.0, ::1)");
    if (o.port < 0 || o.port > 65535)
        return badInput("--port " + std::to_string(o.port) + " is outside 0..65535");
    config.port = quint16(o.port);
    QString why;
    if (!api::parseCredentials(QString::fromStdString(o.apiAuth), &config.credentials, &why))
        return badInput("--api-auth: " + why.toStdString());
    if (!config.host.isLoopback() && config.credentials.isEmpty() && !o.insecure)
        return badInput("--host " + o.host
            + " lets other machines generate on this one: give --api-auth user:password, or --insecure to "
              "serve without credentials");
    for (const std::string& c : o.corsOrigins)
        for (const QString& origin : QString::fromStdString(c).split(',', Qt::SkipEmptyParts))
            config.corsOrigins << origin.trimmed();
    config.maxBodyBytes = qint64(std::max(1, o.maxBodyMb)) << 20;
    config.caps = { o.maxWidth, o.maxHeight, o.maxSteps, o.maxBatchSize, o.maxBatchCount };
    config.outputDir = QString::fromStdString(o.outdir);
    config.saveImages = o.saveImages;
    config.checkpoint = QString::fromStdString(o.ckpt);

    Settings settings; // the defaults: a server takes its folders from its command line
    QStringList folders;
    for (const std::string& m : o.models)
        folders << QFileInfo(QString::fromStdString(m)).absoluteFilePath();
    if (folders.isEmpty())
        folders = ModelLibrary::defaultFolders(settings);
    settings.modelFolders = folders;
    settings.device = QString::fromStdString(o.device);
    settings.precision = QString::fromStdString(o.dtype);
    if (!config.outputDir.isEmpty())
        settings.outputFolder = config.outputDir;

    ModelLibrary library;
    library.setFolders(folders);
    if (!config.checkpoint.isEmpty() && !library.find(config.checkpoint))
        return badInput("--ckpt '" + o.ckpt + "' is not in the model folders ("
            + folders.join(", ").toStdString() + "); /sdapi/v1/sd-models lists what is");

    InferenceWorker worker;
    api::ApiServer server(config, settings, &worker, &library);
    QString error;
    if (!server.listen(&error)) {
        std::cerr << "error: " << error.toStdString() << "\n";
        return 1;
    }
    std::cerr << "Models: " << library.entries().size() << " checkpoint(s) in "
              << folders.join(", ").toStdString()
              << (config.checkpoint.isEmpty() ? "; using the built-in demo model until a client picks one\n"
                                              : "\n");
    std::cout << "Serving the AUTOMATIC1111 API on " << server.baseUrl().toStdString() << std::endl;

    // Ctrl+C / SIGTERM: interrupt the running job (its client still gets the image made so far), give
    // the answers a moment to go out, then stop; a second signal stops at once.
    std::signal(SIGINT, onSignal);
    std::signal(SIGTERM, onSignal);
    QTimer poll;
    QElapsedTimer stopping;
    int seen = 0;
    bool quitting = false;
    QObject::connect(&poll, &QTimer::timeout, &app, [&] {
        if (!stopping.isValid()) {
            if (g_signal == 0)
                return;
            seen = g_signal.exchange(0);
            std::cerr << "Stopping: interrupting the running job\n";
            worker.pause(); // queued jobs do not start
            worker.interrupt();
            stopping.start();
            return;
        }
        if (g_signal.exchange(0) != 0 || stopping.elapsed() > 5000) {
            app.quit();
        } else if (!quitting && worker.runningJobId() == 0) {
            quitting = true;
            QTimer::singleShot(200, &app, &QCoreApplication::quit); // let the last answer go out
        }
    });
    poll.start(100);
    const int rc = app.exec();
    std::cerr << "Stopped" << (seen == SIGTERM ? " (SIGTERM)" : seen == SIGINT ? " (SIGINT)" : "") << "\n";
    return rc;
}

} // namespace

Command addServe(CLI::App& app)
{
    auto o = std::make_shared<ServeOptions>();
    CLI::App* sub
        = app.add_subcommand("serve", "Serve the AUTOMATIC1111 HTTP API (/sdapi/v1) without a display");
    sub->add_option("--host", o->host, "Address to listen on (another than loopback needs --api-auth)")
        ->capture_default_str();
    sub->add_option("--port", o->port, "Port (0 = any free port)")->capture_default_str();
    sub->add_option("--api-auth", o->apiAuth, "HTTP Basic credentials user:password[,user:password...]");
    sub->add_option("--models", o->models, "Model folder (repeatable; default: the app's models folder)");
    sub->add_option(
        "--ckpt", o->ckpt, "Checkpoint to start with (a name, title or hash in the model folders)");
    sub->add_option("--outdir", o->outdir, "Folder for saved images (save_images / --save-images)");
    sub->add_flag("--save-images", o->saveImages, "Save every image, as if each request asked save_images");
    sub->add_option(
        "--cors-allow-origins", o->corsOrigins, "Origins allowed by CORS (comma-separated; * = any)");
    sub->add_option("--device", o->device, "auto, cpu, cuda or cuda:N")->capture_default_str();
    sub->add_option("--dtype", o->dtype, "auto, fp32, fp16 or bf16")->capture_default_str();
    sub->add_flag("--insecure", o->insecure, "Allow another address than loopback without --api-auth");
    sub->add_option("--max-width", o->maxWidth, "Largest width a request may ask")->capture_default_str();
    sub->add_option("--max-height", o->maxHeight, "Largest height a request may ask")->capture_default_str();
    sub->add_option("--max-steps", o->maxSteps, "Most steps a request may ask")->capture_default_str();
    sub->add_option("--max-batch-size", o->maxBatchSize, "Largest batch_size")->capture_default_str();
    sub->add_option("--max-n-iter", o->maxBatchCount, "Largest n_iter")->capture_default_str();
    sub->add_option("--max-body-mb", o->maxBodyMb, "Largest request body in MiB (413 above)")
        ->capture_default_str();
    return { sub, [o] { return run(*o); } };
}

} // namespace qd::cli
