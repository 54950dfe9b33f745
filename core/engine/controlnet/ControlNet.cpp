#include "controlnet/ControlNet.h"

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "io/Checkpoint.h"
#include "io/DiffusersKeys.h"
#include "models/ModelConfig.h"

namespace fs = std::filesystem;

namespace qd
{

using layers::Conv2d;
using torch::Tensor;

namespace
{

bool hasKey(const StateDict& sd, const std::string& key)
{
    return sd.find(key) != sd.end();
}

// The key prefix the ControlNet's tensors sit under, or nullopt-like "?" when none fits.
std::string controlPrefix(const StateDict& sd)
{
    if (hasKey(sd, "control_model.input_hint_block.0.weight"))
        return ControlNetModel::kPrefix;
    if (hasKey(sd, "input_hint_block.0.weight"))
        return "";
    return "?";
}

nlohmann::json readJson(const fs::path& path)
{
    std::ifstream in(path);
    if (!in)
        throw EngineError(path.string() + ": cannot read");
    try {
        return nlohmann::json::parse(in);
    } catch (const std::exception& e) {
        throw EngineError(path.string() + ": not valid JSON (" + e.what() + ")");
    }
}

} // namespace

ControlNetModel::ControlNetModel(const ControlNetConfig& config, const torch::TensorOptions& o)
    : m_config(config)
{
    m_config.validate();
    const UNetConfig& c = m_config.unet;
    // 1. the UNet's encoder: time_embed, label_emb (SDXL), input_blocks, middle_block
    m_encoder = std::make_unique<UNetEncoder>(*this, c, o);
    // 2. zero_convs.N.0 on each input block's output, middle_block_out.0 on the middle block's
    auto zero = register_module("zero_convs", std::make_shared<torch::nn::Module>());
    const auto& skips = m_encoder->skipChannels();
    for (size_t i = 0; i < skips.size(); ++i) {
        auto seq = zero->register_module(std::to_string(i), std::make_shared<torch::nn::Module>());
        m_zeroConvs.push_back(
            seq->register_module("0", std::make_shared<Conv2d>(skips[i], skips[i], 1, 1, 0, o)));
    }
    const int64_t mid = skips.back();
    m_middleOut = register_module("middle_block_out", std::make_shared<torch::nn::Module>())
                      ->register_module("0", std::make_shared<Conv2d>(mid, mid, 1, 1, 0, o));
    // 3. input_hint_block: 3x3 convolutions at the even indices, SiLU between them; convolutions
    // 2, 4, 6 halve the size (cldm.ControlNet)
    auto hint = register_module("input_hint_block", std::make_shared<torch::nn::Module>());
    int64_t in = m_config.hintChannels;
    std::vector<int64_t> widths = m_config.hintWidths;
    widths.push_back(c.modelChannels);
    for (size_t k = 0; k < widths.size(); ++k) {
        const bool down = k % 2 == 0 && k > 0 && k + 1 < widths.size();
        m_hint.push_back(hint->register_module(
            std::to_string(2 * k), std::make_shared<Conv2d>(in, widths[k], 3, down ? 2 : 1, 1, o)));
        in = widths[k];
    }
}

int ControlNetModel::load(const StateDict& sd, const std::string& source, const std::string& prefix)
{
    std::vector<std::string> unexpected; // e.g. a v1.0 file's extra keys: not used, not an error
    LoadOptions opt;
    opt.unexpected = &unexpected;
    return loadModule(*this, sd, prefix, source, opt);
}

UNetResiduals ControlNetModel::forward(
    const Tensor& x, const Tensor& hintIn, const Tensor& t, const Tensor& context, const Tensor& y) const
{
    c10::InferenceMode guard;
    const UNetEncoder::Inputs in = m_encoder->prepare(x, t, context, y, "ControlNet");
    const int64_t n = in.x.size(0), h = in.x.size(2), w = in.x.size(3);
    if (!hintIn.defined() || hintIn.dim() != 4 || hintIn.size(1) != m_config.hintChannels
        || (hintIn.size(0) != 1 && hintIn.size(0) != n) || hintIn.size(2) != 8 * h || hintIn.size(3) != 8 * w)
        throw EngineError("ControlNet control image has shape "
            + (hintIn.defined() ? shapeString(hintIn.sizes()) : "(none)") + ", expected [1, "
            + std::to_string(m_config.hintChannels) + ", " + std::to_string(8 * h) + ", "
            + std::to_string(8 * w) + "] (the output image's size)");
    // 1. the hint encoder: [1, 3, 8h, 8w] -> [1, model_channels, h, w]
    Tensor g = hintIn.to(in.x.device(), in.x.scalar_type());
    for (size_t k = 0; k < m_hint.size(); ++k) {
        g = m_hint[k]->forward(g);
        if (k + 1 < m_hint.size())
            g = layers::silu(g);
    }
    // 2. the encoder, the hint added after conv_in; each block's output through its zero conv
    UNetResiduals r;
    Tensor hs = in.x;
    for (size_t i = 0; i < m_encoder->inputBlocks(); ++i) {
        hs = m_encoder->runInput(i, hs, in);
        if (i == 0)
            hs = hs + g;
        r.down.push_back(m_zeroConvs[i]->forward(hs));
    }
    r.mid = m_middleOut->forward(m_encoder->runMiddle(hs, in));
    return r;
}

StateDict controlNetFromDiffusersKeys(const StateDict& sd)
{
    std::vector<std::string> keys;
    for (const auto& [k, v] : sd)
        keys.push_back(k);
    const DiffusersBlockLayout layout = DiffusersBlockLayout::fromKeys(keys);
    StateDict out;
    for (const auto& [k, v] : sd) {
        const auto r = renameDiffusersKey("sd1", "controlnet", k, layout);
        if (r)
            out.emplace(r->ldmKey, v);
    }
    return out;
}

std::shared_ptr<ControlNetModel> controlNetFromStateDict(const StateDict& sdIn, const std::string& source,
    const ControlNetLoadOptions& options, const nlohmann::json* diffusersConfig)
{
    StateDict renamed;
    const StateDict* sd = &sdIn;
    std::string prefix = controlPrefix(sdIn);
    const bool diffusers = prefix == "?" && hasKey(sdIn, "controlnet_cond_embedding.conv_in.weight");
    if (diffusers) {
        renamed = controlNetFromDiffusersKeys(sdIn);
        sd = &renamed;
        prefix = ControlNetModel::kPrefix;
    } else if (prefix == "?") {
        throw EngineError(source
            + ": not a ControlNet (no 'control_model.input_hint_block.0.weight', "
              "'input_hint_block.0.weight' or diffusers 'controlnet_cond_embedding.conv_in.weight')");
    }
    ControlNetConfig config;
    std::string yaml = options.config;
    if (yaml.empty() && fs::is_regular_file(source))
        yaml = configBeside(source);
    if (!yaml.empty()) {
        config = ControlNetConfig::fromLdmYaml(yamlFileToJson(yaml));
    } else if (diffusers && diffusersConfig) {
        config = ControlNetConfig::fromDiffusersConfig(*diffusersConfig);
    } else {
        config = ControlNetConfig::detectFromWeights(*sd, prefix);
    }
    auto model = std::make_shared<ControlNetModel>(
        config, torch::TensorOptions().dtype(options.dtype).device(options.device));
    model->load(*sd, source, prefix);
    return model;
}

std::shared_ptr<ControlNetModel> loadControlNet(const std::string& path, const ControlNetLoadOptions& options)
{
    if (!fs::exists(path))
        throw EngineError(path + ": no such ControlNet file or folder");
    fs::path weights = path;
    fs::path configJson;
    if (fs::is_directory(path)) {
        // a diffusers ControlNetModel folder
        for (const char* name : { "diffusion_pytorch_model.safetensors",
                 "diffusion_pytorch_model.fp16.safetensors", "diffusion_pytorch_model.bin" })
            if (fs::exists(fs::path(path) / name)) {
                weights = fs::path(path) / name;
                break;
            }
        if (weights == fs::path(path))
            throw EngineError(
                path + ": a folder without diffusion_pytorch_model.safetensors (not a diffusers ControlNet)");
    }
    if (fs::exists(weights.parent_path() / "config.json"))
        configJson = weights.parent_path() / "config.json";
    const StateDict sd = loadCheckpoint(weights.string());
    nlohmann::json config;
    if (!configJson.empty() && controlPrefix(sd) == "?") {
        config = readJson(configJson);
        return controlNetFromStateDict(sd, weights.string(), options, &config);
    }
    return controlNetFromStateDict(sd, weights.string(), options);
}

} // namespace qd
