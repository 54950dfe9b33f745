#include <QApplication>
#include <QCommandLineParser>
#include <QLibraryInfo>
#include <QLocale>
#include <QTranslator>

#include "EngineInfo.h"
#include "MainWindow.h"

int main(int argc, char* argv[])
{
    qd::ensurePassiveOpenMpWait(argv);
    QApplication app(argc, argv);
    QApplication::setApplicationName("QDiffusion");
    QApplication::setOrganizationName("QDiffusion");
    QApplication::setApplicationVersion(QD_VERSION);

    QCommandLineParser parser;
    parser.setApplicationDescription(QApplication::translate("main", "Native desktop studio for Stable Diffusion"));
    parser.addHelpOption();
    parser.addVersionOption();
    QCommandLineOption langOption("lang", QApplication::translate("main", "User interface language, e.g. zh_CN."), "locale");
    parser.addOption(langOption);
    parser.process(app);

    const QLocale locale = parser.isSet(langOption) ? QLocale(parser.value(langOption)) : QLocale::system();
    QTranslator qtTranslator, appTranslator;
    if (qtTranslator.load(locale, "qtbase", "_", QLibraryInfo::path(QLibraryInfo::TranslationsPath)))
        app.installTranslator(&qtTranslator);
    if (appTranslator.load(locale, "qdiffusion", "_", ":/i18n"))
        app.installTranslator(&appTranslator);

    qd::MainWindow window;
    window.show();
    return app.exec();
}
