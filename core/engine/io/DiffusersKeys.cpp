#include "io/DiffusersKeys.h"

#include <algorithm>
#include <cstring>
#include <regex>
#include <set>

#include "EngineError.h"

namespace qd
{

namespace
{

using Transform = DiffusersRename::Transform;

// ---- where each component lands in the single-file layout -----------------------------------------
enum class Layout { Unet, Vae, Clip, OpenClip, ControlNet };
struct ComponentSpec {
    const char* family;
    const char* component;
    const char* prefix;
    Layout layout;
};
const ComponentSpec kComponents[] = {
    { "sd1", "unet", "model.diffusion_model.", Layout::Unet },
    { "sd1", "vae", "first_stage_model.", Layout::Vae },
    { "sd1", "text_encoder", "cond_stage_model.transformer.", Layout::Clip },
    { "sd2", "unet", "model.diffusion_model.", Layout::Unet },
    { "sd2", "vae", "first_stage_model.", Layout::Vae },
    { "sd2", "text_encoder", "cond_stage_model.model.", Layout::OpenClip },
    { "sdxl", "unet", "model.diffusion_model.", Layout::Unet },
    { "sdxl", "vae", "first_stage_model.", Layout::Vae },
    { "sdxl", "text_encoder", "conditioner.embedders.0.transformer.", Layout::Clip },
    { "sdxl", "text_encoder_2", "conditioner.embedders.1.model.", Layout::OpenClip },
    { "sdxl-refiner", "unet", "model.diffusion_model.", Layout::Unet },
    { "sdxl-refiner", "vae", "first_stage_model.", Layout::Vae },
    { "sdxl-refiner", "text_encoder_2", "conditioner.embedders.0.model.", Layout::OpenClip },
    // a ControlNetModel beside a pipeline of that family (its own file, not a pipeline component)
    { "sd1", "controlnet", "control_model.", Layout::ControlNet },
    { "sd2", "controlnet", "control_model.", Layout::ControlNet },
    { "sdxl", "controlnet", "control_model.", Layout::ControlNet },
};

// ---- the rename rules: diffusers pattern -> single-file name --------------------------------------
using Target = std::string (*)(const std::smatch&, const DiffusersBlockLayout&);
struct Rule {
    const char* pattern;
    Target target;
    Transform transform;
};

int num(const std::smatch& m, int i)
{
    return std::stoi(m[i].str());
}
std::string str(int i)
{
    return std::to_string(i);
}

// First path segment renames inside blocks (diffusers name -> single-file name).
using Parts = std::initializer_list<std::pair<const char*, const char*>>;
const Parts kUnetResnetParts = { { "norm1", "in_layers.0" }, { "conv1", "in_layers.2" },
    { "norm2", "out_layers.0" }, { "conv2", "out_layers.3" }, { "time_emb_proj", "emb_layers.1" },
    { "conv_shortcut", "skip_connection" } };
const Parts kVaeResnetParts = { { "conv_shortcut", "nin_shortcut" } };
// Both the current (to_q ...) and the pre-0.14 (query ...) diffusers attention names.
const Parts kVaeAttentionParts = { { "group_norm", "norm" }, { "to_q", "q" }, { "to_k", "k" },
    { "to_v", "v" }, { "to_out.0", "proj_out" }, { "query", "q" }, { "key", "k" }, { "value", "v" },
    { "proj_attn", "proj_out" } };

std::string renamePart(const std::string& rest, const Parts& parts)
{
    for (const auto& [from, to] : parts) {
        const size_t n = std::strlen(from);
        if (rest.compare(0, n, from) == 0 && rest.size() > n && rest[n] == '.')
            return to + rest.substr(n);
    }
    return rest;
}

// UNet: down level i holds layersPerBlock resnets (+ attentions) then a downsampler, so
// input_blocks advance by B = layersPerBlock + 1 per level (input_blocks.0 is conv_in); up level i
// holds B resnets, its upsampler sits after the last one, at index 1 when the level has no
// attention and 2 when it has.
const Rule kUnetRules[] = {
    { R"(time_embedding\.linear_([12])\.(.*))",
        [](const std::smatch& m, const DiffusersBlockLayout&) {
            return "time_embed." + str(2 * (num(m, 1) - 1)) + "." + m[2].str();
        },
        Transform::None },
    { R"(add_embedding\.linear_([12])\.(.*))",
        [](const std::smatch& m, const DiffusersBlockLayout&) {
            return "label_emb.0." + str(2 * (num(m, 1) - 1)) + "." + m[2].str();
        },
        Transform::None },
    { R"(conv_in\.(.*))",
        [](const std::smatch& m, const DiffusersBlockLayout&) { return "input_blocks.0.0." + m[1].str(); },
        Transform::None },
    { R"(conv_norm_out\.(.*))",
        [](const std::smatch& m, const DiffusersBlockLayout&) { return "out.0." + m[1].str(); },
        Transform::None },
    { R"(conv_out\.(.*))",
        [](const std::smatch& m, const DiffusersBlockLayout&) { return "out.2." + m[1].str(); },
        Transform::None },
    { R"(down_blocks\.(\d+)\.resnets\.(\d+)\.(.*))",
        [](const std::smatch& m, const DiffusersBlockLayout& l) {
            return "input_blocks." + str((l.layersPerBlock + 1) * num(m, 1) + num(m, 2) + 1) + ".0."
                + renamePart(m[3].str(), kUnetResnetParts);
        },
        Transform::None },
    { R"(down_blocks\.(\d+)\.attentions\.(\d+)\.(.*))",
        [](const std::smatch& m, const DiffusersBlockLayout& l) {
            return "input_blocks." + str((l.layersPerBlock + 1) * num(m, 1) + num(m, 2) + 1) + ".1."
                + m[3].str();
        },
        Transform::None },
    { R"(down_blocks\.(\d+)\.downsamplers\.0\.conv\.(.*))",
        [](const std::smatch& m, const DiffusersBlockLayout& l) {
            return "input_blocks." + str((l.layersPerBlock + 1) * (num(m, 1) + 1)) + ".0.op." + m[2].str();
        },
        Transform::None },
    { R"(mid_block\.resnets\.(\d+)\.(.*))",
        [](const std::smatch& m, const DiffusersBlockLayout&) {
            return "middle_block." + str(2 * num(m, 1)) + "." + renamePart(m[2].str(), kUnetResnetParts);
        },
        Transform::None },
    { R"(mid_block\.attentions\.0\.(.*))",
        [](const std::smatch& m, const DiffusersBlockLayout&) { return "middle_block.1." + m[1].str(); },
        Transform::None },
    { R"(up_blocks\.(\d+)\.resnets\.(\d+)\.(.*))",
        [](const std::smatch& m, const DiffusersBlockLayout& l) {
            return "output_blocks." + str((l.layersPerBlock + 1) * num(m, 1) + num(m, 2)) + ".0."
                + renamePart(m[3].str(), kUnetResnetParts);
        },
        Transform::None },
    { R"(up_blocks\.(\d+)\.attentions\.(\d+)\.(.*))",
        [](const std::smatch& m, const DiffusersBlockLayout& l) {
            return "output_blocks." + str((l.layersPerBlock + 1) * num(m, 1) + num(m, 2)) + ".1."
                + m[3].str();
        },
        Transform::None },
    { R"(up_blocks\.(\d+)\.upsamplers\.0\.(.*))",
        [](const std::smatch& m, const DiffusersBlockLayout& l) {
            const int i = num(m, 1);
            const bool attention = i < int(l.upBlockHasAttention.size()) && l.upBlockHasAttention[size_t(i)];
            return "output_blocks." + str((l.layersPerBlock + 1) * i + l.layersPerBlock)
                + (attention ? ".2." : ".1.") + m[2].str();
        },
        Transform::None },
};

// ControlNet (diffusers' convert_controlnet_checkpoint in reverse): the UNet's encoder rules, plus
// the zero convolutions and the hint encoder, whose convolutions sit at the even indices of
// input_hint_block (the odd ones are SiLUs): conv_in 0, blocks.J 2J + 2, conv_out after the last.
const Rule kControlNetRules[] = {
    { R"(controlnet_down_blocks\.(\d+)\.(.*))",
        [](const std::smatch& m, const DiffusersBlockLayout&) {
            return "zero_convs." + m[1].str() + ".0." + m[2].str();
        },
        Transform::None },
    { R"(controlnet_mid_block\.(.*))",
        [](const std::smatch& m, const DiffusersBlockLayout&) { return "middle_block_out.0." + m[1].str(); },
        Transform::None },
    { R"(controlnet_cond_embedding\.conv_in\.(.*))",
        [](const std::smatch& m, const DiffusersBlockLayout&) { return "input_hint_block.0." + m[1].str(); },
        Transform::None },
    { R"(controlnet_cond_embedding\.blocks\.(\d+)\.(.*))",
        [](const std::smatch& m, const DiffusersBlockLayout&) {
            return "input_hint_block." + str(2 * num(m, 1) + 2) + "." + m[2].str();
        },
        Transform::None },
    { R"(controlnet_cond_embedding\.conv_out\.(.*))",
        [](const std::smatch& m, const DiffusersBlockLayout& l) {
            return "input_hint_block." + str(2 * l.controlHintBlocks + 2) + "." + m[1].str();
        },
        Transform::None },
};

// VAE: encoder levels keep their index; decoder up_blocks count from the top (up.{L-1-i}).
const Rule kVaeRules[] = {
    { R"(encoder\.down_blocks\.(\d+)\.resnets\.(\d+)\.(.*))",
        [](const std::smatch& m, const DiffusersBlockLayout&) {
            return "encoder.down." + m[1].str() + ".block." + m[2].str() + "."
                + renamePart(m[3].str(), kVaeResnetParts);
        },
        Transform::None },
    { R"(encoder\.down_blocks\.(\d+)\.downsamplers\.0\.(.*))",
        [](const std::smatch& m, const DiffusersBlockLayout&) {
            return "encoder.down." + m[1].str() + ".downsample." + m[2].str();
        },
        Transform::None },
    { R"(decoder\.up_blocks\.(\d+)\.resnets\.(\d+)\.(.*))",
        [](const std::smatch& m, const DiffusersBlockLayout& l) {
            return "decoder.up." + str(l.vaeLevels - 1 - num(m, 1)) + ".block." + m[2].str() + "."
                + renamePart(m[3].str(), kVaeResnetParts);
        },
        Transform::None },
    { R"(decoder\.up_blocks\.(\d+)\.upsamplers\.0\.(.*))",
        [](const std::smatch& m, const DiffusersBlockLayout& l) {
            return "decoder.up." + str(l.vaeLevels - 1 - num(m, 1)) + ".upsample." + m[2].str();
        },
        Transform::None },
    { R"((encoder|decoder)\.mid_block\.resnets\.(\d+)\.(.*))",
        [](const std::smatch& m, const DiffusersBlockLayout&) {
            return m[1].str() + ".mid.block_" + str(num(m, 2) + 1) + "."
                + renamePart(m[3].str(), kVaeResnetParts);
        },
        Transform::None },
    // q, k, v, proj_out: diffusers Linear weights [C, C]; single-file 1x1 convolutions [C, C, 1, 1]
    { R"((encoder|decoder)\.mid_block\.attentions\.0\.((to_[qkv]|to_out\.0|query|key|value|proj_attn)\.weight))",
        [](const std::smatch& m, const DiffusersBlockLayout&) {
            return m[1].str() + ".mid.attn_1." + renamePart(m[2].str(), kVaeAttentionParts);
        },
        Transform::Conv1x1 },
    { R"((encoder|decoder)\.mid_block\.attentions\.0\.(.*))",
        [](const std::smatch& m, const DiffusersBlockLayout&) {
            return m[1].str() + ".mid.attn_1." + renamePart(m[2].str(), kVaeAttentionParts);
        },
        Transform::None },
    { R"((encoder|decoder)\.conv_norm_out\.(.*))",
        [](const std::smatch& m, const DiffusersBlockLayout&) {
            return m[1].str() + ".norm_out." + m[2].str();
        },
        Transform::None },
};

// OpenCLIP (SD2's and SDXL's second encoder) as transformers' CLIPTextModel names it.
const Rule kOpenClipRules[] = {
    { R"(text_model\.encoder\.layers\.(\d+)\.self_attn\.[qkv]_proj\.(weight|bias))",
        [](const std::smatch& m, const DiffusersBlockLayout&) {
            return "transformer.resblocks." + m[1].str() + ".attn.in_proj_" + m[2].str();
        },
        Transform::FusedQkv },
    { R"(text_model\.encoder\.layers\.(\d+)\.self_attn\.out_proj\.(.*))",
        [](const std::smatch& m, const DiffusersBlockLayout&) {
            return "transformer.resblocks." + m[1].str() + ".attn.out_proj." + m[2].str();
        },
        Transform::None },
    { R"(text_model\.encoder\.layers\.(\d+)\.layer_norm([12])\.(.*))",
        [](const std::smatch& m, const DiffusersBlockLayout&) {
            return "transformer.resblocks." + m[1].str() + ".ln_" + m[2].str() + "." + m[3].str();
        },
        Transform::None },
    { R"(text_model\.encoder\.layers\.(\d+)\.mlp\.fc1\.(.*))",
        [](const std::smatch& m, const DiffusersBlockLayout&) {
            return "transformer.resblocks." + m[1].str() + ".mlp.c_fc." + m[2].str();
        },
        Transform::None },
    { R"(text_model\.encoder\.layers\.(\d+)\.mlp\.fc2\.(.*))",
        [](const std::smatch& m, const DiffusersBlockLayout&) {
            return "transformer.resblocks." + m[1].str() + ".mlp.c_proj." + m[2].str();
        },
        Transform::None },
    { R"(text_model\.final_layer_norm\.(.*))",
        [](const std::smatch& m, const DiffusersBlockLayout&) { return "ln_final." + m[1].str(); },
        Transform::None },
    { R"(text_model\.embeddings\.token_embedding\.weight)",
        [](const std::smatch&, const DiffusersBlockLayout&) { return std::string("token_embedding.weight"); },
        Transform::None },
    { R"(text_model\.embeddings\.position_embedding\.weight)",
        [](const std::smatch&, const DiffusersBlockLayout&) { return std::string("positional_embedding"); },
        Transform::None },
    // single files keep the projection as a matrix applied as x @ text_projection
    { R"(text_projection\.weight)",
        [](const std::smatch&, const DiffusersBlockLayout&) { return std::string("text_projection"); },
        Transform::Transpose },
};

struct CompiledRule {
    std::regex re;
    Target target;
    Transform transform;
};

template <size_t N> std::vector<CompiledRule> compile(const Rule (&rules)[N])
{
    std::vector<CompiledRule> out;
    for (const auto& r : rules)
        out.push_back({ std::regex(r.pattern), r.target, r.transform });
    return out;
}

const std::vector<CompiledRule>& rulesFor(Layout layout)
{
    static const std::vector<CompiledRule> unet = compile(kUnetRules);
    static const std::vector<CompiledRule> vae = compile(kVaeRules);
    static const std::vector<CompiledRule> openClip = compile(kOpenClipRules);
    static const std::vector<CompiledRule> controlNet = [] {
        auto rules = compile(kControlNetRules);
        for (const auto& r : compile(kUnetRules))
            rules.push_back(r);
        return rules;
    }();
    static const std::vector<CompiledRule> none;
    switch (layout) {
    case Layout::ControlNet:
        return controlNet;
    case Layout::Unet:
        return unet;
    case Layout::Vae:
        return vae;
    case Layout::OpenClip:
        return openClip;
    case Layout::Clip:
        return none;
    }
    return none;
}

const ComponentSpec* specFor(const std::string& family, const std::string& component)
{
    for (const auto& c : kComponents)
        if (family == c.family && component == c.component)
            return &c;
    return nullptr;
}

// transformers writes "text_model.*" (older exports and some tools drop that prefix).
std::string canonicalTextKey(const std::string& key)
{
    if (key.rfind("text_model.", 0) == 0 || key.rfind("text_projection", 0) == 0)
        return key;
    return "text_model." + key;
}

} // namespace

DiffusersBlockLayout DiffusersBlockLayout::fromKeys(const std::vector<std::string>& keys)
{
    static const std::regex downRes(R"(down_blocks\.(\d+)\.resnets\.(\d+)\.)");
    static const std::regex upAttn(R"(^up_blocks\.(\d+)\.attentions\.)");
    static const std::regex upBlock(R"(^up_blocks\.(\d+)\.)");
    static const std::regex vaeLevel(R"(^(?:encoder\.down_blocks|decoder\.up_blocks)\.(\d+)\.)");
    static const std::regex hintBlock(R"(^controlnet_cond_embedding\.blocks\.(\d+)\.)");
    DiffusersBlockLayout l;
    int maxRes = -1, maxUp = -1, maxVae = -1, maxHint = -1;
    std::set<int> withAttention;
    std::smatch m;
    for (const auto& k : keys) {
        if (k.rfind("down_blocks.", 0) == 0 && std::regex_search(k, m, downRes))
            maxRes = std::max(maxRes, num(m, 2));
        if (std::regex_search(k, m, upBlock))
            maxUp = std::max(maxUp, num(m, 1));
        if (std::regex_search(k, m, upAttn))
            withAttention.insert(num(m, 1));
        if (std::regex_search(k, m, vaeLevel))
            maxVae = std::max(maxVae, num(m, 1));
        if (std::regex_search(k, m, hintBlock))
            maxHint = std::max(maxHint, num(m, 1));
    }
    if (maxRes >= 0)
        l.layersPerBlock = maxRes + 1;
    l.upBlockHasAttention.assign(size_t(std::max(maxUp + 1, 0)), false);
    for (int i : withAttention)
        if (i <= maxUp)
            l.upBlockHasAttention[size_t(i)] = true;
    if (maxVae >= 0)
        l.vaeLevels = maxVae + 1;
    if (maxHint >= 0)
        l.controlHintBlocks = maxHint + 1;
    return l;
}

std::optional<DiffusersRename> renameDiffusersKey(const std::string& family, const std::string& component,
    const std::string& key, const DiffusersBlockLayout& layout)
{
    const ComponentSpec* spec = specFor(family, component);
    if (!spec)
        throw EngineError("diffusers: no component '" + component + "' in a " + family + " pipeline");
    const bool text = spec->layout == Layout::Clip || spec->layout == Layout::OpenClip;
    const std::string k = text ? canonicalTextKey(key) : key;
    if (spec->layout == Layout::OpenClip && k == "text_model.embeddings.position_ids")
        return std::nullopt; // OpenCLIP single files have no position_ids
    std::smatch m;
    for (const auto& rule : rulesFor(spec->layout)) {
        if (std::regex_match(k, m, rule.re)) {
            DiffusersRename r { spec->prefix + rule.target(m, layout), rule.transform, 0 };
            if (r.transform == Transform::FusedQkv) {
                const std::string proj = k.substr(k.rfind("self_attn.") + 10, 1); // "q", "k" or "v"
                r.part = proj == "q" ? 0 : proj == "k" ? 1 : 2;
            }
            return r;
        }
    }
    return DiffusersRename { spec->prefix + k, Transform::None, 0 }; // same name in both layouts
}

std::vector<std::string> diffusersComponents(const std::string& family)
{
    std::vector<std::string> out;
    for (const auto& c : kComponents)
        if (family == c.family && c.layout != Layout::ControlNet)
            out.push_back(c.component);
    return out;
}

} // namespace qd
