// MainWindow: opens and quits; Ctrl+Enter queues the form and the worker's steps reach the preview
// and the filmstrip; the queue panel drives the worker's queue; a dropped image restores its
// parameters; the keyboard reaches everything.
#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QGroupBox>
#include <QLineEdit>
#include <QListView>
#include <QListWidget>
#include <QMenuBar>
#include <QMimeData>
#include <QPainter>
#include <QPlainTextEdit>
#include <QProcess>
#include <QPushButton>
#include <QSpinBox>
#include <QTabWidget>
#include <QTranslator>
#include <QtTest/QtTest>

#include "core/generation/ControlUnits.h"
#include "core/metadata/ImageMetadata.h"
#include "core/metadata/Infotext.h"
#include "ui/ControlNetPanel.h"
#include "ui/ExportDialog.h"
#include "ui/HistoryGallery.h"
#include "ui/HistoryModel.h"
#include "ui/LivePreview.h"
#include "ui/MainWindow.h"
#include "ui/ParameterPanel.h"
#include "ui/PromptEditor.h"
#include "ui/QueuePanel.h"

class TestMainWindow : public QObject
{
    Q_OBJECT

    static void setSmallJob(qd::MainWindow& w, int steps)
    {
        qd::GenerationParams p = w.parameterPanel()->params();
        p.steps = steps;
        p.width = 64;
        p.height = 64;
        p.sampler = "Euler";
        w.parameterPanel()->setParams(p);
    }

private slots:
    void initTestCase()
    {
        QVERIFY(qEnvironmentVariableIsSet("QDIFFUSION_HOME")); // never write into the user's folders
    }

    void opensShowsTitleAndQuits()
    {
        qd::MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QCOMPARE(w.windowTitle(), QString("QDiffusion"));
        QVERIFY(!w.menuBar()->actions().isEmpty());
        auto* quit = w.findChild<QAction*>("actionQuit");
        QVERIFY(quit);
        QSignalSpy aboutToQuit(qApp, &QCoreApplication::aboutToQuit);
        QTimer::singleShot(0, quit, &QAction::trigger);
        // Guard: quit must work. Its context is the window, so it dies with this test: with qApp as
        // context it fired 2 s later inside whichever test ran then, and QCoreApplication::exit()
        // outside exec() leaves quitNow set, so every later QEventLoop::exec() (QSignalSpy::wait,
        // QDialog::exec) returned at once: a flaky failure in a later test, depending on its timing.
        QTimer::singleShot(2000, &w, [] { QCoreApplication::exit(3); });
        QCOMPARE(QApplication::exec(), 0);
        QCOMPARE(aboutToQuit.count(), 1);
    }

    void chineseTranslationIsBuiltIn()
    {
        // The .qm compiled from translations/ is embedded and loads by locale, as main() does it.
        QTranslator zh;
        QVERIFY(zh.load(QLocale(QLocale::Chinese, QLocale::China), "qdiffusion", "_", ":/i18n"));
        QApplication::installTranslator(&zh);
        {
            qd::MainWindow w;
            QCOMPARE(w.tabs()->tabText(0), QString::fromUtf8("创作"));
            QCOMPARE(w.menuBar()->actions().first()->text(), QString::fromUtf8("文件(&F)"));
            QCOMPARE(w.findChild<QPushButton*>("generateButton")->text(), QString::fromUtf8("生成"));
        }
        QApplication::removeTranslator(&zh);
        qd::MainWindow w;
        QCOMPARE(w.tabs()->tabText(0), QString("Create"));
    }

    void widgetsAreNamedForTests()
    {
        qd::MainWindow w;
        for (const char* name : { "promptEditorText", "negativePromptEditorText", "promptEditorTokenCount",
                 "generateButton", "parameterPanel", "samplerCombo", "scheduleCombo", "stepsSpin", "cfgSpin",
                 "seedEdit", "widthSpin", "heightSpin", "batchCountSpin", "batchSizeSpin", "clipSkipSpin",
                 "img2imgGroup", "strengthSpin", "livePreview", "previewCanvas", "filmstrip", "progressBar",
                 "queuePanel", "queueList", "mainTabs", "statusModel", "statusDevice", "statusMemory",
                 "statusSpeed", "parametersDock", "queueDock" })
            QVERIFY2(w.findChild<QWidget*>(name), name);
    }

