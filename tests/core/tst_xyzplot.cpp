#include <QtTest/QtTest>

#include <atomic>

#include "core/generation/ImageSaver.h"
#include "core/generation/Styles.h"
#include "core/generation/XyzGrid.h"
#include "core/generation/XyzPlot.h"
#include "core/generation/XyzRun.h"
#include "core/metadata/ImageMetadata.h"
#include "core/metadata/Infotext.h"

using namespace qd;

// AUTOMATIC1111's X/Y/Z plot: the value syntax (lists, quoted items, int and float ranges with a step
// or a count), cells in A1111's order with the swept values applied, the labelled grid's layout, and
// a 2x3 plot run on the demo model through the worker: six cell images each carrying its own value,
// the grid saved beside them with the script's keys.
class TestXyzPlot : public QObject
{
    Q_OBJECT
    QTemporaryDir m_home;

    static QStringList values(const QString& type, const QString& text, QString* error = nullptr)
    {
        QStringList out;
        QString e;
        if (!parseXyzValues(type, text, &out, &e))
            out = QStringList { "ERROR: " + e };
        if (error)
            *error = e;
        return out;
    }

    static JobRequest base(const std::string& prompt = "a red cat")
    {
        JobRequest r;
        r.params.prompt = prompt;
        r.params.negativePrompt = "blurry";
        r.params.seed = 1234;
        r.params.steps = 3;
        r.params.width = 0; // the demo model's size
        r.params.height = 0;
        return r;
    }

