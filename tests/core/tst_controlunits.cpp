// ControlNet units as sd-webui-controlnet writes and reads them: its infotext value read back;
// pixel-perfect resolution; the engine's unit made from a front end's; ControlNet files and diffusers
// folders found by name, title or path.
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
        const QString text
            = "Module: canny, Model: control_v11p_sd15_canny [d14c016b], Weight: 0.8, Resize Mode: "
              "Crop and Resize, Processor Res: 512, Threshold A: 100, Threshold B: 200, Guidance "
              "Start: 0, Guidance End: 0.6, Pixel Perfect: False, Control Mode: ControlNet is more "
              "important";
        const auto back = parseControlUnitInfotext(text);
        QVERIFY(back);
        QCOMPARE(back->module, QString("canny"));
        QCOMPARE(back->model, QString("control_v11p_sd15_canny [d14c016b]"));
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
        // the units of an infotext's extra keys, in their numbers' order, quoted as A1111 quotes them
        const QList<ControlUnitRequest> units
            = controlUnitsFromExtras({ { "ControlNet 1", "\"" + text + "\"" }, { "Hires upscale", "2" },
                { "ControlNet 0", "\"Module: none, Model: tile [aa]\"" } });
        QCOMPARE(units.size(), 2);
        QCOMPARE(units[0].module, QString("none"));
        QCOMPARE(units[1].module, QString("canny"));
        // the extension's numbering: only unit 2 enabled -> places 0 and 1 stay off; absurd numbers ignored
        const QList<ControlUnitRequest> third = controlUnitsFromExtras(
            { { "ControlNet 2", "\"" + text + "\"" }, { "ControlNet 99999", "\"" + text + "\"" } });
        QCOMPARE(third.size(), 3);
        QVERIFY(!third[0].enabled && !third[1].enabled && third[2].enabled);
        QCOMPARE(third[2].module, QString("canny"));
    }

    void pixelPerfectResolution_()
    {
        // a 1024 x 512 map for a 512 x 512 image: cover needs its short side at 512, fit at 256
        QCOMPARE(pixelPerfectResolution(QSize(1024, 512), 512, 512, ControlResizeMode::CropAndResize), 512);
        QCOMPARE(pixelPerfectResolution(QSize(1024, 512), 512, 512, ControlResizeMode::ResizeAndFill), 256);
        QCOMPARE(pixelPerfectResolution(QSize(300, 200), 768, 512, ControlResizeMode::JustResize), 512);
    }

    // The engine's unit: the preprocessed map, the extension's recorded defaults, img2img's picture and
    // mask standing in, an inpaint map's mask, and errors naming the unit
    void engineUnits()
    {
        QImage square(128, 128, QImage::Format_RGB888);
        square.fill(Qt::black);
        QPainter(&square).fillRect(32, 32, 64, 64, Qt::white);
        ControlUnitRequest u;
        u.module = "canny";
        u.model = "/models/ControlNet/c.safetensors";
        u.image = square;
        u.processorRes = 256;
        u.guidanceEnd = 0.5;
        ControlNetUnit e;
        QString error;
        QVERIFY2(toEngineControlUnit(u, 0, QImage(), QImage(), 512, 512, QString(), &e, &error),
            qPrintable(error));
        QCOMPARE(e.image.width, 256); // the map at the processor resolution; the engine fits it
        QCOMPARE(e.model, std::string("/models/ControlNet/c.safetensors"));
        QCOMPARE(e.thresholdA, 100.0); // canny's defaults recorded for -1
        QCOMPARE(e.thresholdB, 200.0);
        QCOMPARE(e.processorRes, 256);
        QCOMPARE(e.guidanceEnd, 0.5);
        QVERIFY(e.mask.empty());
        // pixel perfect: the resolution that lands 1:1 on 768 x 768
        u.pixelPerfect = true;
        QVERIFY(toEngineControlUnit(u, 0, QImage(), QImage(), 768, 768, QString(), &e, &error));
        QCOMPARE(e.processorRes, 768);
        QCOMPARE(e.image.width, 768);
        // no picture: img2img's init image; none at all: an error naming the unit
        u = ControlUnitRequest();
        u.model = "/m.safetensors";
        QVERIFY(toEngineControlUnit(u, 1, square, QImage(), 128, 128, QString(), &e, &error));
        QCOMPARE(e.image.width, 128);
        QCOMPARE(e.thresholdA, 0.5); // no sliders: the extension's hidden-slider default
        QVERIFY(!toEngineControlUnit(u, 1, QImage(), QImage(), 128, 128, QString(), &e, &error));
        QVERIFY(error.startsWith("ControlNet unit 1"));
        // inpaint: img2img's mask becomes the unit's (white where repainted)
        u.module = "inpaint_only";
        QImage mask(128, 128, QImage::Format_Grayscale8);
        mask.fill(0);
        QPainter(&mask).fillRect(0, 0, 64, 128, Qt::white);
        QVERIFY2(toEngineControlUnit(u, 0, square, mask, 128, 128, QString(), &e, &error), qPrintable(error));
        QCOMPARE(e.mask.width, 128);
        QCOMPARE(int(e.mask.pixels[3 * (10 * 128 + 10)]), 255);
        QCOMPARE(int(e.mask.pixels[3 * (10 * 128 + 100)]), 0);
        // a network annotator that is not there
        u.module = "depth_midas";
        QVERIFY(!toEngineControlUnit(u, 2, square, QImage(), 128, 128, QString(), &e, &error));
        QVERIFY(error.contains("ControlNet unit 2") && error.contains("depth_midas"));
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
