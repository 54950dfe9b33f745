#include <QtTest/QtTest>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QProcess>
#include <QRandomGenerator>

#include "../core/TestFiles.h"
#include "TinyCheckpoint.h"
#include "core/generation/InferenceWorker.h"
#include "core/library/ModelLibrary.h"
#include "core/metadata/ImageMetadata.h"
#include "core/metadata/Infotext.h"
#include "core/server/ApiListings.h"
#include "core/server/ApiServer.h"

using namespace qd;

// The API as a client meets it: the real server on a free loopback port, spoken to over HTTP, on
// the built-in demo model and a tiny checkpoint in a model folder. Covers the issue's curl request
// (a PNG whose parameters chunk reads back as the request), progress with a preview during a job,
// interrupt and skip, png-info on our PNG and an A1111 one, switching the model through options,
// auth, CORS, the body limit, and the status and body of every error.
namespace
{

struct Reply {
    int status = 0;
    QByteArray body;
    QJsonDocument json;
    QNetworkReply::NetworkError error = QNetworkReply::NoError;
    QByteArray header(const QByteArray& name) const { return headers.value(name.toLower()); }
    QHash<QByteArray, QByteArray> headers;
};

Reply collect(QNetworkReply* r)
{
    Reply out;
    out.status = r->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    out.body = r->readAll();
    out.json = QJsonDocument::fromJson(out.body);
    out.error = r->error();
    for (const auto& [k, v] : r->rawHeaderPairs())
        out.headers.insert(k.toLower(), v);
    r->deleteLater();
    return out;
}

// One minute, times QD_TEST_TIMEOUT_SCALE (scripts/sanitize.sh: instrumented builds run slower).
bool waitFor(QNetworkReply* r, int ms = 60000)
{
    ms = int(ms * std::max(1.0, qEnvironmentVariable("QD_TEST_TIMEOUT_SCALE").toDouble()));
    if (r->isFinished())
        return true;
    QEventLoop loop;
    QTimer::singleShot(ms, &loop, &QEventLoop::quit);
    QObject::connect(r, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    loop.exec();
    return r->isFinished();
}

QByteArray json(const QJsonObject& o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

QImage decodePng(const QString& base64, QString* infotext)
{
    const QByteArray bytes = QByteArray::fromBase64(base64.toLatin1());
    ImageMetadata meta;
    if (infotext && ImageMetadata::readData(bytes, &meta))
        *infotext = meta.infotext();
    return QImage::fromData(bytes, "PNG");
}

QString pngBase64(const QImage& image, const QString& infotext = QString())
{
    ImageMetadata meta;
    if (!infotext.isEmpty())
        meta.setInfotext(infotext);
    return QString::fromLatin1(ImageMetadata::encode(image, ImageFileFormat::Png, meta).toBase64());
}

// A1111 v1.10.1's own infotext, as its PNGs carry it.
const char kA1111Infotext[] = "a cat wearing a hat, (masterpiece:1.2)\nNegative prompt: blurry, "
                              "lowres\nSteps: 28, Sampler: DPM++ 2M, "
                              "Schedule type: Karras, CFG scale: 6.5, Seed: 1234567890, Size: 512x768, Model "
                              "hash: 6ce0161689, Model: "
                              "v1-5-pruned-emaonly, Clip skip: 2, Version: v1.10.1";

} // namespace

class TestApiServer : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    std::unique_ptr<InferenceWorker> m_worker;
    std::unique_ptr<ModelLibrary> m_library;
    std::unique_ptr<api::ApiServer> m_server; // open, CORS for one origin, 1 MiB body limit
    std::unique_ptr<api::ApiServer> m_authServer; // --api-auth alice:secret,bob:pa:ss
    QNetworkAccessManager m_net;

    QNetworkReply* send(const QByteArray& method, const QString& path, const QByteArray& body = QByteArray(),
        const QList<QPair<QByteArray, QByteArray>>& headers = {}, api::ApiServer* server = nullptr)
    {
        QNetworkRequest req(QUrl((server ? server : m_server.get())->baseUrl() + path));
        req.setHeader(QNetworkRequest::ContentTypeHeader, "application/json");
        for (const auto& [k, v] : headers)
            req.setRawHeader(k, v);
        return m_net.sendCustomRequest(req, method, body);
    }
    Reply call(const QByteArray& method, const QString& path, const QByteArray& body = QByteArray(),
        const QList<QPair<QByteArray, QByteArray>>& headers = {}, api::ApiServer* server = nullptr)
    {
        QNetworkReply* r = send(method, path, body, headers, server);
        if (!waitFor(r)) {
            r->abort();
            return collect(r);
        }
        return collect(r);
    }
    Reply get(const QString& path) { return call("GET", path); }
    Reply post(const QString& path, const QJsonObject& body) { return call("POST", path, json(body)); }

    // 422 FastAPI list whose first entry names `field`
    static void verifyValidation(const Reply& r, const QString& field, const QString& type)
    {
        QCOMPARE(r.status, 422);
        const QJsonArray detail = r.json.object().value("detail").toArray();
        QVERIFY2(!detail.isEmpty(), r.body.constData());
        const QJsonObject d = detail.first().toObject();
        QCOMPARE(d.value("loc").toArray().at(0).toString(), QString("body"));
        if (!field.isEmpty())
            QCOMPARE(d.value("loc").toArray().at(1).toString(), field);
        QCOMPARE(d.value("type").toString(), type);
        QVERIFY(!d.value("msg").toString().isEmpty());
    }
    // A1111's {error, detail, body, errors} with `status`, the detail naming `named`
    static void verifyA1111Error(const Reply& r, int status, const QString& named)
    {
        QCOMPARE(r.status, status);
        const QJsonObject o = r.json.object();
        QVERIFY2(o.contains("error") && o.contains("body") && o.contains("errors"), r.body.constData());
        QVERIFY2(o.value("detail").toString().contains(named), r.body.constData());
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        const QString models = m_dir.filePath("models");
        QVERIFY(QDir().mkpath(models));
        QVERIFY(writeTinyCheckpoint(models, "tiny-a"));
        m_worker = std::make_unique<InferenceWorker>();
        m_library = std::make_unique<ModelLibrary>();
        m_library->setCacheFile(m_dir.filePath("hashes.json"));
        m_library->setFolders({ models });
        QVERIFY(m_library->waitForHashes(20000));
        QCOMPARE(m_library->entries().size(), 1);

        api::ApiServerConfig c;
        c.port = 0;
        c.maxBodyBytes = 1 << 20;
        c.corsOrigins = { "http://allowed.example" };
        c.outputDir = m_dir.filePath("out");
        m_server = std::make_unique<api::ApiServer>(c, Settings(), m_worker.get(), m_library.get());
        QString error;
        QVERIFY2(m_server->listen(&error), qPrintable(error));
        QVERIFY(m_server->port() != 0);

        c.credentials = { { "alice", "secret" }, { "bob", "pa:ss" } };
        c.corsOrigins.clear();
        m_authServer = std::make_unique<api::ApiServer>(c, Settings(), m_worker.get(), m_library.get());
        QVERIFY2(m_authServer->listen(&error), qPrintable(error));
    }

    void cleanupTestCase()
    {
        m_server.reset();
        m_authServer.reset();
        m_worker.reset();
    }

    // The seed's request, unchanged: A1111's defaults fill in the rest (Euler, CFG 7; the demo model
    // draws at its native 256 px where A1111 would take 512).
    void txt2imgAnswersTheCurlRequest()
    {
        const Reply r
            = post("/sdapi/v1/txt2img", { { "prompt", "a dog playing in the park" }, { "steps", 20 } });
        QCOMPARE(r.status, 200);
        QCOMPARE(r.header("content-type"), QByteArray("application/json"));
        const QJsonObject o = r.json.object();
        const QJsonArray images = o.value("images").toArray();
        QCOMPARE(images.size(), 1);
        QString infotext;
        const QImage image = decodePng(images.first().toString(), &infotext);
        QCOMPARE(image.size(), QSize(256, 256));
        const GenerationParams p = parseInfotext(infotext);
        QCOMPARE(QString::fromStdString(p.prompt), QString("a dog playing in the park"));
        QCOMPARE(p.steps, 20);
        QCOMPARE(QString::fromStdString(p.sampler), QString("Euler")); // sampler_index's default
        QCOMPARE(p.width, 256);
        QCOMPARE(p.cfgScale, 7.0);
        // info is a JSON string, as A1111's
        QVERIFY(o.value("info").isString());
        const QJsonObject info = QJsonDocument::fromJson(o.value("info").toString().toUtf8()).object();
        QCOMPARE(info.value("seed").toInteger(), qint64(p.seed));
        QCOMPARE(info.value("all_seeds").toArray().size(), 1);
        QCOMPARE(info.value("infotexts").toArray().first().toString(), infotext);
        QCOMPARE(info.value("prompt").toString(), QString("a dog playing in the park"));
        QCOMPARE(info.value("sampler_name").toString(), QString("Euler"));
        QCOMPARE(info.value("steps").toInt(), 20);
        QCOMPARE(info.value("width").toInt(), 256);
        QCOMPARE(info.value("job_timestamp").toString().size(), 14);
        QVERIFY(info.contains("sd_model_name") && info.contains("all_subseeds") && info.contains("version"));
        // parameters: the request with A1111's defaults
        const QJsonObject params = o.value("parameters").toObject();
        QCOMPARE(params.value("steps").toInt(), 20);
        QCOMPARE(params.value("sampler_index").toString(), QString("Euler"));
        QCOMPARE(params.value("cfg_scale").toDouble(), 7.0);
        QCOMPARE(params.value("send_images").toBool(), true);
    }

    // n_iter x batch_size images with consecutive seeds, old sampler names split, send_images false.
    void txt2imgBatchesSeedsAndOldSamplerNames()
    {
        Reply r = post("/sdapi/v1/txt2img",
            { { "prompt", "x" }, { "steps", 2 }, { "width", 64 }, { "height", 64 }, { "n_iter", 2 },
                { "batch_size", 2 }, { "seed", 100 }, { "sampler_name", "DPM++ 2M Karras" },
                { "styles", QJsonArray() }, { "unknown_field", "ignored" },
                { "override_settings", QJsonObject { { "CLIP_stop_at_last_layers", 2 } } } });
        QCOMPARE(r.status, 200);
        const QJsonArray images = r.json.object().value("images").toArray();
        QCOMPARE(images.size(), 4);
        const QJsonObject info
            = QJsonDocument::fromJson(r.json.object().value("info").toString().toUtf8()).object();
        QCOMPARE(info.value("all_seeds").toArray(), (QJsonArray { 100, 101, 102, 103 }));
        QCOMPARE(info.value("sampler_name").toString(), QString("DPM++ 2M"));
        QCOMPARE(info.value("clip_skip").toInt(), 2);
        QString infotext;
        decodePng(images[3].toString(), &infotext);
        const GenerationParams p = parseInfotext(infotext);
        QCOMPARE(p.seed, int64_t(103));
        QCOMPARE(QString::fromStdString(p.scheduler), QString("Karras"));
        QCOMPARE(p.clipSkip, 2);

        r = post("/sdapi/v1/txt2img",
            { { "steps", 1 }, { "width", 64 }, { "height", 64 }, { "send_images", false } });
        QCOMPARE(r.status, 200);
        QCOMPARE(r.json.object().value("images").toArray().size(), 0);
    }

    // A1111's random-number fields: the variation seed counts up while every image keeps the seed,
    // the request's override_settings pick the source and ENSD, and the infotexts say so.
    void txt2imgVariationSeedsAndRandomSource()
    {
        Reply r = post("/sdapi/v1/txt2img",
            { { "prompt", "x" }, { "steps", 2 }, { "width", 64 }, { "height", 64 }, { "batch_size", 2 },
                { "seed", 100 }, { "subseed", 5 }, { "subseed_strength", 0.25 }, { "seed_resize_from_w", 96 },
                { "seed_resize_from_h", 80 }, { "sampler_name", "Euler a" },
                { "override_settings",
                    QJsonObject { { "randn_source", "CPU" }, { "eta_noise_seed_delta", 31337 } } } });
        QCOMPARE(r.status, 200);
        const QJsonObject info
            = QJsonDocument::fromJson(r.json.object().value("info").toString().toUtf8()).object();
        QCOMPARE(info.value("all_seeds").toArray(), (QJsonArray { 100, 100 }));
        QCOMPARE(info.value("all_subseeds").toArray(), (QJsonArray { 5, 6 }));
        QCOMPARE(info.value("seed_resize_from_w").toInt(), 96);
        QString infotext;
        decodePng(r.json.object().value("images").toArray()[1].toString(), &infotext);
        for (const char* key : { "Variation seed: 6", "Variation seed strength: 0.25",
                 "Seed resize from: 96x80", "ENSD: 31337", "RNG: CPU" })
            QVERIFY2(infotext.contains(key), qPrintable(infotext));

        r = post("/sdapi/v1/txt2img",
            { { "steps", 1 }, { "width", 64 }, { "height", 64 },
                { "override_settings", QJsonObject { { "randn_source", "quantum" } } } });
        QCOMPARE(r.status, 422);
        QVERIFY2(r.body.contains("randn_source"), r.body.constData());
    }

    // enable_hr and the hr_* fields: the image comes back at the second pass's size with A1111's keys;
    // an unknown upscaler or sampler is named in a 422.
    void txt2imgHiresFix()
    {
        Reply r = post("/sdapi/v1/txt2img",
            { { "prompt", "x" }, { "steps", 2 }, { "width", 64 }, { "height", 48 }, { "seed", 7 },
                { "enable_hr", true }, { "hr_scale", 1.5 }, { "hr_upscaler", "Lanczos" },
                { "hr_second_pass_steps", 2 }, { "denoising_strength", 0.4 },
                { "hr_sampler_name", "Euler" } });
        QCOMPARE(r.status, 200);
        QString infotext;
        const QImage image
            = decodePng(r.json.object().value("images").toArray().first().toString(), &infotext);
        QCOMPARE(image.size(), QSize(96, 72));
        for (const char* key : { "Size: 64x48", "Denoising strength: 0.4", "Hires upscale: 1.5",
                 "Hires steps: 2", "Hires upscaler: Lanczos" })
            QVERIFY2(infotext.contains(key), qPrintable(infotext));

        r = post("/sdapi/v1/txt2img",
            { { "steps", 1 }, { "width", 64 }, { "height", 64 }, { "enable_hr", true },
                { "hr_upscaler", "4x-Nope" } });
        QVERIFY2(r.status == 422 || r.status == 404, r.body.constData());
        QVERIFY2(r.body.contains("4x-Nope"), r.body.constData());
        r = post("/sdapi/v1/txt2img",
            { { "steps", 1 }, { "width", 64 }, { "height", 64 }, { "enable_hr", true },
                { "hr_sampler_name", "Eulr" } });
        QCOMPARE(r.status, 422);
    }

    void progressMovesAndCarriesAPreview()
    {
        Reply idle = get("/sdapi/v1/progress");
        QCOMPARE(idle.status, 200);
        QCOMPARE(idle.json.object().value("progress").toDouble(), 0.0);
        QCOMPARE(idle.json.object().value("state").toObject().value("job_count").toInt(), 0);

        QNetworkReply* job = send("POST", "/sdapi/v1/txt2img",
            json({ { "prompt", "a slow one" }, { "steps", 40 }, { "width", 128 }, { "height", 128 } }));
        QList<double> seen;
        bool preview = false;
        int steps = 0;
        while (!job->isFinished()) {
            const Reply p = get("/sdapi/v1/progress"); // answered while the job runs
            QCOMPARE(p.status, 200);
            const QJsonObject o = p.json.object();
            const double v = o.value("progress").toDouble();
            if (v > 0 && !job->isFinished()) {
                seen << v;
                steps = std::max(steps, o.value("state").toObject().value("sampling_steps").toInt());
                const QString img = o.value("current_image").toString();
                if (!img.isEmpty() && !QImage::fromData(QByteArray::fromBase64(img.toLatin1())).isNull())
                    preview = true;
                QVERIFY(o.value("eta_relative").toDouble() >= 0);
            }
            QTest::qWait(20);
        }
        QCOMPARE(collect(job).status, 200);
        QVERIFY2(seen.size() >= 3, qPrintable(QString::number(seen.size())));
        QVERIFY(std::is_sorted(seen.begin(), seen.end()));
        QVERIFY(seen.first() < 0.5);
        QVERIFY(seen.last() > 0.5 && seen.last() <= 1.0);
        QVERIFY(preview);
        QCOMPARE(steps, 40);
        idle = get("/sdapi/v1/progress?skip_current_image=true");
        QCOMPARE(idle.json.object().value("progress").toDouble(), 0.0);
        QVERIFY(idle.json.object().value("current_image").isNull());
    }

    void interruptAndSkipActOnTheRunningJob()
    {
        auto waitRunning = [this] {
            for (int i = 0; i < 500; ++i) {
                const QJsonObject s = get("/sdapi/v1/progress").json.object().value("state").toObject();
                if (s.value("sampling_step").toInt() >= 2)
                    return true;
                QTest::qWait(10);
            }
            return false;
        };
        const QJsonObject longJob { { "steps", 150 }, { "width", 128 }, { "height", 128 } };
        QNetworkReply* job = send("POST", "/sdapi/v1/txt2img", json(longJob));
        QVERIFY(waitRunning());
        Reply r = post("/sdapi/v1/interrupt", {});
        QCOMPARE(r.status, 200);
        QCOMPARE(r.body, QByteArray("{}"));
        QVERIFY(waitFor(job, 20000));
        Reply done = collect(job);
        QCOMPARE(done.status, 200);
        QCOMPARE(done.json.object().value("images").toArray().size(), 1); // the image so far

        job = send("POST", "/sdapi/v1/txt2img", json(longJob));
        QNetworkReply* next
            = send("POST", "/sdapi/v1/txt2img", json({ { "steps", 1 }, { "width", 64 }, { "height", 64 } }));
        QVERIFY(waitRunning());
        r = post("/sdapi/v1/skip", {});
        QCOMPARE(r.status, 200);
        QCOMPARE(r.body, QByteArray("null"));
        QVERIFY(waitFor(job, 20000));
        done = collect(job);
        QCOMPARE(done.status, 200);
        QCOMPARE(done.json.object().value("images").toArray().size(), 0); // skipped: nothing
        QVERIFY(waitFor(next, 20000)); // the queue goes on
        QCOMPARE(collect(next).json.object().value("images").toArray().size(), 1);
    }

    void img2imgWithMask()
    {
        QImage init(96, 64, QImage::Format_RGB888);
        init.fill(Qt::darkCyan);
        QImage mask(96, 64, QImage::Format_RGB888);
        mask.fill(Qt::black);
        for (int y = 16; y < 48; ++y)
            for (int x = 16; x < 48; ++x)
                mask.setPixelColor(x, y, Qt::white);
        const Reply r = post("/sdapi/v1/img2img",
            { { "init_images", QJsonArray { "data:image/png;base64," + pngBase64(init) } },
                { "mask", pngBase64(mask) }, { "inpainting_mask_invert", false },
                { "denoising_strength", 0.5 }, { "steps", 3 }, { "width", 64 }, { "height", 64 },
                { "sampler_index", "Euler a" }, { "mask_blur", 4 } });
        QCOMPARE(r.status, 200);
        const QJsonObject o = r.json.object();
        QString infotext;
        // the API's inpaint_full_res defaults to true: the crop around the mask is made at 64x64 and
        // pasted back into the 96x64 picture, as A1111 answers
        QImage out = decodePng(o.value("images").toArray().first().toString(), &infotext);
        QCOMPARE(out.size(), QSize(96, 64));
        QCOMPARE(parseInfotext(infotext).denoisingStrength, 0.5);
        QVERIFY2(infotext.contains("Mask blur: 4, Inpaint area: Only masked, Masked area padding: 0, "
                                   "Masked content: fill"),
            qPrintable(infotext));
        QVERIFY(o.value("parameters").toObject().value("init_images").isNull()); // not echoed unless asked
        // far from the mask (blur 4 reaches 10 px) the picture is the original's
        out = out.convertToFormat(QImage::Format_RGB888);
        for (const QPoint& pt : { QPoint(2, 2), QPoint(90, 60), QPoint(70, 30), QPoint(30, 60) })
            QVERIFY2(std::abs(qRed(out.pixel(pt)) - qRed(init.pixel(pt))) <= 2
                    && std::abs(qGreen(out.pixel(pt)) - qGreen(init.pixel(pt))) <= 2
                    && std::abs(qBlue(out.pixel(pt)) - qBlue(init.pixel(pt))) <= 2,
                qPrintable(QString("%1,%2").arg(pt.x()).arg(pt.y())));
        // whole picture, inverted, latent nothing: at the size asked for, the keys as A1111 writes them
        const Reply whole = post("/sdapi/v1/img2img",
            { { "init_images", QJsonArray { pngBase64(init) } }, { "mask", pngBase64(mask) },
                { "inpainting_mask_invert", 1 }, { "inpaint_full_res", false }, { "inpainting_fill", 3 },
                { "mask_blur_x", 2 }, { "mask_blur_y", 2 }, { "denoising_strength", 0.5 }, { "steps", 3 },
                { "width", 64 }, { "height", 64 } });
        QCOMPARE(whole.status, 200);
        out = decodePng(whole.json.object().value("images").toArray().first().toString(), &infotext);
        QCOMPARE(out.size(), QSize(64, 64));
        QVERIFY2(
            infotext.contains("Mask blur: 2, Masked content: latent nothing, Mask mode: Inpaint not masked"),
            qPrintable(infotext));
        QVERIFY(!infotext.contains("Inpaint area"));
        verifyA1111Error(post("/sdapi/v1/img2img",
                             { { "init_images", QJsonArray { pngBase64(init) } }, { "inpainting_fill", 7 } }),
            422, "inpainting_fill 7");

        verifyA1111Error(
            post("/sdapi/v1/img2img", { { "prompt", "no image" } }), 404, "Init image not found");
        verifyA1111Error(post("/sdapi/v1/img2img", { { "init_images", QJsonArray { "bm90IGFuIGltYWdl" } } }),
            422, "Invalid encoded image");
        verifyA1111Error(
            post("/sdapi/v1/img2img", { { "init_images", QJsonArray { "http://example.com/x.png" } } }), 422,
            "Requests not allowed");
    }

    void pngInfoReadsOursAndA1111s()
    {
        const Reply made = post("/sdapi/v1/txt2img",
            { { "prompt", "pnginfo, \"quoted\"" }, { "negative_prompt", "bad" }, { "steps", 2 },
                { "seed", 77 }, { "width", 64 }, { "height", 64 } });
        const QString ours = made.json.object().value("images").toArray().first().toString();
        Reply r = post("/sdapi/v1/png-info", { { "image", ours } });
        QCOMPARE(r.status, 200);
        QJsonObject o = r.json.object();
        QVERIFY(o.value("info").toString().startsWith("pnginfo, \"quoted\"\nNegative prompt: bad\nSteps: 2"));
        QJsonObject p = o.value("parameters").toObject();
        QCOMPARE(p.value("Prompt").toString(), QString("pnginfo, \"quoted\""));
        QCOMPARE(p.value("Negative prompt").toString(), QString("bad"));
        QCOMPARE(p.value("Seed").toString(), QString("77"));
        QCOMPARE(p.value("Size-1").toString(), QString("64"));

        QImage a(8, 8, QImage::Format_RGB888);
        a.fill(Qt::red);
        r = post("/sdapi/v1/png-info", { { "image", pngBase64(a, kA1111Infotext) } });
        QCOMPARE(r.status, 200);
        o = r.json.object();
        QCOMPARE(o.value("info").toString(), QString(kA1111Infotext));
        p = o.value("parameters").toObject();
        QCOMPARE(p.value("Prompt").toString(), QString("a cat wearing a hat, (masterpiece:1.2)"));
        QCOMPARE(p.value("Negative prompt").toString(), QString("blurry, lowres"));
        QCOMPARE(p.value("Sampler").toString(), QString("DPM++ 2M"));
        QCOMPARE(p.value("Schedule type").toString(), QString("Karras"));
        QCOMPARE(p.value("Seed").toString(), QString("1234567890"));
        QCOMPARE(p.value("Size-2").toString(), QString("768"));
        QCOMPARE(p.value("Clip skip").toString(), QString("2"));
        // an A1111 JPEG carries it in EXIF UserComment
        ImageMetadata meta;
        meta.setInfotext(kA1111Infotext);
        const QByteArray jpeg = ImageMetadata::encode(a, ImageFileFormat::Jpeg, meta, 90);
        r = post("/sdapi/v1/png-info", { { "image", QString::fromLatin1(jpeg.toBase64()) } });
        QCOMPARE(r.json.object().value("info").toString(), QString(kA1111Infotext));

        r = post("/sdapi/v1/png-info", { { "image", "" } });
        QCOMPARE(r.json.object().value("info").toString(), QString());
        verifyA1111Error(post("/sdapi/v1/png-info", { { "image", "!!!" } }), 422, "Invalid encoded image");
        verifyValidation(post("/sdapi/v1/png-info", {}), "image", "value_error.missing");
    }

    void optionsSwitchTheModel()
    {
        Reply r = get("/sdapi/v1/options");
        QCOMPARE(r.status, 200);
        const QJsonObject before = r.json.object();
        QCOMPARE(before.value("sd_model_checkpoint").toString(), QString("demo (tiny fill-rule model)"));
        QVERIFY(before.value("send_seed").toBool());
        QCOMPARE(before.value("CLIP_stop_at_last_layers").toInt(), 1);

        // A1111's own test: flip send_seed and read it back; then post the whole object back
        QCOMPARE(post("/sdapi/v1/options", { { "send_seed", false } }).status, 200);
        QCOMPARE(get("/sdapi/v1/options").json.object().value("send_seed").toBool(), false);
        r = post("/sdapi/v1/options", before);
        QCOMPARE(r.status, 200);
        QCOMPARE(r.body, QByteArray("null"));
        QCOMPARE(get("/sdapi/v1/options").json.object(), before);

        const ModelEntry tiny = m_library->entries().first();
        QCOMPARE(post("/sdapi/v1/options", { { "sd_model_checkpoint", "tiny-a" } }).status, 200);
        const QJsonObject after = get("/sdapi/v1/options").json.object();
        QCOMPARE(after.value("sd_model_checkpoint").toString(), tiny.title());
        QCOMPARE(after.value("sd_checkpoint_hash").toString(),
            QString::fromStdString(tiny.sha256.toStdString()).left(10));
        r = post("/sdapi/v1/txt2img", { { "steps", 2 }, { "width", 64 }, { "height", 64 } });
        QCOMPARE(r.status, 200);
        QJsonObject info
            = QJsonDocument::fromJson(r.json.object().value("info").toString().toUtf8()).object();
        QCOMPARE(info.value("sd_model_name").toString(), QString("tiny-a"));
        QCOMPARE(info.value("sd_model_hash").toString(), tiny.hash());

        // per request, then back
        r = post("/sdapi/v1/txt2img",
            { { "steps", 1 }, { "width", 64 }, { "height", 64 },
                { "override_settings", QJsonObject { { "sd_model_checkpoint", "demo" } } } });
        info = QJsonDocument::fromJson(r.json.object().value("info").toString().toUtf8()).object();
        QCOMPARE(info.value("sd_model_name").toString(), QString("demo (tiny fill-rule model)"));
        QCOMPARE(
            get("/sdapi/v1/options").json.object().value("sd_model_checkpoint").toString(), tiny.title());

        verifyA1111Error(
            post("/sdapi/v1/options", { { "sd_model_checkpoint", "no-such-model" } }), 404, "no-such-model");
        verifyA1111Error(
            post("/sdapi/v1/options", { { "sd_vae", "missing.vae.pt" } }), 404, "missing.vae.pt");
        verifyA1111Error(post("/sdapi/v1/options", { { "not_an_option", 1 } }), 422, "not_an_option");
        verifyValidation(
            post("/sdapi/v1/options", { { "send_seed", "maybe" } }), "send_seed", "type_error.bool");
        verifyA1111Error(post("/sdapi/v1/options", { { "samples_format", "bmp" } }), 422, "bmp");
        // a path is not a model name: nothing outside the model folders is opened
        verifyA1111Error(
            post("/sdapi/v1/options", { { "sd_model_checkpoint", "/etc/passwd" } }), 404, "/etc/passwd");
        QCOMPARE(
            post("/sdapi/v1/options", { { "sd_model_checkpoint", "demo (tiny fill-rule model)" } }).status,
            200);

        QCOMPARE(post("/sdapi/v1/unload-checkpoint", {}).status, 200);
        QCOMPARE(post("/sdapi/v1/reload-checkpoint", {}).status, 200);
        QCOMPARE(post("/sdapi/v1/refresh-checkpoints", {}).status, 200);
        QCOMPARE(post("/sdapi/v1/refresh-loras", {}).status, 200);
    }

    void listings()
    {
        Reply r = get("/sdapi/v1/samplers");
        QCOMPARE(r.status, 200);
        QStringList names;
        for (const QJsonValue& s : r.json.array())
            names << s.toObject().value("name").toString();
        QVERIFY(names.contains("Euler") && names.contains("Euler a") && names.contains("DPM++ 2M"));
        QCOMPARE(names.first(), QString("DPM++ 2M")); // A1111's order
        r = get("/sdapi/v1/schedulers");
        const QJsonObject karras = r.json.array().at(2).toObject();
        QCOMPARE(karras.value("name").toString(), QString("karras"));
        QCOMPARE(karras.value("default_rho").toDouble(), 7.0);
        r = get("/sdapi/v1/sd-models");
        QCOMPARE(r.json.array().size(), 2);
        QCOMPARE(r.json.array().first().toObject().value("model_name").toString(), QString("tiny-a"));
        QCOMPARE(
            r.json.array().first().toObject().value("hash").toString(), m_library->entries().first().hash());
        for (const char* empty : { "upscalers", "latent-upscale-modes", "face-restorers", "prompt-styles",
                 "hypernetworks", "realesrgan-models", "sd-vae", "loras", "script-info", "extensions" }) {
            r = get(QStringLiteral("/sdapi/v1/") + empty);
            QCOMPARE(r.status, 200);
            QVERIFY2(r.json.isArray(), empty);
        }
        // the hires fix menu: the built-in image upscalers and A1111's six latent modes
        const QJsonArray ups = get("/sdapi/v1/upscalers").json.array();
        QVERIFY(ups.size() >= 3);
        QCOMPARE(ups.at(1).toObject().value("name").toString(), QString("Lanczos"));
        const QJsonArray modes = get("/sdapi/v1/latent-upscale-modes").json.array();
        QCOMPARE(modes.size(), 6);
        QCOMPARE(modes.at(2).toObject().value("name").toString(), QString("Latent (bicubic)"));
        // the models folder's embeddings: the readable ones loaded, with their shape and vectors
        qdtest::writeEmbedding(m_dir.filePath("models/embeddings/glow-style.safetensors"), 2, 128);
        qdtest::writeFile(m_dir.filePath("models/embeddings/broken.pt"), "not a checkpoint");
        const QJsonObject embeddings = get("/sdapi/v1/embeddings").json.object();
        QCOMPARE(embeddings.keys(), (QStringList { "loaded", "skipped" }));
        const QJsonObject glow = embeddings.value("loaded").toObject().value("glow-style").toObject();
        QCOMPARE(glow.value("shape").toInt(), 128);
        QCOMPARE(glow.value("vectors").toInt(), 2);
        QVERIFY(embeddings.value("skipped").toObject().contains("broken"));
        // ... and a generation naming one (on the demo model, whose text width is 128) records it
        const Reply ti = post("/sdapi/v1/txt2img",
            { { "prompt", "a lamp, glow-style" }, { "steps", 2 }, { "width", 32 }, { "height", 32 },
                { "override_settings", QJsonObject { { "sd_model_checkpoint", "demo" } } } });
        QCOMPARE(ti.status, 200);
        const QString tiInfo = QJsonDocument::fromJson(ti.json.object().value("info").toString().toUtf8())
                                   .object()
                                   .value("infotexts")
                                   .toArray()
                                   .first()
                                   .toString();
        QVERIFY2(tiInfo.contains("TI hashes: \"glow-style: "), qPrintable(tiInfo));
        QDir(m_dir.filePath("models/embeddings")).removeRecursively();
        QCOMPARE(get("/sdapi/v1/scripts").json.object().keys(), (QStringList { "img2img", "txt2img" }));
        QVERIFY(get("/sdapi/v1/memory").json.object().value("ram").toObject().value("total").toDouble() > 0);
        const QJsonObject flags = get("/sdapi/v1/cmd-flags").json.object();
        QVERIFY(flags.value("api").toBool());
        QVERIFY(flags.value("api_auth").isNull());
        QCOMPARE(get("/internal/ping").body, QByteArray("{}"));
    }

    void errorsHaveA1111sStatusAndShape()
    {
        Reply r = get("/sdapi/v1/no-such-route");
        QCOMPARE(r.status, 404);
        QCOMPARE(r.body, QByteArray("{\"detail\":\"Not Found\"}"));
        r = get("/");
        QCOMPARE(r.body, QByteArray("{\"detail\":\"Not Found\"}"));
        r = get("/sdapi/v1/txt2img");
        QCOMPARE(r.status, 405);
        QCOMPARE(r.json.object().value("detail").toString(), QString("Method Not Allowed"));
        QCOMPARE(r.header("allow"), QByteArray("POST"));
        QCOMPARE(call("DELETE", "/sdapi/v1/options").status, 405);

        verifyValidation(post("/sdapi/v1/txt2img", { { "steps", "many" } }), "steps", "type_error.integer");
        verifyValidation(
            post("/sdapi/v1/txt2img", { { "prompt", QJsonArray { 1 } } }), "prompt", "type_error.str");
        verifyValidation(
            post("/sdapi/v1/txt2img", { { "styles", "not a list" } }), "styles", "type_error.list");
        verifyValidation(
            post("/sdapi/v1/txt2img", { { "width", 100000 } }), "width", "value_error.number.not_le");
        verifyValidation(post("/sdapi/v1/txt2img", { { "steps", 0 } }), "steps", "value_error.number.not_ge");
        verifyValidation(
            post("/sdapi/v1/txt2img", { { "batch_size", 1e300 } }), "batch_size", "type_error.integer");
        verifyValidation(call("POST", "/sdapi/v1/txt2img", "{\"prompt\": "), "", "value_error.jsondecode");
        verifyValidation(call("POST", "/sdapi/v1/txt2img", "[1, 2]"), "", "type_error.dict");
        verifyValidation(call("POST", "/sdapi/v1/txt2img", ""), "", "value_error.missing");
        verifyA1111Error(
            post("/sdapi/v1/txt2img", { { "sampler_name", "Nope Sampler" } }), 422, "Nope Sampler");
        verifyA1111Error(post("/sdapi/v1/txt2img", { { "scheduler", "wobbly" } }), 422, "wobbly");
        verifyA1111Error(
            post("/sdapi/v1/txt2img",
                { { "override_settings", QJsonObject { { "sd_model_checkpoint", "gone.safetensors" } } } }),
            404, "gone.safetensors");
        verifyA1111Error(
            post("/sdapi/v1/txt2img", { { "override_settings", QJsonObject { { "bogus_key", 1 } } } }), 422,
            "bogus_key");
        verifyA1111Error(post("/sdapi/v1/txt2img", { { "script_name", "sd upscale" } }), 422, "sd upscale");
        verifyA1111Error(
            post("/sdapi/v1/txt2img", { { "denoising_strength", 0.5 }, { "cfg_scale", 1e9 } }), 422, "CFG");

        // a body over the limit is refused before it is read into memory
        const QByteArray big = "{\"prompt\": \"" + QByteArray(2 << 20, 'a') + "\"}";
        r = call("POST", "/sdapi/v1/txt2img", big);
        QCOMPARE(r.status, 413);
        QCOMPARE(get("/internal/ping").status, 200); // and the server goes on
    }

    void authIsEnforced()
    {
        api::ApiServer* s = m_authServer.get();
        Reply r = call("GET", "/sdapi/v1/options", {}, {}, s);
        QCOMPARE(r.status, 401);
        QCOMPARE(r.header("www-authenticate"), QByteArray("Basic"));
        QCOMPARE(r.json.object().value("detail").toString(), QString("Not authenticated"));
        r = call("GET", "/sdapi/v1/options", {},
            { { "Authorization", "Basic " + QByteArray("alice:wrong").toBase64() } }, s);
        QCOMPARE(r.status, 401);
        QCOMPARE(r.json.object().value("detail").toString(), QString("Incorrect username or password"));
        r = call("GET", "/sdapi/v1/options", {},
            { { "Authorization", "Basic " + QByteArray("bob:secret").toBase64() } }, s);
        QCOMPARE(r.status, 401); // alice's password is not bob's
        r = call("GET", "/sdapi/v1/options", {},
            { { "Authorization", "Basic " + QByteArray("alice:secret").toBase64() } }, s);
        QCOMPARE(r.status, 200);
        r = call("GET", "/sdapi/v1/samplers", {},
            { { "Authorization", "Basic " + QByteArray("bob:pa:ss").toBase64() } }, s);
        QCOMPARE(r.status, 200);
        QCOMPARE(call("GET", "/internal/ping", {}, {}, s).status, 200); // health checks need none
        QCOMPARE(call("GET", "/nothing-here", {}, {}, s).status, 404);
    }

    // `qdiffusion-cli serve` as the load scripts start it: the line they wait for, the demo model when
    // no checkpoint is named, SIGTERM ending it cleanly; an open address without credentials refused.
    void cliServeStartsAnswersAndStops()
    {
        const QString cli = QCoreApplication::applicationDirPath() + "/qdiffusion-cli";
        QProcess refused;
        refused.start(cli, { "serve", "--host", "0.0.0.0", "--port", "0" });
        QVERIFY(refused.waitForFinished(20000));
        QCOMPARE(refused.exitCode(), 2);
        QVERIFY(refused.readAllStandardError().contains("--api-auth"));

        QProcess serve;
        serve.start(cli, { "serve", "--port", "0", "--models", m_dir.filePath("empty-models") });
        QElapsedTimer clock;
        clock.start();
        QByteArray out;
        while (!out.contains('\n') && clock.elapsed() < 20000 && serve.state() != QProcess::NotRunning) {
            serve.waitForReadyRead(200);
            out += serve.readAllStandardOutput();
        }
        qInfo("serve ready after %lld ms", qint64(clock.elapsed()));
        const QRegularExpression line(R"(^Serving the AUTOMATIC1111 API on (http://127\.0\.0\.1:\d+)\n)");
        const auto m = line.match(QString::fromUtf8(out));
        QVERIFY2(m.hasMatch(), out.constData());
        QNetworkRequest req(QUrl(m.captured(1) + "/sdapi/v1/txt2img"));
        req.setHeader(QNetworkRequest::ContentTypeHeader, "application/json");
        QNetworkReply* r = m_net.post(req, json({ { "steps", 2 }, { "width", 64 }, { "height", 64 } }));
        QVERIFY(waitFor(r));
        const Reply made = collect(r);
        QCOMPARE(made.status, 200);
        const QJsonObject info
            = QJsonDocument::fromJson(made.json.object().value("info").toString().toUtf8()).object();
        QCOMPARE(info.value("sd_model_name").toString(), QString("demo (tiny fill-rule model)"));
        serve.terminate(); // SIGTERM
        QVERIFY(serve.waitForFinished(10000));
        QCOMPARE(serve.exitStatus(), QProcess::NormalExit);
        QCOMPARE(serve.exitCode(), 0);
    }

    // Not a timing test: prints what the API itself adds to a 512x512 image (PNG with its infotext,
    // base64, the JSON answer), the figure the issue wants under 10 ms.
    void printsTheApiCostOfA512Image()
    {
        QImage image(512, 512, QImage::Format_RGB888);
        QRandomGenerator rng(42);
        for (int y = 0; y < 512; ++y) {
            uchar* row = image.scanLine(y);
            for (int x = 0; x < 512 * 3; ++x) // a smooth picture with some noise, like a generated one
                row[x] = uchar((x / 3 + y) / 4 + rng.bounded(16));
        }
        const QString infotext = kA1111Infotext;
        QElapsedTimer clock;
        const int n = 20;
        qint64 bytes = 0;
        clock.start();
        for (int i = 0; i < n; ++i) {
            const QByteArray png = api::encodeApiImage(image, infotext, ImageFileFormat::Png, 95);
            const QJsonObject body { { "images", QJsonArray { QString::fromLatin1(png) } },
                { "parameters", QJsonObject { { "prompt", "x" } } }, { "info", infotext } };
            bytes = QJsonDocument(body).toJson(QJsonDocument::Compact).size();
        }
        qInfo("API cost of one 512x512 image (PNG + infotext, base64, JSON): %.1f ms, %lld bytes",
            clock.nsecsElapsed() / 1e6 / n, bytes);
        QVERIFY(bytes > 512 * 512);
    }

    void corsOnlyForConfiguredOrigins()
    {
        Reply r = call("GET", "/sdapi/v1/samplers", {}, { { "Origin", "http://allowed.example" } });
        QCOMPARE(r.header("access-control-allow-origin"), QByteArray("http://allowed.example"));
        r = call("GET", "/sdapi/v1/samplers", {}, { { "Origin", "http://evil.example" } });
        QVERIFY(r.header("access-control-allow-origin").isEmpty());
        r = call("OPTIONS", "/sdapi/v1/txt2img", {},
            { { "Origin", "http://allowed.example" }, { "Access-Control-Request-Method", "POST" },
                { "Access-Control-Request-Headers", "content-type" } });
        QCOMPARE(r.status, 200);
        QVERIFY(r.header("access-control-allow-methods").contains("POST"));
        r = call(
            "GET", "/sdapi/v1/samplers", {}, { { "Origin", "http://allowed.example" } }, m_authServer.get());
        QVERIFY(r.header("access-control-allow-origin").isEmpty()); // CORS off there
    }
};

QTEST_GUILESS_MAIN(TestApiServer)
#include "tst_apiserver.moc"
