// preprocess: a ControlNet preprocessor on image files, writing the maps the GUI shows
//   qdiffusion-cli preprocess INPUT... --module canny [--resolution 512] [--threshold-a 100]
//       [--threshold-b 200] [--mask FILE] [--seed N] [--annotators DIR] [--outdir DIR] [--list]
#include <cmath>
#include <iostream>
#include <limits>

#include <QDir>
#include <QFileInfo>
#include <QImage>
#include <QImageReader>

#include "Commands.h"
#include "core/generation/ControlPreprocessors.h"

namespace qd::cli
{

namespace
{

struct Options {
    std::vector<std::string> inputs;
    std::string module = "canny";
    int resolution = 512;
    double a = std::numeric_limits<double>::quiet_NaN();
    double b = std::numeric_limits<double>::quiet_NaN();
    std::string mask, annotators, outdir = ".";
    uint64_t seed = 0;
    bool list = false;
};

void printList(const QString& annotators)
{
    for (const ControlPreprocessor* p : controlPreprocessors()) {
        std::cout << p->name().toStdString();
        for (const PreprocessorSlider& s : p->sliders())
            std::cout << "  [" << s.label.toStdString() << " " << s.minimum << ".." << s.maximum
                      << ", default " << s.value << "]";
        const QString why = p->unavailableReason(annotators);
        if (!why.isEmpty())
            std::cout << "  (unavailable: " << why.toStdString() << ")";
        std::cout << "\n";
    }
}

int run(const Options& o)
{
    const QString annotators = QString::fromStdString(o.annotators);
    if (o.list) {
        printList(annotators);
        return 0;
    }
    if (o.inputs.empty()) {
        std::cerr << "preprocess: no input image (give one or more files, or --list)\n";
        return 2;
    }
    PreprocessOptions options;
    options.resolution = o.resolution;
    options.a = o.a;
    options.b = o.b;
    options.seed = o.seed;
    if (!o.mask.empty()) {
        QImageReader reader(QString::fromStdString(o.mask));
        options.mask = reader.read();
        if (options.mask.isNull()) {
            std::cerr << "preprocess: cannot read the mask " << o.mask << ": "
                      << reader.errorString().toStdString() << "\n";
            return 2;
        }
    }
    const QDir out(QString::fromStdString(o.outdir));
    if (!QDir().mkpath(out.path())) {
        std::cerr << "preprocess: cannot create the output folder " << o.outdir << "\n";
        return 1;
    }
    for (const std::string& input : o.inputs) {
        QImageReader reader(QString::fromStdString(input));
        reader.setAutoTransform(true);
        const QImage image = reader.read();
        if (image.isNull()) {
            std::cerr << "preprocess: cannot read " << input << ": " << reader.errorString().toStdString()
                      << "\n";
            return 2;
        }
        QString error;
        const QImage map
            = preprocessControlImage(QString::fromStdString(o.module), image, options, annotators, &error);
        if (map.isNull()) {
            std::cerr << "preprocess: " << input << ": " << error.toStdString() << "\n";
            return 2;
        }
        const QString name = QFileInfo(QString::fromStdString(input)).completeBaseName() + QLatin1Char('-')
            + findControlPreprocessor(QString::fromStdString(o.module))->name() + QStringLiteral(".png");
        const QString file = out.filePath(name);
        if (!map.save(file, "PNG")) {
            std::cerr << "preprocess: cannot write " << file.toStdString() << "\n";
            return 1;
        }
        std::cout << file.toStdString() << " (" << map.width() << "x" << map.height() << ")\n";
    }
    return 0;
}

} // namespace

Command addPreprocess(CLI::App& app)
{
    auto o = std::make_shared<Options>();
    CLI::App* sub = app.add_subcommand("preprocess",
        "Run a ControlNet preprocessor (canny, scribble_xdog, lineart_standard, ...) on images");
    sub->add_option("inputs", o->inputs, "Image files");
    sub->add_option("--module", o->module, "Preprocessor, as sd-webui-controlnet names it (see --list)");
    sub->add_option("--resolution", o->resolution, "Processor resolution: the map's shorter side")
        ->check(CLI::Range(64, 8192));
    sub->add_option("--threshold-a", o->a, "The first slider (e.g. canny's low threshold)");
    sub->add_option("--threshold-b", o->b, "The second slider (e.g. canny's high threshold)");
    sub->add_option("--mask", o->mask, "Mask image for inpaint (white = repaint)");
    sub->add_option("--seed", o->seed, "Seed of shuffle's random flow");
    sub->add_option("--annotators", o->annotators, "Folder of annotator network weights");
    sub->add_option("--outdir", o->outdir, "Where the maps go (INPUT-MODULE.png)");
    sub->add_flag("--list", o->list, "List the preprocessors, their sliders and availability");
    return { sub, [o] { return run(*o); } };
}

} // namespace qd::cli
