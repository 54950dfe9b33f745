#include <QtTest/QtTest>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QPainter>
#include <QProcess>

#include "../core/TestFiles.h"
#include "ApiTestClient.h"
#include "core/generation/InferenceWorker.h"
#include "core/server/ApiServer.h"

using namespace qd;

// sd-webui-controlnet's routes over loopback HTTP, as its clients call them: the model list from the
// ControlNet folder, the module list with sliders, detect making a map (and the extension's 422s), and
// alwayson_scripts.controlnet units checked before anything runs.
class TestApiControlNet : public QObject
{
    Q_OBJECT
    QTemporaryDir m_dir;
    std::unique_ptr<InferenceWorker> m_worker;
    std::unique_ptr<api::ApiServer> m_server;
    QNetworkAccessManager m_net;

    using Reply = qdtest::ApiReply;

    Reply call(const QByteArray& method, const QString& path, const QJsonObject& body = QJsonObject())
    {
        return qdtest::sendJson(m_net, QUrl(m_server->baseUrl() + path), method,
            body.isEmpty() ? QByteArray() : QJsonDocument(body).toJson(QJsonDocument::Compact), 120000);
    }

    static QString pngBase64(const QImage& image)
    {
        QByteArray bytes;
        QBuffer buffer(&bytes);
        buffer.open(QIODevice::WriteOnly);
        image.save(&buffer, "PNG");
        return QStringLiteral("data:image/png;base64,") + QString::fromLatin1(bytes.toBase64());
    }

    static QImage square()
    {
        QImage img(128, 128, QImage::Format_RGB888);
        img.fill(Qt::black);
        QPainter(&img).fillRect(32, 32, 64, 64, Qt::white);
        return img;
    }

