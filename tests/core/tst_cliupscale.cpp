// LibTorch before Qt: Qt's `slots` macro would break LibTorch's headers.
#include <torch/torch.h>

#include "TinyUpscaler.h"
#include "core/metadata/ImageMetadata.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest/QtTest>

// qdiffusion-cli upscale as a user runs it: PNGs twice the size (or exactly the asked size) that
// keep the source's infotext and add A1111's postprocessing keys, a model from --models, and
// one-line errors with exit code 2 for what cannot be done, with nothing written.
class TestCliUpscale : public QObject
{
    Q_OBJECT
    QTemporaryDir m_dir;
    QString m_source;
    const QString m_infotext = QStringLiteral(
        "a red fox\nSteps: 12, Sampler: DPM++ 2M, CFG scale: 6, Seed: 7, Size: 40x30, Model: demo");

    struct Run {
        int exitCode;
        QString out, err;
    };
    Run cli(const QStringList& args)
    {
        QProcess p;
        p.setProgram(QCoreApplication::applicationDirPath() + "/qdiffusion-cli");
        p.setArguments(QStringList { "upscale" } + args);
        p.start();
        p.waitForFinished(300000);
        return { p.exitCode(), QString::fromUtf8(p.readAllStandardOutput()),
            QString::fromUtf8(p.readAllStandardError()) };
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QImage im(40, 30, QImage::Format_RGB888);
        for (int y = 0; y < 30; ++y)
            for (int x = 0; x < 40; ++x)
                im.setPixelColor(x, y, QColor(x * 6, y * 8, 90));
        qd::ImageMetadata meta;
        meta.setInfotext(m_infotext);
        m_source = m_dir.filePath("fox.png");
        QVERIFY(qd::ImageMetadata::save(im, m_source, meta));
        qdtest::writeTinyUpscaler(m_dir.filePath("models/ESRGAN/4x-tiny.safetensors"));
    }

    void scaleByTwoKeepsTheMetadata()
    {
        const QString out = m_dir.filePath("out");
        const Run r = cli({ m_source, "--upscaler", "Lanczos", "--scale", "2", "--outdir", out, "--json" });
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QJsonArray images = QJsonDocument::fromJson(r.out.toUtf8()).object().value("images").toArray();
        QCOMPARE(images.size(), 1);
        const QString file = images[0].toObject().value("file").toString();
        QCOMPARE(file, QFileInfo(out + "/00000-fox.png").absoluteFilePath());
        QCOMPARE(QImage(file).size(), QSize(80, 56)); // A1111 rounds down to 8: 60 -> 56
        qd::ImageMetadata meta;
        QVERIFY(qd::ImageMetadata::read(file, &meta));
        QCOMPARE(meta.infotext(), m_infotext);
        QCOMPARE(
            meta.text("postprocessing"), QString("Postprocess upscale by: 2, Postprocess upscaler: Lanczos"));
        QCOMPARE(meta.text("extras"), meta.text("postprocessing"));

        // numbering goes on in the folder
        QCOMPARE(cli({ m_source, "--outdir", out }).exitCode, 0);
        QVERIFY(QFile::exists(out + "/00001-fox.png"));
    }

    void scaleToWithCropAndAModelFromTheModelsFolder()
    {
        const QString out = m_dir.filePath("to");
        // the model folder before the image: one folder per --models, the image stays an input
        const Run r = cli({ "--models", m_dir.filePath("models"), m_source, "--upscaler", "4x-tiny",
            "--width", "96", "--height", "96", "--crop", "--upscaler2", "Nearest", "--upscaler2-visibility",
            "0.25", "--outdir", out, "--json" });
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QString file = out + "/00000-fox.png";
        QCOMPARE(QImage(file).size(), QSize(96, 96));
        qd::ImageMetadata meta;
        QVERIFY(qd::ImageMetadata::read(file, &meta));
        QCOMPARE(meta.text("postprocessing"),
            QString(
                "Postprocess upscale to: 96x96, Postprocess crop to: 96x96, Postprocess upscaler: 4x-tiny, "
                "Postprocess upscaler 2: Nearest"));
        QCOMPARE(meta.infotext(), m_infotext);

        const Run list = cli({ "--list", "--models", m_dir.filePath("models") });
        QCOMPARE(list.exitCode, 0);
        QVERIFY2(list.out.contains("Lanczos") && list.out.contains("4x-tiny  (x4"), qPrintable(list.out));
    }

    void badInputIsOneLineAndExitCodeTwo()
    {
        const QString out = m_dir.filePath("bad");
        struct Case {
            QStringList args;
            QString says;
        };
        const QList<Case> cases {
            { { m_source, "--upscaler", "4x-UltraSharp" }, "4x-UltraSharp" },
            { { m_dir.filePath("missing.png") }, "missing.png" },
            { { m_source, m_dir.filePath("notes.txt") }, "notes.txt" },
            { { m_source, "--scale", "0" }, "scale" },
            { { m_source, "--scale", "9" }, "at most 8" },
            { { m_source, "--scale", "2", "--width", "64", "--height", "64" }, "either --scale" },
            { { m_source, "--width", "64" }, "--height" },
            { { m_source, "--crop" }, "--crop needs" },
            { { m_source, "--upscaler2", "Nearest", "--upscaler2-visibility", "2" }, "visibility" },
            { { m_source, "--upscaler2-visibility", "0.5" }, "needs --upscaler2" },
            { {}, "no input image" },
        };
        QFile notes(m_dir.filePath("notes.txt"));
        QVERIFY(notes.open(QIODevice::WriteOnly));
        notes.write("not an image");
        notes.close();
        for (const Case& c : cases) {
            const Run r = cli(c.args + QStringList { "--outdir", out });
            QVERIFY2(r.exitCode == 2, qPrintable(c.args.join(' ') + ": " + r.err));
            QVERIFY2(r.err.startsWith("error: ") && r.err.contains(c.says), qPrintable(r.err));
            QVERIFY2(!QFileInfo::exists(out), qPrintable(c.args.join(' '))); // nothing half-written
        }
    }
};

QTEST_GUILESS_MAIN(TestCliUpscale)
#include "tst_cliupscale.moc"
