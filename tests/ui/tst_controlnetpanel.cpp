// ControlNetPanel: units survive setUnits -> widgets -> units; the preview map is the preprocessor's
// (computed off the GUI thread); the network annotators are greyed with their reason; the sliders and
// the resolution follow the module; pixel perfect follows the generation size; an infotext's
// "ControlNet 0" restores into the panel.
#include <QButtonGroup>
#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QPainter>
#include <QRadioButton>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QTabWidget>
#include <QtTest/QtTest>

#include "ui/ControlNetPanel.h"
#include "ui/ControlUnitTab.h"
#include "ui/MainWindow.h"

class TestControlNetPanel : public QObject
{
    Q_OBJECT

    // black, with a white square in the middle
    static QImage square(int w = 256, int h = 256)
    {
        QImage image(w, h, QImage::Format_RGB888);
        image.fill(Qt::black);
        QPainter p(&image);
        p.fillRect(QRect(w / 4, h / 4, w / 2, h / 2), Qt::white);
        return image;
    }

    template <typename T> static T* child(qd::ControlNetPanel& panel, int unit, const char* name)
    {
        T* w = panel.unitTab(unit)->findChild<T*>(name);
        if (!w)
            qFatal("no %s in unit %d", name, unit);
        return w;
    }

    static void selectModule(qd::ControlNetPanel& panel, int unit, const QString& module)
    {
        auto* combo = child<QComboBox>(panel, unit, "controlModuleCombo");
        const int i = combo->findData(module);
        QVERIFY2(i >= 0, qPrintable(module));
        combo->setCurrentIndex(i);
    }

private slots:
    void unitsRoundTrip()
    {
        qd::ControlNetPanel panel;
        QCOMPARE(panel.units().size(), qd::ControlNetPanel::kUnits);
        qd::ControlUnitRequest a;
        a.image = square(96, 64);
        a.module = "canny";
        a.model = "control_v11p_sd15_canny [d14c016b]"; // not in any folder here: kept as given
        a.weight = 0.65;
        a.resizeMode = qd::ControlResizeMode::ResizeAndFill;
        a.processorRes = 768;
        a.thresholdA = 50;
        a.thresholdB = 150;
        a.guidanceStart = 0.2;
        a.guidanceEnd = 0.8;
        a.controlMode = qd::ControlMode::ControlNetImportant;
        qd::ControlUnitRequest b;
        b.enabled = false;
        b.module = "blur_gaussian";
        b.thresholdA = 4.5;
        b.weight = 1.5;
        b.controlMode = qd::ControlMode::PromptImportant;
        b.resizeMode = qd::ControlResizeMode::JustResize;
        QSignalSpy changed(&panel, &qd::ControlNetPanel::changed);
        panel.setUnits({ a, b });
        QCOMPARE(changed.size(), 1);

        const QList<qd::ControlUnitRequest> out = panel.units();
        QCOMPARE(out.size(), 3);
        QVERIFY(out[0].enabled);
        QCOMPARE(out[0].image, a.image);
        QCOMPARE(out[0].module, QString("canny"));
        QCOMPARE(out[0].model, a.model);
        QCOMPARE(out[0].weight, 0.65);
        QCOMPARE(out[0].resizeMode, qd::ControlResizeMode::ResizeAndFill);
        QCOMPARE(out[0].processorRes, 768);
        QCOMPARE(out[0].thresholdA, 50.0);
        QCOMPARE(out[0].thresholdB, 150.0);
        QCOMPARE(out[0].guidanceStart, 0.2);
        QCOMPARE(out[0].guidanceEnd, 0.8);
        QCOMPARE(out[0].pixelPerfect, false);
        QCOMPARE(out[0].controlMode, qd::ControlMode::ControlNetImportant);
        QVERIFY(!out[1].enabled);
        QVERIFY(out[1].image.isNull());
        QCOMPARE(out[1].module, QString("blur_gaussian"));
        QCOMPARE(out[1].model, QString()); // "None"
        QCOMPARE(out[1].thresholdA, 4.5);
        QCOMPARE(out[1].thresholdB, -1.0); // one slider only
        QCOMPARE(out[1].weight, 1.5);
        QCOMPARE(out[1].controlMode, qd::ControlMode::PromptImportant);
        QCOMPARE(out[1].resizeMode, qd::ControlResizeMode::JustResize);
        QVERIFY(!out[2].enabled); // past the list: off
        // the widgets show it: the tab title marks the unit that is on, the radio buttons are set
        QVERIFY(panel.tabs()->tabText(0).contains(QChar(0x2713)));
        QVERIFY(!panel.tabs()->tabText(1).contains(QChar(0x2713)));
        QVERIFY(child<QRadioButton>(panel, 0, "controlModeGroup_2")->isChecked());
        QCOMPARE(child<QDoubleSpinBox>(panel, 0, "controlWeightSpin")->value(), 0.65);

        // a unit without a picture (as from an infotext) keeps the picture there
        qd::ControlUnitRequest noPicture = a;
        noPicture.image = QImage();
        noPicture.weight = 0.4;
        panel.setUnits({ noPicture });
        QCOMPARE(panel.units()[0].image, a.image);
        QCOMPARE(panel.units()[0].weight, 0.4);

        // guidance start never passes the end
        auto* start = child<QDoubleSpinBox>(panel, 0, "controlGuidanceStartSpin");
        auto* end = child<QDoubleSpinBox>(panel, 0, "controlGuidanceEndSpin");
        start->setValue(0.9);
        QCOMPARE(end->value(), 0.9);
        end->setValue(0.3);
        QCOMPARE(start->value(), 0.3);
        // checking Enable marks the tab
        child<QCheckBox>(panel, 2, "controlEnable")->setChecked(true);
        QVERIFY(panel.tabs()->tabText(2).contains(QChar(0x2713)));
        QVERIFY(panel.units()[2].enabled);
    }