    void everyMenuActionIsReachableAndGenerateHasCtrlEnter()
    {
        qd::MainWindow w;
        auto* gen = w.findChild<QAction*>("actionGenerate");
        QVERIFY(gen);
        QVERIFY(gen->shortcuts().contains(QKeySequence(Qt::CTRL | Qt::Key_Return)));
        QVERIFY(gen->shortcuts().contains(QKeySequence(Qt::CTRL | Qt::Key_Enter)));
        for (const char* name : { "actionInterrupt", "actionSkip", "actionPauseQueue", "actionRandomSeed",
                 "actionReuseSeed", "actionOpenImage", "actionFocusPrompt" }) {
            auto* a = w.findChild<QAction*>(name);
            QVERIFY2(a, name);
            QVERIFY2(!a->shortcut().isEmpty(), name);
        }
        // Every top-level menu has a mnemonic, and no two share one.
        QSet<QChar> mnemonics;
        for (QAction* menu : w.menuBar()->actions()) {
            const QString t = menu->text();
            const int amp = int(t.indexOf('&'));
            QVERIFY2(amp >= 0 && amp + 1 < t.size(), qPrintable(t));
            const QChar m = t.at(amp + 1).toLower();
            QVERIFY2(!mnemonics.contains(m), qPrintable(t));
            mnemonics.insert(m);
        }
        // No two shortcuts that can be live at the same time collide: window-wide ones among
        // themselves and with each widget's own (a menu-only WidgetShortcut just shows the key).
        QHash<QString, QString> windowKeys; // key -> action
        QHash<QObject*, QHash<QString, QString>> widgetKeys;
        for (QAction* a : w.findChildren<QAction*>()) {
            for (const QKeySequence& k : a->shortcuts()) {
                const QString key = k.toString();
                if (a->shortcutContext() == Qt::WindowShortcut
                    || a->shortcutContext() == Qt::ApplicationShortcut) {
                    QVERIFY2(!windowKeys.contains(key),
                        qPrintable(key + ": " + windowKeys.value(key) + " / " + a->objectName()));
                    windowKeys.insert(key, a->objectName());
                    continue;
                }
                for (QObject* o : a->associatedObjects()) {
                    if (qobject_cast<QMenu*>(o))
                        continue;
                    QVERIFY2(!widgetKeys[o].contains(key), qPrintable(key + " on " + o->objectName()));
                    widgetKeys[o].insert(key, a->objectName());
                }
            }
        }
        for (const auto& keys : std::as_const(widgetKeys))
            for (auto it = keys.begin(); it != keys.end(); ++it)
                QVERIFY2(!windowKeys.contains(it.key()),
                    qPrintable(it.key() + ": " + it.value() + " / " + windowKeys.value(it.key())));
        // The gallery's actions are in the Image menu, with their keys shown.
        auto* del = w.findChild<QAction*>("actionDeleteImages");
        QVERIFY(del);
        QVERIFY(!del->shortcut().isEmpty());
        bool inMenu = false;
        for (QObject* o : del->associatedObjects())
            inMenu = inMenu || qobject_cast<QMenu*>(o);
        QVERIFY(inMenu);
    }

    void fitsOnASmallScreen()
    {
        // A 1280x800 laptop screen (minus panels) must hold the whole window, docks included.
        qd::MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        for (int tab = 0; tab < w.tabs()->count(); ++tab) {
            w.tabs()->setCurrentIndex(tab);
            const QSize min = w.minimumSizeHint().expandedTo(w.minimumSize());
            QVERIFY2(min.width() <= 1280 && min.height() <= 720,
                qPrintable(QString("tab %1 needs %2x%3").arg(tab).arg(min.width()).arg(min.height())));
        }
        w.resize(1280, 720);
        QApplication::processEvents();
        QVERIFY(w.width() <= 1280);
    }

    void tabOrderFollowsTheForm()
    {
        qd::MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QPlainTextEdit* prompt = w.promptEditor()->textEdit();
        prompt->setFocus();
        QTRY_VERIFY(prompt->hasFocus());
        QTest::keyClick(prompt, Qt::Key_Tab);
        QCOMPARE(QApplication::focusWidget(), w.negativePromptEditor()->textEdit());
        QTest::keyClick(QApplication::focusWidget(), Qt::Key_Tab);
        QCOMPARE(QApplication::focusWidget(), w.findChild<QWidget*>("generateButton"));
    }

