// Inpainting and outpainting as A1111's img2img prepares them (core/generation/Inpainting): mask
// blur and invert, the Only masked crop region, fill, the outpainting canvas and mask, the overlay
// that keeps the unmasked pixels, the infotext keys, and whole jobs on the demo model through the
// inference worker the GUI and the API use.
#include <QtTest/QtTest>

#include "core/generation/InferenceWorker.h"
#include "core/generation/Inpainting.h"
#include "core/generation/JobBuilder.h"
#include "core/metadata/Infotext.h"

using namespace qd;

namespace
{

QImage blackMask(int w, int h)
{
    QImage m(w, h, QImage::Format_Grayscale8);
    m.fill(0);
    return m;
}

void paint(QImage& gray, const QRect& r, int value = 255)
{
    for (int y = r.top(); y <= r.bottom(); ++y)
        for (int x = r.left(); x <= r.right(); ++x)
            gray.scanLine(y)[x] = uchar(value);
}

int at(const QImage& gray, int x, int y)
{
    return gray.constScanLine(y)[x];
}

// A picture with detail everywhere, so that a pixel out of place shows.
QImage pattern(int w, int h)
{
    QImage img(w, h, QImage::Format_RGB888);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            img.setPixelColor(x, y, QColor((x * 7) % 256, (y * 5) % 256, ((x + y) * 3) % 256));
    return img;
}

int maxDiff(QRgb a, QRgb b)
{
    return std::max(
        { std::abs(qRed(a) - qRed(b)), std::abs(qGreen(a) - qGreen(b)), std::abs(qBlue(a) - qBlue(b)) });
}

GenerationResult runJob(GenerationJob job)
{
    InferenceWorker worker;
    GenerationResult result;
    QString failure;
    bool done = false;
    QObject::connect(&worker, &InferenceWorker::finished, &worker, [&](const GenerationResult& r) {
        result = r;
        done = true;
    });
    QObject::connect(&worker, &InferenceWorker::failed, &worker, [&](int, const QString& message) {
        failure = message;
        done = true;
    });
    worker.enqueue(job);
    if (!QTest::qWaitFor([&] { return done; }, 180000))
        qWarning("the job did not finish");
    if (!failure.isEmpty())
        qWarning("job failed: %s", qPrintable(failure));
    return result;
}

GenerationJob demoJob(const QImage& init, const QImage& mask)
{
    GenerationJob job;
    job.params.prompt = "a quiet lake";
    job.params.sampler = "Euler";
    job.params.steps = 4;
    job.params.seed = 7;
    job.params.width = 0; // the init image's size
    job.params.height = 0;
    job.params.denoisingStrength = 0.75;
    job.preview.method = PreviewMethod::None;
    job.initImage = init;
    job.maskImage = mask;
    return job;
}

} // namespace

class TestInpainting : public QObject
{
    Q_OBJECT
    QTemporaryDir m_home;

private slots:
    void initTestCase()
    {
        QVERIFY(m_home.isValid());
        qputenv("QDIFFUSION_HOME", QFile::encodeName(m_home.path()));
    }

    void blurKernelAndAxes()
    {
        QCOMPARE(maskBlurKernelSize(4), 21); // 2 * int(2.5 * 4 + 0.5) + 1
        QCOMPARE(maskBlurKernelSize(1), 7);
        QCOMPARE(maskBlurKernelSize(0), 1);
        // one white column blurred along x only: every row alike, the column spread sideways
        QImage m = blackMask(41, 21);
        paint(m, QRect(20, 0, 1, 21));
        const QImage x = blurMask(m, 4, 0);
        QVERIFY(at(x, 20, 10) < 255 && at(x, 20, 10) > 0);
        QVERIFY(at(x, 24, 10) > 0);
        QCOMPARE(at(x, 24, 0), at(x, 24, 20));
        QCOMPARE(at(x, 40, 10), 0); // beyond the kernel's reach (10 px)
        // along y only: the column stays sharp
        const QImage y = blurMask(m, 0, 4);
        QCOMPARE(at(y, 20, 10), 255);
        QCOMPARE(at(y, 21, 10), 0);
        QCOMPARE(blurMask(m, 0, 0), m);
    }

