// ControlNet preprocessors: each makes the map a ControlNet expects from a picture a user would give
// (edges where the picture has edges, white scribbles where it has dark lines, ...), sized by the
// processor resolution as sd-webui-controlnet sizes it; the network annotators say what they need.
#include <QPainter>
#include <QTemporaryDir>
#include <QtTest/QtTest>

#include "TestFiles.h"
#include "core/generation/ControlPreprocessors.h"

using namespace qd;

namespace
{

// A white square (rows / columns 64..191) on black, 256 x 256.
QImage squareImage()
{
    QImage img(256, 256, QImage::Format_RGB888);
    img.fill(Qt::black);
    QPainter p(&img);
    p.fillRect(64, 64, 128, 128, Qt::white);
    return img;
}

int whiteCount(const QImage& img, QRect area = {}, int above = 127)
{
    const QImage g = img.convertToFormat(QImage::Format_Grayscale8);
    const QRect r = area.isNull() ? g.rect() : area;
    int n = 0;
    for (int y = r.top(); y <= r.bottom(); ++y)
        for (int x = r.left(); x <= r.right(); ++x)
            n += g.constScanLine(y)[x] > above;
    return n;
}

QImage run(const QString& name, const QImage& in, PreprocessOptions o = {})
{
    QString error;
    const QImage out = preprocessControlImage(name, in, o, QString(), &error);
    [&] { QVERIFY2(!out.isNull(), qPrintable(error)); }();
    return out;
}

} // namespace

class TestControlPreprocessors : public QObject
{
    Q_OBJECT
private slots:
    void namesAreUniqueAndFindable()
    {
        QSet<QString> names;
        for (const ControlPreprocessor* p : controlPreprocessors()) {
            QVERIFY2(!names.contains(p->name()), qPrintable(p->name()));
            names << p->name();
            QCOMPARE(findControlPreprocessor(p->name().toUpper()), p);
            QCOMPARE(findControlPreprocessor(p->label()), p);
        }
        for (const char* n : { "none", "canny", "scribble_xdog", "lineart_standard", "tile_resample",
                 "shuffle", "invert", "inpaint_only", "depth_midas", "openpose" })
            QVERIFY2(names.contains(n), n);
        QCOMPARE(findControlPreprocessor("color")->name(), QString("t2ia_color_grid")); // old alias
        QCOMPARE(findControlPreprocessor("lineart_standard (from white bg & black line)")->name(),
            QString("lineart_standard"));
        QString error;
        QVERIFY(preprocessControlImage("sobelish", squareImage(), {}, QString(), &error).isNull());
        QVERIFY(error.contains("sobelish"));
    }

    void cannyFindsTheSquaresEdgesAtTheProcessorResolution()
    {
        PreprocessOptions o;
        o.resolution = 512; // the shorter side: 256 -> 512
        const QImage edges = run("canny", squareImage(), o);
        QCOMPARE(edges.size(), QSize(512, 512));
        QVERIFY(whiteCount(edges, QRect(120, 120, 16, 272)) > 200); // the left edge near x = 128
        QCOMPARE(whiteCount(edges, QRect(160, 160, 192, 192)), 0); // inside: flat
        QCOMPARE(whiteCount(edges, QRect(0, 0, 100, 100)), 0); // outside: flat
        // a non-square picture keeps its aspect; the shorter side becomes the resolution
        o.resolution = 128;
        QCOMPARE(run("canny", squareImage().copy(0, 0, 256, 128), o).size(), QSize(256, 128));
        // the thresholds decide which steps count as edges: a faint one passes low ones only
        QImage grey(256, 256, QImage::Format_RGB888);
        grey.fill(QColor(100, 100, 100));
        QPainter(&grey).fillRect(64, 64, 128, 128, QColor(130, 130, 130));
        o.resolution = 256;
        o.a = 50;
        o.b = 100;
        QVERIFY(whiteCount(run("canny", grey, o)) > 400);
        o.a = 250;
        o.b = 255;
        QCOMPARE(whiteCount(run("canny", grey, o)), 0);
    }