    void ctrlEnterGeneratesAndPreviewsFillTheFilmstrip()
    {
        qd::MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        setSmallJob(w, 6);
        QPlainTextEdit* prompt = w.promptEditor()->textEdit();
        prompt->setFocus();
        QTest::keyClicks(prompt, "a lighthouse, (dawn:1.2)");
        QSignalSpy queued(&w, &qd::MainWindow::jobQueued);
        QSignalSpy previews(w.worker(), &qd::InferenceWorker::preview);
        QSignalSpy finished(w.worker(), &qd::InferenceWorker::finished);
        QTest::keyClick(prompt, Qt::Key_Return, Qt::ControlModifier);
        QCOMPARE(queued.count(), 1);
        QCOMPARE(prompt->toPlainText(), QString("a lighthouse, (dawn:1.2)")); // no newline typed
        QVERIFY(finished.wait(60000));
        QCOMPARE(previews.count(), 6);
        qd::LivePreview* lp = w.livePreview();
        QCOMPARE(lp->frameCount(), 7); // six steps and the final image
        QCOMPARE(lp->stepOfFrame(5), 6);
        QVERIFY(!lp->canvas()->image().isNull());
        QCOMPARE(w.promptEditor()->recentPrompts().first(), QString("a lighthouse, (dawn:1.2)"));

        // The image was saved with its parameters.
        const auto result = finished.first().first().value<qd::GenerationResult>();
        QCOMPARE(result.images.size(), 1);
        qd::ImageMetadata meta;
        QString error;
        QVERIFY2(qd::ImageMetadata::read(result.images.first().file, &meta, &error), qPrintable(error));
        QCOMPARE(meta.infotext(), result.images.first().infotext); // the one infotext, in the file
        const qd::GenerationParams back = qd::parseInfotext(meta.infotext());
        QCOMPARE(back.prompt, std::string("a lighthouse, (dawn:1.2)"));
        QCOMPARE(back.steps, 6);
        QCOMPARE(back.sampler, std::string("Euler"));
        QCOMPARE(back.seed, result.images.first().params.seed);
        // Reuse-last-seed now offers that seed.
        QCOMPARE(w.parameterPanel()->lastSeed(), result.images.first().params.seed);
    }

