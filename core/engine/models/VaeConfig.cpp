#include "models/VaeConfig.h"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "models/JsonFields.h"

namespace qd
{

using namespace jsonfields;
using nlohmann::json;

namespace
{
const char* kWhat = "VAE config";

std::vector<int64_t> sorted(std::vector<int64_t> v)
{
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    return v;
}
} // namespace

bool VaeConfig::hasAttentionAt(int64_t level) const
{
    const int64_t res = resolution >> level;
    return std::find(attnResolutions.begin(), attnResolutions.end(), res) != attnResolutions.end();
}

bool VaeConfig::operator==(const VaeConfig& o) const
{
    if (inChannels != o.inChannels || outChannels != o.outChannels || ch != o.ch || chMult != o.chMult
        || numResBlocks != o.numResBlocks || zChannels != o.zChannels || doubleZ != o.doubleZ
        || embedDim != o.embedDim || useQuantConv != o.useQuantConv || usePostQuantConv != o.usePostQuantConv
        || std::abs(scaleFactor - o.scaleFactor) > 1e-9)
        return false;
    for (int64_t l = 0; l < levels(); ++l) // resolution only matters through attention placement
        if (hasAttentionAt(l) != o.hasAttentionAt(l))
            return false;
    return true;
}

void VaeConfig::validate() const
{
    auto fail = [](const std::string& key, const json& v, const std::string& expected) {
        bad(kWhat, key, v, expected);
    };
    if (inChannels <= 0)
        fail("in_channels", inChannels, "a positive count");
    if (outChannels <= 0)
        fail("out_ch", outChannels, "a positive count");
    if (ch <= 0 || ch % 32)
        fail("ch", ch, "a positive multiple of 32 (GroupNorm has 32 groups)");
    if (chMult.empty() || std::any_of(chMult.begin(), chMult.end(), [](int64_t m) { return m <= 0; }))
        fail("ch_mult", chMult, "a non-empty list of positive multipliers");
    if (numResBlocks <= 0)
        fail("num_res_blocks", numResBlocks, "a positive count");
    if (zChannels <= 0)
        fail("z_channels", zChannels, "a positive count");
    if (embedDim <= 0)
        fail("embed_dim", embedDim, "a positive count");
    if (!useQuantConv && embedDim != zChannels)
        fail("embed_dim", embedDim, "z_channels (" + std::to_string(zChannels) + ") without quant_conv");
    if (!doubleZ)
        fail("double_z", doubleZ, "true (the encoder must give mean and log-variance)");
    if (resolution <= 0)
        fail("resolution", resolution, "a positive size");
    if (!(scaleFactor > 0) || !std::isfinite(scaleFactor))
        fail("scale_factor", scaleFactor, "a positive number");
}

json VaeConfig::toJson() const
{
    return json { { "embed_dim", embedDim }, { "scale_factor", scaleFactor },
        { "ddconfig",
            { { "double_z", doubleZ }, { "z_channels", zChannels }, { "resolution", resolution },
                { "in_channels", inChannels }, { "out_ch", outChannels }, { "ch", ch }, { "ch_mult", chMult },
                { "num_res_blocks", numResBlocks }, { "attn_resolutions", attnResolutions } } } };
}

VaeConfig VaeConfig::fromLdmParams(const json& params, double scaleFactor)
{
    if (!params.is_object() || !params.contains("ddconfig") || !params.at("ddconfig").is_object())
        throw EngineError(std::string(kWhat) + ": no 'ddconfig' mapping in the first stage params");
    const json& d = params.at("ddconfig");
    VaeConfig c;
    c.embedDim = getInt(params, "embed_dim", 4, kWhat);
    c.inChannels = getInt(d, "in_channels", 3, kWhat);
    c.outChannels = getInt(d, "out_ch", 3, kWhat);
    c.ch = getInt(d, "ch", 128, kWhat);
    c.chMult = getIntList(d, "ch_mult", { 1, 2, 4, 4 }, kWhat);
    c.numResBlocks = getInt(d, "num_res_blocks", 2, kWhat);
    c.attnResolutions = sorted(getIntList(d, "attn_resolutions", {}, kWhat));
    c.resolution = getInt(d, "resolution", 256, kWhat);
    c.zChannels = getInt(d, "z_channels", 4, kWhat);
    c.doubleZ = getBool(d, "double_z", true, kWhat);
    c.scaleFactor = scaleFactor;
    return c;
}

VaeConfig VaeConfig::fromLdmYaml(const json& root)
{
    if (!root.contains("model") || !root["model"].contains("params"))
        throw EngineError(std::string(kWhat) + ": no 'model.params' in the YAML");
    const json& p = root["model"]["params"];
    if (!p.contains("first_stage_config") || !p["first_stage_config"].contains("params"))
        throw EngineError(std::string(kWhat) + ": no 'model.params.first_stage_config.params' in the YAML");
    return fromLdmParams(p["first_stage_config"]["params"], getDouble(p, "scale_factor", 0.18215, kWhat));
}

VaeConfig VaeConfig::fromDiffusersConfig(const json& j)
{
    const std::string what = "diffusers VAE config";
    VaeConfig c;
    c.inChannels = getInt(j, "in_channels", 3, what);
    c.outChannels = getInt(j, "out_channels", 3, what);
    const auto boc = getIntList(j, "block_out_channels", { 64 }, what);
    if (boc.empty() || boc[0] <= 0)
        bad(what, "block_out_channels", j.value("block_out_channels", json()),
            "a non-empty list of positive widths");
    c.ch = boc[0];
    c.chMult.clear();
    for (int64_t b : boc) {
        if (b % c.ch)
            bad(what, "block_out_channels", j.at("block_out_channels"), "multiples of the first width");
        c.chMult.push_back(b / c.ch);
    }
    c.numResBlocks = getInt(j, "layers_per_block", 1, what);
    c.zChannels = c.embedDim = getInt(j, "latent_channels", 4, what);
    c.scaleFactor = getDouble(j, "scaling_factor", 0.18215, what);
    c.useQuantConv = getBool(j, "use_quant_conv", true, what);
    c.usePostQuantConv = getBool(j, "use_post_quant_conv", true, what);
    for (const char* key : { "down_block_types", "up_block_types" })
        if (present(j, key))
            for (const auto& t : j.at(key))
                if (t != "DownEncoderBlock2D" && t != "UpDecoderBlock2D")
                    bad(what, key, j.at(key), "DownEncoderBlock2D / UpDecoderBlock2D blocks");
    if (present(j, "mid_block_add_attention") && !getBool(j, "mid_block_add_attention", true, what))
        bad(what, "mid_block_add_attention", j.at("mid_block_add_attention"), "true");
    if (present(j, "norm_num_groups") && getInt(j, "norm_num_groups", 32, what) != 32)
        bad(what, "norm_num_groups", j.at("norm_num_groups"), "32");
    if (present(j, "act_fn") && j.at("act_fn") != "silu")
        bad(what, "act_fn", j.at("act_fn"), "\"silu\"");
    if (present(j, "shift_factor") && getDouble(j, "shift_factor", 0, what) != 0)
        bad(what, "shift_factor", j.at("shift_factor"), "null or 0");
    return c;
}

VaeConfig VaeConfig::detectFromWeights(const StateDict& sd, const std::string& prefix)
{
    auto has = [&](const std::string& name) { return sd.count(prefix + name) > 0; };
    auto shape = [&](const std::string& name) {
        auto it = sd.find(prefix + name);
        if (it == sd.end())
            throw EngineError("cannot read the VAE architecture from the weights: tensor '" + prefix + name
                + "' is missing");
        return it->second.sizes().vec();
    };
    VaeConfig c;
    const auto convIn = shape("encoder.conv_in.weight"); // [ch, in_channels, 3, 3]
    c.ch = convIn.at(0);
    c.inChannels = convIn.at(1);
    c.chMult.clear();
    for (int64_t l = 0; has("encoder.down." + std::to_string(l) + ".block.0.conv2.weight"); ++l) {
        c.chMult.push_back(shape("encoder.down." + std::to_string(l) + ".block.0.conv2.weight").at(0) / c.ch);
        if (has("encoder.down." + std::to_string(l) + ".attn.0.q.weight"))
            c.attnResolutions.push_back(c.resolution >> l);
    }
    c.attnResolutions = sorted(c.attnResolutions);
    c.numResBlocks = 0;
    while (has("encoder.down.0.block." + std::to_string(c.numResBlocks) + ".conv1.weight"))
        ++c.numResBlocks;
    c.zChannels = shape("decoder.conv_in.weight").at(1);
    c.doubleZ = shape("encoder.conv_out.weight").at(0) == 2 * c.zChannels;
    c.outChannels = shape("decoder.conv_out.weight").at(0);
    c.useQuantConv = has("quant_conv.weight");
    c.usePostQuantConv = has("post_quant_conv.weight");
    c.embedDim = c.usePostQuantConv ? shape("post_quant_conv.weight").at(1) : c.zChannels;
    const bool sdxl = sd.count("model.diffusion_model.label_emb.0.0.weight")
        || sd.count("conditioner.embedders.1.model.text_projection");
    c.scaleFactor = sdxl ? 0.13025 : 0.18215;
    return c;
}

VaeConfig VaeConfig::sd()
{
    return VaeConfig {};
}

VaeConfig VaeConfig::sdxl()
{
    VaeConfig c;
    c.scaleFactor = 0.13025;
    return c;
}

} // namespace qd
