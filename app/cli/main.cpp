#include <iostream>
#include <vector>

#include "Commands.h"
#include "core/engine/EngineInfo.h"

#ifdef QD_WITH_QT
#include <QCoreApplication>
#endif

int main(int argc, char** argv)
{
    qd::ensurePassiveOpenMpWait(argv);
#ifdef QD_WITH_QT
    // The studio's per-user folders (core/AppPaths.cpp: QStandardPaths under these names), so that
    // `serve` and `generate` see the same library, history, styles and settings as the GUI.
    QCoreApplication::setOrganizationName("QDiffusion");
    QCoreApplication::setApplicationName("QDiffusion");
#endif
    CLI::App app { "qdiffusion-cli: Stable Diffusion from the command line (QDiffusion " + qd::engineVersion()
            + ")",
        "qdiffusion-cli" };
    app.require_subcommand(0, 1);
    bool showVersion = false;
    app.add_flag("--version", showVersion, "Print the version and exit");

    std::vector<qd::cli::Command> commands;

    CLI::App* version
        = app.add_subcommand("version", "Print versions of QDiffusion, LibTorch and the devices found");
    commands.push_back({ version, [] {
                            qd::configureThreads();
                            std::cout << "QDiffusion " << qd::engineVersion() << "\nLibTorch "
                                      << qd::torchVersion() << "\nDevice " << qd::deviceSummary() << "\n";
                            return 0;
                        } });

#ifdef QD_WITH_QT
    commands.push_back(qd::cli::addGenerate(app));
    commands.push_back(qd::cli::addServe(app));
    commands.push_back(qd::cli::addPreprocess(app));
    commands.push_back(qd::cli::addUpscale(app));
#endif
    commands.push_back(qd::cli::addTokenizeCommand(app));
    commands.push_back(qd::cli::addConformance(app));
    commands.push_back(qd::cli::addRngCheck(app));
    commands.push_back(qd::cli::addBench(app));
    commands.push_back(qd::cli::addMakeCheckpointCommand(app));
    commands.push_back(qd::cli::addInspectCommand(app));
    commands.push_back(qd::cli::addBenchLoadCommand(app));
#ifdef QD_WITH_DEMO_TRAIN
    commands.push_back(qd::cli::addTrainDemoCommand(app));
#endif

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int rc = app.exit(e);
        return rc == 0 ? 0 : 2;
    }
    if (showVersion) {
        std::cout << "qdiffusion-cli " << qd::engineVersion() << " (LibTorch " << qd::torchVersion() << ")\n";
        return 0;
    }
    for (const auto& c : commands) {
        if (c.sub->parsed())
            return c.run();
    }
    std::cout << app.help();
    return 0;
}