    void scribbleAndLineartTurnDarkLinesWhite()
    {
        QImage sketch(256, 256, QImage::Format_RGB888);
        sketch.fill(Qt::white);
        QPainter p(&sketch);
        p.setPen(QPen(Qt::black, 3));
        p.drawLine(20, 128, 236, 128);
        p.end();
        PreprocessOptions o;
        o.resolution = 256;
        for (const char* name : { "scribble_xdog", "lineart_standard" }) {
            const QImage map = run(name, sketch, o);
            QCOMPARE(map.size(), QSize(256, 256));
            // the line (lineart is grey-levelled: its median line pixel maps to 127)
            QVERIFY2(whiteCount(map, QRect(40, 126, 176, 5), 60) > 300, name);
            QVERIFY2(whiteCount(map, QRect(40, 20, 176, 60), 60) == 0, name); // paper
        }
        // invert: a white-background drawing becomes the white-on-black map line art models take
        const QImage inverted = run("invert", sketch);
        QCOMPARE(inverted.pixelColor(100, 128), QColor(Qt::white));
        QCOMPARE(inverted.pixelColor(100, 20), QColor(Qt::black));
    }

    void thresholdTileColourAndBlur()
    {
        PreprocessOptions o;
        o.resolution = 256;
        const QImage square = squareImage();
        QCOMPARE(whiteCount(run("threshold", square, o)), 128 * 128);
        o.a = 1.0; // tile_resample below 1.1 keeps the picture
        QCOMPARE(run("tile_resample", square, o), square);
        o.a = 2.0;
        QCOMPARE(run("tile_resample", square, o).size(), QSize(128, 128));
        o.a = std::numeric_limits<double>::quiet_NaN();
        // the colour grid: 64-pixel cells of one colour each
        QImage quad(256, 256, QImage::Format_RGB888);
        QPainter p(&quad);
        p.fillRect(0, 0, 128, 256, Qt::red);
        p.fillRect(128, 0, 128, 256, Qt::blue);
        p.end();
        const QImage grid = run("t2ia_color_grid", quad, o);
        QCOMPARE(grid.size(), QSize(256, 256));
        QCOMPARE(grid.pixelColor(3, 3), grid.pixelColor(60, 60)); // one cell
        QVERIFY(grid.pixelColor(10, 10).red() > 200 && grid.pixelColor(250, 10).blue() > 200);
        const QImage blurred = run("blur_gaussian", square, o);
        const int edge = blurred.pixelColor(64, 128).red();
        QVERIFY(edge > 40 && edge < 215); // the hard edge went soft
    }

    void shuffleIsSeededAndKeepsTheColours()
    {
        QImage quad(256, 256, QImage::Format_RGB888);
        QPainter p(&quad);
        p.fillRect(0, 0, 128, 256, Qt::red);
        p.fillRect(128, 0, 128, 256, Qt::green);
        p.end();
        PreprocessOptions o;
        o.resolution = 256;
        o.seed = 5;
        const QImage a = run("shuffle", quad, o), b = run("shuffle", quad, o);
        QCOMPARE(a, b);
        o.seed = 6;
        QVERIFY(run("shuffle", quad, o) != a);
        QVERIFY(a != quad);
        int reddish = 0, greenish = 0;
        for (int y = 0; y < 256; y += 4)
            for (int x = 0; x < 256; x += 4) {
                const QColor c = a.pixelColor(x, y);
                reddish += c.red() > 128;
                greenish += c.green() > 128;
            }
        QVERIFY(reddish > 400 && greenish > 400); // both colours are still there, moved around
    }

    void inpaintNeedsAMaskAndMarksIt()
    {
        QString error;
        QVERIFY(preprocessControlImage("inpaint_only", squareImage(), {}, QString(), &error).isNull());
        QVERIFY(error.contains("mask"));
        PreprocessOptions o;
        o.mask = QImage(256, 256, QImage::Format_Grayscale8);
        o.mask.fill(0);
        QPainter(&o.mask).fillRect(0, 0, 50, 50, Qt::white);
        const QImage map = run("inpaint_only", squareImage(), o);
        QCOMPARE(qAlpha(map.pixel(10, 10)), 0);
        QCOMPARE(qAlpha(map.pixel(100, 100)), 255);
    }

    void networkAnnotatorsSayWhatTheyNeed()
    {
        QTemporaryDir dir;
        const ControlPreprocessor* depth = findControlPreprocessor("depth_midas");
        QVERIFY(depth->unavailableReason(dir.path()).contains("midas/dpt_hybrid-midas-501f0c75.pt"));
        qdtest::writeFile(dir.filePath("midas/dpt_hybrid-midas-501f0c75.pt"), "weights");
        QVERIFY(depth->unavailableReason(dir.path()).contains("cannot run"));
        QString error;
        QVERIFY(preprocessControlImage("depth_midas", squareImage(), {}, dir.path(), &error).isNull());
        QVERIFY(error.contains("depth_midas"));
        QVERIFY(findControlPreprocessor("canny")->unavailableReason(dir.path()).isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestControlPreprocessors)
#include "tst_controlpreprocessors.moc"