    void cropRegionAndExpand()
    {
        QImage m = blackMask(100, 80);
        QVERIFY(maskCropRegion(m, 8).isNull()); // blank
        paint(m, QRect(30, 20, 20, 10));
        QCOMPARE(maskCropRegion(m, 0), QRect(30, 20, 20, 10));
        QCOMPARE(maskCropRegion(m, 8), QRect(22, 12, 36, 26));
        QCOMPARE(maskCropRegion(m, 40), QRect(0, 0, 90, 70)); // clamped to the image on the top left
        QCOMPARE(maskCropRegion(m, 60), QRect(0, 0, 100, 80));
        // 2:1 crop to a square job: the height grows on both sides
        QCOMPARE(expandCropRegion(QRect(30, 20, 20, 10), 64, 64, QSize(100, 80)), QRect(30, 15, 20, 20));
        // at the bottom edge: shifted back inside
        QCOMPARE(expandCropRegion(QRect(30, 70, 20, 10), 64, 64, QSize(100, 80)), QRect(30, 60, 20, 20));
        // 1:2 crop to a 2:1 job: the width grows to 4x the height... as far as the image allows
        QCOMPARE(expandCropRegion(QRect(40, 0, 10, 20), 128, 64, QSize(100, 80)), QRect(25, 0, 40, 20));
    }

    void fillPaintsTheHoleFromAround()
    {
        QImage img(64, 64, QImage::Format_RGB888);
        img.fill(QColor(20, 200, 40));
        QImage m = blackMask(64, 64);
        for (int y = 24; y < 40; ++y)
            for (int x = 24; x < 40; ++x)
                img.setPixelColor(x, y, Qt::black);
        paint(m, QRect(24, 24, 16, 16));
        const QImage filled = fillMaskedArea(img, m);
        QVERIFY2(maxDiff(filled.pixel(32, 32), qRgb(20, 200, 40)) <= 3,
            qPrintable(QColor(filled.pixel(32, 32)).name()));
        QCOMPARE(filled.pixel(2, 2), img.pixel(2, 2));
    }

    void invertAndOverlayKeepTheUnmaskedPixels()
    {
        const QImage init = pattern(96, 64);
        QImage m = blackMask(96, 64);
        paint(m, QRect(32, 16, 32, 32));
        GenerationParams p;
        p.width = 96;
        p.height = 64;
        p.maskBlurX = p.maskBlurY = 0;
        PreparedInpaint prep = prepareInpaintImages(p, init, m);
        QVERIFY(p.inpainting);
        QCOMPARE(prep.mask.size(), QSize(96, 64));
        QCOMPARE(at(prep.mask, 40, 20), 255);
        QCOMPARE(at(prep.mask, 2, 2), 0);
        p.maskInvert = true;
        prep = prepareInpaintImages(p, init, m);
        QCOMPARE(at(prep.mask, 40, 20), 0);
        QCOMPARE(at(prep.mask, 2, 2), 255);

        // blurred, whole picture: the generated image shows only inside the (doubled) mask
        p.maskInvert = false;
        p.maskBlurX = p.maskBlurY = 4;
        prep = prepareInpaintImages(p, init, m);
        QImage generated(96, 64, QImage::Format_RGB888);
        generated.fill(Qt::magenta);
        const QImage out = applyInpaintOverlay(&prep.overlay, generated);
        QCOMPARE(out.size(), init.size());
        QCOMPARE(out.pixel(48, 32), QColor(Qt::magenta).rgb());
        const QImage blurred = blurMask(m, 4, 4);
        for (int y = 0; y < 64; ++y)
            for (int x = 0; x < 96; ++x)
                if (at(blurred, x, y) == 0)
                    QVERIFY2(out.pixel(x, y) == init.pixel(x, y), qPrintable(QString("%1,%2").arg(x).arg(y)));
    }

