// Not a test: does memory come back when the inference thread switches models? Through the real
// InferenceWorker, loads model A, makes one small image, switches to model B, back to A, to B again,
// then ends the worker, printing the resident memory (VmRSS, split into heap and mapped files) after
// each step. A user notices when switching models leaves the old one's gigabytes behind.
//
//   build/bin/bench_modelswitch [A] [B]
// A defaults to /tmp/sd15.safetensors (make it with `qdiffusion-cli make-checkpoint --arch sd15
// --dtype fp16 --out /tmp/sd15.safetensors`), B to the built-in demo model; "demo" names the demo.
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>

#include <cstdio>
#include <memory>

#include "core/generation/InferenceWorker.h"

using namespace qd;

namespace
{

struct Memory {
    double rss = 0, anon = 0, file = 0, peak = 0; // MiB
};

Memory memoryNow()
{
    Memory m;
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly))
        return m;
    for (const QByteArray& line : f.readAll().split('\n')) {
        const QList<QByteArray> parts = line.simplified().split(' ');
        if (parts.size() < 2)
            continue;
        const double mib = parts[1].toDouble() / 1024.0; // the file says kB
        if (parts[0] == "VmRSS:")
            m.rss = mib;
        else if (parts[0] == "RssAnon:")
            m.anon = mib;
        else if (parts[0] == "RssFile:")
            m.file = mib;
        else if (parts[0] == "VmHWM:")
            m.peak = mib;
    }
    return m;
}

void print(const char* what, double seconds)
{
    const Memory m = memoryNow();
    std::printf("%-34s %8.0f MiB RSS  (heap %7.0f, files %7.0f)  peak %7.0f MiB  %6.1f s\n", what, m.rss,
        m.anon, m.file, m.peak, seconds);
    std::fflush(stdout);
}

// Runs one small job on `checkpoint` ("" = demo) and waits for it; returns the seconds it took.
double runOn(InferenceWorker& worker, const std::string& checkpoint)
{
    GenerationJob job;
    job.model.checkpoint = checkpoint;
    job.params.prompt = "a lighthouse at dawn";
    job.params.sampler = "Euler";
    job.params.steps = 2;
    job.params.seed = 1;
    job.params.width = 64;
    job.params.height = 64;
    job.preview.method = PreviewMethod::None;
    QEventLoop loop;
    QString error;
    const auto c1 = QObject::connect(&worker, &InferenceWorker::finished, &loop, [&] { loop.quit(); });
    const auto c2 = QObject::connect(&worker, &InferenceWorker::failed, &loop, [&](int, const QString& m) {
        error = m;
        loop.quit();
    });
    QElapsedTimer t;
    t.start();
    worker.enqueue(job);
    loop.exec();
    QObject::disconnect(c1);
    QObject::disconnect(c2);
    if (!error.isEmpty()) {
        std::fprintf(stderr, "error: %s\n", qPrintable(error));
        std::exit(1);
    }
    return t.elapsed() / 1000.0;
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    QTemporaryDir home;
    qputenv("QDIFFUSION_HOME", QFile::encodeName(home.path()));
    auto model = [](const char* arg, const char* fallback) {
        std::string m = arg ? arg : fallback;
        if (m == "demo" || (!m.empty() && !QFileInfo::exists(QString::fromStdString(m)))) {
            if (m != "demo")
                std::fprintf(stderr, "%s does not exist: using the demo model instead\n", m.c_str());
            m.clear();
        }
        return m;
    };
    const std::string a = model(argc > 1 ? argv[1] : nullptr, "/tmp/sd15.safetensors");
    const std::string b = model(argc > 2 ? argv[2] : nullptr, "demo");
    std::printf("model A: %s\nmodel B: %s\n", a.empty() ? "demo" : a.c_str(), b.empty() ? "demo" : b.c_str());

    print("start", 0);
    auto worker = std::make_unique<InferenceWorker>();
    print("worker thread up", 0);
    print("A loaded, one image", runOn(*worker, a));
    print("switched to B, one image", runOn(*worker, b));
    print("back to A, one image", runOn(*worker, a));
    print("B again, one image", runOn(*worker, b));
    QElapsedTimer t;
    t.start();
    worker.reset();
    print("worker ended", t.elapsed() / 1000.0);
    return 0;
}
