#include "core/generation/JobBuilder.h"

#include "core/generation/ControlPreprocessors.h"

#include <QDir>
#include <QFileInfo>
#include <QHash>
#include <QMutex>
#include <QRandomGenerator>

#include "core/AppPaths.h"
#include "core/engine/EngineError.h"
#include "core/engine/EngineInfo.h"
#include "core/generation/EngineImage.h"
#include "core/generation/Inpainting.h"
#include "core/generation/Styles.h"
#include "core/generation/Upscalers.h"
#include "core/library/ModelLibrary.h"
#include "core/metadata/Infotext.h"

namespace qd
{

namespace
{

bool fail(QString* error, const QString& message)
{
    if (error)
        *error = message;
    return false;
}

struct ResolvedModel {
    QString path; // "" = the demo model
    QString config;
    QString hash;
    QString automaticVae; // the VAE "Automatic" means for it
    ModelFamily family = ModelFamily::Unknown;
};

// A file the user named may be read or not; reading it again is the only way to know.
QImage readImage(const std::string& path, const char* what)
{
    QImage image(QString::fromStdString(path));
    if (image.isNull())
        throw EngineError(path + ": cannot read the " + what + " (not an image file, or missing)");
    return image;
}

} // namespace

JobBuilder::JobBuilder(Settings settings, const ModelLibrary* library)
    : m_settings(std::move(settings))
    , m_library(library)
{
}

std::pair<std::string, std::string> JobBuilder::deviceAndDtype() const
{
    // "auto": the GPU when the engine sees one, in half precision; else the CPU in fp32.
    const std::string device = m_settings.device == QLatin1String("auto") ? (cudaAvailable() ? "cuda" : "cpu")
                                                                          : m_settings.device.toStdString();
    const bool onGpu = device.rfind("cuda", 0) == 0;
    const std::string dtype = m_settings.precision == QLatin1String("auto")
        ? (onGpu ? "fp16" : "fp32")
        : m_settings.precision.toStdString();
    return { device, dtype };
}

QStringList JobBuilder::modelFolders() const
{
    // The library's (ModelLibrary::defaultFolders: AppPaths::modelsDir(), then the settings'); without
    // a library only the settings' ones, so the CLI creates no application folder.
    return m_library ? m_library->folders() : m_settings.modelFolders;
}

namespace
{
// Each candidate (that is a folder, with `existingOnly`) once, in order.
QStringList folderList(const QStringList& candidates, bool existingOnly)
{
    QStringList out;
    for (const QString& c : candidates)
        if (!c.isEmpty() && (!existingOnly || QFileInfo(c).isDir()) && !out.contains(QDir::cleanPath(c)))
            out << QDir::cleanPath(c);
    return out;
}
} // namespace

QStringList JobBuilder::loraFolders(bool existingOnly) const
{
    QStringList candidates;
    for (const QString& f : modelFolders()) {
        const QDir dir(f); // models/Stable-diffusion -> models/Lora
        candidates << dir.filePath("Lora") << QFileInfo(dir.absolutePath()).dir().filePath("Lora");
    }
    return folderList(candidates, existingOnly);
}

QStringList JobBuilder::embeddingFolders(bool existingOnly) const
{
    QStringList candidates;
    for (const QString& f : modelFolders()) {
        const QDir dir(f); // models/Stable-diffusion -> embeddings beside models
        QDir root = QFileInfo(dir.absolutePath()).dir();
        candidates << dir.filePath("embeddings") << (root.cdUp() ? root.filePath("embeddings") : QString());
    }
    return folderList(candidates, existingOnly);
}

QStringList JobBuilder::controlNetFolders(bool existingOnly) const
{
    QStringList candidates;
    for (const QString& f : modelFolders()) {
        const QDir dir(f); // models/Stable-diffusion -> models/ControlNet
        candidates << dir.filePath("ControlNet")
                   << QFileInfo(dir.absolutePath()).dir().filePath("ControlNet");
    }
    return folderList(candidates, existingOnly);
}

QStringList JobBuilder::annotatorFolders(bool existingOnly) const
{
    QStringList candidates;
    for (const QString& f : modelFolders())
        candidates << QDir(f).filePath("annotators");
    return folderList(candidates, existingOnly);
}

std::vector<std::string> JobBuilder::upscalerDirs() const
{
    std::vector<std::string> out;
    for (const QString& f : modelFolders())
        for (const char* sub : { "ESRGAN", "RealESRGAN" })
            out.push_back(QDir(f).filePath(QLatin1String(sub)).toStdString());
    return out;
}

QString JobBuilder::taesdDecoder(ModelFamily family) const
{
    // The model folders, and their VAE-approx folders where AUTOMATIC1111 keeps the .pth files.
    const QString stem
        = family == ModelFamily::SDXL ? QStringLiteral("taesdxl_decoder") : QStringLiteral("taesd_decoder");
    const QString name = stem + QStringLiteral(".safetensors");
    const QStringList folders = modelFolders();
    for (const QString& f : folders)
        for (const QString& candidate :
            { QDir(f).filePath(name), QDir(f).filePath(stem + QStringLiteral(".pth")),
                QDir(f).filePath(QStringLiteral("VAE-approx/") + name),
                QDir(f).filePath(QStringLiteral("VAE-approx/") + stem + QStringLiteral(".pth")) })
            if (QFileInfo::exists(candidate))
                return candidate;
    return QDir(folders.isEmpty() ? AppPaths::modelsDir() : folders.first()).filePath(name);
}

ModelFamily JobBuilder::familyOf(const ModelEntry& entry)
{
    if (entry.family != ModelFamily::Unknown)
        return entry.family;
    if (entry.path.isEmpty())
        return detectModelFamily(std::string());
    // Reading a checkpoint's keys takes milliseconds, but a picker asks for every entry each time
    // the library changes: once per file version.
    static QMutex mutex;
    static QHash<QString, QPair<QString, ModelFamily>> known; // path -> (size:mtime, family)
    const QString stamp = QStringLiteral("%1:%2").arg(entry.size).arg(entry.mtime);
    {
        QMutexLocker lock(&mutex);
        const auto it = known.constFind(entry.path);
        if (it != known.constEnd() && it->first == stamp)
            return it->second;
    }
    const ModelFamily family = detectModelFamily(entry.path.toStdString(), entry.config.toStdString());
    QMutexLocker lock(&mutex);
    known.insert(entry.path, { stamp, family });
    return family;
}

// The request's styles applied to its prompts (hires prompts too, when set), as A1111 applies
// them when the job starts: the image then records the final prompts.
static bool applyStyles(const JobRequest& request, GenerationParams* params, QString* error)
{
    StyleDatabase db;
    const QString path = request.stylesFile.isEmpty() ? StyleDatabase::defaultPath() : request.stylesFile;
    QString why;
    if (!request.stylesFile.isEmpty() && !QFileInfo(path).isFile())
        return fail(error, QStringLiteral("no styles file '%1'").arg(path));
    if (!db.load(path, &why)) {
        return fail(error, why);
    }
    for (auto [prompt, negative] : { std::pair { &params->prompt, &params->negativePrompt },
             std::pair { &params->hrPrompt, &params->hrNegativePrompt } }) {
        if (prompt == &params->hrPrompt && prompt->empty() && negative->empty())
            continue;
        QString p = QString::fromStdString(*prompt), n = QString::fromStdString(*negative);
        if (!db.apply(request.styles, &p, &n, &why)) {
            return fail(error, why + QStringLiteral(" in ") + path);
        }
        *prompt = p.toStdString();
        *negative = n.toStdString();
    }
    return true;
}

std::optional<GenerationJob> JobBuilder::build(const JobRequest& request, QString* error) const
{
    GenerationJob job;
    job.params = request.params;
    if (!request.styles.isEmpty() && !applyStyles(request, &job.params, error))
        return std::nullopt;

    // ---- the model: a library entry, a file, or the demo model --------------------------------
    ResolvedModel model;
    std::optional<ModelEntry> entry;
    if (m_library && !request.demoModel) {
        if (request.model.isEmpty()) {
            const QList<ModelEntry> all = m_library->entries();
            if (!all.isEmpty())
                entry = all.first();
        } else {
            entry = m_library->find(request.model);
            if (!entry)
                entry = m_library->findByPath(request.model);
        }
        if (entry) {
            model.path = entry->path;
            model.config = entry->config;
            model.hash = entry->hash();
            model.automaticVae = m_library->automaticVae(*entry);
            model.family = familyOf(*entry);
        }
    }
    if (!entry && !request.model.isEmpty() && !request.demoModel) {
        // Not in the library (or none): a checkpoint file or diffusers folder by its path.
        if (!QFileInfo::exists(request.model)) {
            fail(error,
                m_library ? QStringLiteral("unknown model '%1' (not in the model library, and no such file)")
                                .arg(request.model)
                          : QStringLiteral("%1: no such checkpoint file or folder").arg(request.model));
            return std::nullopt;
        }
        model.path = QFileInfo(request.model).absoluteFilePath();
    }
    if (!request.config.isEmpty())
        model.config = request.config;
    if (model.family == ModelFamily::Unknown)
        model.family = detectModelFamily(model.path.toStdString(), model.config.toStdString());
    job.model.checkpoint = model.path.toStdString();
    job.model.config = model.config.toStdString();
    job.family = model.family;
    // The hash goes with the job's parameters (the infotext's "Model hash"), not in job.model: a hash
    // the library finishes later must not make the worker load the same checkpoint again.
    job.params.modelHash = model.hash.toStdString(); // "" until hashed
    const bool demo = model.path.isEmpty();

    // ---- the VAE, as A1111 resolves its sd_vae setting -----------------------------------------
    // "Automatic": the checkpoint's NAME.vae.* (or a VAE-folder file of its name), "None": the
    // checkpoint's own, else a VAE by name or path. The demo model keeps its own. The infotext's
    // "VAE" / "VAE hash" only when one is used.
    QString vaePath;
    const QString vae = request.vae.isEmpty() ? QStringLiteral("Automatic") : request.vae;
    if (vae == QLatin1String("Automatic")) {
        vaePath = model.automaticVae;
    } else if (vae != QLatin1String("None")) {
        if (const auto v = m_library ? m_library->findVae(vae) : std::nullopt)
            vaePath = v->path;
        else if (QFileInfo(vae).isFile())
            vaePath = QFileInfo(vae).absoluteFilePath();
        else {
            fail(error,
                QStringLiteral("unknown VAE '%1' (not in the VAE folders, and no such file)").arg(vae));
            return std::nullopt;
        }
    }
    job.params.vaeName.clear();
    job.params.vaeHash.clear();
    if (!demo && !vaePath.isEmpty()) {
        job.model.vae = vaePath.toStdString();
        job.params.vaeName = QFileInfo(vaePath).fileName().toStdString();
        if (const auto v = m_library ? m_library->findVae(vaePath) : std::nullopt)
            job.params.vaeHash = v->hash().toStdString();
    }

    // ---- random numbers: the job's own (a pasted infotext's), else the settings' ---------------
    if (job.params.rngSource.empty())
        job.params.rngSource = m_settings.randomSource.toStdString();
    if (job.params.ensd == 0) // as A1111: an infotext without ENSD leaves the setting in force
        job.params.ensd = m_settings.etaNoiseSeedDelta;

    // ---- where it runs --------------------------------------------------------------------------
    std::tie(job.model.device, job.model.dtype) = deviceAndDtype();
    try {
        validateDevice(job.model.device, job.model.dtype);
        // A size of 0 is settled by prepareInputs(); everything else is checked now, before queueing.
        GenerationParams check = job.params;
        check.width = check.width == 0 ? 8 : check.width;
        check.height = check.height == 0 ? 8 : check.height;
        validateParams(check);
    } catch (const EngineError& e) {
        fail(error, QString::fromUtf8(e.what()));
        return std::nullopt;
    }

    // ---- previews, companions' folders, output ---------------------------------------------------
    job.preview.method
        = previewMethodFromName(m_settings.previewMethod.toStdString()).value_or(PreviewMethod::Cheap);
    job.preview.interval = qMax(1, m_settings.previewInterval);
    if (job.preview.method == PreviewMethod::Taesd)
        job.preview.taesdPath = taesdDecoder(job.family).toStdString();
    // A1111's layout: models/Lora and embeddings (the engine also looks beside the checkpoint's
    // folder)
    for (const QString& f : loraFolders(false))
        job.assets.loraDirs.push_back(f.toStdString());
    for (const QString& f : embeddingFolders(false))
        job.assets.embeddingDirs.push_back(f.toStdString());
    job.assets.upscalerDirs = upscalerDirs();
    // hires fix: a latent mode, a built-in upscaler or a model file of that name (loaded when the
    // job runs; the files are not read here)
    const QString hrUpscaler = QString::fromStdString(job.params.hrUpscaler);
    if (job.params.enableHr && !isLatentUpscaler(job.params.hrUpscaler)
        && !QStringList { "None", "Lanczos", "Nearest" }.contains(hrUpscaler)
        && findUpscalerFile(hrUpscaler, job.assets.upscalerDirs).isEmpty()) {
        QStringList names;
        for (const std::string& n : latentUpscalerNames())
            names << QString::fromStdString(n);
        names << "None"
              << "Lanczos"
              << "Nearest";
        fail(error,
            QStringLiteral("unknown hires upscaler '%1' (available: %2, or a model file in an ESRGAN folder)")
                .arg(hrUpscaler, names.join(", ")));
        return std::nullopt;
    }
    // ---- ControlNet: models resolved now (a missing one fails before queueing), maps made later -------
    QStringList controlDirs = controlNetFolders();
    if (!demo) { // A1111's layout beside a checkpoint given by path
        const QDir ckptDir = QFileInfo(model.path).absoluteDir();
        controlDirs << ckptDir.filePath("ControlNet")
                    << QFileInfo(ckptDir.absolutePath()).dir().filePath("ControlNet");
    }
    for (int i = 0; i < request.controlUnits.size(); ++i) {
        ControlUnitRequest u = request.controlUnits[i];
        if (!u.enabled)
            continue;
        const auto found = findControlNetModel(u.model, controlDirs);
        if (!found) {
            fail(error,
                u.model.isEmpty() || u.model.compare(QLatin1String("None"), Qt::CaseInsensitive) == 0
                    ? QStringLiteral("ControlNet unit %1: no model chosen").arg(i)
                    : QStringLiteral("ControlNet unit %1: unknown model '%2' (not in %3)")
                          .arg(i)
                          .arg(u.model,
                              controlDirs.isEmpty() ? QStringLiteral("any ControlNet folder")
                                                    : controlDirs.join(QStringLiteral(", "))));
            return std::nullopt;
        }
        if (!findControlPreprocessor(u.module)) {
            fail(error, QStringLiteral("ControlNet unit %1: unknown preprocessor '%2'").arg(i).arg(u.module));
            return std::nullopt;
        }
        u.model = found->path;
        job.controlUnits << u;
    }
    job.annotatorsDir = annotatorFolders().value(0);

    job.outputDir = request.outputDir.isEmpty() ? m_settings.effectiveOutputFolder() : request.outputDir;
    job.initImage = request.initImage;
    job.maskImage = request.maskImage;
    return job;
}

GenerationInputs prepareInputs(GenerationJob& job, int nativeSize)
{
    GenerationParams& p = job.params;
    if (p.seed < 0)
        p.seed = int64_t(QRandomGenerator::global()->bounded(uint32_t(0xFFFFFFFF)));
    if (p.subseedStrength != 0 && p.subseed < 0) // A1111: a random variation seed likewise
        p.subseed = int64_t(QRandomGenerator::global()->bounded(uint32_t(0xFFFFFFFF)));
    QImage init = job.initImage;
    if (init.isNull() && !p.initImage.empty())
        init = readImage(p.initImage, "init image");
    QImage mask = job.maskImage;
    if (mask.isNull() && !p.maskImage.empty())
        mask = readImage(p.maskImage, "mask image");
    if (!mask.isNull() && init.isNull())
        throw EngineError("a mask was given without an init image (inpainting repaints part of one)");
    // Not given: the init image's size rounded down to 8, else the model's native square.
    if (p.width == 0)
        p.width = init.isNull() ? nativeSize : std::max(8, init.width() / 8 * 8);
    if (p.height == 0)
        p.height = init.isNull() ? nativeSize : std::max(8, init.height() / 8 * 8);
    // An image handed over in memory (API, pasted) has no file name for the infotext writer to see:
    // record its strength as A1111 does for every img2img image.
    if (!init.isNull() && p.initImage.empty())
        p.extra["Denoising strength"] = formatInfotextNumber(p.denoisingStrength).toStdString();
    // ControlNet maps, at the final size (pixel perfect needs it); img2img's image and mask stand in
    // for a unit's own, as in the extension
    p.controlNets.clear();
    for (int i = 0; i < job.controlUnits.size(); ++i) {
        ControlNetUnit unit;
        QString why;
        if (!toEngineControlUnit(
                job.controlUnits[i], i, init, mask, p.width, p.height, job.annotatorsDir, &unit, &why))
            throw EngineError(why.toStdString());
        p.controlNets.push_back(std::move(unit));
    }
    GenerationInputs inputs;
    if (p.enableHr && init.isNull() && !isLatentUpscaler(p.hrUpscaler)) {
        QString error;
        inputs.hiresUpscaler = makeImageUpscaler(
            QString::fromStdString(p.hrUpscaler), job.assets.upscalerDirs, job.model.device, &error);
        if (!inputs.hiresUpscaler)
            throw EngineError("hires fix: " + error.toStdString());
    }
    const QSize size(p.width, p.height);
    job.inpaintOverlay.reset();
    p.inpainting = false;
    if (OutpaintMargins::of(p).any() && init.isNull())
        throw EngineError("outpainting needs an init image (the picture to extend)");
    if (!init.isNull() && (!mask.isNull() || OutpaintMargins::of(p).any())) {
        PreparedInpaint prepared = prepareInpaintImages(p, init, mask); // outpainting grows the size
        inputs.initImage = fromQImage(prepared.image);
        if (!prepared.mask.isNull()) {
            inputs.mask = fromQImage(prepared.mask);
            job.inpaintOverlay = std::make_shared<const InpaintOverlay>(std::move(prepared.overlay));
        }
    } else if (!init.isNull()) { // A1111 "Just resize": stretched to the size asked for
        inputs.initImage = fromQImage(
            init.size() == size ? init : init.scaled(size, Qt::IgnoreAspectRatio, Qt::SmoothTransformation));
    }
    inputs.assets = job.assets;
    return inputs;
}

} // namespace qd
