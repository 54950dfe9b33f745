#include <QApplication>
#include <QCommandLineParser>
#include <QIcon>
#include <QLibraryInfo>
#include <QLocale>
#include <QTimer>
#include <QTranslator>

#include <cstdio>

#include "core/Engine.h"
#include "core/Settings.h"
#include "ui/MainWindow.h"

int main(int argc, char* argv[])
{
    qd::ensurePassiveOpenMpWait(argv);
    // Fractional scale factors (125 %, 150 %) as the desktop asks, not rounded to whole numbers.
    QGuiApplication::setHighDpiScaleFactorRoundingPolicy(Qt::HighDpiScaleFactorRoundingPolicy::PassThrough);
    QApplication app(argc, argv);
    QApplication::setApplicationName("QDiffusion");
    QApplication::setOrganizationName("QDiffusion");
    QApplication::setApplicationVersion(QD_VERSION);
    QApplication::setDesktopFileName("qdiffusion");
    QApplication::setWindowIcon(QIcon::fromTheme("qdiffusion")); // the installed hicolor icon

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QApplication::translate("main", "Native desktop studio for Stable Diffusion"));
    parser.addHelpOption();
    parser.addVersionOption();
    QCommandLineOption langOption(
        "lang", QApplication::translate("main", "User interface language, e.g. zh_CN or en."), "locale");
    parser.addOption(langOption);
    QCommandLineOption generateOption("generate",
        QApplication::translate("main", "Queue a generation of the form as soon as the window opens."));
    parser.addOption(generateOption);
    QCommandLineOption batchCountOption("batch-count",
        QApplication::translate("main", "Batch count of the form (images made one after another)."), "n");
    parser.addOption(batchCountOption);
    parser.addPositionalArgument("image",
        QApplication::translate("main", "An image whose generation parameters to restore."), "[image...]");
    parser.process(app);

    // Language: --lang, else the settings file's `language`, else the system's.
    const qd::Settings settings = qd::Settings::load();
    QLocale locale = QLocale::system();
    if (parser.isSet(langOption))
        locale = QLocale(parser.value(langOption));
    else if (settings.language != QLatin1String("system") && !settings.language.isEmpty())
        locale = QLocale(settings.language);
    QLocale::setDefault(locale);
    QTranslator qtTranslator, appTranslator;
    if (qtTranslator.load(locale, "qtbase", "_", QLibraryInfo::path(QLibraryInfo::TranslationsPath)))
        app.installTranslator(&qtTranslator);
    if (appTranslator.load(locale, "qdiffusion", "_", ":/i18n"))
        app.installTranslator(&appTranslator);

    qd::MainWindow window;
    window.show();
    // "Open with QDiffusion" (installer/qdiffusion.desktop: Exec=qdiffusion %F): the first image's
    // parameters, restored as File > Open Image Parameters does; the status bar says when it has none.
    const QStringList images = parser.positionalArguments();
    if (!images.isEmpty())
        window.restoreFromImageFile(images.first());
    if (parser.isSet(batchCountOption)) {
        bool ok = false;
        const int count = parser.value(batchCountOption).toInt(&ok);
        if (!ok || count < 1 || count > 10000) {
            fprintf(stderr, "qdiffusion: --batch-count '%s' is not a number from 1 to 10000\n",
                qPrintable(parser.value(batchCountOption)));
            return 2;
        }
        qd::GenerationParams params = window.currentParams();
        params.batchCount = count;
        window.restoreParams(params);
    }
    // Scripts and launchers: `qdiffusion IMAGE --generate` makes that image's parameters again.
    if (parser.isSet(generateOption))
        QTimer::singleShot(0, &window, &qd::MainWindow::generate);
    return app.exec();
}
