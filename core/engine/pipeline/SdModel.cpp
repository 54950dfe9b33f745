#include "pipeline/SdModel.h"

#include <filesystem>

#include <torch/torch.h>

#include "io/Checkpoint.h"
#include "models/TinyModels.h"
#include "pipeline/Resources.h"

namespace fs = std::filesystem;

namespace qd
{

namespace
{

// The VAE runs in fp32 unless bf16 was asked for: SD 1.x and XL VAEs overflow in fp16 (A1111's
// --no-half-vae problem).
torch::ScalarType vaeDtype(torch::ScalarType dtype)
{
    return dtype == torch::kBFloat16 ? torch::kBFloat16 : torch::kFloat32;
}

// A separate VAE file: "first_stage_model.*" keys, or bare "encoder.* / decoder.*" ones as the
// VAE files artists download have.
StateDict vaeFileTensors(const std::string& path, torch::ScalarType dtype)
{
    CheckpointLoadOptions opts;
    opts.floatDtype = dtype;
    StateDict raw = loadCheckpoint(path, opts);
    StateDict out;
    for (auto& [k, t] : raw) {
        if (k.rfind(AutoencoderKL::kPrefix, 0) == 0)
            out.emplace(k, t);
        else if (k.rfind("encoder.", 0) == 0 || k.rfind("decoder.", 0) == 0 || k.rfind("quant_conv.", 0) == 0
            || k.rfind("post_quant_conv.", 0) == 0)
            out.emplace(AutoencoderKL::kPrefix + k, t);
    }
    if (out.empty())
        throw EngineError(
            path + ": no VAE tensors (expected 'encoder.*' / 'decoder.*' or 'first_stage_model.*' keys)");
    return out;
}

} // namespace

std::unique_ptr<SdModel> SdModel::fromStateDict(
    const StateDict& sd, ModelConfig config, const std::string& source, const SdLoadOptions& options)
{
    c10::InferenceMode guard;
    std::unique_ptr<SdModel> m(new SdModel);
    m->m_device = options.device;
    m->m_dtype = options.dtype;
    const ModelFamily detected = detectFamily(sd, source);
    if (config.yamlRoot.is_null() && config.diffusersConfigs.empty())
        config = ModelConfig::defaults(detected);
    else if (config.family != detected)
        throw EngineError(source + ": the config (" + config.source + ") describes an "
            + familyName(config.family) + " model but the weights are " + familyName(detected));
    const auto opts = torch::TensorOptions().dtype(options.dtype).device(options.device);

    // 1. text encoders: sizes from the weights, reading rules from the family
    m->m_conditioner = std::make_unique<Conditioner>(Conditioner::fromStateDict(sd, source, opts));
    if (config.family == ModelFamily::SD2 && config.diffusersConfigs.count("text_encoder"))
        m->m_conditioner->setLayersFromEnd(0, 0); // the folder's encoder already ends at the layer SD2 reads

    // 2. UNet: YAML, diffusers config.json, or the shapes
    UNetConfig unetConfig;
    if (!config.yamlRoot.is_null())
        unetConfig = UNetConfig::fromLdmYaml(config.yamlRoot);
    else if (config.diffusersConfigs.count("unet"))
        unetConfig = UNetConfig::fromDiffusersConfig(config.diffusersConfigs.at("unet"));
    else
        unetConfig = UNetConfig::detectFromWeights(sd);
    m->m_unet = std::make_shared<UNetModel>(unetConfig, opts);
    m->m_unet->load(sd, source);

    // 3. VAE
    VaeConfig vaeConfig;
    if (!config.yamlRoot.is_null())
        vaeConfig = VaeConfig::fromLdmYaml(config.yamlRoot);
    else if (config.diffusersConfigs.count("vae"))
        vaeConfig = VaeConfig::fromDiffusersConfig(config.diffusersConfigs.at("vae"));
    else
        vaeConfig = VaeConfig::detectFromWeights(sd);
    vaeConfig.scaleFactor = config.scaleFactor;
    const auto vaeOpts = torch::TensorOptions().dtype(vaeDtype(options.dtype)).device(options.device);
    m->m_vae = std::make_shared<AutoencoderKL>(vaeConfig, vaeOpts);
    if (!options.vaePath.empty())
        m->m_vae->load(vaeFileTensors(options.vaePath, vaeDtype(options.dtype)), options.vaePath);
    else
        m->m_vae->load(sd, source);

    // 4. what the UNet predicts: SD 2.x without a config is tested as AUTOMATIC1111 does
    if (!config.predictionKnown && config.family == ModelFamily::SD2)
        config.prediction = looksLikeVPrediction(*m->m_unet) ? Prediction::V : Prediction::Epsilon;
    m->m_config = std::move(config);
    return m;
}

std::unique_ptr<SdModel> SdModel::fromFile(
    const std::string& path, const std::string& configPath, const SdLoadOptions& options)
{
    // Tensors stay as stored (memory-mapped, zero-copy); loadModule converts each one while copying
    // it into the module, so no second full-size converted copy is ever made.
    Checkpoint ckpt = readCheckpoint(path);
    ModelConfig config;
    const std::string yaml = !configPath.empty() ? configPath : configBeside(path);
    if (!yaml.empty()) {
        config = ModelConfig::fromYaml(yaml);
    } else if (ckpt.format == CheckpointFormat::Diffusers) {
        config = ModelConfig::defaults(detectFamily(ckpt.tensors, path));
        config.diffusersConfigs = ckpt.configs;
        config.source = path;
        if (ckpt.configs.count("vae"))
            config.scaleFactor = ckpt.configs["vae"].value("scaling_factor", config.scaleFactor);
        if (ckpt.configs.count("scheduler")) {
            const auto& s = ckpt.configs["scheduler"];
            config.prediction = s.value("prediction_type", "epsilon") == "v_prediction" ? Prediction::V
                                                                                        : Prediction::Epsilon;
            config.predictionKnown = true;
            config.linearStart = s.value("beta_start", config.linearStart);
            config.linearEnd = s.value("beta_end", config.linearEnd);
            config.timesteps = s.value("num_train_timesteps", config.timesteps);
        }
    }
    return fromStateDict(ckpt.tensors, std::move(config), path, options);
}

std::unique_ptr<SdModel> SdModel::demo(const SdLoadOptions& options)
{
    if (demoModel() == DemoModel::Shapes)
        return fromFile(
            resourcePath("demo/qd-shapes.safetensors"), resourcePath("demo/qd-shapes.yaml"), options);
    const StateDict sd = tinyStateDict("sd1", resourcePath("tiny_layouts.json"));
    return fromStateDict(
        sd, ModelConfig::fromYaml(resourcePath("configs/demo-sd1-tiny.yaml")), "demo model", options);
}

NoiseScheduleConfig SdModel::scheduleConfig() const
{
    NoiseScheduleConfig c;
    c.numTrainTimesteps = m_config.timesteps;
    c.betaStart = m_config.linearStart;
    c.betaEnd = m_config.linearEnd;
    c.prediction = m_config.prediction;
    return c;
}

int64_t SdModel::unetInChannels() const
{
    return m_unet->config().inChannels;
}

torch::Tensor SdModel::unetCall(const torch::Tensor& xIn, const torch::Tensor& t, const Conditioning& cond,
    const UNetResiduals* residuals)
{
    auto x = xIn.to(m_device, m_dtype);
    auto concat = cond.tensors.find("c_concat"); // inpainting models: mask + masked-image latents
    if (concat != cond.tensors.end())
        x = torch::cat({ x, concat->second.to(m_device, m_dtype) }, 1);
    const auto& context = cond.tensors.at("context");
    auto y = cond.tensors.find("y");
    auto out = m_unet->forward(x, t.to(m_device, torch::kFloat32), context.to(m_device, m_dtype),
        y == cond.tensors.end() ? torch::Tensor() : y->second.to(m_device, m_dtype), residuals);
    return out.to(xIn.device(), torch::kFloat32);
}

Conditioning SdModel::conditioning(const TextConditioning& text, int width, int height) const
{
    Conditioning c;
    c.tensors["context"] = text.context;
    if (m_config.family == ModelFamily::SDXL) {
        // original size = target size = the image size, no crop (what diffusers and A1111 default to)
        const auto timeIds
            = Conditioner::sdxlTimeIds(height, width, 0, 0, height, width).to(text.pooled.device());
        c.tensors["y"] = m_unet->admVector(text.pooled.to(torch::kFloat32), timeIds.to(torch::kFloat32));
    }
    return c;
}

VaeMoments SdModel::encodeImage(const torch::Tensor& image)
{
    return m_vae->encode(image.to(m_device, vaeDtype(m_dtype)));
}

torch::Tensor SdModel::decodeLatent(const torch::Tensor& latent)
{
    return m_vae->decode((latent / m_config.scaleFactor).to(m_device, vaeDtype(m_dtype))).to(torch::kFloat32);
}

LoraModelView SdModel::loraView()
{
    LoraModelView v;
    v.family = m_config.family == ModelFamily::SDXL ? "sdxl"
        : m_config.family == ModelFamily::SD2       ? "sd2"
                                                    : "sd1";
    for (const auto& p : m_unet->named_parameters())
        v.weights.emplace(UNetModel::kPrefix + p.key(), p.value());
    // where each encoder sits in a single file (Conditioner::fromStateDict reads them from there)
    switch (m_conditioner->family()) {
    case TextFamily::SD1:
        v.textPrefixes = { "cond_stage_model.transformer." };
        break;
    case TextFamily::SD2:
        v.textPrefixes = { "cond_stage_model.model." };
        break;
    case TextFamily::SDXL:
        v.textPrefixes = { "conditioner.embedders.0.transformer.", "conditioner.embedders.1.model." };
        break;
    }
    const auto& encoders = m_conditioner->encoders();
    for (size_t i = 0; i < encoders.size() && i < v.textPrefixes.size(); ++i)
        for (const auto& p : encoders[i].model->named_parameters())
            v.weights.emplace(v.textPrefixes[i] + p.key(), p.value());
    // diffusers up block i is level L-1-i of the LDM UNet
    const UNetConfig& c = m_unet->config();
    v.layersPerBlock = int(c.numResBlocks);
    for (int64_t i = 0; i < c.levels(); ++i)
        v.upBlockHasAttention.push_back(c.hasAttentionAt(c.levels() - 1 - i));
    return v;
}

void SdModel::setLoras(const std::vector<LoraUse>& loras)
{
    if (loras.empty() && m_loras.applied().empty())
        return;
    LoraModelView view = loraView();
    m_loras.apply(view, loras);
}

bool looksLikeVPrediction(UNetModel& unet)
{
    c10::InferenceMode guard;
    const auto opts = unet.parameters().front().options();
    const auto x = torch::full({ 1, unet.config().inChannels, 8, 8 }, 0.5, opts);
    const auto context = torch::full({ 1, 2, unet.config().contextDim }, 0.5, opts);
    const auto t = torch::full({ 1 }, 999.0, opts.dtype(torch::kFloat32));
    const double mean = (unet.forward(x, t, context) - x).mean().item<double>();
    return mean < -1.0;
}

} // namespace qd