    static bool isWhite(const QImage& im, const QRect& r)
    {
        for (int y = r.top(); y <= r.bottom(); ++y)
            for (int x = r.left(); x <= r.right(); ++x)
                if (im.pixelColor(x, y) != Qt::white)
                    return false;
        return true;
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_home.isValid());
        qputenv("QDIFFUSION_HOME", QFile::encodeName(m_home.path()));
        qputenv("OMP_WAIT_POLICY", "PASSIVE");
    }

    void valueSyntax()
    {
        QCOMPARE(values("Steps", "10, 20,30"), QStringList({ "10", "20", "30" }));
        QCOMPARE(values("Steps", "1-5"), QStringList({ "1", "2", "3", "4", "5" }));
        QCOMPARE(values("Steps", "1-10 (+3)"), QStringList({ "1", "4", "7", "10" }));
        QCOMPARE(values("Steps", "5-1 (-2)"), QStringList({ "5", "3" })); // range(5, 2, -2)
        QCOMPARE(values("Steps", "10-20 [3]"), QStringList({ "10", "15", "20" }));
        QCOMPARE(values("Steps", "1-2 [4]"), QStringList({ "1", "1", "1", "2" })); // truncated
        QCOMPARE(values("Seed", "-1, 5"), QStringList({ "-1", "5" }));
        QCOMPARE(values("CFG Scale", "7, 7.5"), QStringList({ "7.0", "7.5" }));
        QCOMPARE(values("CFG Scale", "1-2 (+0.5)"), QStringList({ "1.0", "1.5", "2.0" }));
        QCOMPARE(values("CFG Scale", "0-1 [3]"), QStringList({ "0.0", "0.5", "1.0" }));
        // numpy.arange(0.1, 0.3 + 0.1, 0.1) has 4 values ((0.4 - 0.1) / 0.1 = 3.0000000000000004):
        // A1111 sweeps 0.4 too, and so do we
        QCOMPARE(values("Denoising", "0.1-0.3 (+0.1)"), QStringList({ "0.1", "0.2", "0.3", "0.4" }));
        QCOMPARE(values("Denoising", "0.25-0.75 (+0.25)"), QStringList({ "0.25", "0.5", "0.75" }));
        QCOMPARE(values("Prompt S/R", "red,\"green, bright\", blue"),
            QStringList({ "red", "green, bright", "blue" }));
        // csv.reader without skipinitialspace: a quote after a blank is text, as in A1111
        QCOMPARE(
            values("Prompt S/R", "red, \"green, bright\""), QStringList({ "red", "\"green", "bright\"" }));
        QCOMPARE(values("Sampler", "Euler a, DPM++ 2M"), QStringList({ "Euler a", "DPM++ 2M" }));
        QCOMPARE(values("Nothing", "whatever"), QStringList({ "" }));
        QString error;
        values("Steps", "10, many", &error);
        QVERIFY2(error.contains("'many'"), qPrintable(error));
        values("CFG Scale", "", &error);
        QVERIFY(error.contains("no values"));
        values("Colour", "1", &error);
        QVERIFY(error.contains("'Colour'"));

        QCOMPARE(xyzValueLabel("Steps", "20"), QString("Steps: 20"));
        QCOMPARE(xyzValueLabel("cfg scale", "7.0"), QString("CFG Scale: 7.0"));
        QCOMPARE(xyzValueLabel("Prompt S/R", "blue"), QString("blue"));
        QCOMPARE(xyzValueLabel("Checkpoint name", "sub/model.safetensors"), QString("model.safetensors"));

        // script_args indices are A1111's (txt2img: 0 Nothing, 1 Seed, 4 Steps, 6 CFG Scale)
        const QStringList t2i = xyzAxisLabels(false, false), i2i = xyzAxisLabels(true, false);
        QCOMPARE(t2i.value(1), QString("Seed"));
        QCOMPARE(t2i.value(4), QString("Steps"));
        QCOMPARE(t2i.value(5), QString("Hires steps"));
        QCOMPARE(t2i.value(6), QString("CFG Scale"));
        QCOMPARE(t2i.value(7), QString("Prompt S/R"));
        QCOMPARE(i2i.value(6), QString("Image CFG Scale"));

        XyzAxis axis;
        QVERIFY(parseXyzAxisSpec("cfg scale: 5, 7", &axis, &error));
        QCOMPARE(axis.type, QString("CFG Scale"));
        QCOMPARE(axis.text, QString("5, 7"));
        QVERIFY(!parseXyzAxisSpec("Steps", &axis, &error));
    }

    void planOrderAndValues()
    {
        XyzAxis x { "Prompt S/R", "red, green, blue", {} }, y { "Sampler", "Euler, DPM++ 2M Karras", {} },
            z { "Seed", "7, 8", {} };
        XyzPlan plan;
        QString error;
        QVERIFY2(planXyz(base(), x, y, z, false, &plan, &error), qPrintable(error));
        QCOMPARE(int(plan.cells.size()), 12);
        // z slowest, then y, then x
        QCOMPARE(plan.cells[0].ix, 0);
        QCOMPARE(plan.cells[1].ix, 1);
        QCOMPARE(plan.cells[3].iy, 1);
        QCOMPARE(plan.cells[6].iz, 1);
        const XyzCell& c = plan.cells[5]; // x blue, y DPM++ 2M Karras, z 7
        QCOMPARE(QString::fromStdString(c.request.params.prompt), QString("a blue cat"));
        QCOMPARE(QString::fromStdString(c.request.params.sampler), QString("DPM++ 2M"));
        QCOMPARE(QString::fromStdString(c.request.params.scheduler), QString("Karras"));
        QCOMPARE(c.request.params.seed, int64_t(7));
        QCOMPARE(plan.labels(0), QStringList({ "red", "green", "blue" }));
        QCOMPARE(plan.labels(2), QStringList({ "Seed: 7", "Seed: 8" }));

        // a costly axis (Checkpoint name) runs slowest
        XyzAxis ckpt { "Checkpoint name", "a.safetensors, b.safetensors", {} }, steps { "Steps", "1, 2", {} };
        QVERIFY(planXyz(base(), ckpt, steps, XyzAxis(), false, &plan, &error));
        QCOMPARE(plan.cells[1].request.model, QString("a.safetensors"));
        QCOMPARE(plan.cells[1].request.params.steps, 2);

        // seed -1 is drawn once for the whole plot
        JobRequest random = base();
        random.params.seed = -1;
        QVERIFY(planXyz(random, steps, XyzAxis(), XyzAxis(), false, &plan, &error));
        QVERIFY(plan.cells[0].request.params.seed >= 0);
        QCOMPARE(plan.cells[0].request.params.seed, plan.cells[1].request.params.seed);

        // LoRA weight: every <lora:NAME:w> tag
        JobRequest lora = base("a cat <lora:ink:1> <lora:paper:0.5:0.2>");
        QVERIFY(planXyz(lora, { "LoRA weight", "0, 0.5", {} }, XyzAxis(), XyzAxis(), false, &plan, &error));
        QCOMPARE(QString::fromStdString(plan.cells[1].request.params.prompt),
            QString("a cat <lora:ink:0.5> <lora:paper:0.5:0.2>"));

        // Styles axis
        StyleDatabase styles;
        styles.set({ "Ink", "ink drawing of {prompt}", "color" });
        QVERIFY(
            planXyz(base(), { "Styles", "Ink", {} }, XyzAxis(), XyzAxis(), false, &plan, &error, &styles));
        QCOMPARE(plan.cells[0].request.styles, QStringList({ "Ink" }));
        QVERIFY(!planXyz(
            base(), { "Styles", "Ink, Nope", {} }, XyzAxis(), XyzAxis(), false, &plan, &error, &styles));

        // errors name what is wrong
        QVERIFY(!planXyz(
            base(), { "Prompt S/R", "purple, pink", {} }, XyzAxis(), XyzAxis(), false, &plan, &error));
        QCOMPARE(error, QString("Prompt S/R did not find purple in prompt or negative prompt."));
        QVERIFY(
            !planXyz(base(), { "Sampler", "Euler, Warp", {} }, XyzAxis(), XyzAxis(), false, &plan, &error));
        QVERIFY(error.contains("Warp"));
        QVERIFY(!planXyz(base(), { "Sigma Churn", "1", {} }, XyzAxis(), XyzAxis(), false, &plan, &error));
        QVERIFY(error.contains("not supported"));
        QVERIFY(!planXyz(base(), { "LoRA weight", "1", {} }, XyzAxis(), XyzAxis(), false, &plan, &error));
        QVERIFY(!planXyz(base(), { "Steps", "1-100", {} }, { "Seed", "1-100", {} }, XyzAxis(), false, &plan,
            &error, nullptr, false, 1000));
        QVERIFY(error.contains("10000 cells"));
    }

    void gridLayout()
    {
        XyzPlan plan;
        QString error;
        QVERIFY(planXyz(base(), { "Steps", "1, 2, 3", {} }, { "CFG Scale", "5, 9", {} },
            { "Seed", "1, 2", {} }, false, &plan, &error));
        QList<QImage> cells;
        for (int i = 0; i < 12; ++i) {
            QImage im(100, 80, QImage::Format_RGB888);
            im.fill(i == 4 ? QColor(Qt::white) : QColor(40, 90, 160));
            cells << (i == 7 ? QImage() : im); // cell 7 did not finish
        }
        const XyzGrids grids = composeXyzGrids(plan, cells);
        QCOMPARE(grids.subGrids.size(), 2);
        const QImage& sub = grids.subGrids[0];
        // labels: X on top, Y on the left (3/4 of a cell), font (100 + 80) / 25 = 7 px
        const int padLeft = 100 * 3 / 4;
        QCOMPARE(sub.width(), 3 * 100 + padLeft);
        const int padTop = sub.height() - 2 * 80;
        QVERIFY2(padTop > 7 && padTop < 40, qPrintable(QString::number(padTop)));
        QVERIFY(!isWhite(sub, QRect(padLeft, 0, 100, padTop))); // "Steps: 1"
        QVERIFY(!isWhite(sub, QRect(0, padTop, padLeft, 80))); // "CFG Scale: 5.0"
        QCOMPARE(sub.pixelColor(padLeft + 5, padTop + 5), QColor(40, 90, 160));
        // the missing cell (second grid, x 1, y 0 = index 7) is black
        QCOMPARE(grids.subGrids[1].pixelColor(padLeft + 150, padTop + 40), QColor(Qt::black));
        // combined: the two grids side by side under "Seed: 1", "Seed: 2"
        QCOMPARE(grids.combined.width(), 2 * sub.width());
        QVERIFY(grids.combined.height() > sub.height());

        // no Y axis: no left margin
        QVERIFY(planXyz(base(), { "Steps", "1, 2", {} }, XyzAxis(), XyzAxis(), false, &plan, &error));
        const XyzGrids one = composeXyzGrids(plan, cells.mid(0, 2));
        QCOMPARE(one.combined.width(), 200);
        QCOMPARE(one.combined.size(), one.subGrids[0].size());
        // nothing finished: no grid
        QVERIFY(composeXyzGrids(plan, { QImage(), QImage() }).combined.isNull());
    }

    void twoByThreeOnTheDemoModel()
    {
        InferenceWorker worker;
        worker.setImageSaver(ImageSaver().function());
        XyzPlan plan;
        QString error;
        QVERIFY2(planXyz(base(), { "Steps", "2, 3, 4", {} }, { "CFG Scale", "5, 9", {} }, XyzAxis(), false,
                     &plan, &error),
            qPrintable(error));
        QCOMPARE(int(plan.cells.size()), 6);
        XyzRun run(&worker, plan);
        QSignalSpy done(&run, &XyzRun::finished);
        QVERIFY2(run.start([](const JobRequest& r,
                               QString* why) { return JobBuilder(Settings(), nullptr).build(r, why); },
                     &error),
            qPrintable(error));
        QCOMPARE(run.jobIds().size(), 6);
        QVERIFY(done.wait(300000));
        const XyzResult result = done.first().first().value<XyzResult>();
        QVERIFY(!result.interrupted);
        QVERIFY2(result.errors.isEmpty(), qPrintable(result.errors.join("; ")));
        QCOMPARE(result.cells.size(), 6);
        for (int iy = 0; iy < 2; ++iy)
            for (int ix = 0; ix < 3; ++ix) {
                const ResultImage& cell = result.cells[plan.cellIndex(ix, iy, 0)];
                QCOMPARE(cell.image.size(), QSize(256, 256));
                QVERIFY(QFileInfo(cell.file).isFile());
                ImageMetadata meta;
                QVERIFY(ImageMetadata::read(cell.file, &meta));
                const GenerationParams back = parseInfotext(meta.infotext());
                QCOMPARE(back.steps, 2 + ix);
                QCOMPARE(back.cfgScale, iy == 0 ? 5.0 : 9.0);
                QCOMPARE(back.seed, int64_t(1234));
                QVERIFY(!meta.infotext().contains("X/Y/Z")); // a cell is an ordinary image
            }
        // the grid, beside the cells: 3 x 2 cells, the Y labels' margin, the X labels' band
        QVERIFY(QFileInfo(result.gridFile).isFile());
        QCOMPARE(QFileInfo(result.gridFile).absolutePath(), QFileInfo(result.cells[0].file).absolutePath());
        QVERIFY(QFileInfo(result.gridFile).fileName().startsWith("xyz_grid-0000"));
        const QImage grid(result.gridFile);
        QCOMPARE(grid.width(), 3 * 256 + 192);
        QVERIFY(grid.height() > 2 * 256 && grid.height() < 2 * 256 + 100);
        ImageMetadata meta;
        QVERIFY(ImageMetadata::read(result.gridFile, &meta));
        QVERIFY2(
            meta.infotext().contains("Script: X/Y/Z plot, X Type: Steps, X Values: \"2, 3, 4\", Y Type: CFG "
                                     "Scale, Y Values: \"5, 9\""),
            qPrintable(meta.infotext()));
        QCOMPARE(parseInfotext(meta.infotext()).steps, 2);
    }

    void interruptStopsTheRemainingCells()
    {
        InferenceWorker worker;
        XyzPlan plan;
        QString error;
        QVERIFY(planXyz(base(), { "Steps", "3, 3, 3, 3", {} }, XyzAxis(), XyzAxis(), false, &plan, &error));
        XyzRun run(&worker, plan);
        run.setGridFolder(m_home.filePath("grids"));
        // Interrupt (as the button or the API does) at step 2 of the second cell
        std::atomic<int> firstJob { 0 };
        std::atomic<bool> once { false };
        connect(
            &worker, &InferenceWorker::progress, this,
            [&](int id, int step, int, double, double) {
                int expected = 0;
                firstJob.compare_exchange_strong(expected, id);
                if (id != firstJob && step == 2 && !once.exchange(true))
                    worker.interrupt();
            },
            Qt::DirectConnection);
        QSignalSpy done(&run, &XyzRun::finished);
        QVERIFY(run.start(
            [](const JobRequest& r, QString* why) { return JobBuilder(Settings(), nullptr).build(r, why); },
            &error));
        QVERIFY(done.wait(120000));
        const XyzResult result = done.first().first().value<XyzResult>();
        QVERIFY(result.interrupted);
        int made = 0;
        for (const ResultImage& r : result.cells)
            made += r.image.isNull() ? 0 : 1;
        QCOMPARE(made, 2); // the first cell, and the second as it was when interrupted
        QVERIFY(worker.queuedJobs().isEmpty());
        QVERIFY(QFileInfo(result.gridFile).isFile()); // drawn from what finished
        QCOMPARE(QImage(result.gridFile).width(), 4 * 256);
    }
};

QTEST_MAIN(TestXyzPlot)
#include "tst_xyzplot.moc"
