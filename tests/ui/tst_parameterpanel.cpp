// ParameterPanel: every parameter survives params -> widgets -> params; sizes are forced to
// multiples of 8 whichever way they come in; seed buttons and lock behave as labelled.
#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QGroupBox>
#include <QLabel>
#include <QLineEdit>
#include <QSpinBox>
#include <QToolButton>
#include <QtTest/QtTest>

#include "core/metadata/Infotext.h"
#include "ui/HiresPanel.h"
#include "ui/ParameterPanel.h"

class TestParameterPanel : public QObject
{
    Q_OBJECT

    static qd::GenerationParams sample()
    {
        qd::GenerationParams p;
        p.sampler = "DPM++ 2M SDE";
        p.scheduler = "Exponential";
        p.steps = 37;
        p.cfgScale = 5.5;
        p.seed = 3141592653;
        p.subseed = 42;
        p.subseedStrength = 0.25;
        p.width = 768;
        p.height = 448;
        p.batchSize = 3;
        p.batchCount = 4;
        p.clipSkip = 2;
        p.eta = 0.5;
        p.guidanceRescale = 0.7;
        p.denoisingStrength = 0.35;
        p.maskImage = "/tmp/mask.png";
        p.extra["Hires upscale"] = "2";
        p.extra["Lora hashes"] = "\"film: abc123\"";
        return p;
    }

private slots:
    void roundTripKeepsEveryField()
    {
        qd::ParameterPanel panel;
        const qd::GenerationParams in = sample();
        panel.setParams(in);
        const qd::GenerationParams out = panel.params();
        QCOMPARE(out.sampler, in.sampler);
        QCOMPARE(out.scheduler, in.scheduler);
        QCOMPARE(out.steps, in.steps);
        QCOMPARE(out.cfgScale, in.cfgScale);
        QCOMPARE(out.seed, in.seed);
        QCOMPARE(out.width, in.width);
        QCOMPARE(out.height, in.height);
        QCOMPARE(out.batchSize, in.batchSize);
        QCOMPARE(out.batchCount, in.batchCount);
        QCOMPARE(out.clipSkip, in.clipSkip);
        QCOMPARE(out.denoisingStrength, in.denoisingStrength);
        // no widget for these: they pass through untouched
        QCOMPARE(out.subseed, in.subseed);
        QCOMPARE(out.subseedStrength, in.subseedStrength);
        QCOMPARE(out.eta, in.eta);
        QCOMPARE(out.guidanceRescale, in.guidanceRescale);
        QCOMPARE(out.maskImage, in.maskImage);
        QCOMPARE(out.extra, in.extra);
        // the widgets really show the values
        QCOMPARE(panel.findChild<QComboBox*>("samplerCombo")->currentText(), QString("DPM++ 2M SDE"));
        QCOMPARE(panel.findChild<QSpinBox*>("stepsSpin")->value(), 37);
        QCOMPARE(panel.findChild<QLineEdit*>("seedEdit")->text(), QString("3141592653"));
        QCOMPARE(panel.findChild<QSpinBox*>("heightSpin")->value(), 448);
    }

    void widgetsToParams()
    {
        qd::ParameterPanel panel;
        auto* sampler = panel.findChild<QComboBox*>("samplerCombo");
        sampler->setCurrentIndex(sampler->findText("Heun"));
        panel.findChild<QComboBox*>("scheduleCombo")->setCurrentText("Karras");
        panel.findChild<QSpinBox*>("stepsSpin")->setValue(12);
        panel.findChild<QDoubleSpinBox*>("cfgSpin")->setValue(9.5);
        panel.findChild<QLineEdit*>("seedEdit")->setText("77");
        panel.findChild<QSpinBox*>("batchCountSpin")->setValue(2);
        panel.findChild<QSpinBox*>("clipSkipSpin")->setValue(3);
        const qd::GenerationParams p = panel.params();
        QCOMPARE(p.sampler, std::string("Heun"));
        QCOMPARE(p.scheduler, std::string("Karras"));
        QCOMPARE(p.steps, 12);
        QCOMPARE(p.cfgScale, 9.5);
        QCOMPARE(p.seed, int64_t(77));
        QCOMPARE(p.batchCount, 2);
        QCOMPARE(p.clipSkip, 3);
        QVERIFY(p.prompt.empty()); // the prompts belong to the editors
    }

