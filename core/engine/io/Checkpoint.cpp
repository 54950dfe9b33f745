#include "io/Checkpoint.h"

#include <cstring>
#include <filesystem>
#include <fstream>

#include <torch/torch.h>

#include "io/DiffusersFolder.h"
#include "io/SafeTensors.h"
#include "io/TorchCheckpoint.h"

namespace fs = std::filesystem;

namespace qd
{

std::string formatName(CheckpointFormat format)
{
    switch (format) {
    case CheckpointFormat::SafeTensors:
        return "safetensors";
    case CheckpointFormat::TorchZip:
        return "ckpt (PyTorch zip)";
    case CheckpointFormat::Diffusers:
        return "diffusers folder";
    }
    return "?";
}

CheckpointFormat detectCheckpointFormat(const std::string& path)
{
    std::error_code ec;
    const auto status = fs::status(path, ec);
    if (ec || !fs::exists(status))
        throw EngineError(path + ": no such file or folder");
    if (fs::is_directory(status)) {
        if (isDiffusersFolder(path))
            return CheckpointFormat::Diffusers;
        throw EngineError(path + ": a folder, but not a diffusers pipeline (no model_index.json or unet/)");
    }
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw EngineError(path + ": cannot open file");
    unsigned char head[264] = {};
    in.read(reinterpret_cast<char*>(head), sizeof head);
    const size_t got = size_t(in.gcount());
    const uint64_t size = fs::file_size(path, ec);
    if (got == 0)
        throw EngineError(path + ": an empty file, not a checkpoint");
    // safetensors: 8-byte little-endian header length, then the JSON object. Checked first: the
    // length's low byte can be anything, 0x80 (a pickle's first byte) or 'P' included.
    uint64_t headerLength = 0;
    for (int i = 7; i >= 0; --i)
        headerLength = (headerLength << 8) | head[i];
    if (got >= 9 && head[8] == '{' && headerLength >= 2 && headerLength <= size - 8)
        return CheckpointFormat::SafeTensors;
    // Zip local-file header (torch.save since PyTorch 1.6) or an empty zip's end record.
    if (got >= 4 && head[0] == 'P' && head[1] == 'K'
        && ((head[2] == 3 && head[3] == 4) || (head[2] == 5 && head[3] == 6)))
        return CheckpointFormat::TorchZip;
    // torch.save before 1.6 (or with _use_new_zipfile_serialization=False): a bare pickle stream
    // starting with the magic number 0x1950a86a20f9469cfc6c as a protocol-2 LONG1; older still, a tar.
    if (got >= 4 && head[0] == 0x80 && head[2] == 0x8a && head[3] == 0x0a)
        throw EngineError(path
            + ": a legacy PyTorch checkpoint (the pre-1.6 pickle format, not a zip archive), which "
              "QDiffusion does not read: re-save it with a recent PyTorch, or convert it to "
              ".safetensors");
    if (got >= 262 && std::memcmp(head + 257, "ustar", 5) == 0)
        throw EngineError(path
            + ": a legacy PyTorch tar checkpoint, which QDiffusion does not read: convert it to "
              ".safetensors");
    if (head[0] == 0x80 && got >= 2 && head[1] <= 5)
        throw EngineError(
            path + ": a bare Python pickle, not a PyTorch zip archive (QDiffusion does not read these)");
    if (got >= 4 && std::memcmp(head, "GGUF", 4) == 0)
        throw EngineError(path
            + ": a GGUF file (quantized weights for stable-diffusion.cpp / llama.cpp), which "
              "QDiffusion does not read");
    // A damaged safetensors file (or one named so) goes to the header parser, which names its
    // exact problem: truncated, header past the end, ...
    if ((got >= 9 && head[8] == '{') || fs::path(path).extension() == ".safetensors")
        return CheckpointFormat::SafeTensors;
    if (size < 8)
        throw EngineError(path + ": only " + std::to_string(size) + " bytes, too short for any checkpoint");
    throw EngineError(path
        + ": not a checkpoint QDiffusion can read (expected a .safetensors file, a PyTorch .ckpt "
          "zip archive or a diffusers folder)");
}

namespace
{

TensorLoadOptions fileOptions(const CheckpointLoadOptions& options)
{
    TensorLoadOptions o = options;
    if (options.skipEma) {
        const auto user = options.keep;
        o.keep = [user](const std::string& key) {
            return key.rfind("model_ema.", 0) != 0 && (!user || user(key));
        };
    }
    return o;
}

std::vector<TensorInfo> infosOf(const StateDict& sd)
{
    std::vector<TensorInfo> out;
    for (const auto& [k, t] : sd)
        out.push_back({ k, "", t.sizes().vec(), 0 });
    return out;
}

} // namespace

Checkpoint readCheckpoint(const std::string& path, const CheckpointLoadOptions& options)
{
    Checkpoint out;
    out.format = detectCheckpointFormat(path);
    const TensorLoadOptions o = fileOptions(options);
    switch (out.format) {
    case CheckpointFormat::SafeTensors:
        out.tensors = loadSafetensors(path, o);
        out.metadata = safetensorsMetadata(path);
        break;
    case CheckpointFormat::TorchZip:
        out.tensors = loadTorchCheckpoint(path, o);
        break;
    case CheckpointFormat::Diffusers: {
        DiffusersLoadOptions d;
        static_cast<TensorLoadOptions&>(d) = o;
        d.variant = options.variant;
        DiffusersCheckpoint c = loadDiffusersFolder(path, d);
        out.tensors = std::move(c.tensors);
        out.configs = std::move(c.configs);
        out.family = c.family;
        return out;
    }
    }
    out.family = guessFamily(infosOf(out.tensors));
    return out;
}

StateDict loadCheckpoint(const std::string& path, const CheckpointLoadOptions& options)
{
    return readCheckpoint(path, options).tensors;
}

std::string guessFamily(const std::vector<TensorInfo>& tensors)
{
    bool clipL = false, openClip = false, xl1 = false, xlRefiner = false, unet = false, labelEmb = false;
    int64_t inChannels = 0;
    for (const auto& t : tensors) {
        const std::string& k = t.key;
        if (k.rfind("cond_stage_model.transformer.", 0) == 0)
            clipL = true;
        else if (k.rfind("cond_stage_model.model.", 0) == 0)
            openClip = true;
        else if (k.rfind("conditioner.embedders.1.", 0) == 0)
            xl1 = true;
        else if (k.rfind("conditioner.embedders.0.model.", 0) == 0)
            xlRefiner = true;
        if (k.rfind("model.diffusion_model.", 0) == 0)
            unet = true;
        if (k.rfind("model.diffusion_model.label_emb.", 0) == 0)
            labelEmb = true;
        if (k == "model.diffusion_model.input_blocks.0.0.weight" && t.shape.size() == 4)
            inChannels = t.shape[1];
    }
    std::string family;
    if (xl1)
        family = "sdxl";
    else if (xlRefiner)
        family = "sdxl-refiner";
    else if (openClip)
        family = "sd2";
    else if (clipL)
        family = "sd1";
    else if (unet && labelEmb)
        family = "sdxl";
    else
        return "unknown";
    return inChannels == 9 ? family + "-inpaint" : family;
}

CheckpointInfo inspectCheckpoint(const std::string& path)
{
    CheckpointInfo info;
    info.format = detectCheckpointFormat(path);
    std::error_code ec;
    switch (info.format) {
    case CheckpointFormat::SafeTensors: {
        const SafetensorsHeader h = readSafetensorsHeader(path);
        for (const auto& e : h.tensors)
            info.tensors.push_back({ e.key, e.dtype, e.shape, e.end - e.begin });
        info.metadata = h.metadata;
        info.fileBytes = fs::file_size(path, ec);
        break;
    }
    case CheckpointFormat::TorchZip:
        info.tensors = inspectTorchCheckpoint(path);
        info.fileBytes = fs::file_size(path, ec);
        break;
    case CheckpointFormat::Diffusers: {
        // Only the headers: the family comes from the folder's configs, the names stay diffusers'.
        for (const auto& entry : fs::recursive_directory_iterator(path, ec)) {
            if (!entry.is_regular_file())
                continue;
            const fs::path& p = entry.path();
            const std::string rel = fs::relative(p, path, ec).string();
            if (p.extension() == ".safetensors") {
                for (const auto& e : readSafetensorsHeader(p.string()).tensors)
                    info.tensors.push_back({ rel + ":" + e.key, e.dtype, e.shape, e.end - e.begin });
                info.fileBytes += entry.file_size(ec);
            } else if (p.extension() == ".bin"
                && detectCheckpointFormat(p.string()) == CheckpointFormat::TorchZip) {
                for (auto& t : inspectTorchCheckpoint(p.string()))
                    info.tensors.push_back({ rel + ":" + t.key, t.dtype, t.shape, t.bytes });
                info.fileBytes += entry.file_size(ec);
            }
        }
        info.family = diffusersFamily(path);
        break;
    }
    }
    std::sort(info.tensors.begin(), info.tensors.end(),
        [](const TensorInfo& a, const TensorInfo& b) { return a.key < b.key; });
    for (const auto& t : info.tensors) {
        ++info.dtypeCounts[t.dtype];
        info.tensorBytes += t.bytes;
    }
    if (info.format != CheckpointFormat::Diffusers)
        info.family = guessFamily(info.tensors);
    return info;
}

} // namespace qd
