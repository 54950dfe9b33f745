// LibTorch before Qt: Qt's `slots` macro would break LibTorch's headers.
#include <torch/torch.h>

#include "../core/TinyUpscaler.h"
#include "ApiTestClient.h"
#include "core/generation/InferenceWorker.h"
#include "core/metadata/ImageMetadata.h"
#include "core/server/ApiServer.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QTemporaryDir>
#include <QtTest/QtTest>

using namespace qd;

// AUTOMATIC1111's extras endpoints as its clients call them, over loopback HTTP: one image (base64
// with or without a data: prefix) or a list, by a factor or to a size, the answer's PNG keeping the
// source's infotext and carrying the postprocessing one, html_info as A1111 makes it; a model from
// the ESRGAN folder; and A1111's error statuses and bodies for what cannot be done.
class TestApiExtras : public QObject
{
    Q_OBJECT
    QTemporaryDir m_home;
    std::unique_ptr<InferenceWorker> m_worker;
    std::unique_ptr<api::ApiServer> m_server;
    QNetworkAccessManager m_net;
    QByteArray m_png; // a 48x32 PNG carrying an infotext
    const QString m_infotext = QStringLiteral(
        "a harbour\nSteps: 8, Sampler: Euler, CFG scale: 5, Seed: 3, Size: 48x32, Model: demo");

    struct Reply {
        int status = 0;
        QByteArray body;
        QJsonObject json;
    };

    Reply post(const QString& path, const QJsonObject& body)
    {
        const qdtest::ApiReply r = qdtest::sendJson(m_net, QUrl(m_server->baseUrl() + "/sdapi/v1/" + path),
            "POST", QJsonDocument(body).toJson(QJsonDocument::Compact), 120000);
        return { r.status, r.body, r.json.object() };
    }

    static QImage decode(const QJsonValue& base64, ImageMetadata* meta)
    {
        const QByteArray bytes = QByteArray::fromBase64(base64.toString().toLatin1());
        if (meta)
            ImageMetadata::readData(bytes, meta);
        return QImage::fromData(bytes, "PNG");
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_home.isValid());
        qputenv("QDIFFUSION_HOME", QFile::encodeName(m_home.path()));
        qputenv("OMP_WAIT_POLICY", "PASSIVE");
        qdtest::writeTinyUpscaler(m_home.filePath("models/ESRGAN/4x-tiny.safetensors"));
        QImage im(48, 32, QImage::Format_RGB888);
        for (int y = 0; y < 32; ++y)
            for (int x = 0; x < 48; ++x)
                im.setPixelColor(x, y, QColor(x * 5, y * 7, 120));
        ImageMetadata meta;
        meta.setInfotext(m_infotext);
        m_png = ImageMetadata::encode(im, ImageFileFormat::Png, meta);
        QVERIFY(!m_png.isEmpty());

        m_worker = std::make_unique<InferenceWorker>();
        Settings settings;
        settings.device = "cpu";
        settings.modelFolders = { m_home.filePath("models") };
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

    void singleImageByTwo()
    {
        for (const QString& prefix : { QString(), QStringLiteral("data:image/png;base64,") }) {
            const Reply r = post("extra-single-image",
                { { "image", prefix + QString::fromLatin1(m_png.toBase64()) }, { "upscaler_1", "Lanczos" },
                    { "upscaling_resize", 2 } });
            QVERIFY2(r.status == 200, r.body.constData());
            ImageMetadata meta;
            QCOMPARE(decode(r.json.value("image"), &meta).size(), QSize(96, 64));
            QCOMPARE(meta.infotext(), m_infotext); // the source's, untouched
            QCOMPARE(meta.text("postprocessing"),
                QString("Postprocess upscale by: 2, Postprocess upscaler: Lanczos"));
            QCOMPARE(r.json.value("html_info").toString(),
                QString("<p>Postprocess upscale by: 2, Postprocess upscaler: Lanczos</p>"));
        }
    }

    void scaleToWithCropAndAModel()
    {
        const Reply r = post("extra-single-image",
            { { "image", QString::fromLatin1(m_png.toBase64()) }, { "resize_mode", 1 },
                { "upscaling_resize_w", 100 }, { "upscaling_resize_h", 80 }, { "upscaling_crop", true },
                { "upscaler_1", "4x-tiny" }, { "upscaler_2", "Nearest" },
                { "extras_upscaler_2_visibility", 0.3 }, { "gfpgan_visibility", 0 },
                { "codeformer_visibility", 0 }, { "codeformer_weight", 0.5 }, { "show_extras_results", true },
                { "upscale_first", false } });
        QVERIFY2(r.status == 200, r.body.constData());
        ImageMetadata meta;
        QCOMPARE(decode(r.json.value("image"), &meta).size(), QSize(100, 80));
        QCOMPARE(meta.text("postprocessing"),
            QString(
                "Postprocess upscale to: 100x80, Postprocess crop to: 100x80, Postprocess upscaler: 4x-tiny, "
                "Postprocess upscaler 2: Nearest"));
    }

