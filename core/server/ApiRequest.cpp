#include "core/server/ApiRequest.h"

#include "core/server/ApiControlNet.h"

#include <QBuffer>
#include <QImageReader>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>

#include <cmath>

#include "core/metadata/Infotext.h"
#include "core/server/ApiOptions.h"

namespace qd::api
{

namespace
{

enum Applies { Both, Txt2Img, Img2Img };

struct Field {
    const char* name;
    char kind; // see coerce() in ApiOptions.h
    QJsonValue def;
    Applies applies;
};

// The request models A1111 v1.10 builds from its processing classes (docs/a1111-api.md §1), in its
// order, with its defaults.
const QList<Field>& fields()
{
    static const QList<Field> table = {
        { "prompt", 's', "", Both },
        { "negative_prompt", 's', "", Both },
        { "styles", 'l', QJsonValue::Null, Both },
        { "seed", 'i', -1, Both },
        { "subseed", 'i', -1, Both },
        { "subseed_strength", 'f', 0, Both },
        { "seed_resize_from_h", 'i', -1, Both },
        { "seed_resize_from_w", 'i', -1, Both },
        { "sampler_name", 's', QJsonValue::Null, Both },
        { "scheduler", 's', QJsonValue::Null, Both },
        { "batch_size", 'i', 1, Both },
        { "n_iter", 'i', 1, Both },
        { "steps", 'i', 50, Both },
        { "cfg_scale", 'f', 7.0, Both },
        { "width", 'i', 512, Both },
        { "height", 'i', 512, Both },
        { "restore_faces", 'b', QJsonValue::Null, Both },
        { "tiling", 'b', QJsonValue::Null, Both },
        { "do_not_save_samples", 'b', false, Both },
        { "do_not_save_grid", 'b', false, Both },
        { "eta", 'f', QJsonValue::Null, Both },
        { "denoising_strength", 'f', 0.75, Both },
        { "s_min_uncond", 'f', QJsonValue::Null, Both },
        { "s_churn", 'f', QJsonValue::Null, Both },
        { "s_tmax", 'f', QJsonValue::Null, Both },
        { "s_tmin", 'f', QJsonValue::Null, Both },
        { "s_noise", 'f', QJsonValue::Null, Both },
        { "override_settings", 'd', QJsonValue::Null, Both },
        { "override_settings_restore_afterwards", 'b', true, Both },
        { "refiner_checkpoint", 's', QJsonValue::Null, Both },
        { "refiner_switch_at", 'f', QJsonValue::Null, Both },
        { "disable_extra_networks", 'b', false, Both },
        { "firstpass_image", 's', QJsonValue::Null, Both },
        { "comments", 'd', QJsonValue::Null, Both },
        // txt2img
        { "enable_hr", 'b', false, Txt2Img },
        { "firstphase_width", 'i', 0, Txt2Img },
        { "firstphase_height", 'i', 0, Txt2Img },
        { "hr_scale", 'f', 2.0, Txt2Img },
        { "hr_upscaler", 's', QJsonValue::Null, Txt2Img },
        { "hr_second_pass_steps", 'i', 0, Txt2Img },
        { "hr_resize_x", 'i', 0, Txt2Img },
        { "hr_resize_y", 'i', 0, Txt2Img },
        { "hr_checkpoint_name", 's', QJsonValue::Null, Txt2Img },
        { "hr_sampler_name", 's', QJsonValue::Null, Txt2Img },
        { "hr_scheduler", 's', QJsonValue::Null, Txt2Img },
        { "hr_prompt", 's', "", Txt2Img },
        { "hr_negative_prompt", 's', "", Txt2Img },
        // img2img
        { "init_images", 'l', QJsonValue::Null, Img2Img },
        { "resize_mode", 'i', 0, Img2Img },
        { "image_cfg_scale", 'f', QJsonValue::Null, Img2Img },
        { "mask", 's', QJsonValue::Null, Img2Img },
        { "mask_blur_x", 'i', 4, Img2Img },
        { "mask_blur_y", 'i', 4, Img2Img },
        { "mask_blur", 'i', QJsonValue::Null, Img2Img },
        { "mask_round", 'b', true, Img2Img },
        { "inpainting_fill", 'i', 0, Img2Img },
        { "inpaint_full_res", 'b', true, Img2Img },
        { "inpaint_full_res_padding", 'i', 0, Img2Img },
        { "inpainting_mask_invert", 'i', 0, Img2Img },
        { "initial_noise_multiplier", 'f', QJsonValue::Null, Img2Img },
        { "latent_mask", 's', QJsonValue::Null, Img2Img },
        { "include_init_images", 'b', false, Img2Img },
        // the API's own (models.py:100-132)
        { "sampler_index", 's', "Euler", Both },
        { "script_name", 's', QJsonValue::Null, Both },
        { "script_args", 'l', QJsonArray(), Both },
        { "send_images", 'b', true, Both },
        { "save_images", 'b', false, Both },
        { "alwayson_scripts", 'd', QJsonObject(), Both },
        { "force_task_id", 's', QJsonValue::Null, Both },
        { "infotext", 's', QJsonValue::Null, Both },
    };
    return table;
}

struct SamplerName {
    const char* label;
    QStringList aliases;
};

// A1111's samplers and their aliases (sd_samplers_kdiffusion.py, sd_samplers_timesteps.py).
const QList<SamplerName>& samplerNames()
{
    static const QList<SamplerName> names = {
        { "DPM++ 2M", { "k_dpmpp_2m" } },
        { "DPM++ SDE", { "k_dpmpp_sde" } },
        { "DPM++ 2M SDE", { "k_dpmpp_2m_sde" } },
        { "DPM++ 2S a", { "k_dpmpp_2s_a" } },
        { "DPM++ 3M SDE", { "k_dpmpp_3m_sde" } },
        { "Euler a", { "k_euler_a", "k_euler_ancestral" } },
        { "Euler", { "k_euler" } },
        { "LMS", { "k_lms" } },
        { "Heun", { "k_heun" } },
        { "DPM2", { "k_dpm_2" } },
        { "DPM2 a", { "k_dpm_2_a" } },
        { "DDIM", { "ddim" } },
        { "PLMS", { "plms" } },
        { "UniPC", { "unipc" } },
        { "LCM", { "k_lcm" } },
    };
    return names;
}

// A1111's schedule names and aliases (sd_schedulers.py); labels come from Infotext's table.
const QList<QPair<QString, QString>>& scheduleNames()
{
    static const QList<QPair<QString, QString>> names
        = { { "automatic", "Automatic" }, { "uniform", "Uniform" }, { "karras", "Karras" },
              { "exponential", "Exponential" }, { "polyexponential", "Polyexponential" },
              { "sgm_uniform", "SGM Uniform" }, { "sgmuniform", "SGM Uniform" },
              { "kl_optimal", "KL Optimal" }, { "align_your_steps", "Align Your Steps" },
              { "simple", "Simple" }, { "normal", "Normal" }, { "ddim", "DDIM" }, { "beta", "Beta" } };
    return names;
}

QJsonObject limit(qint64 value)
{
    return QJsonObject { { "limit_value", value } };
}

const int kMaxPromptChars = 100000;

} // namespace

QString canonicalSampler(const QString& name)
{
    const QString n = name.trimmed();
    const QStringList ours = samplerLabels();
    for (const QString& label : ours)
        if (label.compare(n, Qt::CaseInsensitive) == 0)
            return label;
    for (const SamplerName& s : samplerNames())
        if (s.aliases.contains(n, Qt::CaseInsensitive) && ours.contains(QLatin1String(s.label)))
            return QLatin1String(s.label);
    return {};
}

QStringList samplerAliases(const QString& label)
{
    for (const SamplerName& s : samplerNames())
        if (label == QLatin1String(s.label))
            return s.aliases;
    return {};
}

QString canonicalSchedule(const QString& name)
{
    const QString n = name.trimmed();
    for (const QString& label : scheduleLabels())
        if (label.compare(n, Qt::CaseInsensitive) == 0)
            return label;
    for (const auto& [key, label] : scheduleNames())
        if (key.compare(n, Qt::CaseInsensitive) == 0 && scheduleLabels().contains(label))
            return label;
    return {};
}

bool parseJsonObject(const QByteArray& body, QJsonObject* out, ApiError* error)
{
    if (body.trimmed().isEmpty()) {
        *error
            = ApiError::validation({ ApiError::detail({ "body" }, "field required", "value_error.missing") });
        return false;
    }
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(body, &pe);
    if (pe.error != QJsonParseError::NoError) {
        *error = ApiError::validation({ ApiError::detail({ "body", pe.offset }, pe.errorString(),
            "value_error.jsondecode", QJsonObject { { "pos", pe.offset } }) });
        return false;
    }
    if (!doc.isObject()) {
        *error = ApiError::validation(
            { ApiError::detail({ "body" }, "value is not a valid dict", "type_error.dict") });
        return false;
    }
    *out = doc.object();
    return true;
}

QImage decodeBase64Image(const QString& encoded, QString* why, QByteArray* data)
{
    QString s = encoded;
    if (s.startsWith("http://") || s.startsWith("https://")) {
        *why = QStringLiteral("Requests not allowed");
        return {};
    }
    if (s.startsWith("data:image/")) { // A1111: encoding.split(";")[1].split(",")[1]
        const QStringList parts = s.split(';');
        s = parts.size() > 1 ? parts[1].section(',', 1, 1) : QString();
    }
    const auto decoded
        = QByteArray::fromBase64Encoding(s.toLatin1(), QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded || decoded.decoded.isEmpty()) {
        *why = QStringLiteral("Invalid encoded image");
        return {};
    }
    QBuffer buffer;
    buffer.setData(decoded.decoded);
    QImageReader reader(&buffer);
    const QImage image = reader.read(); // Qt refuses images over its allocation limit (256 MB)
    if (image.isNull())
        *why = QStringLiteral("Invalid encoded image");
    else if (data)
        *data = decoded.decoded;
    return image;
}

bool parseGenerationRequest(const QByteArray& body, bool img2img, const ApiOptions& options,
    const ApiCaps& caps, GenerationRequest* out, ApiError* error)
{
    QJsonObject in;
    if (!parseJsonObject(body, &in, error))
        return false;

    // ---- types: every known field coerced, every error listed (FastAPI reports them all) -----------
    QJsonObject v; // coerced values of the fields given (null = not given)
    QJsonArray details;
    out->echo = QJsonObject();
    for (const Field& f : fields()) {
        if (f.applies == (img2img ? Txt2Img : Img2Img))
            continue;
        const QString name = QLatin1String(f.name);
        const QJsonValue given = in.value(name);
        out->echo.insert(name, f.def);
        if (given.isUndefined() || given.isNull())
            continue;
        QJsonValue c;
        QString msg, type;
        if (!coerce(f.kind, given, &c, &msg, &type)) {
            details.append(ApiError::detail({ "body", name }, msg, type));
            continue;
        }
        if (name == "styles" || name == "init_images") { // List[str]
            const QJsonArray items = c.toArray();
            QJsonArray strings;
            for (int i = 0; i < items.size(); ++i) {
                QJsonValue s;
                if (!coerce('s', items[i], &s, &msg, &type))
                    details.append(ApiError::detail({ "body", name, i }, msg, type));
                strings.append(s);
            }
            c = strings;
        }
        v.insert(name, c);
        out->echo.insert(name, c);
    }
    auto range = [&](const char* name, qint64 lo, qint64 hi) {
        if (!v.contains(QLatin1String(name)))
            return;
        const qint64 x = v.value(QLatin1String(name)).toInteger();
        if (x < lo)
            details.append(ApiError::detail({ "body", name },
                QStringLiteral("ensure this value is greater than or equal to %1").arg(lo),
                "value_error.number.not_ge", limit(lo)));
        else if (x > hi)
            details.append(ApiError::detail({ "body", name },
                QStringLiteral("ensure this value is less than or equal to %1").arg(hi),
                "value_error.number.not_le", limit(hi)));
    };
    // a prompt is encoded before the first step can be interrupted: keep it to what a person types
    for (const char* name : { "prompt", "negative_prompt" })
        if (v.value(QLatin1String(name)).toString().size() > kMaxPromptChars)
            details.append(ApiError::detail({ "body", name },
                QStringLiteral("ensure this value has at most %1 characters").arg(kMaxPromptChars),
                "value_error.any_str.max_length", limit(kMaxPromptChars)));
    range("width", 8, caps.maxWidth);
    range("height", 8, caps.maxHeight);
    range("steps", 1, caps.maxSteps);
    range("batch_size", 1, caps.maxBatchSize);
    range("n_iter", 1, caps.maxBatchCount);
    range("seed", -1, qint64(0xFFFFFFFFFFFFll)); // what the engine's random source takes
    range("subseed", -1, qint64(0xFFFFFFFFFFFFll));
    range("seed_resize_from_w", -1, caps.maxWidth);
    range("seed_resize_from_h", -1, caps.maxHeight);
    if (!details.isEmpty()) {
        *error = ApiError::validation(details);
        return false;
    }
    auto str = [&](const char* name) { return v.value(QLatin1String(name)).toString(); };
    auto has = [&](const char* name) { return v.contains(QLatin1String(name)); };

    // ---- scripts: the X/Y/Z plot (by its title, any case); another is A1111's 422 "Script not found"
    out->scriptName.clear();
    out->scriptArgs = v.value("script_args").toArray();
    if (str("script_name").compare(QLatin1String("x/y/z plot"), Qt::CaseInsensitive) == 0)
        out->scriptName = QStringLiteral("x/y/z plot");
    else if (!str("script_name").isEmpty()) {
        *error = ApiError::http(422, QStringLiteral("Script '%1' not found").arg(str("script_name")));
        return false;
    }
    const QJsonObject alwaysOn = v.value("alwayson_scripts").toObject();
    out->controlUnits.clear();
    for (auto it = alwaysOn.begin(); it != alwaysOn.end(); ++it) {
        if (it.key().compare(QLatin1String("controlnet"), Qt::CaseInsensitive) == 0) {
            if (!parseControlNetArgs(it.value(), &out->controlUnits, error))
                return false;
            continue;
        }
        *error = ApiError::http(422, QStringLiteral("always on script %1 not found").arg(it.key()));
        return false;
    }

    // ---- override_settings: known keys and types only -------------------------------------------
    out->overrideSettings = QJsonObject();
    if (has("override_settings")
        && !options.check(v.value("override_settings").toObject(), &out->overrideSettings, error))
        return false;
    out->restoreAfterwards = !has("override_settings_restore_afterwards")
        || v.value("override_settings_restore_afterwards").toBool();

    // ---- parameters -----------------------------------------------------------------------------
    GenerationParams& p = out->params;
    p = GenerationParams();
    p.prompt = str("prompt").toStdString();
    p.negativePrompt = str("negative_prompt").toStdString();
    p.seed = has("seed") ? v.value("seed").toInteger() : -1;
    p.subseed = has("subseed") ? v.value("subseed").toInteger() : -1;
    p.subseedStrength = has("subseed_strength") ? v.value("subseed_strength").toDouble() : 0.0;
    p.batchSize = has("batch_size") ? int(v.value("batch_size").toInteger()) : 1;
    p.batchCount = has("n_iter") ? int(v.value("n_iter").toInteger()) : 1;
    p.steps = has("steps") ? int(v.value("steps").toInteger()) : 50;
    p.cfgScale = has("cfg_scale") ? v.value("cfg_scale").toDouble() : 7.0;
    // A1111 makes the latent width // 8: a size that is not a multiple of 8 is rounded down
    p.width = (has("width") ? int(v.value("width").toInteger()) : 512) / 8 * 8;
    p.height = (has("height") ? int(v.value("height").toInteger()) : 512) / 8 * 8;
    out->widthGiven = has("width");
    out->heightGiven = has("height");
    if (has("eta"))
        p.eta = v.value("eta").toDouble();
    p.denoisingStrength = has("denoising_strength") ? v.value("denoising_strength").toDouble() : 0.75;
    const QJsonValue clip = out->overrideSettings.value("CLIP_stop_at_last_layers");
    p.clipSkip = clip.isUndefined() ? options.clipSkip() : clip.toInt();
    // random numbers (docs/reference.md §8): the request's override, else the server's options
    auto setting = [&](const char* key) {
        const QJsonValue o = out->overrideSettings.value(QLatin1String(key));
        return o.isUndefined() ? options.value(QLatin1String(key)) : o;
    };
    const QString rng = setting("randn_source").toString().trimmed().toUpper();
    if (rng != QLatin1String("GPU") && rng != QLatin1String("CPU") && rng != QLatin1String("NV")) {
        *error = ApiError::http(422,
            QStringLiteral("randn_source '%1' is not one of GPU, CPU, NV")
                .arg(setting("randn_source").toString()));
        return false;
    }
    p.rngSource = rng.toStdString();
    p.ensd = setting("eta_noise_seed_delta").toInteger(0);
    p.seedResizeFromW = has("seed_resize_from_w") ? int(v.value("seed_resize_from_w").toInteger()) : -1;
    p.seedResizeFromH = has("seed_resize_from_h") ? int(v.value("seed_resize_from_h").toInteger()) : -1;

    // sampler_name or sampler_index (api.py), then the schedule label an old name carries
    // ("DPM++ 2M Karras"); an unknown one is named in a 422 (A1111 silently takes DPM++ 2M)
    const QString samplerGiven = !str("sampler_name").isEmpty() ? str("sampler_name")
        : has("sampler_index")                                  ? str("sampler_index")
                                                                : QStringLiteral("Euler");
    QString schedule = QStringLiteral("Automatic");
    if (!str("scheduler").isEmpty()) {
        schedule = canonicalSchedule(str("scheduler"));
        if (schedule.isEmpty()) {
            *error = ApiError::http(422,
                QStringLiteral("Scheduler not found: '%1' (valid: %2)")
                    .arg(str("scheduler"), scheduleLabels().join(", ")));
            return false;
        }
    }
    QString sampler = canonicalSampler(samplerGiven);
    if (sampler.isEmpty()) {
        const auto [s, sched] = splitSamplerName(samplerGiven, schedule);
        sampler = canonicalSampler(s);
        schedule = sched;
    }
    if (sampler.isEmpty()) {
        *error = ApiError::http(422,
            QStringLiteral("Sampler not found: '%1' (valid: %2)")
                .arg(samplerGiven, samplerLabels().join(", ")));
        return false;
    }
    p.sampler = sampler.toStdString();
    p.scheduler = schedule.toStdString();

    // ---- hires fix (txt2img): the upscaler is checked when the job is built ---------------------
    if (!img2img && has("enable_hr") && v.value("enable_hr").toBool()) {
        p.enableHr = true;
        p.hrScale = has("hr_scale") ? v.value("hr_scale").toDouble() : 2.0;
        p.hrResizeX = int(v.value("hr_resize_x").toInteger(0));
        p.hrResizeY = int(v.value("hr_resize_y").toInteger(0));
        p.hrSteps = int(v.value("hr_second_pass_steps").toInteger(0));
        // A1111: no upscaler named means its latent_upscale_default_mode, "Latent"
        p.hrUpscaler = str("hr_upscaler").isEmpty() ? "Latent" : str("hr_upscaler").toStdString();
        p.hrPrompt = str("hr_prompt").toStdString();
        p.hrNegativePrompt = str("hr_negative_prompt").toStdString();
        if (!str("hr_sampler_name").isEmpty()) {
            const QString hs = canonicalSampler(str("hr_sampler_name"));
            if (hs.isEmpty()) {
                *error = ApiError::http(422,
                    QStringLiteral("Sampler not found: '%1' (valid: %2)")
                        .arg(str("hr_sampler_name"), samplerLabels().join(", ")));
                return false;
            }
            p.hrSampler = hs.toStdString();
        }
        if (!str("hr_scheduler").isEmpty()) {
            const QString hs = canonicalSchedule(str("hr_scheduler"));
            if (hs.isEmpty()) {
                *error = ApiError::http(422,
                    QStringLiteral("Scheduler not found: '%1' (valid: %2)")
                        .arg(str("hr_scheduler"), scheduleLabels().join(", ")));
                return false;
            }
            p.hrScheduler = hs.toStdString();
        }
        const bool byScale = p.hrResizeX == 0 && p.hrResizeY == 0;
        const double tw = byScale ? p.width * p.hrScale : p.hrResizeX,
                     th = byScale ? p.height * p.hrScale : p.hrResizeY;
        if (!(p.hrScale >= 1.0 && p.hrScale <= 8.0) || p.hrResizeX < 0 || p.hrResizeY < 0
            || tw > caps.maxWidth || th > caps.maxHeight || p.hrSteps < 0 || p.hrSteps > caps.maxSteps
            || p.denoisingStrength <= 0) {
            *error = ApiError::http(422,
                QStringLiteral(
                    "hires fix: %1x%2 at hr_scale %3, hr_resize %4x%5, %6 steps, denoising_strength %7 is "
                    "outside this server's limits (size up to %8x%9, steps up to %10, strength above 0)")
                    .arg(tw)
                    .arg(th)
                    .arg(p.hrScale)
                    .arg(p.hrResizeX)
                    .arg(p.hrResizeY)
                    .arg(p.hrSteps)
                    .arg(p.denoisingStrength)
                    .arg(caps.maxWidth)
                    .arg(caps.maxHeight)
                    .arg(caps.maxSteps));
            return false;
        }
    }

    out->img2img = img2img;
    out->sendImages = !has("send_images") || v.value("send_images").toBool();
    out->saveImages = has("save_images") && v.value("save_images").toBool();
    out->includeInitImages = has("include_init_images") && v.value("include_init_images").toBool();
    out->styles.clear();
    for (const QJsonValue& s : v.value("styles").toArray())
        out->styles << s.toString();
    out->ignored.clear();
    for (const char* feature : { "restore_faces", "tiling" })
        if (v.value(QLatin1String(feature)).toBool())
            out->ignored << QLatin1String(feature);

    // ---- images ---------------------------------------------------------------------------------
    out->initImage = QImage();
    out->maskImage = QImage();
    if (img2img) {
        const QJsonArray inits = v.value("init_images").toArray();
        if (inits.isEmpty()) { // api.py: init_images None -> 404
            *error = ApiError::http(404, QStringLiteral("Init image not found"));
            return false;
        }
        // the engine runs int(strength * steps) steps of img2img: none is no image (A1111 fails too)
        if (int(p.denoisingStrength * p.steps) < 1) {
            *error = ApiError::http(422,
                QStringLiteral("denoising_strength %1 x steps %2 leaves no step to run")
                    .arg(p.denoisingStrength)
                    .arg(p.steps));
            return false;
        }
        QString why;
        out->initImage = decodeBase64Image(inits.first().toString(), &why);
        if (out->initImage.isNull()) { // A1111 answers 500; it is the request that is wrong
            *error = ApiError::http(422, QStringLiteral("%1 in init_images[0]").arg(why));
            return false;
        }
        if (!str("mask").isEmpty()) {
            out->maskImage = decodeBase64Image(str("mask"), &why);
            if (out->maskImage.isNull()) {
                *error = ApiError::http(422, QStringLiteral("%1 in mask").arg(why));
                return false;
            }
            out->maskImage = out->maskImage.convertToFormat(QImage::Format_Grayscale8);
        }
        // inpainting as A1111's API defaults it (fill, only masked, padding 0), not as its UI does
        auto given = [&](const char* key) {
            const QJsonValue x = v.value(QLatin1String(key));
            return !x.isNull() && !x.isUndefined();
        };
        auto integer = [&](const char* key, qint64 fallback) {
            return given(key) ? v.value(QLatin1String(key)).toInteger() : fallback;
        };
        p.maskBlurX = int(integer("mask_blur_x", 4));
        p.maskBlurY = int(integer("mask_blur_y", 4));
        if (given("mask_blur")) // processing.py: mask_blur sets both
            p.maskBlurX = p.maskBlurY = int(v.value("mask_blur").toInteger());
        p.inpaintingFill = int(integer("inpainting_fill", 0));
        p.inpaintFullRes = !given("inpaint_full_res") || v.value("inpaint_full_res").toBool();
        p.inpaintFullResPadding = int(integer("inpaint_full_res_padding", 0));
        p.maskInvert = integer("inpainting_mask_invert", 0) != 0;
        if (p.maskBlurX < 0 || p.maskBlurY < 0 || p.maskBlurX > 64 || p.maskBlurY > 64 || p.inpaintingFill < 0
            || p.inpaintingFill > 3 || p.inpaintFullResPadding < 0 || p.inpaintFullResPadding > 256) {
            *error = ApiError::http(422,
                QStringLiteral("mask_blur %1/%2 must be 0-64, inpainting_fill %3 0-3, "
                               "inpaint_full_res_padding %4 0-256")
                    .arg(p.maskBlurX)
                    .arg(p.maskBlurY)
                    .arg(p.inpaintingFill)
                    .arg(p.inpaintFullResPadding));
            return false;
        }
        if (!out->includeInitImages) { // api.py: not echoed unless asked
            out->echo["init_images"] = QJsonValue::Null;
            out->echo["mask"] = QJsonValue::Null;
        }
    }
    return true;
}

} // namespace qd::api