    void unknownSamplerIsKeptNotReplaced()
    {
        qd::ParameterPanel panel;
        qd::GenerationParams p;
        p.sampler = "Restart"; // an A1111 sampler we may not offer
        p.scheduler = "Turbo";
        panel.setParams(p);
        QCOMPARE(panel.params().sampler, std::string("Restart"));
        QCOMPARE(panel.params().scheduler, std::string("Turbo"));
    }

    void sizesAreMultiplesOf8()
    {
        qd::ParameterPanel panel;
        qd::GenerationParams p;
        p.width = 513;
        p.height = 771;
        panel.setParams(p);
        QCOMPARE(panel.params().width, 512);
        QCOMPARE(panel.params().height, 768);

        // Typed by hand: snapped when editing ends.
        auto* width = panel.findChild<QSpinBox*>("widthSpin");
        width->setFocus();
        QTest::keyClick(width, Qt::Key_A, Qt::ControlModifier); // select all
        QTest::keyClicks(width, "517");
        QTest::keyClick(width, Qt::Key_Enter);
        QCOMPARE(width->value(), 520);
        QCOMPARE(panel.params().width, 520);
        // Arrow keys move by 8.
        QTest::keyClick(width, Qt::Key_Up);
        QCOMPARE(width->value(), 528);
        // Set programmatically: snapped too.
        width->setValue(601);
        QCOMPARE(width->value(), 600);
        for (int v : { 64, 100, 333, 1000, 2047 })
            QCOMPARE(qd::ParameterPanel::roundToMultipleOf8(v) % 8, 0);
    }

    void swapAndAspectPresets()
    {
        qd::ParameterPanel panel;
        qd::ModelEntry m;
        m.name = "sd15";
        m.modelName = "sd15";
        m.sha256 = "abcdef1234";
        m.path = "/m/sd15.safetensors";
        m.family = qd::ModelFamily::SD1;
        panel.setModels({ m });
        qd::GenerationParams p;
        p.width = 640;
        p.height = 384;
        panel.setParams(p);
        panel.swapSize();
        QCOMPARE(panel.params().width, 384);
        QCOMPARE(panel.params().height, 640);
        panel.applyAspect(16, 9);
        const int w = panel.params().width, h = panel.params().height;
        QCOMPARE(w % 8, 0);
        QCOMPARE(h % 8, 0);
        QVERIFY(qAbs(double(w) / h - 16.0 / 9.0) < 0.03);
        QVERIFY(qAbs(w * h - 512 * 512) < 512 * 512 / 20); // about the native pixel count
        panel.applyAspect(1, 1);
        QCOMPARE(panel.params().width, 512);
        QCOMPARE(panel.params().height, 512);
    }

    void sizeFollowsTheModelUntilTheUserChangesIt()
    {
        qd::ParameterPanel panel;
        panel.setModels({}); // only the demo model: its native 256 px (512 px is slow on a CPU)
        QCOMPARE(panel.params().width, 256);
        QCOMPARE(panel.params().height, 256);
        qd::ModelEntry sd15, sdxl; // the size follows the family, not the name
        sd15.name = sd15.modelName = "sd15";
        sd15.path = "/m/sd15.safetensors";
        sd15.family = qd::ModelFamily::SD1;
        sdxl.name = sdxl.modelName = "sdxl";
        sdxl.path = "/m/sdxl.safetensors";
        sdxl.family = qd::ModelFamily::SDXL;
        panel.setModels({ sd15, sdxl });
        QCOMPARE(panel.params().width, 512);
        QVERIFY(panel.selectModel("sdxl"));
        QCOMPARE(panel.params().width, 1024);
        QCOMPARE(panel.params().height, 1024);
        qd::GenerationParams p = panel.params();
        p.width = 832; // the user's choice survives a model change
        p.height = 1216;
        panel.setParams(p);
        QVERIFY(panel.selectModel("sd15"));
        QCOMPARE(panel.params().width, 832);
        QCOMPARE(panel.params().height, 1216);
    }

