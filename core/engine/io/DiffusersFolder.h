#pragma once
// diffusers pipeline folders (model_index.json; unet/, vae/, text_encoder/, text_encoder_2/,
// tokenizer/, scheduler/, each with config.json and weights) read into one StateDict keyed by the
// single-file ("LDM") names, so models load them with the same generic name lookup as .safetensors
// files (docs/style.md §3). The renaming is the table in io/DiffusersKeys.h.
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/DiffusersKeys.h" // the rename table
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

} // namespace qd
