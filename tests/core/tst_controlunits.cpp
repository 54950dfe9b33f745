// ControlNet units as sd-webui-controlnet writes and reads them: the infotext value round-trips and
// reads the extension's own; pixel-perfect resolution; maps fitted to the generation size as the
// extension fits them; ControlNet files and diffusers folders found by name, title or path.
#include <QPainter>
#include <QTemporaryDir>
#include <QtTest/QtTest>

#include "TestFiles.h"
#include "core/generation/ControlUnits.h"

using namespace qd;

class TestControlUnits : public QObject
{
    Q_OBJECT
private slots:
    void infotextRoundTripsAndReadsTheExtensions()
    {
        ControlUnitRequest u;
        u.module = "canny";
        u.model = "control_v11p_sd15_canny [d14c016b]";
        u.weight = 0.8;
        u.thresholdA = 100;
        u.thresholdB = 200;
        u.guidanceEnd = 0.6;
        u.controlMode = ControlMode::ControlNetImportant;
        const QString text = controlUnitInfotext(u);
        QCOMPARE(text,
            QString(
                "Module: canny, Model: control_v11p_sd15_canny [d14c016b], Weight: 0.8, Resize Mode: Crop "
                "and "
                "Resize, Processor Res: 512, Threshold A: 100, Threshold B: 200, Guidance Start: 0, Guidance "
                "End: 0.6, Pixel Perfect: False, Control Mode: ControlNet is more important"));
        const auto back = parseControlUnitInfotext(text);
        QVERIFY(back);
        QCOMPARE(back->module, u.module);
        QCOMPARE(back->model, u.model);
        QCOMPARE(back->weight, 0.8);
        QCOMPARE(back->guidanceEnd, 0.6);
        QCOMPARE(back->thresholdB, 200.0);
        QCOMPARE(back->controlMode, ControlMode::ControlNetImportant);
        // the extension's own value (a newer version with keys of its own) and its int enum values
        const auto theirs = parseControlUnitInfotext(
            "Module: lineart_standard (from white bg & black line), Model: control_v11p_sd15_lineart "
            "[43d4be0d], "
            "Weight: 1.0, Resize Mode: Resize and Fill, Low Vram: False, Processor Res: 768, Threshold A: "
            "0.5, "
            "Threshold B: 0.5, Guidance Start: 0.1, Guidance End: 1.0, Pixel Perfect: True, Control Mode: "
            "My prompt is more important, Hr Option: Both");
        QVERIFY(theirs);
        QCOMPARE(theirs->module, QString("lineart_standard (from white bg & black line)"));
        QCOMPARE(theirs->resizeMode, ControlResizeMode::ResizeAndFill);
        QCOMPARE(theirs->processorRes, 768);
        QVERIFY(theirs->pixelPerfect);
        QCOMPARE(theirs->controlMode, ControlMode::PromptImportant);
        QCOMPARE(parseControlResizeMode("Envelope (Outer Fit)"), ControlResizeMode::ResizeAndFill);
        QCOMPARE(parseControlMode("2"), ControlMode::ControlNetImportant);
        QVERIFY(!parseControlMode("7"));
        QString error;
        QVERIFY(!parseControlUnitInfotext("Module canny", &error));
        QVERIFY(error.contains("Module canny"));
        QVERIFY(!parseControlUnitInfotext("Module: canny, Weight: heavy", &error));
        QVERIFY(error.contains("heavy"));
        // a module without sliders records the extension's hidden-slider default, 0.5
        ControlUnitRequest plain;
        QVERIFY(controlUnitInfotext(plain).contains("Threshold A: 0.5, Threshold B: 0.5"));
        // the units of an infotext's extra keys, in their numbers' order, quoted as A1111 quotes them
        const QList<ControlUnitRequest> units
            = controlUnitsFromExtras({ { "ControlNet 1", "\"" + text + "\"" }, { "Hires upscale", "2" },
                { "ControlNet 0", "\"Module: none, Model: tile [aa]\"" } });
        QCOMPARE(units.size(), 2);
        QCOMPARE(units[0].module, QString("none"));
        QCOMPARE(units[1].module, QString("canny"));
    }

    void pixelPerfectResolution_()
    {
        // a 1024 x 512 map for a 512 x 512 image: cover needs its short side at 512, fit at 256
        QCOMPARE(pixelPerfectResolution(QSize(1024, 512), 512, 512, ControlResizeMode::CropAndResize), 512);
        QCOMPARE(pixelPerfectResolution(QSize(1024, 512), 512, 512, ControlResizeMode::ResizeAndFill), 256);
        QCOMPARE(pixelPerfectResolution(QSize(300, 200), 768, 512, ControlResizeMode::JustResize), 512);
    }

