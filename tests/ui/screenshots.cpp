// Grabs the main window, the gallery and the dialogs to PNG files, so that what the GUI looks like
// can be checked by eye in both languages:
//   qd_screenshots OUT_DIR [--lang zh_CN] [--jobs N] [--size 1600x1000] [--theme dark]
// With --jobs, N images are generated first (a mid-generation grab is taken on the way).
// Runs on any platform plugin (offscreen, xcb under Xvfb). Uses QDIFFUSION_HOME like the app.
#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDialog>
#include <QDir>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QFile>
#include <QLibraryInfo>
#include <QLineEdit>
#include <QLinearGradient>
#include <QListView>
#include <QPainter>
#include <QTabWidget>
#include <QTimer>
#include <QTranslator>

#include "../core/TestFiles.h"
#include "core/AppPaths.h"
#include "core/engine/Pipeline.h"
#include "ui/ControlNetPanel.h"
#include "ui/ControlUnitTab.h"
#include "ui/ExportDialog.h"
#include "ui/ExtraNetworksPanel.h"
#include "ui/HiresPanel.h"
#include "ui/HistoryGallery.h"
#include "ui/HistoryModel.h"
#include "ui/InpaintPanel.h"
#include "ui/LivePreview.h"
#include "ui/MainWindow.h"
#include "ui/MaskPainter.h"
#include "ui/ParameterPanel.h"
#include "ui/PromptEditor.h"
#include "ui/SettingsDialog.h"
#include "ui/Theme.h"
#include "ui/XyzPlotDialog.h"

namespace
{
const char* kPrompts[] = {
    "a lighthouse on a cliff at dawn, (oil painting:1.2), [blurry], dramatic sky, <lora:tiny-sd1-lora:0.6> "
    "BREAK warm light, seagulls",
    "portrait of a red fox in fresh snow, (soft light:1.1), bokeh",
    "a quiet city street at night, neon signs, rain, reflections",
    "watercolor mountains, mist, (pastel colors:1.3)",
    "still life with lemons and a blue jug, (chiaroscuro:1.2)",
    "a tiny robot reading a book in a library, warm light",
};
// What the trained demo model (docs/demo-model.md) draws: the default when QDIFFUSION_DEMO_MODEL is unset.
const char* kShapePrompts[] = {
    "a red circle on a blue background",
    "a large yellow star on the left, black background",
    "two green triangles at the top, white background",
    "a pink ring on a grey background",
    "a small blue square on an orange background",
    "a white cross in the centre, purple background",
};
} // namespace

