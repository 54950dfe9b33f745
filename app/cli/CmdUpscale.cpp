// qdiffusion-cli upscale: AUTOMATIC1111's Extras upscale (core/generation/Extras.h) on image files.
// Writes OUTDIR/NNNNN-NAME.png, each carrying its source's metadata and the postprocessing keys.
#include <cmath>
#include <iostream>

#include <QDir>
#include <QFileInfo>
#include <QImageReader>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include "CliCommon.h"
#include "Commands.h"
#include "core/Settings.h"
#include "core/generation/Extras.h"
#include "core/generation/ImageSaver.h"
#include "core/generation/JobBuilder.h"
#include "core/generation/Upscalers.h"
#include "core/metadata/ImageMetadata.h"

namespace qd::cli
{

namespace
{

struct UpscaleOptions {
    std::vector<std::string> inputs;
    std::string upscaler = "Lanczos", upscaler2 = "None", outdir = "outputs/extras-images", device = "cpu";
    double scale = NAN, visibility = NAN;
    int width = 0, height = 0;
    bool crop = false, json = false, list = false;
    std::vector<std::string> modelDirs, upscalerDirs;
};

struct Input {
    QString path;
    QImage image;
    ImageMetadata meta;
};

int run(const UpscaleOptions& o)
{
    // ---- where upscaler files are: --upscaler-dir first, then ESRGAN / RealESRGAN of --models ----
    Settings settings;
    for (const std::string& d : o.modelDirs)
        settings.modelFolders << QString::fromStdString(d);
    settings.device = QString::fromStdString(o.device);
    std::vector<std::string> dirs = o.upscalerDirs;
    for (const std::string& d : JobBuilder(settings, nullptr).upscalerDirs())
        dirs.push_back(d);
    if (o.list) {
        for (const UpscalerEntry& e : listUpscalers(dirs))
            std::cout << e.name.toStdString()
                      << (e.path.isEmpty()
                                 ? ""
                                 : "  (x" + std::to_string(e.scale) + ", " + e.path.toStdString() + ")")
                      << "\n";
        return 0;
    }
    if (o.inputs.empty())
        return badInput("no input image (qdiffusion-cli upscale INPUT... ; --list shows the upscalers)");

    // ---- the options, as the Upscale script takes them --------------------------------------------
    ExtrasOptions opts;
    opts.upscaler = QString::fromStdString(o.upscaler);
    opts.upscaler2 = QString::fromStdString(o.upscaler2);
    const bool sizeGiven = o.width > 0 || o.height > 0;
    if (sizeGiven && !std::isnan(o.scale))
        return badInput("give either --scale or --width and --height, not both");
    if (sizeGiven && (o.width <= 0 || o.height <= 0))
        return badInput("--width and --height go together, both more than 0");
    if (o.crop && !sizeGiven)
        return badInput("--crop needs --width and --height (it cuts the image to that size)");
    if (!std::isnan(o.visibility) && o.upscaler2 == "None")
        return badInput("--upscaler2-visibility needs --upscaler2 NAME");
    opts.scaleTo = sizeGiven;
    opts.scale = std::isnan(o.scale) ? 2.0 : o.scale;
    opts.width = sizeGiven ? o.width : opts.width;
    opts.height = sizeGiven ? o.height : opts.height;
    opts.crop = o.crop;
    // a second upscaler without a visibility is blended half and half
    opts.upscaler2Visibility = std::isnan(o.visibility) ? (o.upscaler2 == "None" ? 0.0 : 0.5) : o.visibility;
    QString error;
    if (!checkExtrasOptions(opts, &error))
        return badInput(error.toStdString());
    if (opts.upscaler == QLatin1String("None"))
        return badInput(
            "--upscaler None would leave the images as they are; choose Lanczos, Nearest or a model");

    // ---- every input read before anything is written ---------------------------------------------
    QList<Input> inputs;
    for (const std::string& in : o.inputs) {
        Input input;
        input.path = QString::fromStdString(in);
        QImageReader reader(input.path);
        input.image = reader.read();
        if (input.image.isNull())
            return badInput("cannot read the image '" + in + "': " + reader.errorString().toStdString());
        ImageMetadata::read(input.path, &input.meta); // a format without metadata: none to keep
        inputs.append(input);
    }

    ExtrasUpscaler upscaler;
    if (!upscaler.prepare(opts, dirs, JobBuilder(settings, nullptr).deviceAndDtype().first, &error))
        return badInput(error.toStdString());

    // ---- each image, written as it is done --------------------------------------------------------
    ImageSaver::Options saveOptions;
    saveOptions.format = ImageFileFormat::Png;
    saveOptions.addToHistory = false; // as generate: the CLI adds no history rows
    const ImageSaver saver(saveOptions);
    const QString outdir = QString::fromStdString(o.outdir);
    QJsonArray written;
    for (const Input& in : inputs) {
        const ExtrasResult r = upscaler.run(in.image, in.meta, &error);
        if (r.image.isNull())
            return badInput(in.path.toStdString() + ": " + error.toStdString());
        const QString file = saver.saveWithMetadata(r.image, in.meta.params().params, r.fileMetadata(),
            QStringLiteral("-") + QFileInfo(in.path).completeBaseName(), outdir, &error);
        if (file.isEmpty()) {
            std::cerr << "error: " << error.toStdString() << "\n";
            return 1;
        }
        const QString absolute = QFileInfo(file).absoluteFilePath();
        written.append(QJsonObject { { "input", QFileInfo(in.path).absoluteFilePath() }, { "file", absolute },
            { "width", r.image.width() }, { "height", r.image.height() },
            { "postprocessing", r.postprocessing } });
        if (!o.json)
            std::cerr << in.path.toStdString() << " -> " << absolute.toStdString() << " (" << r.image.width()
                      << "x" << r.image.height() << ")\n";
    }
    if (o.json)
        std::cout << QJsonDocument(QJsonObject { { "images", written } })
                         .toJson(QJsonDocument::Indented)
                         .toStdString();
    return 0;
}

} // namespace

Command addUpscale(CLI::App& app)
{
    auto o = std::make_shared<UpscaleOptions>();
    CLI::App* sub = app.add_subcommand("upscale",
        "Upscale images as AUTOMATIC1111's Extras tab does (Lanczos, Nearest or an ESRGAN model), keeping "
        "their metadata");
    sub->add_option("inputs", o->inputs, "Image files (PNG, JPEG, WebP, ...)");
    sub->add_option("--upscaler", o->upscaler, "None, Lanczos, Nearest, or an ESRGAN-family model's name")
        ->capture_default_str();
    sub->add_option("--scale", o->scale, "Scale by this factor, up to 8 (default 2)");
    sub->add_option("--width", o->width, "Scale to this width (with --height)");
    sub->add_option("--height", o->height, "Scale to this height (with --width)");
    sub->add_flag("--crop", o->crop,
        "With --width/--height: cover that size and cut the middle (else keep the aspect, covering it)");
    sub->add_option("--upscaler2", o->upscaler2, "A second upscaler whose result is blended in")
        ->capture_default_str();
    sub->add_option("--upscaler2-visibility", o->visibility,
        "The second upscaler's share, 0 to 1 (default 0.5 with --upscaler2)");
    sub->add_option("--models", o->modelDirs,
           "A model folder (repeatable): its ESRGAN and RealESRGAN subfolders hold upscaler models")
        ->allow_extra_args(false); // one folder per flag: the images after it stay inputs
    sub->add_option("--upscaler-dir", o->upscalerDirs, "A folder of upscaler model files (repeatable)")
        ->allow_extra_args(false);
    sub->add_option("--outdir", o->outdir, "Output folder")->capture_default_str();
    sub->add_option("--device", o->device, "Where a model upscaler runs: cpu, cuda, cuda:N or auto")
        ->capture_default_str();
    sub->add_flag("--list", o->list, "List the upscalers found and exit");
    sub->add_flag("--json", o->json, "Print the files written as JSON on stdout");
    return { sub, [o] { return run(*o); } };
}

} // namespace qd::cli
