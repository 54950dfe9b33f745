#include "io/DiffusersFolder.h"

#include <array>
#include <filesystem>
#include <fstream>
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
    for (const std::string& component : diffusersComponents(out.family)) {
        const fs::path cdir = dir / component;
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
            const auto r = renameDiffusersKey(out.family, component, it->first, layout);
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