    void seedRandomReuseAndLock()
    {
        qd::ParameterPanel panel;
        auto* seed = panel.findChild<QLineEdit*>("seedEdit");
        auto* reuse = panel.findChild<QToolButton*>("reuseSeedButton");
        QVERIFY(!reuse->isEnabled()); // nothing generated yet
        panel.setLastSeed(123456);
        QVERIFY(reuse->isEnabled());
        reuse->click();
        QCOMPARE(panel.params().seed, int64_t(123456));
        panel.findChild<QToolButton*>("randomSeedButton")->click();
        QCOMPARE(panel.params().seed, int64_t(-1));

        seed->setText("999");
        panel.findChild<QCheckBox*>("lockSeedCheck")->setChecked(true);
        QVERIFY(panel.isSeedLocked());
        qd::GenerationParams restored = sample();
        panel.setParams(restored); // restoring keeps a locked seed
        QCOMPARE(panel.params().seed, int64_t(999));
        QCOMPARE(panel.params().steps, restored.steps);
        QVERIFY(seed->isReadOnly());
        panel.randomizeSeed();
        QCOMPARE(panel.params().seed, int64_t(999));
        panel.setSeedLocked(false);
        panel.setParams(restored);
        QCOMPARE(panel.params().seed, restored.seed);
    }

    void img2imgInitImageAndStrength()
    {
        qd::ParameterPanel panel;
        const QString file = QDir::temp().filePath("qd_init_test.png");
        QImage img(96, 64, QImage::Format_RGB32);
        img.fill(Qt::red);
        QVERIFY(img.save(file));
        panel.setInitImage(file);
        auto* group = panel.findChild<QGroupBox*>("img2imgGroup");
        QVERIFY(group->isChecked());
        panel.findChild<QDoubleSpinBox*>("strengthSpin")->setValue(0.4);
        QCOMPARE(panel.params().initImage, file.toStdString());
        QCOMPARE(panel.params().denoisingStrength, 0.4);
        group->setChecked(false); // off: txt2img again, the image stays chosen
        QVERIFY(panel.params().initImage.empty());
        group->setChecked(true);
        QCOMPARE(panel.params().initImage, file.toStdString());
        panel.setInitImage(QString());
        QVERIFY(panel.params().initImage.empty());
        QVERIFY(!group->isChecked());
    }

