#pragma once
// The architecture of a ControlNet (lllyasviel's cldm.ControlNet, diffusers' ControlNetModel) as
// data (docs/style.md §4): the UNet encoder it copies, plus its hint encoder. Read from a
// CompVis-style YAML (control_stage_config), a diffusers config.json or the weights' shapes.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "io/StateDict.h"
#include "models/UNetConfig.h"

namespace qd
{

struct ControlNetConfig {
    // The encoder half of the UNet it guides (in_channels, model_channels, channel_mult,
    // num_res_blocks, attention, context_dim, SDXL's adm_in_channels); out_channels is unused.
    UNetConfig unet;
    int64_t hintChannels = 3; // hint_channels: the control image's channels
    // Output widths of input_hint_block's 3x3 convolutions before the last one (which outputs
    // model_channels): 16, 16, 32, 32, 96, 96, 256 in every released model; convolutions 2, 4
    // and 6 (input_hint_block.4, .8, .12) have stride 2, so the map is 1/8 of the image.
    std::vector<int64_t> hintWidths { 16, 16, 32, 32, 96, 96, 256 };

    int64_t downResiduals() const; // one per input block: 12 for SD 1.x / 2.x, 9 for SDXL
    // "SD 1.x (context 768)", "SDXL (context 2048)": what the ControlNet was made for, for messages.
    std::string describe() const;
    // Throws EngineError naming the bad field.
    void validate() const;

    // From model.params.control_stage_config.params of a cldm YAML (as JSON).
    static ControlNetConfig fromLdmYaml(const nlohmann::json& root);
    // From a diffusers ControlNetModel config.json.
    static ControlNetConfig fromDiffusersConfig(const nlohmann::json& config);
    // Every size from tensor shapes under `prefix` ("control_model." or ""); heads as
    // UNetConfig::detectFromWeights decides them.
    static ControlNetConfig detectFromWeights(const StateDict& sd, const std::string& prefix);
};

// "SD 1.x" for a UNet with a convolution proj_in, "SD 2.x" for linear projections, "SDXL" for one
// with SDXL's size / pooled conditioning: the family words of the mismatch message.
std::string unetFamilyWords(const UNetConfig& config);

// Throws EngineError when a ControlNet of `control` cannot add its residuals to a UNet of `unet`
// (context width, channels, levels or SDXL conditioning differ), naming both, e.g.
// "control_v11p_sd15_canny: a ControlNet for SD 1.x (context 768) cannot guide an SDXL model
// (context 2048)". `modelFamily` is the loaded model's family in words ("SD 1.x", "SDXL").
void checkControlNetFits(const ControlNetConfig& control, const UNetConfig& unet,
    const std::string& modelFamily, const std::string& name);

} // namespace qd