    void mapsFitTheGenerationSize()
    {
        // 200 x 100: left half reddish, right half bluish (not black and white: the extension would
        // threshold a two-colour map with values near 0 and 255 to black and white)
        const QColor red(200, 40, 40), blue(40, 40, 200);
        QImage map(200, 100, QImage::Format_RGB888);
        QPainter p(&map);
        p.fillRect(0, 0, 100, 100, red);
        p.fillRect(100, 0, 100, 100, blue);
        p.end();
        const QImage just = fitControlMap(map, ControlResizeMode::JustResize, 64, 64);
        QCOMPARE(just.size(), QSize(64, 64));
        QCOMPARE(just.pixelColor(5, 32), red);
        QCOMPARE(just.pixelColor(60, 32), blue);
        // crop and resize: 128 x 64 scaled to cover 64 x 64, the sides cut evenly: both colours stay
        const QImage crop = fitControlMap(map, ControlResizeMode::CropAndResize, 64, 64);
        QCOMPARE(crop.size(), QSize(64, 64));
        QCOMPARE(crop.pixelColor(2, 32), red);
        QCOMPARE(crop.pixelColor(61, 32), blue);
        // resize and fill: 64 x 32 in the middle rows, bands above and below
        const QImage fill = fitControlMap(map, ControlResizeMode::ResizeAndFill, 64, 64);
        QCOMPARE(fill.size(), QSize(64, 64));
        QCOMPARE(fill.pixelColor(5, 32), red);
        QVERIFY(fill.pixelColor(5, 2) != red || fill.pixelColor(60, 2) != blue);
        // a black-and-white edge map stays black and white when enlarged
        QImage edges(32, 32, QImage::Format_RGB888);
        edges.fill(Qt::black);
        QPainter(&edges).fillRect(10, 0, 2, 32, Qt::white);
        const QImage big = fitControlMap(edges, ControlResizeMode::JustResize, 100, 100);
        for (int x = 0; x < 100; ++x) {
            const int v = big.pixelColor(x, 50).red();
            QVERIFY2(v == 0 || v == 255, qPrintable(QString::number(v)));
        }
        QVERIFY(big.pixelColor(34, 50).red() == 255 || big.pixelColor(35, 50).red() == 255);
        // an inpaint map keeps its mask
        QImage inpaint(40, 40, QImage::Format_ARGB32);
        inpaint.fill(QColor(0, 128, 0, 255));
        QPainter(&inpaint).setCompositionMode(QPainter::CompositionMode_Source);
        for (int y = 0; y < 20; ++y)
            for (int x = 0; x < 40; ++x)
                inpaint.setPixel(x, y, qRgba(0, 128, 0, 0));
        const QImage fitted = fitControlMap(inpaint, ControlResizeMode::JustResize, 80, 80);
        QVERIFY(fitted.hasAlphaChannel());
        QCOMPARE(qAlpha(fitted.pixel(40, 10)), 0);
        QCOMPARE(qAlpha(fitted.pixel(40, 70)), 255);
    }

    void modelsAreFoundByNameTitleOrPath()
    {
        QTemporaryDir dir;
        const QString cn = dir.filePath("ControlNet");
        qdtest::writeFile(cn + "/control_v11p_sd15_canny.safetensors", QByteArray(0x120000, 'x'));
        qdtest::writeFile(cn + "/sub/control_sd15_depth.pth", "small");
        qdtest::writeFile(cn + "/sdxl-canny/config.json", R"({"_class_name": "ControlNetModel"})");
        qdtest::writeFile(cn + "/sdxl-canny/diffusion_pytorch_model.safetensors", "w");
        qdtest::writeFile(cn + "/notes.txt", "not a model");
        const QList<ControlNetModelEntry> all = listControlNetModels({ cn });
        QCOMPARE(all.size(), 3);
        QCOMPARE(all[0].name, QString("control_sd15_depth"));
        QCOMPARE(all[1].name, QString("control_v11p_sd15_canny"));
        QCOMPARE(all[1].hash.size(), 8);
        QCOMPARE(all[2].name, QString("sdxl-canny")); // the folder, not its weights file
        QVERIFY(all[2].hash.isEmpty());
        QCOMPARE(findControlNetModel(all[1].title(), { cn })->path, all[1].path);
        QCOMPARE(findControlNetModel("CONTROL_V11P_SD15_CANNY", { cn })->name, all[1].name);
        QCOMPARE(findControlNetModel("control_v11p_sd15_canny [00000000]", { cn })->name, all[1].name);
        QCOMPARE(
            findControlNetModel(cn + "/sub/control_sd15_depth.pth", {})->name, QString("control_sd15_depth"));
        QVERIFY(!findControlNetModel("None", { cn }));
        QVERIFY(!findControlNetModel("control_v11p_sd15_openpose", { cn }));
    }
};

QTEST_GUILESS_MAIN(TestControlUnits)
#include "tst_controlunits.moc"
