#include "io/DiffusersFolder.h"

#include <array>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>

#include <torch/torch.h>

#include "io/SafeTensors.h"
#include "io/TorchCheckpoint.h"

namespace fs = std::filesystem;

namespace qd
{

namespace
{

using Transform = DiffusersRename::Transform;

// ---- where each component lands in the single-file layout -----------------------------------------
enum class Layout { Unet, Vae, Clip, OpenClip };
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
    static const std::vector<CompiledRule> none;
    switch (layout) {
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
    DiffusersBlockLayout l;
    int maxRes = -1, maxUp = -1, maxVae = -1;
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
    }
    if (maxRes >= 0)
        l.layersPerBlock = maxRes + 1;
    l.upBlockHasAttention.assign(size_t(std::max(maxUp + 1, 0)), false);
    for (int i : withAttention)
        if (i <= maxUp)
            l.upBlockHasAttention[size_t(i)] = true;
    if (maxVae >= 0)
        l.vaeLevels = maxVae + 1;
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

// ---- reading a folder --------------------------------------------------------------------------

namespace
{

nlohmann::json readJson(const fs::path& p)
{
    std::ifstream in(p);
    if (!in)
        throw EngineError(p.string() + ": cannot open");
    try {
        return nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
        throw EngineError(p.string() + ": not valid JSON (" + e.what() + ")");
    }
}

bool isFile(const fs::path& p)
{
    std::error_code ec;
    return fs::is_regular_file(p, ec);
}

// The weight files of one component: safetensors before PyTorch .bin archives (safer and
// mapped), the requested variant ("fp16": NAME.fp16.safetensors, NAME.safetensors.index.fp16.json)
// before the other, single files before sharded ones. NAME is diffusion_pytorch_model (diffusers
// models) or model / pytorch_model (transformers text encoders).
std::vector<fs::path> weightFiles(const fs::path& dir, const std::string& variant)
{
    const std::vector<std::string> safetensors
        = { "diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.safetensors.index.json",
              "model.safetensors", "model.safetensors.index.json" };
    const std::vector<std::string> safetensors16
        = { "diffusion_pytorch_model.fp16.safetensors", "diffusion_pytorch_model.safetensors.index.fp16.json",
              "model.fp16.safetensors", "model.safetensors.index.fp16.json" };
    const std::vector<std::string> bin = { "diffusion_pytorch_model.bin",
        "diffusion_pytorch_model.bin.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json" };
    const std::vector<std::string> bin16
        = { "diffusion_pytorch_model.fp16.bin", "diffusion_pytorch_model.bin.index.fp16.json",
              "pytorch_model.fp16.bin", "pytorch_model.bin.index.fp16.json" };
    const bool fp16 = variant == "fp16";
    std::vector<std::string> forms;
    for (const auto* group : { fp16 ? &safetensors16 : &safetensors, fp16 ? &safetensors : &safetensors16,
             fp16 ? &bin16 : &bin, fp16 ? &bin : &bin16 })
        forms.insert(forms.end(), group->begin(), group->end());
    for (const auto& f : forms) {
        const fs::path p = dir / f;
        if (!isFile(p))
            continue;
        if (f.size() > 5 && f.substr(f.size() - 5) == ".json") {
            const nlohmann::json index = readJson(p);
            const auto map = index.find("weight_map");
            if (map == index.end() || !map->is_object())
                throw EngineError(p.string() + ": no \"weight_map\" object (not a sharded-weights index)");
            std::set<std::string> shards;
            for (const auto& [key, file] : map->items()) {
                if (!file.is_string())
                    throw EngineError(p.string() + ": weight_map entry '" + key + "' is not a file name");
                const std::string s = file.get<std::string>();
                if (s.empty() || s.find('/') != std::string::npos || s.find('\\') != std::string::npos
                    || s == "..")
                    throw EngineError(
                        p.string() + ": shard name '" + s + "' must be a file in the same folder");
                shards.insert(s);
            }
            std::vector<fs::path> out;
            for (const auto& s : shards) {
                if (!isFile(dir / s))
                    throw EngineError(p.string() + ": shard '" + s + "' is missing");
                out.push_back(dir / s);
            }
            return out;
        }
        return { p };
    }
    // A folder with one differently named safetensors file (hand-made exports).
    std::vector<fs::path> any;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec))
        if (e.is_regular_file() && e.path().extension() == ".safetensors")
            any.push_back(e.path());
    if (any.size() == 1)
        return any;
    return {};
}

std::string familyOf(const fs::path& dir, const std::map<std::string, nlohmann::json>& configs)
{
    std::error_code ec;
    const bool te1 = fs::is_directory(dir / "text_encoder", ec);
    const bool te2 = fs::is_directory(dir / "text_encoder_2", ec);
    std::string pipeline;
    if (auto it = configs.find("model_index"); it != configs.end() && it->second.is_object())
        pipeline = it->second.value("_class_name", "");
    if (te2 || pipeline.find("XL") != std::string::npos)
        return te1 ? "sdxl" : "sdxl-refiner";
    // SD 2.x's text encoder is OpenCLIP ViT-H (gelu, width 1024); SD 1.x's is CLIP ViT-L
    // (quick_gelu, width 768).
    if (auto it = configs.find("text_encoder"); it != configs.end() && it->second.is_object()) {
        const auto& c = it->second;
        if (c.value("hidden_act", "") == "gelu" || c.value("hidden_size", 0) == 1024)
            return "sd2";
        return "sd1";
    }
    if (auto it = configs.find("unet");
        it != configs.end() && it->second.is_object() && it->second.value("cross_attention_dim", 0) == 1024)
        return "sd2";
    return "sd1";
}

} // namespace