    void cannyPreviewShowsTheEdges()
    {
        qd::ControlNetPanel panel;
        panel.resize(420, 900);
        panel.show();
        panel.unitTab(0)->setImage(square());
        selectModule(panel, 0, "canny");
        QVERIFY(panel.previewMap(0).isNull()); // the preview is off until allowed
        child<QCheckBox>(panel, 0, "controlAllowPreview")->setChecked(true);
        QVERIFY(child<QWidget>(panel, 0, "controlMapView")->isVisible());
        QTRY_VERIFY_WITH_TIMEOUT(!panel.previewMap(0).isNull(), 10000);
        const QImage map = panel.previewMap(0).convertToFormat(QImage::Format_Grayscale8);
        // 256 px at the default resolution 512: the square's sides at 128 and 384
        QCOMPARE(map.size(), QSize(512, 512));
        auto white = [&](int x, int y) { return qGray(map.pixel(x, y)) > 127; };
        QVERIFY(!white(256, 256)); // inside the square: no edge
        QVERIFY(!white(20, 20)); // the black background: no edge
        bool leftEdge = false, topEdge = false;
        for (int d = -6; d <= 6; ++d) {
            leftEdge = leftEdge || white(128 + d, 256);
            topEdge = topEdge || white(256, 128 + d);
        }
        QVERIFY(leftEdge);
        QVERIFY(topEdge);
        QVERIFY(child<QLabel>(panel, 0, "controlMessage")->text().isEmpty());

        // the map follows the module: invert works at the picture's size
        selectModule(panel, 0, "invert");
        QTRY_VERIFY_WITH_TIMEOUT(panel.previewMap(0).size() == QSize(256, 256), 10000);
        QCOMPARE(qGray(panel.previewMap(0).pixel(128, 128)), 0); // the white square inverted

        // an inpaint module without a mask says so
        selectModule(panel, 0, "inpaint_only");
        QTRY_VERIFY_WITH_TIMEOUT(child<QLabel>(panel, 0, "controlMessage")->text().contains("mask"), 10000);
        QVERIFY(panel.previewMap(0).isNull());
        QVERIFY(child<QLabel>(panel, 0, "controlMessage")->isVisible());
    }