    void batchOfImages()
    {
        QImage plain(20, 20, QImage::Format_RGB888);
        plain.fill(Qt::darkCyan);
        QByteArray jpeg;
        QBuffer buffer(&jpeg);
        buffer.open(QIODevice::WriteOnly);
        plain.save(&buffer, "JPEG");
        const Reply r = post("extra-batch-images",
            { { "imageList",
                  QJsonArray {
                      QJsonObject { { "data", QString::fromLatin1(m_png.toBase64()) }, { "name", "a.png" } },
                      QJsonObject {
                          { "data", QString::fromLatin1(jpeg.toBase64()) }, { "name", "b.jpg" } } } },
                { "upscaler_1", "Nearest" }, { "upscaling_resize", 4 } });
        QVERIFY2(r.status == 200, r.body.constData());
        const QJsonArray images = r.json.value("images").toArray();
        QCOMPARE(images.size(), 2);
        ImageMetadata first, second;
        QCOMPARE(decode(images[0], &first).size(), QSize(192, 128));
        QCOMPARE(decode(images[1], &second).size(), QSize(80, 80));
        QCOMPARE(first.infotext(), m_infotext);
        QVERIFY(second.infotext().isEmpty()); // a photo has none to keep
        QCOMPARE(second.text("postprocessing"),
            QString("Postprocess upscale by: 4, Postprocess upscaler: Nearest"));
    }

    void errorsAsA1111Answers()
    {
        const QString image = QString::fromLatin1(m_png.toBase64());
        // an upscaler that does not exist: named, with those that do
        Reply r = post("extra-single-image", { { "image", image }, { "upscaler_1", "4x-UltraSharp" } });
        QCOMPARE(r.status, 422);
        QVERIFY2(r.json.value("detail").toString().contains("4x-UltraSharp")
                && r.json.value("detail").toString().contains("4x-tiny"),
            r.body.constData());
        QCOMPARE(r.json.value("error").toString(), QString("HTTPException"));
        // no face restorer here
        r = post("extra-single-image",
            { { "image", image }, { "upscaler_1", "Lanczos" }, { "gfpgan_visibility", 0.5 } });
        QCOMPARE(r.status, 422);
        QVERIFY2(r.json.value("detail").toString().contains("GFPGAN"), r.body.constData());
        // pydantic's validation list
        r = post("extra-single-image",
            { { "image", image }, { "resize_mode", 2 }, { "upscaling_resize", 9 },
                { "upscaling_crop", "maybe" } });
        QCOMPARE(r.status, 422);
        const QJsonArray details = r.json.value("detail").toArray();
        QCOMPARE(details.size(), 3);
        QCOMPARE(details[0].toObject().value("loc").toArray(), QJsonArray({ "body", "resize_mode" }));
        QCOMPARE(details[1].toObject().value("msg").toString(),
            QString("ensure this value is less than or equal to 8"));
        QCOMPARE(details[2].toObject().value("type").toString(), QString("type_error.bool"));
        // no image, a broken one
        r = post("extra-single-image", { { "upscaler_1", "Lanczos" } });
        QCOMPARE(r.status, 404);
        QCOMPARE(r.json.value("detail").toString(), QString("Image not found"));
        r = post("extra-single-image", { { "image", "bm90IGFuIGltYWdl" }, { "upscaler_1", "Lanczos" } });
        QCOMPARE(r.status, 422);
        QCOMPARE(r.json.value("detail").toString(), QString("Invalid encoded image in image"));
        r = post("extra-batch-images", { { "upscaler_1", "Lanczos" } });
        QCOMPARE(r.status, 422);
        QCOMPARE(r.json.value("detail").toArray().first().toObject().value("loc").toArray(),
            QJsonArray({ "body", "imageList" }));
        r = post("extra-batch-images",
            { { "imageList", QJsonArray { QJsonObject { { "data", image } } } },
                { "upscaler_1", "Lanczos" } });
        QCOMPARE(r.status, 422);
        QCOMPARE(r.json.value("detail").toArray().first().toObject().value("loc").toArray(),
            QJsonArray({ "body", "imageList", 0, "name" }));
        // the server is still there
        QCOMPARE(post("extra-single-image", { { "image", image }, { "upscaler_1", "None" } }).status, 200);
    }
};

QTEST_GUILESS_MAIN(TestApiExtras)
#include "tst_apiextras.moc"
