#include <QtTest/QtTest>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>

#include "ApiTestClient.h"
#include "core/AppPaths.h"
#include "core/generation/InferenceWorker.h"
#include "core/metadata/ImageMetadata.h"
#include "core/metadata/Infotext.h"
#include "core/server/ApiServer.h"

using namespace qd;

// Prompt styles and the X/Y/Z plot through the A1111 API, over loopback HTTP on the demo model:
// GET prompt-styles lists the app's styles.csv, `styles` applies them (an unknown one is a 422
// naming it), and script_name "x/y/z plot" with A1111's script_args answers the labelled grid first,
// then each cell with its own parameters.
class TestApiXyz : public QObject
{
    Q_OBJECT
    QTemporaryDir m_home;
    std::unique_ptr<InferenceWorker> m_worker;
    std::unique_ptr<api::ApiServer> m_server;
    QNetworkAccessManager m_net;

    using Reply = qdtest::ApiReply;

    Reply call(const QByteArray& method, const QString& path, const QJsonObject& body = QJsonObject())
    {
        return qdtest::sendJson(m_net, QUrl(m_server->baseUrl() + path), method,
            body.isEmpty() ? QByteArray() : QJsonDocument(body).toJson(QJsonDocument::Compact));
    }

    static QImage decode(const QJsonValue& base64, QString* infotext)
    {
        const QByteArray bytes = QByteArray::fromBase64(base64.toString().toLatin1());
        ImageMetadata meta;
        if (ImageMetadata::readData(bytes, &meta))
            *infotext = meta.infotext();
        return QImage::fromData(bytes, "PNG");
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_home.isValid());
        qputenv("QDIFFUSION_HOME", QFile::encodeName(m_home.path()));
        qputenv("OMP_WAIT_POLICY", "PASSIVE");
        QVERIFY(QFile::copy(
            QStringLiteral(QD_TEST_DATA "/core/styles.csv"), AppPaths::dataDir() + "/styles.csv"));
        m_worker = std::make_unique<InferenceWorker>();
        api::ApiServerConfig c;
        c.port = 0;
        m_server = std::make_unique<api::ApiServer>(c, Settings(), m_worker.get(), nullptr);
        QString error;
        QVERIFY2(m_server->listen(&error), qPrintable(error));
    }

    void cleanupTestCase()
    {
        m_server.reset();
        m_worker.reset();
    }

    void promptStyles()
    {
        const Reply r = call("GET", "/sdapi/v1/prompt-styles");
        QCOMPARE(r.status, 200);
        const QJsonArray styles = r.json.array();
        QCOMPARE(styles.size(), 4);
        QCOMPARE(styles.at(2).toObject(),
            QJsonObject({ { "name", "Line art, ink" }, { "prompt", "line art\nink drawing, high contrast" },
                { "negative_prompt", "" } }));

        const Reply gen = call("POST", "/sdapi/v1/txt2img",
            { { "prompt", "a cat" }, { "negative_prompt", "ugly" }, { "steps", 2 },
                { "styles", QJsonArray { "Cinematic", "Only negative" } } });
        QCOMPARE(gen.status, 200);
        QString infotext;
        decode(gen.json.object().value("images").toArray().first(), &infotext);
        const GenerationParams p = parseInfotext(infotext);
        QCOMPARE(QString::fromStdString(p.prompt),
            QString("cinematic still of a cat, shallow depth of field, film grain"));
        QCOMPARE(
            QString::fromStdString(p.negativePrompt), QString("ugly, cartoon, anime, lowres, bad anatomy"));
        QVERIFY(!infotext.contains("Styles")); // as A1111: the final prompts only
        const QJsonObject info
            = QJsonDocument::fromJson(gen.json.object().value("info").toString().toUtf8()).object();
        QCOMPARE(info.value("styles").toArray(), QJsonArray({ "Cinematic", "Only negative" }));

        const Reply bad = call("POST", "/sdapi/v1/txt2img", { { "styles", QJsonArray { "Nope" } } });
        QCOMPARE(bad.status, 422);
        QVERIFY2(bad.json.object().value("detail").toString().contains("'Nope'"), bad.body.constData());
    }

    void xyzPlotAsA1111ClientsSendIt()
    {
        QCOMPARE(call("GET", "/sdapi/v1/scripts").json.object().value("txt2img").toArray(),
            QJsonArray({ "x/y/z plot" }));
        // webuiapi's XYPlotSettings order (v1.7+): types by index (txt2img: 4 Steps, 6 CFG Scale)
        const QJsonArray args { 4, "2, 3, 4", QJsonArray(), 6, "5,9", QJsonArray(), 0, "", QJsonArray(), true,
            true, false, false, false, false, false, 0, false };
        const Reply r = call("POST", "/sdapi/v1/txt2img",
            { { "prompt", "a lighthouse" }, { "seed", 77 }, { "script_name", "X/Y/Z plot" },
                { "script_args", args } });
        QCOMPARE(r.status, 200);
        const QJsonArray images = r.json.object().value("images").toArray();
        QCOMPARE(images.size(), 1 + 6); // the grid, then the cells (include_lone_images)
        QString infotext;
        const QImage grid = decode(images.first(), &infotext);
        QCOMPARE(grid.width(), 3 * 256 + 192); // 3 columns, the Y labels' margin
        QVERIFY(grid.height() > 2 * 256 && grid.height() < 2 * 256 + 100);
        QVERIFY2(infotext.contains("Script: X/Y/Z plot, X Type: Steps"), qPrintable(infotext));
        for (int i = 0; i < 6; ++i) { // cells in x-fastest order, each with its own values
            const QImage cell = decode(images.at(1 + i), &infotext);
            QCOMPARE(cell.size(), QSize(256, 256));
            const GenerationParams p = parseInfotext(infotext);
            QCOMPARE(p.steps, 2 + i % 3);
            QCOMPARE(p.cfgScale, i < 3 ? 5.0 : 9.0);
            QCOMPARE(p.seed, int64_t(77));
        }
        const QJsonObject info
            = QJsonDocument::fromJson(r.json.object().value("info").toString().toUtf8()).object();
        QCOMPARE(info.value("infotexts").toArray().size(), 7);
        QCOMPARE(info.value("index_of_first_image").toInt(), 1);

        // labels instead of indices, the older script_args without vary_seeds; the grid only
        const Reply only = call("POST", "/sdapi/v1/txt2img",
            { { "prompt", "a red boat" }, { "steps", 2 }, { "script_name", "x/y/z plot" },
                { "script_args",
                    QJsonArray { "Prompt S/R", "red, blue", QJsonArray(), "Nothing", "", QJsonArray(),
                        "Nothing", "", QJsonArray(), true, false, false, false, 0, false } } });
        QCOMPARE(only.status, 200);
        QCOMPARE(only.json.object().value("images").toArray().size(), 1);
        QCOMPARE(decode(only.json.object().value("images").toArray().first(), &infotext).width(), 2 * 256);

        // errors: A1111's words, 422
        Reply bad = call("POST", "/sdapi/v1/txt2img",
            { { "prompt", "a red boat" }, { "script_name", "x/y/z plot" },
                { "script_args", QJsonArray { "Prompt S/R", "green, blue" } } });
        QCOMPARE(bad.status, 422);
        QVERIFY2(bad.json.object().value("detail").toString().contains("did not find green"),
            bad.body.constData());
        bad = call("POST", "/sdapi/v1/txt2img",
            { { "script_name", "x/y/z plot" }, { "script_args", QJsonArray { 99, "1" } } });
        QCOMPARE(bad.status, 422);
        bad = call("POST", "/sdapi/v1/txt2img",
            { { "script_name", "x/y/z plot" }, { "script_args", QJsonArray { "Steps", "1, lots" } } });
        QCOMPARE(bad.status, 422);
        QVERIFY2(bad.json.object().value("detail").toString().contains("'lots'"), bad.body.constData());
    }
};

QTEST_MAIN(TestApiXyz)
#include "tst_apixyz.moc"