    // A1111's hires keys restore into the hires controls and come back out unchanged; the controls
    // show the second pass's size; with img2img on there is no hires pass (as in A1111).
    void hiresFixRestoresAndShowsItsSize()
    {
        qd::ParameterPanel panel;
        panel.findChild<qd::HiresPanel*>("hiresGroup")->setUpscalers({ "None", "Lanczos", "4x-Tiny" });
        QVERIFY(panel.findChild<QWidget*>("hiresBody")->isHidden()); // off: folded to its title
        const qd::GenerationParams in = qd::parseInfotext(
            "a castle\nNegative prompt: fog\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 5, "
            "Size: 512x384, Denoising strength: 0.45, Hires upscale: 1.5, Hires steps: 12, "
            "Hires upscaler: 4x-Tiny, Hires sampler: DPM++ 2M, Hires schedule type: Karras, "
            "Hires prompt: \"a castle, sharp\"");
        QVERIFY(in.enableHr);
        panel.setParams(in);
        auto* group = panel.findChild<QGroupBox*>("hiresGroup");
        QVERIFY(group->isChecked());
        QVERIFY(!panel.findChild<QWidget*>("hiresBody")->isHidden());
        QCOMPARE(panel.findChild<QComboBox*>("hiresUpscalerCombo")->currentText(), QString("4x-Tiny"));
        QCOMPARE(panel.findChild<QSpinBox*>("hiresStepsSpin")->value(), 12);
        QCOMPARE(panel.findChild<QDoubleSpinBox*>("hiresDenoiseSpin")->value(), 0.45);
        QCOMPARE(panel.findChild<QComboBox*>("hiresSamplerCombo")->currentText(), QString("DPM++ 2M"));
        QVERIFY(panel.findChild<QLabel*>("hiresTargetLabel")->text().contains(QString("768 × 576")));
        qd::GenerationParams out = panel.params();
        out.prompt = in.prompt; // the prompt editors own these
        out.negativePrompt = in.negativePrompt;
        out.modelName = in.modelName; // the model picker's (the demo model here)
        QVERIFY(out.enableHr);
        QCOMPARE(out.hrScale, 1.5);
        QCOMPARE(out.hrSteps, 12);
        QCOMPARE(out.hrUpscaler, std::string("4x-Tiny"));
        QCOMPARE(out.hrSampler, std::string("DPM++ 2M"));
        QCOMPARE(out.hrScheduler, in.hrScheduler);
        QCOMPARE(out.hrPrompt, std::string("a castle, sharp"));
        QCOMPARE(out.denoisingStrength, 0.45);
        QCOMPARE(qd::toInfotext(out), qd::toInfotext(in));

        // the user's controls: resize to a width keeps the aspect ratio; a size off the 8 grid is named
        panel.findChild<QSpinBox*>("hiresResizeXSpin")->setValue(1024);
        QVERIFY(panel.findChild<QLabel*>("hiresTargetLabel")->text().contains(QString("1024 × 768")));
        panel.findChild<QSpinBox*>("hiresResizeXSpin")->setValue(0);
        panel.findChild<QDoubleSpinBox*>("hiresScaleSpin")->setValue(1.3);
        QVERIFY(panel.findChild<QLabel*>("hiresTargetLabel")->text().contains(QString("multiple of 8")));
        panel.findChild<QComboBox*>("hiresSamplerCombo")->setCurrentIndex(0); // "Use same sampler"
        QVERIFY(panel.params().hrSampler.empty());

        // img2img: no hires pass, the controls greyed, the img2img strength used
        const QString file = QDir::temp().filePath("qd_hires_init.png");
        QImage img(64, 64, QImage::Format_RGB32);
        img.fill(Qt::blue);
        QVERIFY(img.save(file));
        panel.setInitImage(file);
        panel.findChild<QDoubleSpinBox*>("strengthSpin")->setValue(0.3);
        QVERIFY(!group->isEnabled());
        QVERIFY(!panel.params().enableHr);
        QCOMPARE(panel.params().denoisingStrength, 0.3);
        panel.setInitImage(QString());
        QVERIFY(group->isEnabled());
        QVERIFY(panel.params().enableHr);
        QCOMPARE(panel.params().denoisingStrength, 0.45);
    }

    void modelPickerSelectsByHashOrName()
    {
        qd::ParameterPanel panel;
        QVERIFY(panel.currentModel().path.isEmpty()); // no library yet: the demo model
        qd::ModelEntry a, b;
        a.name = a.modelName = "alpha";
        a.sha256 = "1111111111";
        a.path = "/m/alpha.safetensors";
        b.name = b.modelName = "beta";
        b.sha256 = "2222222222";
        b.path = "/m/beta.safetensors";
        panel.setModels({ a, b });
        qd::GenerationParams p;
        p.modelHash = "2222222222";
        panel.setParams(p);
        QCOMPARE(panel.currentModel().modelName, QString("beta"));
        QCOMPARE(panel.params().modelName, std::string("beta"));
        p.modelHash.clear();
        p.modelName = "alpha";
        panel.setParams(p);
        QCOMPARE(panel.currentModel().path, QString("/m/alpha.safetensors"));
        QVERIFY(panel.selectModel("/m/beta.safetensors")); // by path (the model library's lookups)
        QCOMPARE(panel.currentModel().modelName, QString("beta"));
        QVERIFY(panel.selectModel("alpha [1111111111]")); // by title
        QCOMPARE(panel.currentModel().modelName, QString("alpha"));
    }

