#pragma once
// The diffusers -> single-file ("LDM") key rename table: one table of general rules over block
// indices, diffusers' scripts/convert_diffusers_to_original_stable_diffusion.py and
// convert_diffusers_to_original_sdxl.py run in reverse, for SD 1.x, SD 2.x and SDXL (base and
// refiner). io/DiffusersFolder reads folders with it; lora/ reuses it for diffusers-named LoRA keys.
// No torch here.
#include <optional>
#include <string>
#include <vector>

namespace qd
{

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
    int controlHintBlocks = 6; // ControlNet: convolutions between its hint encoder's conv_in and conv_out
    static DiffusersBlockLayout fromKeys(const std::vector<std::string>& keys);
};

// The single-file name of diffusers key `key` of `component` ("unet", "vae", "text_encoder",
// "text_encoder_2"; "controlnet" for a ControlNetModel, under "control_model.") in a pipeline of `family`;
// nullopt for tensors with no single-file counterpart (position_ids of OpenCLIP encoders).
std::optional<DiffusersRename> renameDiffusersKey(const std::string& family, const std::string& component,
    const std::string& key, const DiffusersBlockLayout& layout);

// The components a pipeline of `family` has weights for, in the order they are read ("unet", "vae",
// "text_encoder", "text_encoder_2").
std::vector<std::string> diffusersComponents(const std::string& family);

} // namespace qd
