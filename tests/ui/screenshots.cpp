// Grabs the main window (and, when asked, the window mid-generation) to PNG files, so that what the
// GUI looks like can be checked by eye in both languages:
//   qd_screenshots OUT_DIR [--lang zh_CN] [--generate] [--size 1600x1000]
// Runs on any platform plugin (offscreen, xcb under Xvfb).
#include <QApplication>
#include <QDir>
#include <QLibraryInfo>
#include <QTabWidget>
#include <QTimer>
#include <QTranslator>

#include "LivePreview.h"
#include "MainWindow.h"
#include "ParameterPanel.h"
#include "PromptEditor.h"

int main(int argc, char* argv[])
{
    QApplication app(argc, argv);
    QApplication::setApplicationName("QDiffusion");
    QApplication::setApplicationVersion(QD_VERSION);
    const QStringList args = app.arguments();
    if (args.size() < 2) {
        qWarning("usage: qd_screenshots OUT_DIR [--lang zh_CN] [--generate] [--size WxH]");
        return 2;
    }
    const QString out = args[1];
    QDir().mkpath(out);
    const int langAt = int(args.indexOf("--lang"));
    const QLocale locale = langAt > 0 ? QLocale(args.value(langAt + 1)) : QLocale(QLocale::English);
    QTranslator qt, ours;
    if (qt.load(locale, "qtbase", "_", QLibraryInfo::path(QLibraryInfo::TranslationsPath)))
        app.installTranslator(&qt);
    if (ours.load(locale, "qdiffusion", "_", ":/i18n"))
        app.installTranslator(&ours);
    const QString suffix = langAt > 0 ? "_" + args.value(langAt + 1) : QString("_en");
    QSize size(1600, 1000);
    const int sizeAt = int(args.indexOf("--size"));
    if (sizeAt > 0) {
        const QStringList wh = args.value(sizeAt + 1).split('x');
        size = QSize(wh.value(0).toInt(), wh.value(1).toInt());
    }

    qd::MainWindow w;
    w.resize(size);
    w.show();
    auto grab = [&](const QString& name) {
        QApplication::processEvents();
        w.grab().save(out + "/" + name + suffix + ".png");
        qInfo("%s", qPrintable(out + "/" + name + suffix + ".png"));
    };
    w.promptEditor()->setText("a lighthouse on a cliff at dawn, (oil painting:1.2), [blurry], dramatic sky, "
                              "<lora:film_grain:0.6> BREAK warm light, seagulls");
    w.negativePromptEditor()->setText("lowres, (text:1.3), watermark");
    qd::GenerationParams p = w.parameterPanel()->params();
    p.sampler = "DPM++ 2M";
    p.scheduler = "Karras";
    p.steps = 24;
    p.width = 512;
    p.height = 512;
    p.seed = 1234;
    w.parameterPanel()->setParams(p);
    QTimer::singleShot(300, &w, [&] {
        grab("main");
        for (int i = 1; i < w.tabs()->count(); ++i) {
            w.tabs()->setCurrentIndex(i);
            grab(w.tabs()->widget(i)->objectName());
        }
        w.tabs()->setCurrentIndex(0);
        if (!args.contains("--generate")) {
            app.quit();
            return;
        }
        w.generate();
        // Grab when the job is about two thirds done.
        QObject::connect(w.worker(), &qd::InferenceWorker::progress, &w,
                         [&](int, int step, int total) {
                             if (step == total * 2 / 3) {
                                 grab("generating");
                             }
                         });
        QObject::connect(w.worker(), &qd::InferenceWorker::idle, &app, [&] {
            QTimer::singleShot(200, &app, [&] {
                grab("finished");
                app.quit();
            });
        });
    });
    return app.exec();
}
