#pragma once
// One entry point for every checkpoint form artists have: a .safetensors file, a PyTorch .ckpt /
// .pt zip archive, or a diffusers folder, recognised by content (not by extension). Tensors come
// back keyed by their single-file ("LDM") names whatever the form.
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/StateDict.h"
#include "io/TensorLoad.h"

namespace qd
{

enum class CheckpointFormat { SafeTensors, TorchZip, Diffusers };
std::string formatName(CheckpointFormat format); // "safetensors", "ckpt (PyTorch zip)", "diffusers folder"

struct CheckpointLoadOptions : TensorLoadOptions {
    // Training checkpoints carry a full EMA copy of the UNet ("model_ema.*"), which no pipeline
    // uses: leave it on disk.
    bool skipEma = true;
    // diffusers folders: "fp16" prefers the *.fp16.safetensors variant when both are present.
    std::string variant;
};

struct Checkpoint {
    CheckpointFormat format = CheckpointFormat::SafeTensors;
    StateDict tensors;
    std::map<std::string, nlohmann::json> configs; // diffusers: "model_index", "unet", "vae", ...
    std::map<std::string, std::string> metadata; // safetensors "__metadata__"
    std::string family; // "sd1", "sd2", "sdxl", "sdxl-refiner" (+ "-inpaint"), or "unknown"
};

// What `path` holds, judged by its first bytes (or being a folder). Throws EngineError with a
// clear reason for anything else: a legacy (PyTorch < 1.6) pickle .ckpt, a TorchScript or GGUF
// file, a folder that is not a diffusers pipeline, text, an empty file ...
CheckpointFormat detectCheckpointFormat(const std::string& path);

StateDict loadCheckpoint(const std::string& path, const CheckpointLoadOptions& options = {});
Checkpoint readCheckpoint(const std::string& path, const CheckpointLoadOptions& options = {});

struct CheckpointInfo {
    CheckpointFormat format = CheckpointFormat::SafeTensors;
    std::string family;
    std::vector<TensorInfo> tensors; // diffusers folders: "component/key" names
    std::map<std::string, size_t> dtypeCounts; // "F16" -> 1131
    uint64_t tensorBytes = 0;
    uint64_t fileBytes = 0; // on disk (all weight files of a folder)
    std::map<std::string, std::string> metadata;
};

// Describes a checkpoint from its headers / pickle only: no tensor data is read.
CheckpointInfo inspectCheckpoint(const std::string& path);

// The model family suggested by single-file key names (and the UNet's input channels for
// inpainting models): "sd1", "sd2", "sdxl", "sdxl-refiner", each possibly + "-inpaint", else
// "unknown". The model configuration code decides for real; this is for listings.
std::string guessFamily(const std::vector<TensorInfo>& tensors);

} // namespace qd