    void networkAnnotatorsAreGreyedWithTheirReason()
    {
        qd::ControlNetPanel panel;
        QTemporaryDir annotators;
        panel.setFolders({}, annotators.path());
        auto* combo = child<QComboBox>(panel, 0, "controlModuleCombo");
        auto* model = qobject_cast<QStandardItemModel*>(combo->model());
        QVERIFY(model);
        const int depth = combo->findData("depth_midas");
        QVERIFY(depth > 0);
        QVERIFY(!model->item(depth)->isEnabled());
        const QString reason = model->item(depth)->toolTip();
        QVERIFY2(reason.contains("dpt_hybrid-midas"), qPrintable(reason)); // the weights it needs
        QVERIFY(model->item(combo->findData("canny"))->isEnabled());
        QVERIFY(model->item(combo->findData("canny"))->toolTip().isEmpty());
        // restored from an infotext, it is selected and the unit says why it cannot run
        qd::ControlUnitRequest u;
        u.module = "depth_midas";
        panel.setUnits({ u });
        QCOMPARE(combo->currentData().toString(), QString("depth_midas"));
        QVERIFY2(panel.unitTab(0)->message().contains(reason), qPrintable(panel.unitTab(0)->message()));
        QVERIFY(child<QLabel>(panel, 0, "controlMessage")->isVisibleTo(&panel));
        selectModule(panel, 0, "canny");
        QVERIFY(panel.unitTab(0)->message().isEmpty());
        QVERIFY(!child<QLabel>(panel, 0, "controlMessage")->isVisibleTo(&panel));
    }

    void slidersFollowTheModule()
    {
        qd::ControlNetPanel panel;
        auto* labelA = child<QLabel>(panel, 0, "controlSliderALabel");
        auto* labelB = child<QLabel>(panel, 0, "controlSliderBLabel");
        auto* a = child<QDoubleSpinBox>(panel, 0, "controlSliderA");
        auto* b = child<QDoubleSpinBox>(panel, 0, "controlSliderB");
        auto* resolution = child<QSpinBox>(panel, 0, "controlResolutionSpin");
        selectModule(panel, 0, "canny");
        QCOMPARE(labelA->text(), QString("Low Threshold"));
        QCOMPARE(labelB->text(), QString("High Threshold"));
        QCOMPARE(a->value(), 100.0);
        QCOMPARE(b->value(), 200.0);
        QVERIFY(a->isVisibleTo(&panel) && b->isVisibleTo(&panel) && labelA->isVisibleTo(&panel));
        QVERIFY(resolution->isVisibleTo(&panel));
        a->setValue(42);
        QCOMPARE(panel.units()[0].thresholdA, 42.0);

        selectModule(panel, 0, "invert"); // no sliders, no resolution
        QVERIFY(!a->isVisibleTo(&panel) && !b->isVisibleTo(&panel));
        QVERIFY(!labelA->isVisibleTo(&panel) && !labelB->isVisibleTo(&panel));
        QVERIFY(!resolution->isVisibleTo(&panel));
        QCOMPARE(panel.units()[0].thresholdA, -1.0);

        selectModule(panel, 0, "softedge_sobel"); // one slider, fractional
        QCOMPARE(labelA->text(), QString("Smoothing Sigma"));
        QCOMPARE(a->value(), 1.5);
        QCOMPARE(a->singleStep(), 0.1);
        QVERIFY(a->isVisibleTo(&panel) && !b->isVisibleTo(&panel));
        // back to canny: its defaults again, not what the slider held
        selectModule(panel, 0, "canny");
        QCOMPARE(a->value(), 100.0);
    }

