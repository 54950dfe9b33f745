#pragma once
// LoRA networks (engine-internal, torch-facing): reading the files artists download, finding the
// model weight each layer changes, and merging them into the weights reversibly.
//
// Formats read (one file may mix layers of the UNet and of the text encoders):
//  - kohya-ss / AUTOMATIC1111: `lora_unet_<module>` / `lora_te_<module>` (SDXL: `lora_te1_`,
//    `lora_te2_`) with `.lora_down.weight` [r, in(, kh, kw)], `.lora_up.weight` [out, r(, 1, 1)] and
//    an optional `.alpha` scalar. <module> is the diffusers / transformers module path with `.` -> `_`
//    (SD 1.x / 2.x files) or the single-file path (kohya's SDXL files: `input_blocks_4_1_...`).
//  - diffusers / PEFT: `unet.<module>.lora_A.weight` / `.lora_B.weight` (also `text_encoder.`,
//    `text_encoder_2.`, a `base_model.model.` prefix, and the older `.lora.down.weight` /
//    `.processor.to_q_lora.down.weight` spellings); alpha = r when the file has none.
// Merging, as diffusers' fuse_lora and A1111's network_lora compute it:
//    W <- W + multiplier * (alpha / r) * (up.flatten(1) @ down.flatten(1)).reshape(W.shape)
// (a 3x3 LoCon down with a 1x1 up is the same product with the kernel flattened into `in`).
// The multiplier is A1111's: the `te` one for text-encoder layers, the `unet` one for the rest.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <torch/types.h>

#include "io/StateDict.h"

namespace qd
{

// One low-rank layer as the file holds it.
struct LoraLayer {
    std::string name; // the file's name for it without the suffix, e.g. "lora_unet_..._to_q"
    torch::Tensor down, up; // float32 CPU: [r, in(, kh, kw)], [out, r(, 1, 1)]
    double alpha = 0; // the file's alpha; r when it has none (scale 1)
    double scale() const { return alpha / double(down.size(0)); }
};

struct LoraFile {
    std::string path;
    std::string name; // file stem (what `<lora:NAME:w>` names)
    std::map<std::string, std::string> metadata; // safetensors __metadata__ (ss_* keys from kohya)
    std::vector<LoraLayer> layers;

    // Reads a .safetensors (or PyTorch .pt / .ckpt) LoRA. Throws EngineError naming the file and
    // the key for a tensor that is not part of a LoRA/LoCon layer (LyCORIS LoHa / LoKr / DoRA, CP
    // decomposition, ...), a layer missing its up or down matrix, or ranks that do not agree.
    static LoraFile read(const std::string& path);
};

// AUTOMATIC1111's LoRA hash ("Lora hashes" in the infotext): SHA-256 of a .safetensors file's bytes
// after its header (kohya / sd-webui-additional-networks "addnet" hash), of the whole file for
// other formats; the first 12 hex digits. "" when this build has no SHA-256 (OpenSSL).
std::string loraShortHash(const std::string& path);

// Finds `<lora:name:...>`'s file: `name` as a path (with or without extension), else NAME.safetensors
// / .pt / .ckpt / .bin in each folder and its subfolders (the first found, folders in order). "" when
// there is none.
std::string findLoraFile(const std::string& name, const std::vector<std::string>& folders);

// The model a LoRA is merged into, as the name mapping needs it.
struct LoraModelView {
    std::string family; // "sd1", "sd2", "sdxl" (diffusers' component naming)
    std::map<std::string, torch::Tensor> weights; // single-file key -> the module's tensor (same storage)
    std::vector<std::string> textPrefixes; // per text encoder, e.g. "cond_stage_model.transformer."
    int layersPerBlock = 2; // UNet res blocks per level (diffusers block index arithmetic)
    std::vector<bool> upBlockHasAttention; // per diffusers up block
    // cache: prefix -> {module path with '.' -> '_': weight key}, filled by loraTarget
    mutable std::map<std::string, std::map<std::string, std::string>> underscored;
};

// Where one layer lands: the weight's single-file key, the q/k/v row block of a fused OpenCLIP
// in_proj_weight (-1: the whole tensor), and whether it belongs to a text encoder.
struct LoraTarget {
    std::string key;
    int part = -1;
    bool textEncoder = false;
};

// Maps a layer name (either format) to the model's weight. Throws EngineError naming `file` and
// the layer when the model has no such weight (typically a LoRA made for another architecture).
LoraTarget loraTarget(const std::string& layerName, const LoraModelView& model, const std::string& file);

// A LoRA to merge and its A1111 multipliers (`<lora:name:te:unet>`; te = unet for `<lora:name:w>`).
struct LoraUse {
    std::shared_ptr<const LoraFile> file;
    double textWeight = 1.0;
    double unetWeight = 1.0;
};

// Keeps a copy of every weight it changes so that the next set (or none) starts from the
// checkpoint's own weights, bit for bit, without reloading it.
class LoraPatcher
{
public:
    // Restores the weights, then merges `loras` in order. Nothing is changed when `loras` is the set
    // already merged. Layers whose multiplier is 0 are skipped. On an error (unknown layer, shape
    // mismatch: EngineError naming the file, the layer, both shapes) the weights are restored.
    void apply(LoraModelView& model, const std::vector<LoraUse>& loras);
    // Puts back every changed weight (copy of the original: exact).
    void restore(LoraModelView& model);
    // Whether `use` fits `model`, changing nothing: throws the EngineError apply would (a layer the
    // model lacks, a shape that does not fit), naming the file and the layer.
    static void check(const LoraModelView& model, const LoraUse& use);
    const std::vector<LoraUse>& applied() const { return m_applied; }
    size_t changedWeights() const { return m_backup.size(); }

private:
    void merge(LoraModelView& model, const LoraUse& use);
    std::map<std::string, torch::Tensor> m_backup; // key -> original values (CPU copy)
    std::vector<LoraUse> m_applied;
};

} // namespace qd