    void onlyMaskedCropsAndPastesBack()
    {
        const QImage init = pattern(200, 100);
        QImage m = blackMask(200, 100);
        paint(m, QRect(150, 40, 20, 20));
        GenerationParams p;
        p.width = p.height = 64;
        p.maskBlurX = p.maskBlurY = 0;
        p.inpaintFullRes = true;
        p.inpaintFullResPadding = 8;
        const PreparedInpaint prep = prepareInpaintImages(p, init, m);
        QCOMPARE(prep.image.size(), QSize(64, 64));
        QCOMPARE(prep.overlay.pasteTo, QRect(142, 32, 36, 36));
        QCOMPARE(prep.mask.size(), QSize(64, 64)); // the crop, at the job's size
        QCOMPARE(at(prep.mask, 32, 32), 255);
        QCOMPARE(at(prep.mask, 2, 2), 0);
        QImage generated(64, 64, QImage::Format_RGB888);
        generated.fill(Qt::magenta);
        const QImage out = applyInpaintOverlay(&prep.overlay, generated);
        QCOMPARE(out.size(), QSize(200, 100)); // the original picture's size
        QCOMPARE(out.pixel(160, 50), QColor(Qt::magenta).rgb());
        QCOMPARE(out.pixel(145, 35), init.pixel(145, 35)); // in the crop, outside the mask
        QCOMPARE(out.pixel(10, 10), init.pixel(10, 10));
        // a blank mask: plain img2img, as A1111 falls back
        GenerationParams q = p;
        const PreparedInpaint none = prepareInpaintImages(q, init, blackMask(200, 100));
        QVERIFY(none.mask.isNull());
        QVERIFY(!q.inpainting);
    }

    void outpaintGrowsTheCanvas()
    {
        const QImage init = pattern(64, 64);
        GenerationParams p;
        p.width = p.height = 64;
        p.outpaintLeft = 16;
        p.outpaintUp = 5; // rounded up to 8
        const PreparedInpaint prep = prepareInpaintImages(p, init, QImage());
        QCOMPARE(QSize(p.width, p.height), QSize(80, 72));
        QCOMPARE(prep.image.size(), QSize(80, 72));
        QCOMPARE(prep.image.pixel(16 + 30, 8 + 30), init.pixel(30, 30));
        QCOMPARE(prep.image.pixel(0, 8 + 30), init.pixel(0, 30)); // edge stretch
        QCOMPARE(at(prep.mask, 0, 0), 255);
        QCOMPARE(at(prep.mask, 79, 71), 0); // far inside the original
        // the raw mask covers the new area and 2 x blur into the picture
        const QImage raw = outpaintMask(QSize(64, 64), OutpaintMargins::of(p), 8);
        QCOMPARE(at(raw, 16 + 7, 40), 255);
        QCOMPARE(at(raw, 16 + 8, 40), 0);
        QCOMPARE(at(raw, 79, 8 + 7), 255);
        QCOMPARE(at(raw, 79, 71), 0);
    }