bool isDiffusersFolder(const std::string& path)
{
    std::error_code ec;
    const fs::path dir(path);
    return fs::is_directory(dir, ec)
        && (isFile(dir / "model_index.json") || fs::is_directory(dir / "unet", ec));
}

namespace
{

std::map<std::string, nlohmann::json> readConfigs(const fs::path& dir)
{
    std::map<std::string, nlohmann::json> configs;
    if (isFile(dir / "model_index.json"))
        configs["model_index"] = readJson(dir / "model_index.json");
    const std::pair<const char*, const char*> configFiles[] = {
        { "unet", "unet/config.json" },
        { "vae", "vae/config.json" },
        { "text_encoder", "text_encoder/config.json" },
        { "text_encoder_2", "text_encoder_2/config.json" },
        { "scheduler", "scheduler/scheduler_config.json" },
        { "tokenizer", "tokenizer/tokenizer_config.json" },
        { "tokenizer_2", "tokenizer_2/tokenizer_config.json" },
    };
    for (const auto& [name, file] : configFiles)
        if (isFile(dir / file))
            configs[name] = readJson(dir / file);
    return configs;
}

} // namespace

std::string diffusersFamily(const std::string& path)
{
    if (!isDiffusersFolder(path))
        throw EngineError(path + ": not a diffusers folder (no model_index.json and no unet/ folder)");
    return familyOf(fs::path(path), readConfigs(fs::path(path)));
}

DiffusersCheckpoint loadDiffusersFolder(const std::string& path, const DiffusersLoadOptions& options)
{
    const fs::path dir(path);
    if (!isDiffusersFolder(path))
        throw EngineError(path + ": not a diffusers folder (no model_index.json and no unet/ folder)");
    DiffusersCheckpoint out;
    out.configs = readConfigs(dir);
    out.family = familyOf(dir, out.configs);

    TensorLoadOptions fileOptions;
    fileOptions.floatDtype = options.floatDtype;
    fileOptions.skipped = options.skipped;
    for (const auto& spec : kComponents) {
        if (out.family != spec.family)
            continue;
        const fs::path cdir = dir / spec.component;
        std::error_code ec;
        if (!fs::is_directory(cdir, ec))
            continue; // e.g. a pipeline without its VAE; the model loader reports what is missing
        const std::vector<fs::path> files = weightFiles(cdir, options.variant);
        if (files.empty())
            throw EngineError(cdir.string()
                + ": no weights (expected diffusion_pytorch_model.safetensors, "
                  "model.safetensors, a *.safetensors.index.json or a .bin)");
        StateDict raw;
        for (const auto& f : files) {
            const std::string ext = f.extension().string();
            StateDict part = ext == ".safetensors" ? loadSafetensors(f.string(), fileOptions)
                                                   : loadTorchCheckpoint(f.string(), fileOptions);
            for (auto& [k, t] : part)
                if (!raw.emplace(k, std::move(t)).second)
                    throw EngineError(cdir.string() + ": tensor '" + k + "' appears in two shards");
            out.files.push_back(f.string());
        }
        std::vector<std::string> keys;
        for (const auto& kv : raw)
            keys.push_back(kv.first);
        const DiffusersBlockLayout layout = DiffusersBlockLayout::fromKeys(keys);

        std::map<std::string, std::array<torch::Tensor, 3>> fused;
        auto put = [&](const std::string& key, torch::Tensor t) {
            if (options.keep && !options.keep(key))
                return;
            if (!out.tensors.emplace(key, std::move(t)).second)
                throw EngineError(cdir.string() + ": two tensors map to the single-file key '" + key + "'");
        };
        for (auto it = raw.begin(); it != raw.end(); it = raw.erase(it)) { // release as we go
            const auto r = renameDiffusersKey(spec.family, spec.component, it->first, layout);
            if (!r)
                continue;
            torch::Tensor t = std::move(it->second);
            switch (r->transform) {
            case Transform::None:
                break;
            case Transform::Conv1x1:
                if (t.dim() == 2)
                    t = t.reshape({ t.size(0), t.size(1), 1, 1 }); // [out, in] -> [out, in, 1, 1]
                break;
            case Transform::Transpose:
                t = t.t().contiguous();
                break; // [out, in] -> [in, out]
            case Transform::FusedQkv:
                fused[r->ldmKey][size_t(r->part)] = std::move(t);
                continue;
            }
            put(r->ldmKey, std::move(t));
        }
        for (auto& [key, parts] : fused) {
            for (int i = 0; i < 3; ++i)
                if (!parts[size_t(i)].defined())
                    throw EngineError(cdir.string() + ": the " + std::string(1, "qkv"[i]) + "_proj part of '"
                        + key + "' is missing (q, k and v are needed to build it)");
            // [C, ...] x 3 -> [3C, ...], in q, k, v order (torch.nn.MultiheadAttention's in_proj)
            put(key, torch::cat({ parts[0], parts[1], parts[2] }, 0));
        }
    }
    if (out.files.empty())
        throw EngineError(path + ": a diffusers folder without any weights");
    return out;
}

} // namespace qd
