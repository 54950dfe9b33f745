// LibTorch before Qt: Qt's `slots` macro would break LibTorch's headers.
#include <torch/torch.h>

#include "TinyUpscaler.h"
#include "core/generation/Extras.h"
#include "core/generation/ImageSaver.h"

#include <QTemporaryDir>
#include <QtTest/QtTest>

using namespace qd;

// A1111's Extras upscale as a user sees its result: the size (by a factor, to a size with crop, by an
// ESRGAN model's own factor), the second upscaler's blend, and the file carrying the source's
// infotext untouched plus A1111's postprocessing keys.
class TestExtras : public QObject
{
    Q_OBJECT
    QTemporaryDir m_dir;
    std::vector<std::string> m_dirs;
    const QString m_infotext = QStringLiteral(
        "a lighthouse at dusk\nNegative prompt: blurry\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 42, "
        "Size: 64x48, Model: demo");

    static QImage gradient(int w, int h)
    {
        QImage im(w, h, QImage::Format_RGB888);
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x)
                im.setPixelColor(x, y, QColor((x * 9) % 256, (y * 5) % 256, 60 + (x + y) % 150));
        return im;
    }
    ImageMetadata source() const
    {
        ImageMetadata m;
        m.setInfotext(m_infotext);
        m.setText("Software", "test");
        return m;
    }
    ExtrasResult up(const QImage& im, const ExtrasOptions& o, QString* error = nullptr)
    {
        QString why;
        ExtrasResult r = upscaleImage(im, source(), o, m_dirs, "cpu", &why);
        if (error)
            *error = why;
        else if (r.image.isNull())
            qWarning("%s", qPrintable(why));
        return r;
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        qdtest::writeTinyUpscaler(m_dir.filePath("ESRGAN/4x-tiny.safetensors"));
        m_dirs = { m_dir.filePath("ESRGAN").toStdString() };
    }

    void scaleByTwoWithLanczosKeepsTheInfotext()
    {
        ExtrasOptions o;
        o.upscaler = "Lanczos";
        o.scale = 2;
        const ExtrasResult r = up(gradient(64, 48), o);
        QCOMPARE(r.image.size(), QSize(128, 96));
        QCOMPARE(r.postprocessing, QString("Postprocess upscale by: 2, Postprocess upscaler: Lanczos"));
        QCOMPARE(r.metadata.infotext(), m_infotext);
        QCOMPARE(r.metadata.text("Software"), QString("test"));
        QCOMPARE(r.metadata.text("postprocessing"), r.postprocessing);

        // the saved file: the source's chunks as they were, then "postprocessing" and "extras"
        ImageSaver::Options so;
        so.addToHistory = false;
        const QString file
            = ImageSaver(so).saveWithMetadata(r.image, {}, r.fileMetadata(), "-src", m_dir.filePath("out"));
        QCOMPARE(QFileInfo(file).fileName(), QString("00000-src.png"));
        ImageMetadata back;
        QVERIFY(ImageMetadata::read(file, &back));
        QCOMPARE(back.infotext(), m_infotext);
        QCOMPARE(back.text("postprocessing"), r.postprocessing);
        QCOMPARE(back.text("extras"), r.postprocessing);
        QCOMPARE(QImage(file).size(), QSize(128, 96));
        // what the history reads from it: the generation, not the upscale
        QCOMPARE(back.params().params.seed, int64_t(42));
    }

    void scaleToWithCropGivesExactlyThatSize()
    {
        ExtrasOptions o;
        o.upscaler = "Nearest";
        o.scaleTo = true;
        o.width = 128;
        o.height = 128;
        o.crop = true;
        const QImage src = gradient(64, 48);
        const ExtrasResult r = up(src, o);
        QCOMPARE(r.image.size(), QSize(128, 128));
        QCOMPARE(r.postprocessing,
            QString("Postprocess upscale to: 128x128, Postprocess crop to: 128x128, Postprocess upscaler: "
                    "Nearest"));
        // covered, not letterboxed: the corners are picture (the source has no black pixel)
        for (const QPoint& corner : { QPoint(0, 0), QPoint(127, 0), QPoint(0, 127), QPoint(127, 127) })
            QVERIFY(r.image.pixelColor(corner) != QColor(Qt::black));
        QCOMPARE(extrasResultSize(src.size(), o), QSize(128, 128));

        // without crop the aspect is kept, covering the size (A1111 rounds down to 8: 170.7 -> 168)
        o.crop = false;
        const ExtrasResult loose = up(src, o);
        QCOMPARE(loose.image.size(), QSize(168, 128));
        QCOMPARE(
            loose.postprocessing, QString("Postprocess upscale to: 128x128, Postprocess upscaler: Nearest"));
    }

    void modelUpscalerGivesItsFactor()
    {
        ExtrasOptions o;
        o.upscaler = "4x-tiny";
        o.scale = 4;
        const QImage src = gradient(32, 24);
        const ExtrasResult r = up(src, o);
        QCOMPARE(r.image.size(), QSize(128, 96));
        QCOMPARE(r.postprocessing, QString("Postprocess upscale by: 4, Postprocess upscaler: 4x-tiny"));
        // the model, not a resize: Lanczos gives another picture
        o.upscaler = "Lanczos";
        QVERIFY(up(src, o).image != r.image);
        // by 2 the x4 model's output is brought down to twice the size
        o.upscaler = "4x-tiny";
        o.scale = 2;
        QCOMPARE(up(src, o).image.size(), QSize(64, 48));
    }

    void secondUpscalerIsBlendedIn()
    {
        const QImage src = gradient(40, 32);
        ExtrasOptions o;
        o.upscaler = "Nearest";
        const QImage nearest = up(src, o).image;
        o.upscaler = "Lanczos";
        const QImage lanczos = up(src, o).image;
        QVERIFY(nearest != lanczos);

        o.upscaler = "Nearest";
        o.upscaler2 = "Lanczos";
        o.upscaler2Visibility = 1.0;
        ExtrasResult r = up(src, o);
        QCOMPARE(r.image, lanczos); // all of the second
        QCOMPARE(r.postprocessing,
            QString(
                "Postprocess upscale by: 2, Postprocess upscaler: Nearest, Postprocess upscaler 2: Lanczos"));
        o.upscaler2Visibility = 0.5;
        r = up(src, o);
        int between = 0, total = 0;
        for (int y = 0; y < r.image.height(); y += 3)
            for (int x = 0; x < r.image.width(); x += 3) {
                const int a = nearest.pixelColor(x, y).red(), b = lanczos.pixelColor(x, y).red();
                const int m = r.image.pixelColor(x, y).red();
                QVERIFY(m >= std::min(a, b) && m <= std::max(a, b));
                between += a != b && m != a && m != b;
                total += a != b;
            }
        QVERIFY(total > 0 && between > total / 4);
        // at visibility 0 the second one does nothing and is not named
        o.upscaler2Visibility = 0;
        r = up(src, o);
        QCOMPARE(r.image, nearest);
        QVERIFY(!r.postprocessing.contains("upscaler 2"));
    }

    void noneLeavesTheImageAlone()
    {
        const QImage src = gradient(20, 10);
        ExtrasOptions o; // upscaler None, as A1111's API default
        const ExtrasResult r = up(src, o);
        QCOMPARE(r.image, src);
        QVERIFY(r.postprocessing.isEmpty());
        QVERIFY(!r.metadata.hasText("postprocessing"));
    }

    void wrongNamesAndValuesAreExplained()
    {
        QString error;
        ExtrasOptions o;
        o.upscaler = "4x-UltraSharp";
        QVERIFY(up(gradient(8, 8), o, &error).image.isNull());
        QVERIFY2(error.contains("4x-UltraSharp") && error.contains("4x-tiny"), qPrintable(error));
        o.upscaler = "Lanczos";
        o.upscaler2 = "SwinIR";
        QVERIFY(up(gradient(8, 8), o, &error).image.isNull());
        QVERIFY2(error.contains("SwinIR"), qPrintable(error));
        o.upscaler2 = "None";
        o.scale = 0;
        QVERIFY(!checkExtrasOptions(o, &error));
        QVERIFY2(error.contains("scale"), qPrintable(error));
        o.scale = 2;
        o.upscaler2Visibility = 1.5;
        QVERIFY(!checkExtrasOptions(o, &error));
        QVERIFY2(error.contains("visibility"), qPrintable(error));
        // a result too large to hold is refused before anything is allocated
        o.upscaler2Visibility = 0;
        o.scale = 8;
        QVERIFY(up(QImage(4000, 3000, QImage::Format_RGB888), o, &error).image.isNull());
        QVERIFY2(error.contains("32000x24000"), qPrintable(error));
    }

    void htmlInfoIsEscaped()
    {
        QCOMPARE(plaintextToHtml("a <b> & 'c'\nd"), QString("<p>a &lt;b&gt; &amp; &#x27;c&#x27;<br>\nd</p>"));
        QCOMPARE(plaintextToHtml(""), QString("<p></p>"));
    }
};

QTEST_GUILESS_MAIN(TestExtras)
#include "tst_extras.moc"