int main(int argc, char* argv[])
{
    QApplication app(argc, argv);
    QApplication::setApplicationName("QDiffusion");
    QApplication::setApplicationVersion(QD_VERSION);
    const QStringList args = app.arguments();
    if (args.size() < 2) {
        qWarning("usage: qd_screenshots OUT_DIR [--lang zh_CN] [--jobs N] [--size WxH] [--theme dark]");
        return 2;
    }
    auto option = [&](const char* name) {
        const int at = int(args.indexOf(name));
        return at > 0 ? args.value(at + 1) : QString();
    };
    const QString out = args[1];
    QDir().mkpath(out);
    const QString lang = option("--lang");
    const QLocale locale = lang.isEmpty() ? QLocale(QLocale::English) : QLocale(lang);
    QLocale::setDefault(locale);
    QTranslator qt, ours;
    if (qt.load(locale, "qtbase", "_", QLibraryInfo::path(QLibraryInfo::TranslationsPath)))
        app.installTranslator(&qt);
    if (ours.load(locale, "qdiffusion", "_", ":/i18n"))
        app.installTranslator(&ours);
    const QString suffix = "-" + (lang.isEmpty() ? QString("en") : lang);
    QSize size(1600, 1000);
    if (!option("--size").isEmpty()) {
        const QStringList wh = option("--size").split('x');
        size = QSize(wh.value(0).toInt(), wh.value(1).toInt());
    }
    const int jobs = option("--jobs").toInt();
    // The first prompt names the conformance data's LoRA for the tiny SD1 model (the demo model):
    // put it in the models folder's Lora folder so the shots show a LoRA really applied.
    const QString lora = QStringLiteral(QD_SOURCE_DIR "/tests/data/conformance/tiny-sd1-lora.safetensors");
    QDir().mkpath(qd::AppPaths::modelsDir() + "/Lora");
    QFile::copy(lora, qd::AppPaths::modelsDir() + "/Lora/tiny-sd1-lora.safetensors");
    // ... with a preview card, and two embeddings (one for the demo model's text width, one not)
    {
        QImage preview(128, 128, QImage::Format_RGB888);
        QPainter painter(&preview);
        QLinearGradient g(0, 0, 128, 128);
        g.setColorAt(0, QColor(230, 140, 60));
        g.setColorAt(1, QColor(60, 60, 140));
        painter.fillRect(preview.rect(), g);
        painter.end();
        preview.save(qd::AppPaths::modelsDir() + "/Lora/tiny-sd1-lora.preview.png");
        qdtest::writeEmbedding(qd::AppPaths::modelsDir() + "/embeddings/glow-style.safetensors", 2, 128);
        qdtest::writeEmbedding(qd::AppPaths::modelsDir() + "/embeddings/sd15-negative.safetensors", 8, 768);
    }

    qd::MainWindow w;
    if (!option("--theme").isEmpty())
        qd::applyTheme(option("--theme"));
    w.resize(size);
    w.show();
    auto grab = [&](QWidget* widget, const QString& name) {
        QApplication::processEvents();
        const QString file = out + "/" + name + suffix + ".png";
        widget->grab().save(file);
        qInfo("%s", qPrintable(file));
    };
    const bool shapes = qd::demoModel() == qd::DemoModel::Shapes;
    auto setForm = [&](int i) {
        w.promptEditor()->setText(shapes ? kShapePrompts[i % 6] : kPrompts[i % 6]);
        w.negativePromptEditor()->setText(shapes ? "" : "lowres, (text:1.3), watermark");
        qd::GenerationParams p = w.parameterPanel()->params();
        p.sampler = i % 2 ? "Euler a" : "DPM++ 2M";
        p.scheduler = i % 2 ? "Automatic" : "Karras";
        // the demo model: small sizes keep a screenshot run under a minute on 2 cores (the shapes
        // model at the 128 px it was trained for)
        p.steps = shapes ? 20 : 16;
        p.width = shapes ? 128 : 256;
        p.height = shapes ? 128 : i % 3 == 1 ? 384 : 256;
        p.seed = 1234 + i * 1111;
        w.parameterPanel()->setParams(p);
    };
    auto finish = [&] {
        // the seed's "Extra" fields open, as after pasting an A1111 image with a variation seed
        qd::GenerationParams v = w.parameterPanel()->params();
        v.subseed = 77;
        v.subseedStrength = 0.25;
        w.parameterPanel()->setParams(v);
        grab(&w, "main");
        w.tabs()->setCurrentWidget(w.historyGallery());
        w.historyGallery()->selectRow(0);
        QTimer::singleShot(1500, &app, [&] { // thumbnails come from the thread pool
            grab(&w, "gallery");
            {
                qd::SettingsDialog settings(w.settings(), &w);
                settings.show();
                grab(&settings, "settings");
            }
            {
                // the inpainting box on its own: a picture with a painted mask
                qd::InpaintPanel inpaint;
                inpaint.setChecked(true);
                QImage picture(256, 256, QImage::Format_RGB888);
                QPainter painter(&picture);
                QLinearGradient sky(0, 0, 0, 256);
                sky.setColorAt(0, QColor(70, 120, 190));
                sky.setColorAt(1, QColor(240, 200, 150));
                painter.fillRect(picture.rect(), sky);
                painter.setBrush(QColor(40, 70, 50));
                painter.setPen(Qt::NoPen);
                painter.drawEllipse(QPoint(128, 300), 200, 110);
                painter.end();
                inpaint.painter()->setImage(picture);
                QImage mask(256, 256, QImage::Format_Grayscale8);
                mask.fill(0);
                for (int y = 60; y < 140; ++y)
                    for (int x = 150; x < 220; ++x)
                        if ((x - 185) * (x - 185) + (y - 100) * (y - 100) < 35 * 35)
                            mask.scanLine(y)[x] = 255;
                inpaint.painter()->setMask(mask);
                inpaint.resize(420, 620);
                inpaint.show();
                grab(&inpaint, "inpaint");
            }
            {
                // the hires fix controls on their own, a model upscaler chosen
                qd::HiresPanel hires;
                hires.setUpscalers({ "None", "Lanczos", "Nearest", "4x-UltraSharp", "RealESRGAN_x4plus" });
                hires.setSamplers(qd::ParameterPanel::defaultSamplers());
                hires.setSchedules(qd::ParameterPanel::defaultSchedules());
                qd::GenerationParams p;
                p.enableHr = true;
                p.hrUpscaler = "4x-UltraSharp";
                p.hrSteps = 12;
                p.hrScale = 2;
                p.denoisingStrength = 0.45;
                p.hrPrompt = "a lighthouse on a cliff at dawn, intricate details";
                hires.setFrom(p);
                hires.setBaseSize(512, 384);
                hires.resize(380, hires.sizeHint().height());
                hires.show();
                grab(&hires, "hires");
            }
            {
                // the ControlNet panel on its own: unit 0 on, a drawn picture beside its canny map
                qd::ControlNetPanel controlNet;
                QImage picture(384, 256, QImage::Format_RGB888);
                QPainter painter(&picture);
                QLinearGradient sky(0, 0, 0, 256);
                sky.setColorAt(0, QColor(90, 150, 220));
                sky.setColorAt(1, QColor(250, 220, 170));
                painter.fillRect(picture.rect(), sky);
                painter.setPen(Qt::NoPen);
                painter.setBrush(QColor(250, 210, 80));
                painter.drawEllipse(QPoint(310, 60), 28, 28);
                painter.setBrush(QColor(60, 110, 60));
                painter.drawRect(0, 200, 384, 56);
                painter.setBrush(QColor(200, 80, 60));
                painter.drawPolygon(QPolygon({ QPoint(80, 120), QPoint(160, 60), QPoint(240, 120) }));
                painter.setBrush(QColor(235, 225, 200));
                painter.drawRect(95, 120, 130, 90);
                painter.setBrush(QColor(70, 50, 40));
                painter.drawRect(145, 155, 30, 55);
                painter.setBrush(QColor(120, 170, 220));
                painter.drawRect(110, 135, 25, 25);
                painter.drawRect(185, 135, 25, 25);
                painter.end();
                qd::ControlUnitRequest unit;
                unit.image = picture;
                unit.module = "canny";
                unit.model = "control_v11p_sd15_canny [d14c016b]";
                unit.pixelPerfect = true;
                controlNet.setGenerationSize(768, 512);
                controlNet.setUnits({ unit });
                controlNet.unitTab(0)->findChild<QCheckBox*>("controlAllowPreview")->setChecked(true);
                controlNet.resize(440, 790);
                controlNet.show();
                QElapsedTimer waited; // the map is made on the pool
                waited.start();
                while (controlNet.previewMap(0).isNull() && waited.elapsed() < 10000)
                    QApplication::processEvents(QEventLoop::AllEvents, 50);
                grab(&controlNet, "controlnet");
            }
            // the extra networks browser, raised in its dock
            if (auto* networks = w.findChild<qd::ExtraNetworksPanel*>()) {
                auto* dock = qobject_cast<QDockWidget*>(networks->parentWidget());
                if (dock) {
                    dock->raise();
                    w.resizeDocks({ dock }, { 400 }, Qt::Horizontal);
                }
                networks->refresh();
                QApplication::processEvents();
                grab(&w, "networks");
            }
            const auto recs = w.historyGallery()->selectedRecords();
            if (!recs.isEmpty()) {
                qd::ExportDialog exportDialog(recs, &w);
                exportDialog.show();
                grab(&exportDialog, "export");
            }
            // the X/Y/Z plot dialog, two axes filled in
            w.findChild<QAction*>("actionXyzPlot")->trigger();
            if (auto* xyz = w.findChild<qd::XyzPlotDialog*>()) {
                xyz->typeBox(0)->setCurrentText("Steps");
                xyz->valuesEdit(0)->setText("10-30 (+10)");
                xyz->typeBox(1)->setCurrentText("CFG Scale");
                xyz->valuesEdit(1)->setText("5, 7");
                grab(xyz, "xyz");
                xyz->close();
            }
            w.tabs()->setCurrentIndex(0);
            app.quit();
        });
    };
    QTimer::singleShot(300, &w, [&] {
        setForm(0);
        if (jobs <= 0) {
            finish();
            return;
        }
        for (int i = jobs - 1; i >= 0; --i) {
            setForm(i);
            w.generate();
        }
        // Grab when the last job (the form on screen) is about two thirds done.
        QObject::connect(w.worker(), &qd::InferenceWorker::progress, &w, [&](int id, int step, int total) {
            if (id == jobs && step == total * 2 / 3)
                grab(&w, "generating");
        });
        QObject::connect(
            w.worker(), &qd::InferenceWorker::idle, &app, [&] { QTimer::singleShot(300, &app, finish); });
    });
    return app.exec();
}