    void infotextRoundTrip()
    {
        GenerationParams p;
        p.prompt = "x";
        p.initImage = "/tmp/a.png";
        p.inpainting = true;
        p.maskBlurX = p.maskBlurY = 6;
        p.inpaintingFill = 2;
        p.inpaintFullRes = true;
        p.inpaintFullResPadding = 40;
        p.maskInvert = true;
        const QString text = toInfotext(p, "v");
        QVERIFY2(text.contains("Mask blur: 6, Inpaint area: Only masked, Masked area padding: 40, "
                               "Masked content: latent noise, Mask mode: Inpaint not masked"),
            qPrintable(text));
        QStringList warnings;
        const GenerationParams back = parseInfotext(text, &warnings);
        QVERIFY2(warnings.isEmpty(), qPrintable(warnings.join("; ")));
        QCOMPARE(back.maskBlurX, 6);
        QCOMPARE(back.maskBlurY, 6);
        QCOMPARE(back.inpaintingFill, 2);
        QVERIFY(back.inpaintFullRes);
        QCOMPARE(back.inpaintFullResPadding, 40);
        QVERIFY(back.maskInvert);
        QVERIFY(back.inpainting);
        QVERIFY(!back.extra.count("Mask blur"));
        QCOMPARE(toInfotext(back, "v"), text);
        // A1111's own defaults go unwritten; an infotext without the keys restores them
        p = GenerationParams();
        p.inpainting = true;
        QVERIFY(toInfotext(p, "v").contains("Mask blur: 4"));
        QVERIFY(!toInfotext(p, "v").contains("Masked content"));
        const GenerationParams a1111 = parseInfotext("x\nSteps: 20, Sampler: Euler, Seed: 1, Size: 64x64");
        QCOMPARE(a1111.inpaintingFill, 1);
        QVERIFY(!a1111.inpaintFullRes);
        QCOMPARE(a1111.inpaintFullResPadding, 32);
        QVERIFY(!a1111.inpainting);
        // a value that can't be read: a warning naming it
        parseInfotext("x\nSteps: 20, Seed: 1, Masked content: sparkles", &warnings);
        QVERIFY(warnings.join(" ").contains("Masked content"));
    }

    // The whole job path (prepareInputs, the engine, the overlay) on the demo model: outside the
    // mask the result is the original within 2/255.
    void inpaintJobKeepsTheUnmaskedRegion()
    {
        const QImage init = pattern(256, 256);
        QImage m = blackMask(256, 256);
        paint(m, QRect(96, 96, 64, 64));
        for (int fill : { 1, 2 }) { // original, latent noise (the engine's hook)
            GenerationJob job = demoJob(init, m);
            job.params.inpaintingFill = fill;
            const GenerationResult r = runJob(job);
            QCOMPARE(r.images.size(), qsizetype(1));
            const QImage out = r.images.front().image.convertToFormat(QImage::Format_RGB888);
            QCOMPARE(out.size(), QSize(256, 256));
            const QImage reach = blurMask(m, 4, 4);
            int worst = 0, changed = 0;
            for (int y = 0; y < 256; ++y)
                for (int x = 0; x < 256; ++x) {
                    const int d = maxDiff(out.pixel(x, y), init.pixel(x, y));
                    if (at(reach, x, y) == 0)
                        worst = std::max(worst, d);
                    else if (d > 8)
                        ++changed;
                }
            QVERIFY2(worst <= 2,
                qPrintable(QString("fill %1: off by %2/255 outside the mask").arg(fill).arg(worst)));
            QVERIFY2(
                changed > 64 * 64 / 4, qPrintable(QString("fill %1: the mask was not repainted").arg(fill)));
            QVERIFY(r.images.front().infotext.contains("Mask blur: 4"));
            QCOMPARE(r.images.front().infotext.contains("Masked content: latent noise"), fill == 2);
        }
    }

    void outpaintJobExtendsTheCanvas()
    {
        const QImage init = pattern(256, 256);
        GenerationJob job = demoJob(init, QImage());
        job.params.outpaintRight = 64;
        job.params.inpaintingFill = 0; // fill, as A1111's outpainting scripts default
        job.params.denoisingStrength = 1.0;
        const GenerationResult r = runJob(job);
        QCOMPARE(r.images.size(), qsizetype(1));
        const QImage out = r.images.front().image.convertToFormat(QImage::Format_RGB888);
        QCOMPARE(out.size(), QSize(256 + 64, 256));
        QCOMPARE(r.images.front().params.width, 320);
        int worst = 0;
        for (int y = 0; y < 256; ++y)
            for (int x = 0; x < 256 - 8 - 10; ++x) // the overlap (2 x blur) and the blur's reach
                worst = std::max(worst, maxDiff(out.pixel(x, y), init.pixel(x, y)));
        QVERIFY2(worst <= 2, qPrintable(QString("the original area is off by %1/255").arg(worst)));
    }
};

QTEST_GUILESS_MAIN(TestInpainting)
#include "tst_inpainting.moc"