    static QString detail(const Reply& r) { return r.json.object().value("detail").toString(); }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        const QString models = m_dir.filePath("models/Stable-diffusion");
        QDir().mkpath(models);
        // a ControlNet the demo model takes (the tiny fill-rule one: context 128), under a real name
        QProcess make;
        make.start(QCoreApplication::applicationDirPath() + "/qdiffusion-cli",
            { "make-checkpoint", "--arch", "controlnet-tiny", "--out",
                m_dir.filePath("models/ControlNet/control_v11p_sd15_canny.safetensors") });
        QVERIFY(make.waitForFinished(120000));
        QVERIFY2(make.exitCode() == 0, make.readAllStandardError().constData());
        m_worker = std::make_unique<InferenceWorker>();
        Settings settings;
        settings.modelFolders = { models };
        api::ApiServerConfig c;
        c.port = 0;
        m_server = std::make_unique<api::ApiServer>(c, settings, m_worker.get(), nullptr);
        QString error;
        QVERIFY2(m_server->listen(&error), qPrintable(error));
    }

    void cleanupTestCase()
    {
        m_server.reset();
        m_worker.reset();
    }

    void listsModelsAndModules()
    {
        QCOMPARE(call("GET", "/controlnet/version").json.object().value("version").toInt(), 2);
        const Reply models = call("GET", "/controlnet/model_list");
        QCOMPARE(models.status, 200);
        const QJsonArray list = models.json.object().value("model_list").toArray();
        QCOMPARE(list.size(), 2);
        QCOMPARE(list[0].toString(), QString("None"));
        QVERIFY(list[1].toString().startsWith("control_v11p_sd15_canny ["));
        const Reply modules = call("GET", "/controlnet/module_list");
        const QJsonObject o = modules.json.object();
        QVERIFY(o.value("module_list").toArray().contains(QJsonValue("canny")));
        const QJsonArray canny
            = o.value("module_detail").toObject().value("canny").toObject().value("sliders").toArray();
        QCOMPARE(canny.size(), 3); // resolution, low, high
        QCOMPARE(canny[1].toObject().value("name").toString(), QString("Low Threshold"));
        QCOMPARE(canny[2].toObject().value("value").toDouble(), 200.0);
        QVERIFY(!o.value("module_detail")
                     .toObject()
                     .value("depth_midas")
                     .toObject()
                     .value("model_free")
                     .toBool());
        const Reply aliases = call("GET", "/controlnet/module_list?alias_names=true");
        QVERIFY(aliases.json.object()
                    .value("module_list")
                    .toArray()
                    .contains(QJsonValue("lineart_standard (from white bg & black line)")));
        QCOMPARE(call("GET", "/controlnet/nothing").status, 404);
    }

    void detectMakesTheMap()
    {
        const Reply r = call("POST", "/controlnet/detect",
            { { "controlnet_module", "canny" },
                { "controlnet_input_images", QJsonArray { pngBase64(square()) } },
                { "controlnet_processor_res", 256 } });
        QCOMPARE(r.status, 200);
        QCOMPARE(r.json.object().value("info").toString(), QString("Success"));
        const QImage map = QImage::fromData(
            QByteArray::fromBase64(r.json.object().value("images").toArray().first().toString().toLatin1()));
        QCOMPARE(map.size(), QSize(256, 256));
        int white = 0; // the square's left edge: column 32 of 128 -> 64 of 256
        for (int y = 0; y < 256; ++y)
            white += map.pixelColor(63, y) == QColor(Qt::white) || map.pixelColor(64, y) == QColor(Qt::white);
        QVERIFY(white > 100);
        QCOMPARE(map.pixelColor(128, 128), QColor(Qt::black));

        Reply bad = call("POST", "/controlnet/detect",
            { { "controlnet_module", "sobelish" },
                { "controlnet_input_images", QJsonArray { pngBase64(square()) } } });
        QCOMPARE(bad.status, 422);
        QCOMPARE(detail(bad), QString("Module not available"));
        bad = call("POST", "/controlnet/detect", { { "controlnet_module", "canny" } });
        QCOMPARE(detail(bad), QString("No image selected"));
        bad = call("POST", "/controlnet/detect",
            { { "controlnet_module", "inpaint_only" },
                { "controlnet_input_images", QJsonArray { pngBase64(square()) } } });
        QCOMPARE(bad.status, 422);
        QVERIFY(detail(bad).contains("controlnet_masks"));
        bad = call("POST", "/controlnet/detect",
            { { "controlnet_module", "depth_midas" },
                { "controlnet_input_images", QJsonArray { pngBase64(square()) } } });
        QCOMPARE(bad.status, 422);
        QVERIFY(detail(bad).contains("annotator weights"));
        bad = call("POST", "/controlnet/detect",
            { { "controlnet_module", "canny" },
                { "controlnet_input_images", QJsonArray { "not base64 !" } } });
        QCOMPARE(bad.status, 422);
    }

    // sd-webui-controlnet's own API example (its wiki's txt2img request): a canny unit on a picture,
    // the model by its listed title. The image changes, the infotext records the unit as the
    // extension writes it; weight 0 gives the plain image back.
    void theExtensionsExampleRequestWorks()
    {
        const QString model
            = call("GET", "/controlnet/model_list").json.object().value("model_list").toArray()[1].toString();
        auto txt2img = [&](const QJsonArray& units) {
            QJsonObject body { { "prompt", "a house on a hill" }, { "negative_prompt", "blurry" },
                { "seed", 42 }, { "steps", 3 }, { "width", 64 }, { "height", 64 },
                { "sampler_name", "Euler" } };
            if (!units.isEmpty())
                body.insert(
                    "alwayson_scripts", QJsonObject { { "controlnet", QJsonObject { { "args", units } } } });
            return call("POST", "/sdapi/v1/txt2img", body);
        };
        const QJsonObject unit { { "enabled", true }, { "image", pngBase64(square()) }, { "module", "canny" },
            { "model", model }, { "weight", 1.0 }, { "resize_mode", "Crop and Resize" }, { "lowvram", false },
            { "processor_res", 64 }, { "threshold_a", 100 }, { "threshold_b", 200 },
            { "guidance_start", 0.0 }, { "guidance_end", 1.0 }, { "control_mode", 0 },
            { "pixel_perfect", false } };
        const Reply plain = txt2img({});
        const Reply guided = txt2img({ unit });
        QCOMPARE(plain.status, 200);
        QVERIFY2(guided.status == 200, guided.json.toJson().constData());
        const QString a = plain.json.object().value("images").toArray()[0].toString();
        const QString b = guided.json.object().value("images").toArray()[0].toString();
        QVERIFY(a != b);
        const QString info = QJsonDocument::fromJson(guided.json.object().value("info").toString().toUtf8())
                                 .object()
                                 .value("infotexts")
                                 .toArray()[0]
                                 .toString();
        QVERIFY2(info.contains("ControlNet 0: \"Module: canny, Model: " + model
                     + ", Weight: 1, Resize Mode: Crop and Resize, "
                       "Processor Res: 64, Threshold A: 100, Threshold B: 200, Guidance Start: 0, "
                       "Guidance End: 1, Pixel Perfect: False, Control Mode: Balanced\""),
            qPrintable(info));
        QJsonObject off = unit;
        off.insert("weight", 0.0);
        auto pixels = [](const QString& base64) {
            return QImage::fromData(QByteArray::fromBase64(base64.toLatin1()))
                .convertToFormat(QImage::Format_RGB888);
        };
        QCOMPARE(pixels(txt2img({ off }).json.object().value("images").toArray()[0].toString()), pixels(a));
        QVERIFY(pixels(a) != pixels(b));
        // a unit whose model is not there: the request fails naming it
        QJsonObject missing = unit;
        missing.insert("model", "control_v11p_sd15_openpose [aaaaaaaa]");
        const Reply r = txt2img({ missing });
        QCOMPARE(r.status, 422);
        QVERIFY(detail(r).contains("control_v11p_sd15_openpose"));
    }

    void unitsAreCheckedBeforeTheyRun()
    {
        auto txt2img = [&](const QJsonObject& unit) {
            return call("POST", "/sdapi/v1/txt2img",
                { { "prompt", "x" }, { "steps", 1 }, { "width", 64 }, { "height", 64 },
                    { "alwayson_scripts",
                        QJsonObject {
                            { "controlnet", QJsonObject { { "args", QJsonArray { unit } } } } } } });
        };
        Reply r = txt2img({ { "enabled", true }, { "module", "sobelish" } });
        QCOMPARE(r.status, 422);
        QVERIFY(detail(r).contains("sobelish"));
        r = txt2img({ { "enabled", true }, { "module", "canny" }, { "weight", 3.5 } });
        QCOMPARE(r.status, 422);
        QVERIFY(detail(r).contains("weight"));
        r = txt2img({ { "enabled", true }, { "guidance_start", 0.8 }, { "guidance_end", 0.2 } });
        QCOMPARE(r.status, 422);
        QVERIFY(detail(r).contains("guidance_start"));
        r = txt2img({ { "enabled", true }, { "resize_mode", "Sideways" } });
        QCOMPARE(r.status, 422);
        QVERIFY(detail(r).contains("resize_mode"));
        // another always-on script is still not found
        r = call("POST", "/sdapi/v1/txt2img",
            { { "prompt", "x" }, { "alwayson_scripts", QJsonObject { { "adetailer", QJsonObject() } } } });
        QCOMPARE(r.status, 422);
        QVERIFY(detail(r).contains("adetailer"));
    }
};

QTEST_GUILESS_MAIN(TestApiControlNet)
#include "tst_apicontrolnet.moc"
