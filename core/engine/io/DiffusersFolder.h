#pragma once
// diffusers pipeline folders (model_index.json; unet/, vae/, text_encoder/, text_encoder_2/,
// tokenizer/, scheduler/, each with config.json and weights) read into one StateDict keyed by the
// single-file ("LDM") names, so models load them with the same generic name lookup as .safetensors
// files (STYLE.md §3). The renaming is one table of general rules over block indices: diffusers'
// scripts/convert_diffusers_to_original_stable_diffusion.py and convert_diffusers_to_original_sdxl.py
// run in reverse, for SD 1.x, SD 2.x and SDXL (base and refiner).
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/StateDict.h"
#include "io/TensorLoad.h"

namespace qd
{

struct DiffusersLoadOptions : TensorLoadOptions {
    // "fp16" prefers *.fp16.safetensors (and fp16 shards) when both variants are present; empty
    // prefers the full-precision files. Either falls back to whatever the folder has.
    std::string variant;
};

struct DiffusersCheckpoint {
    StateDict tensors; // single-file keys
    std::map<std::string, nlohmann::json> configs; // "model_index", "unet", "vae", "text_encoder",
                                                   // "text_encoder_2", "scheduler", "tokenizer", ...
    std::string family; // "sd1", "sd2", "sdxl" or "sdxl-refiner"
    std::vector<std::string> files; // the weight files read
};

// True when `path` is a folder with model_index.json or a unet/ component.
bool isDiffusersFolder(const std::string& path);

// "sd1", "sd2", "sdxl" or "sdxl-refiner", from the folder's components and configs only.
std::string diffusersFamily(const std::string& path);

// Reads every component's weights (safetensors, sharded safetensors, or PyTorch .bin archives) and
// renames them. `keep` in the options sees the single-file keys. Throws EngineError naming the
// folder, the component and the problem.
DiffusersCheckpoint loadDiffusersFolder(const std::string& path, const DiffusersLoadOptions& options = {});

// --- the rename table, exposed for tests and tools ---------------------------------------------

// How one diffusers tensor becomes (part of) a single-file tensor.
struct DiffusersRename {
    enum class Transform {
        None,
        Conv1x1, // VAE attention: diffusers Linear [out, in] -> single-file 1x1 Conv [out, in, 1, 1]
        Transpose, // OpenCLIP text_projection: Linear weight [out, in] -> stored [in, out]
        FusedQkv, // OpenCLIP attention: q, k, v stacked along dim 0 into in_proj_weight / in_proj_bias
    };
    std::string ldmKey;
    Transform transform = Transform::None;
    int part = 0; // FusedQkv: 0 = q, 1 = k, 2 = v
};

// Block counts the index arithmetic needs, read from a component's diffusers key names.
struct DiffusersBlockLayout {
    int layersPerBlock = 2; // resnets per UNet down block
    std::vector<bool> upBlockHasAttention; // per UNet up block
    int vaeLevels = 4; // VAE down (= up) blocks
    static DiffusersBlockLayout fromKeys(const std::vector<std::string>& keys);
};

// The single-file name of diffusers key `key` of `component` ("unet", "vae", "text_encoder",
// "text_encoder_2") in a pipeline of `family`; nullopt for tensors with no single-file counterpart
// (position_ids of OpenCLIP encoders).
std::optional<DiffusersRename> renameDiffusersKey(const std::string& family, const std::string& component,
    const std::string& key, const DiffusersBlockLayout& layout);

} // namespace qd
