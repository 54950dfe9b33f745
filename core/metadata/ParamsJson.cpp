#include "core/metadata/ParamsJson.h"

#include <QJsonArray>

namespace qd
{

namespace
{
QString qs(const std::string& s)
{
    return QString::fromStdString(s);
}
std::string ss(const QJsonValue& v, const std::string& fallback)
{
    return v.isString() ? v.toString().toStdString() : fallback;
}
} // namespace

QJsonObject paramsToJson(const GenerationParams& p)
{
    QJsonObject extra;
    for (const auto& [k, v] : p.extra)
        extra.insert(qs(k), qs(v));
    QJsonArray order;
    for (const auto& k : p.extraOrder)
        order.append(qs(k));
    return QJsonObject {
        { "prompt", qs(p.prompt) },
        { "negative_prompt", qs(p.negativePrompt) },
        { "sampler_name", qs(p.sampler) },
        { "scheduler", qs(p.scheduler) },
        { "steps", p.steps },
        { "cfg_scale", p.cfgScale },
        { "guidance_rescale", p.guidanceRescale },
        { "seed", qint64(p.seed) },
        { "subseed", qint64(p.subseed) },
        { "subseed_strength", p.subseedStrength },
        { "seed_resize_from_w", p.seedResizeFromW },
        { "seed_resize_from_h", p.seedResizeFromH },
        { "randn_source", qs(p.rngSource) },
        { "enable_hr", p.enableHr },
        { "hr_scale", p.hrScale },
        { "hr_resize_x", p.hrResizeX },
        { "hr_resize_y", p.hrResizeY },
        { "hr_upscaler", qs(p.hrUpscaler) },
        { "hr_second_pass_steps", p.hrSteps },
        { "hr_sampler_name", qs(p.hrSampler) },
        { "hr_scheduler", qs(p.hrScheduler) },
        { "hr_prompt", qs(p.hrPrompt) },
        { "hr_negative_prompt", qs(p.hrNegativePrompt) },
        { "eta_noise_seed_delta", qint64(p.ensd) },
        { "width", p.width },
        { "height", p.height },
        { "batch_size", p.batchSize },
        { "n_iter", p.batchCount },
        { "clip_skip", p.clipSkip },
        { "eta", p.eta },
        { "init_image", qs(p.initImage) },
        { "mask_image", qs(p.maskImage) },
        { "denoising_strength", p.denoisingStrength },
        { "model_name", qs(p.modelName) },
        { "model_hash", qs(p.modelHash) },
        { "vae_name", qs(p.vaeName) },
        { "vae_hash", qs(p.vaeHash) },
        { "extra", extra },
        { "extra_order", order },
    };
}

GenerationParams paramsFromJson(const QJsonObject& j)
{
    GenerationParams p;
    p.prompt = ss(j.value("prompt"), p.prompt);
    p.negativePrompt = ss(j.value("negative_prompt"), p.negativePrompt);
    p.sampler = ss(j.value("sampler_name"), p.sampler);
    p.scheduler = ss(j.value("scheduler"), p.scheduler);
    p.steps = j.value("steps").toInt(p.steps);
    p.cfgScale = j.value("cfg_scale").toDouble(p.cfgScale);
    p.guidanceRescale = j.value("guidance_rescale").toDouble(p.guidanceRescale);
    p.seed = j.value("seed").toInteger(p.seed);
    p.subseed = j.value("subseed").toInteger(p.subseed);
    p.subseedStrength = j.value("subseed_strength").toDouble(p.subseedStrength);
    p.seedResizeFromW = j.value("seed_resize_from_w").toInt(p.seedResizeFromW);
    p.seedResizeFromH = j.value("seed_resize_from_h").toInt(p.seedResizeFromH);
    p.rngSource = ss(j.value("randn_source"), p.rngSource);
    p.enableHr = j.value("enable_hr").toBool(p.enableHr);
    p.hrScale = j.value("hr_scale").toDouble(p.hrScale);
    p.hrResizeX = j.value("hr_resize_x").toInt(p.hrResizeX);
    p.hrResizeY = j.value("hr_resize_y").toInt(p.hrResizeY);
    p.hrUpscaler = ss(j.value("hr_upscaler"), p.hrUpscaler);
    p.hrSteps = j.value("hr_second_pass_steps").toInt(p.hrSteps);
    p.hrSampler = ss(j.value("hr_sampler_name"), p.hrSampler);
    p.hrScheduler = ss(j.value("hr_scheduler"), p.hrScheduler);
    p.hrPrompt = ss(j.value("hr_prompt"), p.hrPrompt);
    p.hrNegativePrompt = ss(j.value("hr_negative_prompt"), p.hrNegativePrompt);
    p.ensd = j.value("eta_noise_seed_delta").toInteger(p.ensd);
    p.width = j.value("width").toInt(p.width);
    p.height = j.value("height").toInt(p.height);
    p.batchSize = j.value("batch_size").toInt(p.batchSize);
    p.batchCount = j.value("n_iter").toInt(p.batchCount);
    p.clipSkip = j.value("clip_skip").toInt(p.clipSkip);
    p.eta = j.value("eta").toDouble(p.eta);
    p.initImage = ss(j.value("init_image"), p.initImage);
    p.maskImage = ss(j.value("mask_image"), p.maskImage);
    p.denoisingStrength = j.value("denoising_strength").toDouble(p.denoisingStrength);
    p.modelName = ss(j.value("model_name"), p.modelName);
    p.modelHash = ss(j.value("model_hash"), p.modelHash);
    p.vaeName = ss(j.value("vae_name"), p.vaeName);
    p.vaeHash = ss(j.value("vae_hash"), p.vaeHash);
    const QJsonObject extra = j.value("extra").toObject();
    for (auto it = extra.begin(); it != extra.end(); ++it)
        p.extra[it.key().toStdString()] = it.value().toString().toStdString();
    for (const QJsonValue& k : j.value("extra_order").toArray())
        p.extraOrder.push_back(k.toString().toStdString());
    return p;
}

} // namespace qd