    void modelTitlesUpdateInPlace()
    {
        // Hashes arrive after the scan: the same checkpoints get new titles without a reselection.
        qd::ParameterPanel panel;
        auto* combo = panel.findChild<QComboBox*>("modelCombo");
        qd::ModelEntry a, b;
        a.name = a.modelName = "alpha.safetensors";
        a.path = "/m/alpha.safetensors";
        b.name = b.modelName = "beta.safetensors";
        b.path = "/m/beta.safetensors";
        panel.setModels({ a, b });
        combo->setCurrentIndex(1);
        QSignalSpy indexChanged(combo, &QComboBox::currentIndexChanged);
        QSignalSpy modelChanged(&panel, &qd::ParameterPanel::modelChanged);
        a.sha256 = "1111111111";
        b.sha256 = "2222222222";
        panel.setModels({ a, b });
        QCOMPARE(combo->itemText(0), QString("alpha.safetensors [1111111111]"));
        QCOMPARE(combo->itemText(1), QString("beta.safetensors [2222222222]"));
        QCOMPARE(combo->currentIndex(), 1);
        QCOMPARE(indexChanged.count(), 0);
        QCOMPARE(modelChanged.count(), 1); // the status bar shows the new title
        QCOMPARE(panel.params().modelHash, std::string("2222222222"));
        // a different list: rebuilt, the selection kept by checkpoint
        qd::ModelEntry c;
        c.name = c.modelName = "gamma.safetensors";
        c.path = "/m/gamma.safetensors";
        panel.setModels({ c, a, b });
        QCOMPARE(panel.currentModel().path, b.path);
        panel.setModels({ c });
        QCOMPARE(panel.currentModel().path, c.path); // beta went away
    }

    void vaePicker()
    {
        qd::ParameterPanel panel;
        auto* combo = panel.findChild<QComboBox*>("vaeCombo");
        QVERIFY(combo);
        QCOMPARE(panel.vaeChoice(), QString("Automatic"));
        QVERIFY(panel.params().vaeName.empty());
        panel.setVaes({ "vae-ft-mse.safetensors", "kl-f8.pt" });
        QCOMPARE(combo->count(), 4);
        QVERIFY(panel.setVaeChoice("kl-f8.pt"));
        QCOMPARE(panel.params().vaeName, std::string("kl-f8.pt"));
        QVERIFY(!panel.setVaeChoice("missing.pt"));
        QCOMPARE(panel.vaeChoice(), QString("kl-f8.pt"));
        QVERIFY(panel.setVaeChoice("None"));
        QVERIFY(panel.params().vaeName.empty());
        // restoring an image's "VAE" picks it when present
        qd::GenerationParams p = sample();
        p.vaeName = "vae-ft-mse.safetensors";
        p.vaeHash = "735e4c3a44";
        panel.setParams(p);
        QCOMPARE(panel.vaeChoice(), QString("vae-ft-mse.safetensors"));
        QVERIFY(panel.params().vaeHash.empty()); // the job fills in the hash of the file it uses
        // a list without the chosen VAE falls back to Automatic
        panel.setVaes({ "kl-f8.pt" });
        QCOMPARE(panel.vaeChoice(), QString("Automatic"));
    }
};

QTEST_MAIN(TestParameterPanel)
#include "tst_parameterpanel.moc"
