#include "models/UNetConfig.h"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "models/JsonFields.h"

namespace qd
{

using namespace jsonfields;
using nlohmann::json;

namespace
{

const char* kWhat = "UNet config";

std::vector<int64_t> sortedResolutions(std::vector<int64_t> r)
{
    std::sort(r.begin(), r.end(), std::greater<>());
    r.erase(std::unique(r.begin(), r.end()), r.end());
    return r;
}

// A per-level list read from an int (same for every level) or a list of exactly `levels` values.
std::vector<int64_t> perLevel(const json& j, const std::string& key, int64_t levels, int64_t def)
{
    bool scalar = false;
    auto v = getIntList(j, key, { def }, kWhat, &scalar);
    if (!present(j, key) || scalar)
        return std::vector<int64_t>(size_t(levels), v.at(0));
    if (int64_t(v.size()) != levels)
        bad(kWhat, key, j.at(key), std::to_string(levels) + " values, one per channel_mult level");
    return v;
}

// An int, or a list whose values must all be equal (some configs repeat a value per level).
int64_t uniform(const json& j, const std::string& key, int64_t def)
{
    auto v = getIntList(j, key, { def }, kWhat);
    if (v.empty() || std::any_of(v.begin(), v.end(), [&](int64_t x) { return x != v[0]; }))
        bad(kWhat, key, j.at(key), "one value for every level");
    return v[0];
}

void refuse(const json& j, const std::string& key, bool unsupported, const std::string& expected)
{
    if (unsupported)
        bad(kWhat, key, j.at(key), expected + " (other values are not supported)");
}

} // namespace

bool UNetConfig::hasAttentionAt(int64_t level) const
{
    return std::find(attentionResolutions.begin(), attentionResolutions.end(), int64_t(1) << level)
        != attentionResolutions.end();
}

int64_t UNetConfig::headsFor(int64_t channels) const
{
    return numHeadChannels > 0 ? channels / numHeadChannels : numHeads;
}

bool UNetConfig::operator==(const UNetConfig& o) const
{
    if (inChannels != o.inChannels || outChannels != o.outChannels || modelChannels != o.modelChannels
        || channelMult != o.channelMult || numResBlocks != o.numResBlocks
        || sortedResolutions(attentionResolutions) != sortedResolutions(o.attentionResolutions)
        || useLinearInTransformer != o.useLinearInTransformer || admInChannels != o.admInChannels
        || numClasses != o.numClasses || admTimeEmbedDim != o.admTimeEmbedDim)
        return false;
    bool anyAttention = false;
    // Heads, depths and the context width only matter where there is attention; compare what the
    // two would build (8 heads of 40 == 40 channels per head at 320 wide).
    for (int64_t l = 0; l < levels(); ++l) {
        if (!hasAttentionAt(l))
            continue;
        anyAttention = true;
        const int64_t ch = modelChannels * channelMult[l];
        if (headsFor(ch) != o.headsFor(ch) || transformerDepth.at(l) != o.transformerDepth.at(l))
            return false;
    }
    const int64_t mid = modelChannels * channelMult.back();
    return headsFor(mid) == o.headsFor(mid) && transformerDepthMiddle == o.transformerDepthMiddle
        && (!anyAttention || contextDim == o.contextDim);
}

void UNetConfig::validate() const
{
    auto fail = [](const std::string& key, const json& v, const std::string& expected) {
        bad(kWhat, key, v, expected);
    };
    if (inChannels <= 0)
        fail("in_channels", inChannels, "a positive count");
    if (outChannels <= 0)
        fail("out_channels", outChannels, "a positive count");
    // Every normalisation has 32 groups, so every width must divide by 32.
    if (modelChannels <= 0 || modelChannels % 32)
        fail("model_channels", modelChannels, "a positive multiple of 32 (GroupNorm has 32 groups)");
    if (channelMult.empty()
        || std::any_of(channelMult.begin(), channelMult.end(), [](int64_t m) { return m <= 0; }))
        fail("channel_mult", channelMult, "a non-empty list of positive multipliers");
    if (numResBlocks <= 0)
        fail("num_res_blocks", numResBlocks, "a positive count");
    for (int64_t r : attentionResolutions)
        if (r <= 0 || (r & (r - 1)) || r > (int64_t(1) << (levels() - 1)))
            fail("attention_resolutions", attentionResolutions,
                "downsampling factors among 1, 2, ... " + std::to_string(int64_t(1) << (levels() - 1)));
    if ((numHeads > 0) == (numHeadChannels > 0))
        fail(numHeads > 0 ? "num_head_channels" : "num_heads", numHeads > 0 ? numHeadChannels : numHeads,
            "exactly one of num_heads and num_head_channels to be positive");
    if (int64_t(transformerDepth.size()) != levels())
        fail("transformer_depth", transformerDepth, std::to_string(levels()) + " values, one per level");
    if (transformerDepthMiddle <= 0)
        fail("transformer_depth_middle", transformerDepthMiddle, "a positive count");
    auto checkHeads = [&](int64_t ch) {
        const char* key = numHeadChannels > 0 ? "num_head_channels" : "num_heads";
        const int64_t v = numHeadChannels > 0 ? numHeadChannels : numHeads;
        if (ch % v)
            fail(key, v, "a divisor of the attention width " + std::to_string(ch));
    };
    for (int64_t l = 0; l < levels(); ++l) {
        if (!hasAttentionAt(l))
            continue;
        checkHeads(modelChannels * channelMult[l]);
        if (transformerDepth[l] <= 0)
            fail("transformer_depth", transformerDepth, "a positive depth at every level with attention");
    }
    checkHeads(modelChannels * channelMult.back());
    if (contextDim <= 0)
        fail("context_dim", contextDim, "a positive width");
    if (!numClasses.empty() && numClasses != "sequential")
        fail("num_classes", numClasses, "\"sequential\" or none");
    if (numClasses == "sequential" && admInChannels <= 0)
        fail("adm_in_channels", admInChannels, "a positive width when num_classes is \"sequential\"");
    if (numClasses.empty() && admInChannels != 0)
        fail("num_classes", numClasses, "\"sequential\" when adm_in_channels is set");
    if (numClasses == "sequential" && (admTimeEmbedDim <= 0 || admTimeEmbedDim % 2))
        fail("outdim", admTimeEmbedDim, "a positive even width for the size / crop embeddings");
}

json UNetConfig::toJson() const
{
    json j { { "in_channels", inChannels }, { "out_channels", outChannels },
        { "model_channels", modelChannels }, { "channel_mult", channelMult },
        { "num_res_blocks", numResBlocks }, { "attention_resolutions", attentionResolutions },
        { "transformer_depth", transformerDepth }, { "transformer_depth_middle", transformerDepthMiddle },
        { "context_dim", contextDim }, { "use_linear_in_transformer", useLinearInTransformer } };
    if (numHeadChannels > 0)
        j["num_head_channels"] = numHeadChannels;
    else
        j["num_heads"] = numHeads;
    if (!numClasses.empty()) {
        j["num_classes"] = numClasses;
        j["adm_in_channels"] = admInChannels;
        j["adm_time_embed_dim"] = admTimeEmbedDim;
    }
    return j;
}

UNetConfig UNetConfig::fromLdmParams(const json& p)
{
    if (!p.is_object())
        throw EngineError(std::string(kWhat) + ": the UNet params are not a mapping");
    UNetConfig c;
    c.inChannels = getInt(p, "in_channels", 4, kWhat);
    c.outChannels = getInt(p, "out_channels", 4, kWhat);
    c.modelChannels = getInt(p, "model_channels", 320, kWhat);
    c.channelMult = getIntList(p, "channel_mult", { 1, 2, 4, 8 }, kWhat); // openaimodel's default
    c.numResBlocks = uniform(p, "num_res_blocks", 2);
    c.attentionResolutions = sortedResolutions(getIntList(p, "attention_resolutions", {}, kWhat));
    c.numHeads = getInt(p, "num_heads", -1, kWhat);
    c.numHeadChannels = getInt(p, "num_head_channels", -1, kWhat);
    // openaimodel: a num_head_channels other than -1 wins over num_heads.
    if (c.numHeadChannels > 0)
        c.numHeads = -1;
    c.transformerDepth = perLevel(p, "transformer_depth", c.levels(), 1);
    c.transformerDepthMiddle = getInt(p, "transformer_depth_middle", c.transformerDepth.back(), kWhat);
    c.contextDim = present(p, "context_dim") ? uniform(p, "context_dim", 0) : -1;
    c.useLinearInTransformer = getBool(p, "use_linear_in_transformer", false, kWhat);
    // `legacy` only changes head widths of the old non-spatial attention, which SD never uses.
    c.numClasses = present(p, "num_classes")
        ? (p.at("num_classes").is_string() ? p.at("num_classes").get<std::string>()
                                           : p.at("num_classes").dump())
        : "";
    c.admInChannels = getInt(p, "adm_in_channels", 0, kWhat);
    c.admTimeEmbedDim = c.numClasses == "sequential" ? 256 : 0;
    // Switches that select code paths the released SD models do not use.
    if (present(p, "use_spatial_transformer"))
        refuse(p, "use_spatial_transformer", !getBool(p, "use_spatial_transformer", true, kWhat), "true");
    if (present(p, "use_scale_shift_norm"))
        refuse(p, "use_scale_shift_norm", getBool(p, "use_scale_shift_norm", false, kWhat), "false");
    if (present(p, "resblock_updown"))
        refuse(p, "resblock_updown", getBool(p, "resblock_updown", false, kWhat), "false");
    if (present(p, "dims"))
        refuse(p, "dims", getInt(p, "dims", 2, kWhat) != 2, "2");
    if (present(p, "disable_self_attentions"))
        refuse(p, "disable_self_attentions", true, "none");
    if (present(p, "num_attention_blocks"))
        refuse(p, "num_attention_blocks", true, "none");
    if (present(p, "disable_middle_self_attn"))
        refuse(p, "disable_middle_self_attn", getBool(p, "disable_middle_self_attn", false, kWhat), "false");
    return c;
}

UNetConfig UNetConfig::fromLdmYaml(const json& root)
{
    const json* params = nullptr;
    if (root.contains("model") && root["model"].contains("params"))
        params = &root["model"]["params"];
    if (!params)
        throw EngineError(std::string(kWhat) + ": no 'model.params' in the YAML");
    const char* key = params->contains("unet_config") ? "unet_config" : "network_config";
    if (!params->contains(key) || !(*params)[key].contains("params"))
        throw EngineError(std::string(kWhat)
            + ": no 'model.params.unet_config.params' or "
              "'model.params.network_config.params' in the YAML");
    UNetConfig c = fromLdmParams((*params)[key]["params"]);
    // SDXL: the size / crop numbers are embedded by the conditioner, each `outdim` wide.
    if (c.numClasses == "sequential" && params->contains("conditioner_config")) {
        const json& cond = (*params)["conditioner_config"];
        if (cond.contains("params") && cond["params"].contains("emb_models"))
            for (const auto& m : cond["params"]["emb_models"]) {
                const std::string target = getString(m, "target", "", kWhat);
                const std::string suffix = "ConcatTimestepEmbedderND";
                if (target.size() >= suffix.size()
                    && target.compare(target.size() - suffix.size(), suffix.size(), suffix) == 0
                    && m.contains("params"))
                    c.admTimeEmbedDim = getInt(m["params"], "outdim", c.admTimeEmbedDim, kWhat);
            }
    }
    return c;
}

UNetConfig UNetConfig::fromDiffusersConfig(const json& j)
{
    const std::string what = "diffusers UNet config";
    auto dbad
        = [&](const std::string& key, const std::string& expected) { bad(what, key, j.at(key), expected); };
    UNetConfig c;
    c.inChannels = getInt(j, "in_channels", 4, what);
    c.outChannels = getInt(j, "out_channels", 4, what);
    const auto boc = getIntList(j, "block_out_channels", { 320, 640, 1280, 1280 }, what);
    if (boc.empty() || boc[0] <= 0)
        dbad("block_out_channels", "a non-empty list of positive widths");
    c.modelChannels = boc[0];
    c.channelMult.clear();
    for (int64_t b : boc) {
        if (b % c.modelChannels)
            dbad("block_out_channels", "multiples of the first width");
        c.channelMult.push_back(b / c.modelChannels);
    }
    const int64_t levels = c.levels();
    c.numResBlocks = getIntList(j, "layers_per_block", { 2 }, what).at(0);
    std::vector<std::string> down { "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D",
        "DownBlock2D" };
    if (present(j, "down_block_types"))
        down = j.at("down_block_types").get<std::vector<std::string>>();
    if (int64_t(down.size()) != levels)
        dbad("down_block_types", std::to_string(levels) + " blocks, one per block_out_channels entry");
    c.attentionResolutions.clear();
    for (int64_t l = 0; l < levels; ++l) {
        if (down[l] == "CrossAttnDownBlock2D")
            c.attentionResolutions.push_back(int64_t(1) << l);
        else if (down[l] != "DownBlock2D")
            dbad("down_block_types", "CrossAttnDownBlock2D or DownBlock2D");
    }
    c.attentionResolutions = sortedResolutions(c.attentionResolutions);
    if (present(j, "mid_block_type") && j.at("mid_block_type") != "UNetMidBlock2DCrossAttn")
        dbad("mid_block_type", "UNetMidBlock2DCrossAttn");
    c.contextDim = getIntList(j, "cross_attention_dim", { 1280 }, what).at(0);
    bool scalar = false;
    auto depth = getIntList(j, "transformer_layers_per_block", { 1 }, what, &scalar);
    if (scalar || !present(j, "transformer_layers_per_block"))
        depth.assign(size_t(levels), depth.at(0));
    if (int64_t(depth.size()) != levels)
        dbad("transformer_layers_per_block", std::to_string(levels) + " values");
    c.transformerDepth = depth;
    c.transformerDepthMiddle = depth.back();
    if (present(j, "reverse_transformer_layers_per_block"))
        dbad("reverse_transformer_layers_per_block", "null");
    c.useLinearInTransformer = getBool(j, "use_linear_projection", false, what);
    // diffusers' `attention_head_dim` is, for these models, the number of heads (a historical
    // misnomer its code documents); `num_attention_heads`, when set, says the same correctly.
    const std::string headsKey
        = present(j, "num_attention_heads") ? "num_attention_heads" : "attention_head_dim";
    auto heads = getIntList(j, headsKey, { 8 }, what, &scalar);
    if (scalar || !present(j, headsKey)) {
        c.numHeads = heads.at(0);
        c.numHeadChannels = -1;
    } else {
        if (int64_t(heads.size()) != levels)
            dbad(headsKey, std::to_string(levels) + " values");
        std::set<int64_t> counts, widths;
        for (int64_t l = 0; l < levels; ++l)
            if (c.hasAttentionAt(l) || l == levels - 1) { // the middle block uses the last level's
                if (heads[l] <= 0 || boc[l] % heads[l])
                    dbad(headsKey, "head counts dividing block_out_channels");
                counts.insert(heads[l]);
                widths.insert(boc[l] / heads[l]);
            }
        if (widths.size() == 1 && counts.size() > 1) {
            c.numHeads = -1;
            c.numHeadChannels = *widths.begin();
        } else if (counts.size() == 1) {
            c.numHeads = *counts.begin();
            c.numHeadChannels = -1;
        } else {
            dbad(headsKey, "the same head count or the same head width at every attention level");
        }
    }
    const std::string add = getString(j, "addition_embed_type", "", what);
    if (add == "text_time") {
        c.numClasses = "sequential";
        c.admInChannels = getInt(j, "projection_class_embeddings_input_dim", 0, what);
        c.admTimeEmbedDim = getInt(j, "addition_time_embed_dim", 256, what);
    } else if (!add.empty()) {
        dbad("addition_embed_type", "\"text_time\" or null");
    }
    // Switches that would change the numerics away from the LDM UNet.
    if (present(j, "class_embed_type"))
        dbad("class_embed_type", "null");
    if (present(j, "time_embedding_type") && j.at("time_embedding_type") != "positional")
        dbad("time_embedding_type", "\"positional\"");
    if (present(j, "flip_sin_to_cos") && !getBool(j, "flip_sin_to_cos", true, what))
        dbad("flip_sin_to_cos", "true");
    if (present(j, "freq_shift") && getInt(j, "freq_shift", 0, what) != 0)
        dbad("freq_shift", "0");
    if (present(j, "norm_num_groups") && getInt(j, "norm_num_groups", 32, what) != 32)
        dbad("norm_num_groups", "32");
    if (present(j, "act_fn") && j.at("act_fn") != "silu")
        dbad("act_fn", "\"silu\"");
    if (present(j, "resnet_time_scale_shift") && j.at("resnet_time_scale_shift") != "default")
        dbad("resnet_time_scale_shift", "\"default\"");
    for (const char* k : { "only_cross_attention", "dual_cross_attention" })
        if (present(j, k) && getBool(j, k, false, what))
            dbad(k, "false");
    for (const char* k : { "encoder_hid_dim", "time_cond_proj_dim", "class_embeddings_concat" })
        if (present(j, k) && !(j.at(k).is_boolean() && !j.at(k).get<bool>()))
            dbad(k, "null");
    return c;
}

UNetConfig UNetConfig::detectFromWeights(const StateDict& sd, const std::string& prefix)
{
    auto has = [&](const std::string& name) { return sd.count(prefix + name) > 0; };
    auto shape = [&](const std::string& name) {
        auto it = sd.find(prefix + name);
        if (it == sd.end())
            throw EngineError("cannot read the UNet architecture from the weights: tensor '" + prefix + name
                + "' is missing");
        return it->second.sizes().vec();
    };
    UNetConfig c;
    const auto convIn = shape("input_blocks.0.0.weight"); // [model_channels, in_channels, 3, 3]
    c.modelChannels = convIn.at(0);
    c.inChannels = convIn.at(1);
    // A ControlNet (the encoder half alone) has no out.* layers.
    c.outChannels = has("out.2.weight") ? shape("out.2.weight").at(0) : c.inChannels;
    // Walk input_blocks: ResBlocks (optionally followed by a transformer) until a Downsample
    // (`op`) closes the level.
    c.channelMult.clear();
    c.attentionResolutions.clear();
    c.transformerDepth.clear();
    std::vector<int64_t> resPerLevel;
    int64_t res = 0, width = c.modelChannels, depth = 0;
    auto closeLevel = [&] {
        c.channelMult.push_back(width / c.modelChannels);
        resPerLevel.push_back(res);
        c.transformerDepth.push_back(depth > 0 ? depth : 1); // unused without attention
        res = 0;
        depth = 0;
    };
    auto countBlocks = [&](const std::string& transformer) {
        int64_t n = 0;
        while (has(transformer + ".transformer_blocks." + std::to_string(n) + ".norm1.weight"))
            ++n;
        return n;
    };
    for (int64_t i = 1;; ++i) {
        const std::string b = "input_blocks." + std::to_string(i);
        if (has(b + ".0.op.weight")) {
            closeLevel();
            continue;
        }
        if (!has(b + ".0.in_layers.2.weight"))
            break;
        ++res;
        width = shape(b + ".0.in_layers.2.weight").at(0);
        if (has(b + ".1.proj_in.weight")) {
            const int64_t level = int64_t(c.channelMult.size());
            if (!c.hasAttentionAt(level))
                c.attentionResolutions.push_back(int64_t(1) << level);
            depth = countBlocks(b + ".1");
            c.useLinearInTransformer = shape(b + ".1.proj_in.weight").size() == 2;
            c.contextDim = shape(b + ".1.transformer_blocks.0.attn2.to_k.weight").at(1);
        }
    }
    closeLevel();
    c.attentionResolutions = sortedResolutions(c.attentionResolutions);
    c.numResBlocks = resPerLevel.at(0);
    for (int64_t r : resPerLevel)
        if (r != c.numResBlocks)
            throw EngineError("cannot read the UNet architecture from the weights: levels under '" + prefix
                + "input_blocks' have different numbers of ResBlocks");
    c.transformerDepthMiddle = std::max<int64_t>(1, countBlocks("middle_block.1"));
    if (has("middle_block.1.proj_in.weight") && c.attentionResolutions.empty()) {
        c.useLinearInTransformer = shape("middle_block.1.proj_in.weight").size() == 2;
        c.contextDim = shape("middle_block.1.transformer_blocks.0.attn2.to_k.weight").at(1);
    }
    // Heads are not in the weights: SD1 (convolution proj_in, CLIP-L's 768-wide context) uses 8
    // heads, SD2 and SDXL 64 channels per head.
    if (!c.useLinearInTransformer || c.contextDim == 768) {
        c.numHeads = 8;
        c.numHeadChannels = -1;
    } else {
        c.numHeads = -1;
        c.numHeadChannels = 64;
    }
    if (has("label_emb.0.0.weight")) {
        c.numClasses = "sequential";
        c.admInChannels = shape("label_emb.0.0.weight").at(1);
        // y = [pooled, 6 size / crop embeddings]; the pooled width is the second text encoder's
        // projection ([in, out]) when the file has it, else SDXL's 1280.
        int64_t pooled = 1280;
        auto proj = sd.find("conditioner.embedders.1.model.text_projection");
        if (proj != sd.end() && proj->second.dim() == 2)
            pooled = proj->second.size(1);
        const int64_t rest = c.admInChannels - pooled;
        c.admTimeEmbedDim = rest > 0 && rest % 6 == 0 ? rest / 6 : 256;
    }
    return c;
}

UNetConfig UNetConfig::sd15()
{
    return UNetConfig {};
}

UNetConfig UNetConfig::sd21()
{
    UNetConfig c;
    c.numHeads = -1;
    c.numHeadChannels = 64;
    c.contextDim = 1024;
    c.useLinearInTransformer = true;
    return c;
}

UNetConfig UNetConfig::sdxlBase()
{
    UNetConfig c;
    c.channelMult = { 1, 2, 4 };
    c.attentionResolutions = { 4, 2 };
    c.numHeads = -1;
    c.numHeadChannels = 64;
    c.transformerDepth = { 1, 2, 10 };
    c.transformerDepthMiddle = 10;
    c.contextDim = 2048;
    c.useLinearInTransformer = true;
    c.numClasses = "sequential";
    c.admInChannels = 2816; // pooled 1280 + 6 x 256
    c.admTimeEmbedDim = 256;
    return c;
}

} // namespace qd