    void queuePanelReordersRemovesAndPauses()
    {
        qd::MainWindow w;
        setSmallJob(w, 3);
        w.setQueuePaused(true);
        const int a = w.generate(), b = w.generate(), c = w.generate();
        qd::QueuePanel* panel = w.queuePanel();
        QCOMPARE(panel->queuedIds(), QList<int>({ a, b, c }));
        QCOMPARE(w.worker()->queuedJobs().size(), 3);

        panel->list()->setCurrentRow(2);
        panel->findChild<QAbstractButton*>("queueUpButton")->click();
        QCOMPARE(panel->queuedIds(), QList<int>({ a, c, b }));
        QTRY_COMPARE(w.worker()->queuedJobs().at(1).id, c);

        panel->list()->setCurrentRow(0);
        panel->findChild<QAbstractButton*>("queueRemoveButton")->click();
        QTRY_COMPARE(w.worker()->queuedJobs().size(), 2);
        QCOMPARE(panel->queuedIds(), QList<int>({ c, b }));

        QSignalSpy finished(w.worker(), &qd::InferenceWorker::finished);
        panel->findChild<QAbstractButton*>("queuePauseButton")->click(); // resume
        QVERIFY(!w.worker()->isPaused());
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 2, 60000);
        QCOMPARE(finished.at(0).first().value<qd::GenerationResult>().jobId, c); // the new order ran
    }

    void sessionFromPromptToExportedJpeg()
    {
        // The whole loop a user goes through: prompt, sampler and steps, Generate, the preview and
        // filmstrip fill, the image appears in the gallery, its parameters come back into a cleared
        // form, it is exported as JPEG and the parameters are read back from that file.
        qd::MainWindow w;
        w.resize(1400, 900);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QTest::keyClicks(w.promptEditor()->textEdit(), "a red fox in snow, (soft light:1.1)");
        QTest::keyClicks(w.negativePromptEditor()->textEdit(), "blurry");
        auto* sampler = w.findChild<QComboBox*>("samplerCombo");
        sampler->setCurrentIndex(sampler->findText("DPM++ 2M"));
        w.findChild<QSpinBox*>("stepsSpin")->setValue(5);
        w.findChild<QSpinBox*>("widthSpin")->setValue(64);
        w.findChild<QSpinBox*>("heightSpin")->setValue(96);
        w.findChild<QLineEdit*>("seedEdit")->setText("4242");
        qd::HistoryGallery* gallery = w.historyGallery();
        const int before = gallery->model()->rowCount();
        QSignalSpy previews(w.worker(), &qd::InferenceWorker::preview);
        QSignalSpy updated(&w, &qd::MainWindow::historyUpdated);
        QTest::mouseClick(w.findChild<QPushButton*>("generateButton"), Qt::LeftButton);
        QVERIFY(updated.wait(60000));
        QCOMPARE(previews.count(), 5);
        QCOMPARE(w.livePreview()->frameCount(), 6);
        // the row came in through the store the gallery watches (its inserted() signal)
        QTRY_COMPARE(gallery->model()->rowCount(), before + 1);

        // The gallery shows it first (newest first) with its parameters.
        w.tabs()->setCurrentWidget(gallery);
        gallery->selectRow(0);
        const QList<qd::HistoryRecord> sel = gallery->selectedRecords();
        QCOMPARE(sel.size(), 1);
        QCOMPARE(sel.first().params.prompt, std::string("a red fox in snow, (soft light:1.1)"));
        QCOMPARE(sel.first().params.seed, int64_t(4242));

        // Clear the form, then restore everything from the gallery (Return on the grid).
        w.restoreParams(qd::GenerationParams());
        QVERIFY(w.promptEditor()->text().isEmpty());
        gallery->view()->setFocus();
        QTest::keyClick(gallery->view(), Qt::Key_Return);
        QCOMPARE(w.tabs()->currentIndex(), 0);
        qd::GenerationParams p = w.currentParams();
        QCOMPARE(p.prompt, std::string("a red fox in snow, (soft light:1.1)"));
        QCOMPARE(p.negativePrompt, std::string("blurry"));
        QCOMPARE(p.sampler, std::string("DPM++ 2M"));
        QCOMPARE(p.steps, 5);
        QCOMPARE(p.width, 64);
        QCOMPARE(p.height, 96);
        QCOMPARE(p.seed, int64_t(4242));

        // Export as JPEG and read the parameters back from the file.
        const QString folder = QDir(qEnvironmentVariable("QDIFFUSION_HOME")).filePath("export");
        qd::ExportOptions o;
        o.format = qd::ImageFileFormat::Jpeg;
        o.quality = 90;
        o.folder = folder;
        o.pattern = "{seed}-{sampler}";
        QTimer::singleShot(0, &w, [&] { // dies with this test if the dialog never opens
            auto* dialog = qobject_cast<qd::ExportDialog*>(QApplication::activeModalWidget());
            QVERIFY(dialog);
            dialog->setOptions(o);
            dialog->findChild<QDialogButtonBox*>()->button(QDialogButtonBox::Ok)->click();
        });
        w.tabs()->setCurrentWidget(gallery);
        gallery->selectRow(0);
        gallery->exportSelected();
        const QString jpeg = folder + "/4242-DPM++ 2M.jpg";
        QVERIFY2(QFileInfo::exists(jpeg), qPrintable(jpeg));
        qd::ImageMetadata meta;
        QString error;
        QVERIFY2(qd::ImageMetadata::read(jpeg, &meta, &error), qPrintable(error));
        QCOMPARE(qd::imageFormatFromSuffix(jpeg), qd::ImageFileFormat::Jpeg);
        const qd::GenerationParams back = meta.params().params;
        QCOMPARE(back.prompt, std::string("a red fox in snow, (soft light:1.1)"));
        QCOMPARE(back.negativePrompt, std::string("blurry"));
        QCOMPARE(back.steps, 5);
        QCOMPARE(back.sampler, std::string("DPM++ 2M"));
        QCOMPARE(back.seed, int64_t(4242));
        QCOMPARE(QImage(jpeg).size(), QSize(64, 96));
    }

    void guiThreadStaysResponsiveWhileGenerating()
    {
        // A 5 ms timer on the GUI thread: how late does it fire while jobs run, previews arrive every
        // step and the gallery takes in the new images?
        qd::MainWindow w;
        w.resize(1400, 900);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        setSmallJob(w, 20);
        qd::GenerationParams p = w.parameterPanel()->params();
        p.width = 256;
        p.height = 256;
        p.batchCount = 2;
        w.parameterPanel()->setParams(p);
        QSignalSpy finished(w.worker(), &qd::InferenceWorker::finished);
        QElapsedTimer clock;
        qint64 last = 0, worst = 0;
        QTimer tick;
        tick.setInterval(5);
        QObject::connect(&tick, &QTimer::timeout, [&] {
            const qint64 now = clock.elapsed();
            worst = qMax(worst, now - last - 5);
            last = now;
        });
        w.generate();
        w.generate();
        clock.start();
        tick.start();
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 2, 120000);
        tick.stop();
        qInfo("GUI thread: longest stall while generating %lld ms over %lld ms", worst, clock.elapsed());
        // The goal is 50 ms; the bound leaves room for a loaded CI machine but catches real stalls
        // (a decode or a database scan on the GUI thread takes hundreds of ms).
        QVERIFY2(worst < 150, qPrintable(QString("stall of %1 ms").arg(worst)));
    }

    // An init image of another size than the form's W x H (e.g. one dropped on the window) is
    // stretched to W x H, as A1111's "Just resize" does, instead of failing the job.
    void initImageOfAnotherSizeIsResized()
    {
        qd::MainWindow w;
        const QString init = QDir(qEnvironmentVariable("QDIFFUSION_HOME")).filePath("init-80x48.png");
        QDir().mkpath(QFileInfo(init).path());
        QImage img(80, 48, QImage::Format_ARGB32);
        img.fill(QColor(30, 120, 200, 255));
        QVERIFY(img.save(init));
        setSmallJob(w, 3);
        qd::GenerationParams p = w.parameterPanel()->params();
        p.initImage = init.toStdString();
        p.denoisingStrength = 0.6;
        p.width = 64;
        p.height = 72;
        w.parameterPanel()->setParams(p);
        QCOMPARE(w.currentParams().initImage, init.toStdString());
        QSignalSpy finished(w.worker(), &qd::InferenceWorker::finished);
        QSignalSpy failed(w.worker(), &qd::InferenceWorker::failed);
        w.generate();
        QTRY_VERIFY_WITH_TIMEOUT(finished.count() + failed.count() > 0, 60000);
        QVERIFY2(failed.isEmpty(), qPrintable(failed.value(0).value(1).toString()));
        QTRY_COMPARE(w.livePreview()->canvas()->image().size(), QSize(64, 72));
    }

    // A LoRA in the Lora folder of a model folder added in the settings is found by the very next
    // job, on the checkpoint already loaded (the folders travel with each job, not the model).
    void loraFolderAddedInSettingsIsUsedByTheNextJob()
    {
        qd::MainWindow w;
        setSmallJob(w, 2);
        w.promptEditor()->setText("a lake <lora:tiny-sd1-lora:0.8>");
        QSignalSpy finished(w.worker(), &qd::InferenceWorker::finished);
        w.generate();
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 60000);
        const QStringList first = finished.at(0).first().value<qd::GenerationResult>().warnings;
        QCOMPARE(first.size(), 1); // not installed yet: made without it
        QVERIFY2(first.first().contains("tiny-sd1-lora"), qPrintable(first.first()));

        QTemporaryDir folder;
        QVERIFY(QDir(folder.path()).mkpath("Lora"));
        QVERIFY(QFile::copy(QD_TEST_DATA "/conformance/tiny-sd1-lora.safetensors",
            folder.filePath("Lora/tiny-sd1-lora.safetensors")));
        qd::Settings s = w.settings();
        s.modelFolders << folder.path();
        w.setSettings(s);
        w.generate();
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 2, 60000);
        const QStringList second = finished.at(1).first().value<qd::GenerationResult>().warnings;
        QVERIFY2(second.isEmpty(), qPrintable(second.join('\n')));
        const QString out = QDir(w.settings().effectiveOutputFolder())
                                .entryInfoList({ "*.png" }, QDir::Files, QDir::Time)
                                .first()
                                .filePath();
        qd::ImageMetadata meta;
        QVERIFY(qd::ImageMetadata::read(out, &meta));
        const qd::GenerationParams back = qd::parseInfotext(meta.infotext());
        QVERIFY2(back.extra.count("Lora hashes"), qPrintable(meta.infotext()));
        QCOMPARE(back.extra.at("Lora hashes"), std::string("tiny-sd1-lora: 41df0a42fc63"));
    }

    // A ControlNet unit in the panel guides the job: the image records the unit as sd-webui-controlnet
    // writes it, its map is kept beside it, and restoring the image brings the unit back with that map.
    void controlNetUnitGuidesTheJobAndComesBack()
    {
        QTemporaryDir folder;
        QProcess make; // a ControlNet for the demo model (the tiny fill-rule one)
        make.start(QCoreApplication::applicationDirPath() + "/qdiffusion-cli",
            { "make-checkpoint", "--arch", "controlnet-tiny", "--out",
                folder.filePath("ControlNet/control_tiny.safetensors") });
        QVERIFY(make.waitForFinished(120000) && make.exitCode() == 0);
        qd::MainWindow w;
        qd::Settings s = w.settings();
        s.modelFolders << folder.path();
        w.setSettings(s);
        setSmallJob(w, 2);
        w.promptEditor()->setText("a house");
        QImage square(64, 64, QImage::Format_RGB888);
        square.fill(Qt::black);
        QPainter(&square).fillRect(16, 16, 32, 32, Qt::white);
        qd::ControlUnitRequest unit;
        unit.image = square;
        unit.module = "canny";
        unit.model = "control_tiny";
        unit.processorRes = 64;
        w.controlNetPanel()->setUnits({ unit });
        QSignalSpy finished(w.worker(), &qd::InferenceWorker::finished);
        QSignalSpy failed(w.worker(), &qd::InferenceWorker::failed);
        w.generate();
        QTRY_VERIFY_WITH_TIMEOUT(finished.count() + failed.count() == 1, 60000);
        QVERIFY2(failed.isEmpty(), qPrintable(failed.value(0).value(1).toString()));
        const auto images = finished.at(0).first().value<qd::GenerationResult>().images;
        QVERIFY(!images.isEmpty() && !images[0].file.isEmpty());
        const QString out = images[0].file;
        qd::ImageMetadata meta;
        QVERIFY(qd::ImageMetadata::read(out, &meta));
        QVERIFY2(meta.infotext().contains("ControlNet 0: \"Module: canny, Model: control_tiny ["),
            qPrintable(meta.infotext()));
        const QImage map(qd::controlMapPath(out, 0));
        QCOMPARE(map.size(), QSize(64, 64));

        qd::MainWindow again;
        again.setSettings(s);
        QVERIFY(again.restoreFromImageFile(out));
        const QList<qd::ControlUnitRequest> back = again.controlNetPanel()->units();
        QVERIFY(!back.isEmpty() && back[0].enabled);
        QCOMPARE(back[0].module, QString("none")); // the kept map, used as it is
        QCOMPARE(
            back[0].image.convertToFormat(QImage::Format_RGB888), map.convertToFormat(QImage::Format_RGB888));
        QVERIFY(back[0].model.startsWith("control_tiny"));
    }

    // An A1111 image with a variation seed, seed resize, ENSD and the NV source: restoring it fills
    // the seed's "Extra" fields, and generating it gives the image the CLI makes from the same
    // fields (docs/reference.md §8).
    void restoredRandomSettingsRegenerateTheCliImage()
    {
        qd::MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        const QString infotext
            = "a red lighthouse on a cliff\nNegative prompt: blurry\n"
              "Steps: 4, Sampler: Euler a, Schedule type: Automatic, CFG scale: 7, Seed: 42, "
              "Size: 64x64, Variation seed: 1234, Variation seed strength: 0.3, "
              "Seed resize from: 96x64, ENSD: 31337, RNG: NV, Version: v1.10.1";
        const QString home = qEnvironmentVariable("QDIFFUSION_HOME");
        // pasted as text (Edit > Paste Generation Parameters); plain text is not taken for one
        QApplication::clipboard()->setText("just a prompt, no parameters");
        QVERIFY(!w.pasteParameters());
        QApplication::clipboard()->setText(infotext);
        QVERIFY(w.findChild<QAction*>("actionPasteParameters"));
        if (QApplication::clipboard()->text() == infotext) // the platform keeps a clipboard
            w.findChild<QAction*>("actionPasteParameters")->trigger();
        else
            QVERIFY(w.restoreFromText(infotext));
        QCOMPARE(w.promptEditor()->text(), QString("a red lighthouse on a cliff"));

        auto* extra = w.findChild<QCheckBox*>("seedExtraCheck");
        QVERIFY(extra && extra->isChecked());
        QVERIFY(w.findChild<QWidget*>("variationPanel")->isVisible());
        QCOMPARE(w.findChild<QLineEdit*>("subseedEdit")->text(), QString("1234"));
        QCOMPARE(w.findChild<QDoubleSpinBox*>("subseedStrengthSpin")->value(), 0.3);
        QCOMPARE(w.findChild<QSpinBox*>("seedResizeWidthSpin")->value(), 96);
        QCOMPARE(w.findChild<QSpinBox*>("seedResizeHeightSpin")->value(), 64);
        const qd::GenerationParams p = w.currentParams();
        QCOMPARE(p.rngSource, std::string("NV"));
        QCOMPARE(p.ensd, int64_t(31337));
        QCOMPARE(p.subseed, int64_t(1234));
        QCOMPARE(p.seedResizeFromW, 96);

        QSignalSpy finished(w.worker(), &qd::InferenceWorker::finished);
        QTest::keyClick(w.promptEditor()->textEdit(), Qt::Key_Return, Qt::ControlModifier);
        QVERIFY(finished.wait(60000));
        const auto result = finished.first().first().value<qd::GenerationResult>();
        QCOMPARE(result.images.size(), 1);
        const QString saved = result.images.first().infotext;
        for (const char* key :
            { "Variation seed: 1234", "Seed resize from: 96x64", "ENSD: 31337", "RNG: NV" })
            QVERIFY2(saved.contains(key), qPrintable(saved));

        QProcess cli;
        QTemporaryDir outDir;
        const QString out = outDir.path();
        cli.start(QCoreApplication::applicationDirPath() + "/qdiffusion-cli",
            { "generate", "--prompt", "a red lighthouse on a cliff", "--negative-prompt", "blurry",
                "--sampler", "Euler a", "--steps", "4", "--cfg-scale", "7", "--seed", "42", "--W", "64",
                "--H", "64", "--n_samples", "1", "--n_iter", "1", "--subseed", "1234", "--subseed-strength",
                "0.3", "--seed-resize-from", "96x64", "--ensd", "31337", "--rng", "nv", "--skip_grid",
                "--outdir", out });
        QVERIFY(cli.waitForFinished(120000));
        QVERIFY2(cli.exitCode() == 0, cli.readAllStandardError().constData());
        const QImage fromCli(out + "/samples/00000.png"), fromGui(result.images.first().file);
        QCOMPARE(fromCli.size(), QSize(64, 64));
        QCOMPARE(
            fromGui.convertToFormat(QImage::Format_RGB888), fromCli.convertToFormat(QImage::Format_RGB888));
    }

    void droppedImageRestoresItsParameters()
    {
        qd::MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        // An image as A1111 writes it (docs/reference.md §1).
        const QString infotext
            = "masterpiece, 1girl, (smile:1.1)\nNegative prompt: lowres, bad hands\n"
              "Steps: 28, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 6.5, Seed: 987654321, "
              "Size: 512x768, Model hash: 6ce0161689, Model: v1-5-pruned-emaonly, Clip skip: 2, Version: "
              "v1.10.1";
        qd::ImageMetadata meta;
        meta.setInfotext(infotext);
        const QString file = QDir(qEnvironmentVariable("QDIFFUSION_HOME")).filePath("a1111.png");
        QDir().mkpath(QFileInfo(file).path());
        QImage img(64, 96, QImage::Format_RGB888);
        img.fill(Qt::darkCyan);
        QString error;
        QVERIFY2(qd::ImageMetadata::save(img, file, meta, 95, &error), qPrintable(error));

        auto* mime = new QMimeData;
        mime->setUrls({ QUrl::fromLocalFile(file) });
        const QPoint pos = w.centralWidget()->geometry().center();
        QDragEnterEvent enter(pos, Qt::CopyAction, mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(&w, &enter);
        QVERIFY(enter.isAccepted());
        QDropEvent drop(QPointF(pos), Qt::CopyAction, mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(&w, &drop);
        delete mime;

        const qd::GenerationParams p = w.currentParams();
        QCOMPARE(p.prompt, std::string("masterpiece, 1girl, (smile:1.1)"));
        QCOMPARE(p.negativePrompt, std::string("lowres, bad hands"));
        QCOMPARE(p.steps, 28);
        QCOMPARE(p.sampler, std::string("DPM++ 2M"));
        QCOMPARE(p.scheduler, std::string("Karras"));
        QCOMPARE(p.cfgScale, 6.5);
        QCOMPARE(p.seed, int64_t(987654321));
        QCOMPARE(p.width, 512);
        QCOMPARE(p.height, 768);
        QCOMPARE(p.clipSkip, 2);
        // Undo in the prompt box brings the previous prompt back.
        w.promptEditor()->textEdit()->undo();
        QVERIFY(w.promptEditor()->text().isEmpty());

        // A ComfyUI image (its API graph in the "prompt" chunk) restores too.
        const QString comfy = QDir(qEnvironmentVariable("QDIFFUSION_HOME")).filePath("comfy.png");
        qd::ImageMetadata comfyMeta;
        comfyMeta.setText("prompt",
            "{\"3\": {\"class_type\": \"KSampler\", \"inputs\": {\"seed\": 77, \"steps\": 14, \"cfg\": 4.5,"
            " \"sampler_name\": \"euler_ancestral\", \"scheduler\": \"normal\", \"denoise\": 1, \"model\": "
            "[\"4\", 0],"
            " \"positive\": [\"6\", 0], \"negative\": [\"7\", 0], \"latent_image\": [\"5\", 0]}},"
            " \"4\": {\"class_type\": \"CheckpointLoaderSimple\", \"inputs\": {\"ckpt_name\": "
            "\"dreamshaper_8.safetensors\"}},"
            " \"5\": {\"class_type\": \"EmptyLatentImage\", \"inputs\": {\"width\": 640, \"height\": 448, "
            "\"batch_size\": 1}},"
            " \"6\": {\"class_type\": \"CLIPTextEncode\", \"inputs\": {\"text\": \"glass bottle on a "
            "beach\", \"clip\": [\"4\", 1]}},"
            " \"7\": {\"class_type\": \"CLIPTextEncode\", \"inputs\": {\"text\": \"text, watermark\", "
            "\"clip\": [\"4\", 1]}}}");
        QVERIFY(qd::ImageMetadata::save(img, comfy, comfyMeta, 95, &error));
        QVERIFY(w.restoreFromImageFile(comfy));
        const qd::GenerationParams c = w.currentParams();
        QCOMPARE(c.prompt, std::string("glass bottle on a beach"));
        QCOMPARE(c.negativePrompt, std::string("text, watermark"));
        QCOMPARE(c.steps, 14);
        QCOMPARE(c.sampler, std::string("Euler a"));
        QCOMPARE(c.seed, int64_t(77));
        QCOMPARE(c.width, 640);
        QCOMPARE(c.height, 448);

        // An image without parameters becomes the img2img init image instead.
        const QString plain = QDir(qEnvironmentVariable("QDIFFUSION_HOME")).filePath("plain.png");
        QVERIFY(img.save(plain));
        QVERIFY(!w.restoreFromImageFile(plain));
        auto* mime2 = new QMimeData;
        mime2->setUrls({ QUrl::fromLocalFile(plain) });
        QDragEnterEvent enter2(pos, Qt::CopyAction, mime2, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(&w, &enter2);
        QVERIFY(enter2.isAccepted());
        QDropEvent drop2(QPointF(pos), Qt::CopyAction, mime2, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(&w, &drop2);
        delete mime2;
        QVERIFY(w.findChild<QGroupBox*>("img2imgGroup")->isChecked());
        QCOMPARE(w.currentParams().initImage, plain.toStdString());
        QCOMPARE(w.currentParams().prompt, std::string("glass bottle on a beach")); // the form stays
    }
};

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