    void pixelPerfectFollowsTheGenerationSize()
    {
        qd::ControlNetPanel panel;
        auto* resolution = child<QSpinBox>(panel, 0, "controlResolutionSpin");
        auto* pixelPerfect = child<QCheckBox>(panel, 0, "controlPixelPerfect");
        resolution->setValue(640);
        panel.unitTab(0)->setImage(square(300, 200));
        panel.setGenerationSize(1024, 512);
        QCOMPARE(resolution->value(), 640);
        pixelPerfect->setChecked(true);
        // crop and resize covers 1024 x 512: 200 * max(512 / 200, 1024 / 300) = 682.67
        QCOMPARE(resolution->value(), 683);
        QVERIFY(!resolution->isEnabled());
        QCOMPARE(panel.units()[0].processorRes, 683);
        QVERIFY(panel.units()[0].pixelPerfect);
        child<QRadioButton>(panel, 0, "controlResizeGroup_2")->setChecked(true); // resize and fill
        QCOMPARE(resolution->value(), 512); // 200 * min(2.56, 3.41)
        panel.setGenerationSize(600, 900);
        QCOMPARE(resolution->value(), 400); // 200 * min(4.5, 2)
        QCOMPARE(resolution->value(),
            qd::pixelPerfectResolution(QSize(300, 200), 600, 900, qd::ControlResizeMode::ResizeAndFill));
        pixelPerfect->setChecked(false); // the user's value again
        QCOMPARE(resolution->value(), 640);
        QVERIFY(resolution->isEnabled());
    }

    void infotextRestoresTheUnits()
    {
        qd::MainWindow w;
        qd::ControlNetPanel* panel = w.controlNetPanel();
        QVERIFY(panel);
        QVERIFY(w.findChild<QWidget*>("controlNetDock"));
        QVERIFY(w.findChild<QAction*>("actionToggle_controlNetDock"));
        panel->unitTab(0)->setImage(square()); // a picture already there stays
        const QString infotext
            = "a cat on a chair\n"
              "Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 512x512, "
              "ControlNet 0: \"Module: canny, Model: control_v11p_sd15_canny [d14c016b], "
              "Weight: 0.8, Resize Mode: Just Resize, Processor Res: 640, Threshold A: 80.0, "
              "Threshold B: 180.0, Guidance Start: 0.1, Guidance End: 0.9, Pixel Perfect: "
              "False, Control Mode: My prompt is more important\", Lora hashes: \"a: 123\"";
        QVERIFY(w.restoreFromText(infotext));
        const QList<qd::ControlUnitRequest> units = panel->units();
        QVERIFY(units[0].enabled);
        QCOMPARE(units[0].module, QString("canny"));
        QCOMPARE(units[0].model, QString("control_v11p_sd15_canny [d14c016b]"));
        QCOMPARE(units[0].weight, 0.8);
        QCOMPARE(units[0].resizeMode, qd::ControlResizeMode::JustResize);
        QCOMPARE(units[0].processorRes, 640);
        QCOMPARE(units[0].thresholdA, 80.0);
        QCOMPARE(units[0].thresholdB, 180.0);
        QCOMPARE(units[0].guidanceStart, 0.1);
        QCOMPARE(units[0].guidanceEnd, 0.9);
        QCOMPARE(units[0].controlMode, qd::ControlMode::PromptImportant);
        QCOMPARE(units[0].image, square());
        QVERIFY(!units[1].enabled);
        // the unit left the pass-through extras (the panel holds it now); other keys stay
        const qd::GenerationParams p = w.currentParams();
        QVERIFY(!p.extra.count("ControlNet 0"));
        QVERIFY(p.extra.count("Lora hashes"));
        // the generation size reaches pixel perfect
        child<QCheckBox>(*panel, 0, "controlPixelPerfect")->setChecked(true);
        QCOMPARE(panel->units()[0].processorRes, 512); // 256 px onto 512 x 512
    }
};

QTEST_MAIN(TestControlNetPanel)
#include "tst_controlnetpanel.moc"
