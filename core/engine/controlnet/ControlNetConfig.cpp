#include "controlnet/ControlNetConfig.h"

#include <nlohmann/json.hpp>

#include "models/JsonFields.h"

namespace qd
{

using nlohmann::json;

namespace
{

std::string listString(const std::vector<int64_t>& v)
{
    std::string s = "[";
    for (size_t i = 0; i < v.size(); ++i)
        s += (i ? ", " : "") + std::to_string(v[i]);
    return s + "]";
}

} // namespace

int64_t ControlNetConfig::downResiduals() const
{
    // input_blocks.0 (conv_in), num_res_blocks per level, a Downsample between levels
    return 1 + unet.levels() * unet.numResBlocks + (unet.levels() - 1);
}

std::string unetFamilyWords(const UNetConfig& c)
{
    if (c.numClasses == "sequential")
        return "SDXL";
    return c.useLinearInTransformer ? "SD 2.x" : "SD 1.x";
}

std::string ControlNetConfig::describe() const
{
    return unetFamilyWords(unet) + " (context " + std::to_string(unet.contextDim) + ")";
}

void ControlNetConfig::validate() const
{
    unet.validate();
    if (hintChannels <= 0)
        jsonfields::bad("ControlNet config", "hint_channels", hintChannels, "a positive count");
    if (hintWidths.empty())
        jsonfields::bad("ControlNet config", "input_hint_block", hintWidths, "at least two convolutions");
    for (int64_t w : hintWidths)
        if (w <= 0)
            jsonfields::bad("ControlNet config", "input_hint_block", hintWidths, "positive widths");
}

ControlNetConfig ControlNetConfig::fromLdmYaml(const json& root)
{
    const char* what = "ControlNet YAML";
    if (!root.contains("model") || !root["model"].contains("params")
        || !root["model"]["params"].contains("control_stage_config")
        || !root["model"]["params"]["control_stage_config"].contains("params"))
        throw EngineError(std::string(what) + ": no 'model.params.control_stage_config.params'");
    const json& p = root["model"]["params"]["control_stage_config"]["params"];
    ControlNetConfig c;
    // cldm's ControlNet takes the UNet's parameters (no out_channels) plus hint_channels.
    json unetParams = p;
    unetParams.erase("hint_channels");
    unetParams.erase("global_average_pooling");
    c.unet = UNetConfig::fromLdmParams(unetParams);
    c.hintChannels = jsonfields::getInt(p, "hint_channels", 3, what);
    if (jsonfields::getBool(p, "global_average_pooling", false, what))
        jsonfields::bad(
            what, "global_average_pooling", true, "false (shuffle-style models are not supported)");
    if (c.unet.numClasses == "sequential")
        c.unet.admTimeEmbedDim = 256;
    c.validate();
    return c;
}

ControlNetConfig ControlNetConfig::fromDiffusersConfig(const json& j)
{
    const std::string what = "diffusers ControlNet config";
    // The keys only a ControlNetModel has; the rest is a UNet2DConditionModel's encoder.
    json u = j;
    for (const char* k : { "conditioning_channels", "conditioning_embedding_out_channels",
             "controlnet_conditioning_channel_order", "global_pool_conditions", "mid_block_scale_factor",
             "downsample_padding", "norm_eps", "addition_embed_type_num_heads", "encoder_hid_dim_type",
             "num_class_embeds", "upcast_attention" })
        u.erase(k);
    ControlNetConfig c;
    c.unet = UNetConfig::fromDiffusersConfig(u);
    c.hintChannels = jsonfields::getInt(j, "conditioning_channels", 3, what);
    const auto widths
        = jsonfields::getIntList(j, "conditioning_embedding_out_channels", { 16, 32, 96, 256 }, what);
    // ControlNetConditioningEmbedding: conv_in to widths[0], then per step a same-width conv and a
    // stride-2 conv to the next width; conv_out to block_out_channels[0].
    c.hintWidths.clear();
    for (size_t i = 0; i < widths.size(); ++i) {
        c.hintWidths.push_back(widths[i]);
        if (i + 1 < widths.size())
            c.hintWidths.push_back(widths[i]);
    }
    if (jsonfields::present(j, "controlnet_conditioning_channel_order")
        && j.at("controlnet_conditioning_channel_order") != "rgb")
        jsonfields::bad(what, "controlnet_conditioning_channel_order",
            j.at("controlnet_conditioning_channel_order"), "\"rgb\"");
    if (jsonfields::present(j, "global_pool_conditions")
        && jsonfields::getBool(j, "global_pool_conditions", false, what))
        jsonfields::bad(
            what, "global_pool_conditions", true, "false (shuffle-style models are not supported)");
    c.validate();
    return c;
}

ControlNetConfig ControlNetConfig::detectFromWeights(const StateDict& sd, const std::string& prefix)
{
    ControlNetConfig c;
    c.unet = UNetConfig::detectFromWeights(sd, prefix);
    c.unet.outChannels = c.unet.inChannels;
    c.hintWidths.clear();
    int64_t k = 0;
    for (;; k += 2) {
        auto it = sd.find(prefix + "input_hint_block." + std::to_string(k) + ".weight");
        if (it == sd.end())
            break;
        if (k == 0)
            c.hintChannels = it->second.size(1);
        c.hintWidths.push_back(it->second.size(0)); // [out, in, 3, 3]
    }
    if (c.hintWidths.size() < 2)
        throw EngineError("cannot read the ControlNet architecture from the weights: '" + prefix
            + "input_hint_block.*' has " + std::to_string(c.hintWidths.size())
            + " convolutions, expected 8 (is this a ControlNet?)");
    c.hintWidths.pop_back(); // the last one outputs model_channels
    c.validate();
    return c;
}

void checkControlNetFits(const ControlNetConfig& control, const UNetConfig& unet,
    const std::string& modelFamily, const std::string& name)
{
    const UNetConfig& c = control.unet;
    auto article = [](const std::string& words) {
        return std::string(words.rfind("SD", 0) == 0 ? "an " : "a ") + words;
    };
    if (c.contextDim != unet.contextDim
        || (c.numClasses == "sequential") != (unet.numClasses == "sequential"))
        throw EngineError(name + ": a ControlNet for " + control.describe() + " cannot guide "
            + article(modelFamily) + " model (context " + std::to_string(unet.contextDim) + ")");
    if (c.modelChannels != unet.modelChannels || c.channelMult != unet.channelMult
        || c.numResBlocks != unet.numResBlocks || c.admInChannels != unet.admInChannels)
        throw EngineError(name + ": a ControlNet for " + control.describe() + " with "
            + std::to_string(c.modelChannels) + " channels x " + listString(c.channelMult) + ", "
            + std::to_string(c.numResBlocks) + " res blocks cannot guide " + article(modelFamily)
            + " model with " + std::to_string(unet.modelChannels) + " channels x "
            + listString(unet.channelMult) + ", " + std::to_string(unet.numResBlocks) + " res blocks");
}

} // namespace qd
