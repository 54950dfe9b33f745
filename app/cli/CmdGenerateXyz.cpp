#include "CmdGenerateXyz.h"

#include <iostream>
#include <memory>

#include <QDir>
#include <QFileInfo>
#include <QGuiApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include "CliCommon.h"
#include "core/engine/EngineError.h"
#include "core/engine/Pipeline.h"
#include "core/generation/EngineImage.h"
#include "core/generation/ImageSaver.h"
#include "core/generation/XyzGrid.h"
#include "core/generation/XyzPlot.h"
#include "core/metadata/ImageMetadata.h"
#include "core/metadata/Infotext.h"

namespace qd::cli
{

int runXyzPlot(const XyzCliOptions& o, const JobRequest& base, const Settings& settings,
    const std::vector<std::string>& loraDirs, const std::string& outdirText, bool json)
{
    // The grid's labels need fonts, hence a GUI application (offscreen: no display needed)
    std::unique_ptr<QGuiApplication> app;
    if (!QCoreApplication::instance()) {
        if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
            qputenv("QT_QPA_PLATFORM", "offscreen");
        static int argc = 1;
        static char name[] = "qdiffusion-cli";
        static char* argv[] = { name, nullptr };
        app = std::make_unique<QGuiApplication>(argc, argv);
    }

    XyzAxis axes[3];
    const std::string* specs[3] = { &o.x, &o.y, &o.z };
    const char* flags[3] = { "--xyz-x", "--xyz-y", "--xyz-z" };
    QString error;
    for (int a = 0; a < 3; ++a)
        if (!specs[a]->empty() && !parseXyzAxisSpec(QString::fromStdString(*specs[a]), &axes[a], &error))
            return badInput(std::string(flags[a]) + ": " + error.toStdString());
    XyzPlan plan;
    const bool img2img = !base.params.initImage.empty();
    if (!planXyz(base, axes[0], axes[1], axes[2], img2img, &plan, &error, nullptr, o.keepRandomSeeds))
        return badInput(error.toStdString());

    // every cell's job first: a bad value stops the plot before anything runs
    const JobBuilder builder(settings, nullptr);
    std::vector<GenerationJob> jobs;
    std::vector<GenerationInputs> inputs;
    int totalSteps = 0;
    for (const XyzCell& cell : plan.cells) {
        std::optional<GenerationJob> job = builder.build(cell.request, &error);
        if (!job)
            return badInput("X/Y/Z plot: " + error.toStdString());
        job->assets.loraDirs.insert(job->assets.loraDirs.begin(), loraDirs.begin(), loraDirs.end());
        try {
            inputs.push_back(prepareInputs(*job, job->isDemo() ? nativeSize(ModelFamily::SD1, true) : 512));
            validateParams(job->params);
        } catch (const EngineError& e) {
            return badInput(e.what());
        }
        const GenerationParams& p = job->params;
        totalSteps += (p.steps + (p.enableHr ? (p.hrSteps > 0 ? p.hrSteps : p.steps) : 0)) * p.batchCount;
        jobs.push_back(std::move(*job));
    }
    std::cerr << "X/Y/Z plot will create " << jobs.size() << " images on " << plan.count(2) << " "
              << plan.count(0) << "x" << plan.count(1) << " grid" << (plan.count(2) > 1 ? "s" : "") << ".\n";

    const QString samplesDir = QString::fromStdString(outdirText) + "/samples";
    if (!QDir().mkpath(samplesDir)) {
        std::cerr << "error: cannot create the output folder '" << samplesDir.toStdString() << "'\n";
        return 1;
    }
    int baseCount = ImageSaver::nextSequenceNumber(samplesDir);
    std::unique_ptr<Pipeline> pipeline;
    ModelSpec loaded;
    QList<QImage> cells(int(jobs.size()));
    std::vector<GenerationParams> used(jobs.size());
    QJsonArray written;
    ProgressBar bar(totalSteps);
    for (size_t i = 0; i < jobs.size(); ++i) {
        const GenerationJob& job = jobs[i];
        const XyzCell& cell = plan.cells[i];
        try {
            if (!pipeline || !(job.model == loaded)) {
                pipeline.reset(); // one model in memory at a time
                pipeline = Pipeline::open(job.model);
                loaded = job.model;
            }
            const std::vector<GeneratedImage> images = pipeline->generate(
                job.params, inputs[i], job.preview, [&](const StepUpdate&) { bar.step(); }, nullptr);
            if (images.empty())
                continue;
            const GeneratedImage& g = images.front(); // A1111 keeps a cell's first image
            const QImage img = toQImage(g.image);
            const int index = plan.cellIndex(cell.ix, cell.iy, cell.iz);
            cells[index] = img;
            used[index] = g.params;
            const QString infotext = toInfotext(g.params, QString("QDiffusion ") + QD_VERSION);
            const QString file = QString("%1/%2.png").arg(samplesDir).arg(baseCount++, 5, 10, QChar('0'));
            ImageMetadata meta;
            meta.setInfotext(infotext);
            if (!ImageMetadata::save(img, file, meta, 95, &error)) {
                std::cerr << "error: " << error.toStdString() << "\n";
                return 1;
            }
            written.push_back(QJsonObject { { "file", QFileInfo(file).absoluteFilePath() },
                { "seed", qint64(g.params.seed) }, { "x", cell.ix }, { "y", cell.iy }, { "z", cell.iz },
                { "infotext", infotext } });
        } catch (const std::exception& e) { // A1111 leaves the cell empty and goes on
            bar.finish();
            std::cerr << "warning: X/Y/Z plot cell " << i + 1 << ": " << e.what() << "\n";
        }
    }
    bar.finish();
    const XyzGrids grids = composeXyzGrids(plan, cells);
    if (grids.combined.isNull()) {
        std::cerr << "error: no cell of the X/Y/Z plot was made\n";
        return 1;
    }
    const QString gridFile
        = saveXyzGrid(grids.combined, xyzGridInfotext(plan, used[0], true), samplesDir, &error);
    if (gridFile.isEmpty()) {
        std::cerr << "error: " << error.toStdString() << "\n";
        return 1;
    }
    if (json) {
        const QJsonObject out { { "images", written }, { "grid", QFileInfo(gridFile).absoluteFilePath() },
            { "grid_width", grids.combined.width() }, { "grid_height", grids.combined.height() },
            { "seconds", bar.elapsedSeconds() } };
        std::cout << QJsonDocument(out).toJson(QJsonDocument::Indented).toStdString();
    } else {
        std::cerr << "X/Y/Z grid: " << QFileInfo(gridFile).absoluteFilePath().toStdString() << "\n";
    }
    return 0;
}

} // namespace qd::cli
