// qdiffusion-cli generate: CompVis scripts/txt2img.py flags (docs/reference.md §5) plus modern ones.
// Writes OUTDIR/samples/NNNNN.png (+ OUTDIR/grid-NNNN.png) carrying the AUTOMATIC1111 infotext.
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include <QDir>
#include <QFileInfo>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPainter>

#include "CliCommon.h"
#include "CmdGenerateXyz.h"
#include "Commands.h"
#include "ControlNetFlags.h"
#include "InpaintFlags.h"
#include "core/AtomicFile.h"
#include "core/Settings.h"
#include "core/engine/Pipeline.h"
#include "core/generation/EngineImage.h"
#include "core/generation/Inpainting.h"
#include "core/generation/JobBuilder.h"
#include "core/generation/XyzPlot.h"
#include "core/metadata/ImageMetadata.h"
#include "core/metadata/Infotext.h"

namespace qd::cli
{

namespace
{

struct GenerateOptions {
    std::string prompt, negativePrompt, outdir = "outputs/txt2img-samples", fromFile, ckpt, config, vae;
    std::string sampler, scheduler = "Automatic", initImg, mask, device = "cpu", dtype = "fp32",
                         precision = "autocast";
    std::vector<std::string> loras, loraDirs; // --lora NAME_OR_PATH[:WEIGHT], --lora-dir DIR
    std::vector<std::string> embeddingDirs; // --embeddings-dir DIR
    int ddimSteps = 50, steps = 0, nIter = 0, nSamples = 0, nRows = 0, H = 0, W = 0, C = 4,
        f = 8; // 0: not given
    int batchSize = 0, clipSkip = 1;
    double scale = 7.5, cfgScale = NAN, ddimEta = 0.0, strength = 0.75;
    int64_t seed = 42;
    // A1111's random numbers (docs/reference.md §8); rng "" = the settings' source
    std::string rng, seedResizeFrom;
    int64_t subseed = -1, ensd = -1; // ensd -1: the settings'
    double subseedStrength = 0.0;
    // hires fix (A1111's enable_hr / hr_*)
    bool hires = false;
    double hrScale = 2.0;
    std::string hrUpscaler = "Latent", hrResize, hrSampler, hrScheduler, hrPrompt, hrNegativePrompt;
    int hrSteps = 0;
    bool stepsGiven = false, cfgGiven = false; // --steps / --cfg-scale override the CompVis flags
    std::string styles, stylesFile; // --styles "A,B" (CSV quoting for names with commas)
    XyzCliOptions xyz;
    InpaintFlags inpaint; // --mask-blur, --inpainting-fill, --inpaint-full-res, --outpaint, ...
    ControlNetFlags controlnet; // --controlnet, --control-image, ...
    bool plms = false, dpmSolver = false, fixedCode = false, skipGrid = false, skipSave = false, json = false;
};

// Number of files already in `dir`, as CompVis numbers its outputs (base_count = len(listdir)).
int countEntries(const QString& dir)
{
    return int(QDir(dir).entryList(QDir::Files | QDir::Dirs | QDir::NoDotAndDotDot).size());
}

QImage makeGrid(const QList<QImage>& images, int rows)
{
    const int n = int(images.size());
    const int nrow = rows > 0 ? rows : n; // CompVis: n_rows defaults to n_samples (images per row)
    const int cols = std::min(n, nrow);
    const int gridRows = (n + cols - 1) / cols;
    const int w = images[0].width(), h = images[0].height(), pad = 2;
    QImage grid(cols * (w + pad) + pad, gridRows * (h + pad) + pad, QImage::Format_RGB888);
    grid.fill(Qt::black);
    QPainter p(&grid);
    for (int i = 0; i < n; ++i)
        p.drawImage(pad + (i % cols) * (w + pad), pad + (i / cols) * (h + pad), images[i]);
    return grid;
}

// --lora NAME_OR_PATH[:WEIGHT] -> the `<lora:NAME:WEIGHT>` tag AUTOMATIC1111 would add to the prompt,
// and for a file path its folder (searched first). False when WEIGHT is not a number.
bool loraTag(const std::string& arg, std::string& tag, std::vector<std::string>& dirs)
{
    std::string name = arg, weight = "1";
    const size_t colon = arg.rfind(':');
    if (colon != std::string::npos) {
        const std::string w = arg.substr(colon + 1);
        char* end = nullptr;
        const double v = std::strtod(w.c_str(), &end);
        if (w.empty() || *end != '\0' || !std::isfinite(v))
            return false;
        name = arg.substr(0, colon);
        weight = w;
    }
    const QFileInfo file(QString::fromStdString(name));
    if (file.isFile()) {
        dirs.insert(dirs.begin(), file.absolutePath().toStdString());
        name = file.completeBaseName().toStdString();
    }
    tag = "<lora:" + name + ":" + weight + ">";
    return true;
}

// "512x768" -> 512, 768; false (w, h untouched) for anything else.
bool parseWxH(const std::string& text, int& w, int& h)
{
    const QStringList wh = QString::fromStdString(text).split('x');
    bool okW = false, okH = false;
    const int x = wh.size() == 2 ? wh[0].toInt(&okW) : 0, y = wh.size() == 2 ? wh[1].toInt(&okH) : 0;
    if (!okW || !okH)
        return false;
    w = x;
    h = y;
    return true;
}

int run(const GenerateOptions& o)
{
    // ---- parameters: CompVis flags, then the modern ones that override them -------------------
    GenerationParams p;
    p.prompt = o.prompt;
    p.negativePrompt = o.negativePrompt;
    p.sampler = !o.sampler.empty() ? o.sampler : o.plms ? "PLMS" : o.dpmSolver ? "DPM++ 2M" : "DDIM";
    p.scheduler = o.scheduler;
    p.steps = o.stepsGiven ? o.steps : o.ddimSteps;
    p.cfgScale = o.cfgGiven ? o.cfgScale : o.scale;
    p.seed = o.seed; // -1: prepareInputs() draws one, and the infotext records it
    // CompVis defaults (512 px, 2 batches of 3) unless given; the demo model gets 256 px and one
    // image, so that a first run finishes in seconds. With neither --W nor --H the size is settled
    // by prepareInputs(): the init image's, else the default square.
    const bool demo = o.ckpt.empty();
    const bool sizeGiven = o.W > 0 || o.H > 0;
    p.width = o.W > 0 ? o.W : sizeGiven ? 512 : 0;
    p.height = o.H > 0 ? o.H : sizeGiven ? 512 : 0;
    const bool small = demo && o.initImg.empty();
    p.batchSize = o.batchSize > 0 ? o.batchSize : o.nSamples > 0 ? o.nSamples : small ? 1 : 3;
    p.batchCount = o.nIter > 0 ? o.nIter : small ? 1 : 2;
    p.clipSkip = o.clipSkip;
    // CompVis' --ddim_eta is DDIM's; the other samplers keep their own default (Euler a: 1)
    p.eta = p.sampler == "DDIM" ? o.ddimEta : -1.0;
    p.denoisingStrength = o.strength;
    if (!o.rng.empty()) {
        const QString rng = QString::fromStdString(o.rng).toUpper();
        if (rng != "GPU" && rng != "CPU" && rng != "NV")
            return badInput("--rng must be cpu, gpu or nv, not '" + o.rng + "'");
        p.rngSource = rng.toStdString();
    }
    p.subseed = o.subseed;
    p.subseedStrength = o.subseedStrength;
    if (o.ensd >= 0)
        p.ensd = o.ensd;
    if (o.hires) {
        p.enableHr = true;
        p.hrScale = o.hrScale;
        p.hrUpscaler = o.hrUpscaler;
        p.hrSteps = o.hrSteps;
        p.hrSampler = o.hrSampler;
        p.hrScheduler = o.hrScheduler;
        p.hrPrompt = o.hrPrompt;
        p.hrNegativePrompt = o.hrNegativePrompt;
        if (!o.hrResize.empty()) {
            if (!parseWxH(o.hrResize, p.hrResizeX, p.hrResizeY) || p.hrResizeX < 0 || p.hrResizeY < 0)
                return badInput("--hr-resize must be WIDTHxHEIGHT (0 for one side keeps the aspect), not '"
                    + o.hrResize + "'");
        }
        if (!(o.hrScale >= 1.0 && o.hrScale <= 8.0))
            return badInput("--hr-scale must be from 1 to 8");
    }
    if (!o.seedResizeFrom.empty()) {
        if (!parseWxH(o.seedResizeFrom, p.seedResizeFromW, p.seedResizeFromH))
            return badInput(
                "--seed-resize-from must be WIDTHxHEIGHT (e.g. 512x512), not '" + o.seedResizeFrom + "'");
    }
    if (o.C != 4 || o.f != 8)
        return badInput("--C must be 4 and --f 8 (the latent layout of every Stable Diffusion checkpoint)");
    if (!(o.precision == "autocast" || o.precision == "full"))
        return badInput("--precision must be 'autocast' or 'full', not '" + o.precision + "'");

    std::vector<std::string> loraDirs = o.loraDirs;
    std::string loraTags;
    for (const std::string& l : o.loras) {
        std::string tag;
        if (!loraTag(l, tag, loraDirs))
            return badInput(
                "--lora '" + l + "': expected NAME_OR_PATH or NAME_OR_PATH:WEIGHT with a number as WEIGHT");
        loraTags += tag;
    }

    std::vector<std::string> prompts;
    if (!o.fromFile.empty()) {
        std::ifstream in(o.fromFile);
        if (!in)
            return badInput("--from-file: cannot read '" + o.fromFile + "'");
        for (std::string line; std::getline(in, line);)
            if (!line.empty())
                prompts.push_back(line);
        if (prompts.empty())
            return badInput("--from-file: '" + o.fromFile + "' has no prompts");
    } else {
        prompts.push_back(o.prompt);
    }
    for (std::string& prompt : prompts) // A1111 appends a default LoRA's tag the same way
        prompt += loraTags;
    p.prompt += loraTags;

    if (!o.mask.empty() && o.initImg.empty())
        return badInput("--mask needs --init-img (the image to inpaint)");
    p.initImage = o.initImg;
    p.maskImage = o.mask;
    if (std::string why; !applyInpaintFlags(o.inpaint, p, &why))
        return badInput(why);
    if (p.outpaintLeft + p.outpaintRight + p.outpaintUp + p.outpaintDown > 0 && o.initImg.empty())
        return badInput("--outpaint needs --init-img (the image to extend)");

    // ---- the job: the same JobBuilder and prepareInputs() as the GUI and the server -----------
    Settings settings;
    settings.device = QString::fromStdString(o.device);
    settings.precision = QString::fromStdString(o.precision == "full" ? "fp32" : o.dtype);
    settings.previewMethod = QStringLiteral("none");
    JobRequest request;
    request.params = p;
    request.model = QString::fromStdString(o.ckpt); // no library: a file or folder; "" = the demo model
    request.config = QString::fromStdString(o.config);
    request.vae = o.vae.empty() ? QStringLiteral("None") : QString::fromStdString(o.vae);
    request.outputDir = QString::fromStdString(o.outdir); // written below in the CompVis layout
    if (!o.styles.empty())
        request.styles = splitXyzValues(QString::fromStdString(o.styles));
    request.stylesFile = QString::fromStdString(o.stylesFile);
    {
        // ControlNet models by name: --controlnet-dir, then A1111's layout beside the checkpoint
        QStringList beside;
        if (!o.ckpt.empty()) {
            const QDir ckptDir = QFileInfo(QString::fromStdString(o.ckpt)).absoluteDir();
            beside << ckptDir.filePath("ControlNet")
                   << QFileInfo(ckptDir.absolutePath()).dir().filePath("ControlNet");
        }
        if (std::string why; !controlUnitsFromFlags(o.controlnet, beside, &request.controlUnits, &why))
            return badInput(why);
    }
    if (o.xyz.any())
        return runXyzPlot(o.xyz, request, settings, loraDirs, o.outdir, o.json);
    QString error;
    std::optional<GenerationJob> job = JobBuilder(settings, nullptr).build(request, &error);
    if (!job)
        return badInput(error.toStdString());
    // --lora-dir folders (and those of --lora files) are searched first
    job->assets.loraDirs.insert(job->assets.loraDirs.begin(), loraDirs.begin(), loraDirs.end());
    job->assets.embeddingDirs.insert(
        job->assets.embeddingDirs.begin(), o.embeddingDirs.begin(), o.embeddingDirs.end());
    GenerationInputs inputs;
    try {
        inputs = prepareInputs(*job, demo ? nativeSize(ModelFamily::SD1, true) : 512);
        validateParams(job->params);
    } catch (const EngineError& e) {
        return badInput(e.what());
    }
    p = job->params; // the seed drawn, the size settled

    // ---- model -------------------------------------------------------------------------------
    std::unique_ptr<Pipeline> pipeline;
    try {
        pipeline = Pipeline::open(job->model);
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
    const ModelInfo info = pipeline->info();
    if (info.demo)
        std::cerr
            << "Using the built-in demo model (" << demoModelDescription()
            << ").\n"
               "Pass --ckpt FILE (.safetensors, .ckpt or a diffusers folder) to use your own checkpoint.\n";
    else
        std::cerr << "Model: " << info.name << " (" << familyName(info.family) << ", " << info.prediction
                  << ", " << info.device << ")\n";

    // ---- output folders (CompVis layout) -----------------------------------------------------
    const QString outdir = QString::fromStdString(o.outdir);
    const QString samplesDir = outdir + "/samples";
    if (!QDir().mkpath(samplesDir)) {
        std::cerr << "error: cannot create the output folder '" << samplesDir.toStdString() << "'\n";
        return 1;
    }
    removeStalePartialFiles(samplesDir); // hidden leftovers of a run that was killed
    removeStalePartialFiles(outdir);
    int baseCount = countEntries(samplesDir);
    int gridCount = std::max(0, countEntries(outdir) - 1);

    QJsonArray written;
    QList<QImage> all;
    const int passSteps = p.steps + (p.enableHr ? (p.hrSteps > 0 ? p.hrSteps : p.steps) : 0);
    ProgressBar bar(passSteps * p.batchCount * int(prompts.size()));
    for (const std::string& prompt : prompts) {
        GenerationParams pp = p;
        pp.prompt = prompt;
        std::vector<GeneratedImage> images;
        try {
            images = pipeline->generate(
                pp, inputs, job->preview, [&](const StepUpdate&) { bar.step(); }, nullptr);
        } catch (const EngineError& e) {
            bar.finish();
            std::cerr << "error: " << e.what() << "\n";
            return 2;
        }
        if (!images.empty() && !images.front().warnings.empty()) {
            bar.finish(); // end the progress line
            for (const std::string& w : images.front().warnings)
                std::cerr << "warning: " << w << "\n";
        }
        for (const GeneratedImage& g : images) {
            const QImage img = applyInpaintOverlay(job->inpaintOverlay.get(), toQImage(g.image));
            all.push_back(img);
            const QString infotext = toInfotext(g.params, QString("QDiffusion ") + QD_VERSION);
            QJsonObject entry { { "seed", qint64(g.params.seed) }, { "infotext", infotext } };
            if (!o.skipSave) {
                const QString file = QString("%1/%2.png").arg(samplesDir).arg(baseCount++, 5, 10, QChar('0'));
                ImageMetadata meta;
                meta.setInfotext(infotext);
                QString error;
                if (!ImageMetadata::save(img, file, meta, 95, &error)) {
                    std::cerr << "error: " << error.toStdString() << "\n";
                    return 1;
                }
                entry["file"] = QFileInfo(file).absoluteFilePath();
            }
            written.push_back(entry);
        }
    }
    bar.finish();
    QString gridFile;
    if (!o.skipGrid && all.size() > 1) {
        gridFile = QString("%1/grid-%2.png").arg(outdir).arg(gridCount, 4, 10, QChar('0'));
        ImageMetadata meta;
        meta.setInfotext(toInfotext(p, QString("QDiffusion ") + QD_VERSION));
        QString error;
        if (!ImageMetadata::save(
                makeGrid(all, o.nRows > 0 ? o.nRows : p.batchSize), gridFile, meta, 95, &error)) {
            std::cerr << "error: " << error.toStdString() << "\n";
            return 1;
        }
    }
    if (o.json) {
        QJsonObject out { { "images", written },
            { "grid",
                gridFile.isEmpty() ? QJsonValue() : QJsonValue(QFileInfo(gridFile).absoluteFilePath()) },
            { "model", QString::fromStdString(info.name) }, { "demo_model", info.demo },
            { "seconds", bar.elapsedSeconds() }, { "steps_per_second", bar.stepsPerSecond() } };
        std::cout << QJsonDocument(out).toJson(QJsonDocument::Indented).toStdString();
    } else {
        std::cerr << "Your samples are ready and waiting for you here: "
                  << QFileInfo(outdir).absoluteFilePath().toStdString() << "\n";
    }
    return 0;
}

} // namespace

Command addGenerate(CLI::App& app)
{
    auto o = std::make_shared<GenerateOptions>();
    CLI::App* sub = app.add_subcommand(
        "generate", "Generate images (CompVis txt2img.py flags; img2img with --init-img)");
    sub->add_option("--prompt", o->prompt, "The prompt to render");
    sub->add_option("--negative-prompt", o->negativePrompt, "What the image should not show");
    sub->add_option("--outdir", o->outdir, "Output folder (samples/ and grids)")->capture_default_str();
    sub->add_flag("--skip_grid", o->skipGrid, "Do not save a grid of all images");
    sub->add_flag("--skip_save", o->skipSave, "Do not save individual images");
    sub->add_option("--ddim_steps", o->ddimSteps, "Number of sampling steps")->capture_default_str();
    sub->add_flag("--plms", o->plms, "Use the PLMS sampler");
    sub->add_flag("--dpm_solver", o->dpmSolver, "Use DPM-Solver++ (2M)");
    sub->add_flag(
        "--fixed_code", o->fixedCode, "Same starting noise for every batch (images i use seed + i)");
    sub->add_option("--ddim_eta", o->ddimEta, "DDIM eta (0 = deterministic)")->capture_default_str();
    sub->add_option("--n_iter", o->nIter, "Number of batches (default 2; demo model 1)");
    sub->add_option("--H", o->H, "Image height in pixels (default 512; demo model 256)");
    sub->add_option("--W", o->W, "Image width in pixels (default 512; demo model 256)");
    sub->add_option("--C", o->C, "Latent channels")->capture_default_str();
    sub->add_option("--f", o->f, "Downsampling factor")->capture_default_str();
    sub->add_option("--n_samples", o->nSamples, "Images per batch (default 3; demo model 1)");
    sub->add_option("--n_rows", o->nRows, "Images per grid row (default: n_samples)");
    sub->add_option("--scale", o->scale, "Classifier-free guidance scale")->capture_default_str();
    sub->add_option("--from-file", o->fromFile, "Read prompts from this file, one per line");
    sub->add_option("--config", o->config, "Model config YAML (default: NAME.yaml beside the checkpoint)");
    sub->add_option(
        "--ckpt", o->ckpt, "Checkpoint (.safetensors, .ckpt, diffusers folder); none = demo model");
    sub->add_option("--vae", o->vae, "Separate VAE file");
    sub->add_option("--seed", o->seed, "Seed (image i of a batch uses seed + i; -1 = random)")
        ->capture_default_str();
    sub->add_option("--rng", o->rng,
        "Random number source: gpu (A1111's default; NV's numbers off CUDA), cpu or nv "
        "(default: the settings')");
    sub->add_option("--subseed", o->subseed, "Variation seed (image i uses subseed + i; -1 = random)")
        ->capture_default_str();
    sub->add_option("--subseed-strength", o->subseedStrength, "Variation strength in [0, 1] (0 = off)")
        ->capture_default_str();
    sub->add_option("--seed-resize-from", o->seedResizeFrom,
        "WIDTHxHEIGHT: draw the seed's noise as at this size (A1111's 'Resize seed from')");
    sub->add_option("--ensd", o->ensd, "Eta noise seed delta (A1111's ENSD; default: the settings')");
    sub->add_flag("--hires", o->hires,
        "Hires fix: upscale the first pass and run a second one (--strength is its denoising strength)");
    sub->add_option("--hr-scale", o->hrScale, "Hires fix: upscale factor")->capture_default_str();
    sub->add_option(
        "--hr-resize", o->hrResize, "Hires fix: WIDTHxHEIGHT instead of --hr-scale (0 keeps the aspect)");
    sub->add_option("--hr-upscaler", o->hrUpscaler,
           "Hires fix: Latent, Latent (bicubic), ..., None, Lanczos, Nearest, or an ESRGAN model in "
           "models/ESRGAN")
        ->capture_default_str();
    sub->add_option("--hr-steps", o->hrSteps, "Hires fix: second-pass steps (0 = --steps)")
        ->capture_default_str();
    sub->add_option("--hr-sampler", o->hrSampler, "Hires fix: second-pass sampler (default: --sampler)");
    sub->add_option("--hr-scheduler", o->hrScheduler, "Hires fix: second-pass schedule type");
    sub->add_option("--hr-prompt", o->hrPrompt, "Hires fix: second-pass prompt (default: the prompt)");
    sub->add_option("--hr-negative-prompt", o->hrNegativePrompt, "Hires fix: second-pass negative prompt");
    sub->add_option("--precision", o->precision, "autocast (use --dtype) or full (fp32)")
        ->capture_default_str();
    sub->add_option("--sampler", o->sampler, "Sampler (A1111 label, e.g. 'Euler a', 'DPM++ 2M Karras')");
    sub->add_option("--scheduler", o->scheduler, "Schedule type (Automatic, Karras, Exponential, ...)")
        ->capture_default_str();
    sub->add_option_function<int>(
        "--steps",
        [o](const int& v) {
            o->steps = v;
            o->stepsGiven = true;
        },
        "Sampling steps (overrides --ddim_steps)");
    sub->add_option_function<double>(
        "--cfg-scale",
        [o](const double& v) {
            o->cfgScale = v;
            o->cfgGiven = true;
        },
        "CFG scale (overrides --scale)");
    sub->add_option("--clip-skip", o->clipSkip, "1 = last CLIP layer, 2 = penultimate, ...")
        ->capture_default_str();
    sub->add_option("--init-img", o->initImg, "Init image for img2img");
    sub->add_option("--strength", o->strength, "img2img / inpainting denoising strength in [0, 1]")
        ->capture_default_str();
    sub->add_option("--mask", o->mask, "Inpainting mask for --init-img (white = repaint)");
    addInpaintFlags(sub, o->inpaint);
    addControlNetFlags(sub, o->controlnet);
    sub->add_option("--lora", o->loras,
        "LoRA NAME_OR_PATH[:WEIGHT] (repeatable): adds <lora:NAME:WEIGHT> to the prompt; prompts may "
        "also carry such tags");
    sub->add_option("--lora-dir", o->loraDirs,
        "Folder searched for LoRA names (repeatable; then models/Lora beside "
        "the checkpoint's folder)");
    sub->add_option("--embeddings-dir", o->embeddingDirs,
        "Folder of textual-inversion embeddings (.pt, .bin, .safetensors; repeatable): a file's name in "
        "either prompt inserts it (also read: embeddings in each model folder and beside A1111's models "
        "folder)");
    sub->add_option("--batch-size", o->batchSize, "Images per batch (overrides --n_samples)");
    sub->add_option("--device", o->device, "cpu, cuda or cuda:N")->capture_default_str();
    sub->add_option("--dtype", o->dtype, "fp32, fp16 or bf16")->capture_default_str();
    sub->add_option("--styles", o->styles,
        "Prompt styles to apply, comma-separated (quote a name with a comma: '\"A, B\",C')");
    sub->add_option("--styles-file", o->stylesFile, "styles.csv to read them from (default: the app's)");
    sub->add_option("--xyz-x", o->xyz.x,
        "X/Y/Z plot: X axis as TYPE:VALUES, e.g. \"Steps:10,20\" or \"CFG Scale:5-9 [3]\"");
    sub->add_option("--xyz-y", o->xyz.y, "X/Y/Z plot: Y axis as TYPE:VALUES");
    sub->add_option("--xyz-z", o->xyz.z, "X/Y/Z plot: Z axis as TYPE:VALUES");
    sub->add_flag("--xyz-keep-random-seeds", o->xyz.keepRandomSeeds,
        "X/Y/Z plot: a seed of -1 stays random in every cell (A1111's 'Keep -1 for seeds')");
    sub->add_flag("--json", o->json, "Print the result metadata as JSON on stdout");
    return { sub, [o] { return run(*o); } };
}

} // namespace qd::cli
