#pragma once
// The architecture of an SD 1.x / 2.x / XL UNet as data (docs/style.md §4). Field names follow the
// CompVis / Stability openaimodel parameters (`unet_config.params` / `network_config.params`),
// which are also the names error messages use.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "io/StateDict.h"

namespace qd
{

struct UNetConfig {
    int64_t inChannels = 4; // in_channels (9 for inpainting models)
    int64_t outChannels = 4; // out_channels
    int64_t modelChannels = 320; // model_channels
    std::vector<int64_t> channelMult { 1, 2, 4, 4 }; // channel_mult
    int64_t numResBlocks = 2; // num_res_blocks
    std::vector<int64_t> attentionResolutions { 4, 2, 1 }; // attention_resolutions: downsampling factors
    // Heads: either a fixed count (num_heads, SD1: 8) or a fixed width per head
    // (num_head_channels, SD2 / SDXL: 64); the other is -1.
    int64_t numHeads = 8;
    int64_t numHeadChannels = -1;
    std::vector<int64_t> transformerDepth { 1, 1, 1, 1 }; // transformer_depth, one per level
    int64_t transformerDepthMiddle = 1; // transformer_depth_middle (default: last level's)
    int64_t contextDim = 768; // context_dim
    bool useLinearInTransformer = false; // use_linear_in_transformer (SD2, SDXL)
    bool legacy = false; // legacy (no effect on spatial transformers)
    // SDXL: num_classes "sequential" with an adm_in_channels-wide vector y = [pooled text embedding,
    // sinusoidal embeddings of the size / crop numbers]; 0 and "" otherwise.
    int64_t admInChannels = 0;
    std::string numClasses;
    // Width of each size / crop number's embedding inside y (the conditioner's
    // ConcatTimestepEmbedderND outdim; diffusers' addition_time_embed_dim). SDXL 256.
    int64_t admTimeEmbedDim = 0;

    int64_t levels() const { return int64_t(channelMult.size()); }
    int64_t timeEmbedDim() const { return modelChannels * 4; }
    bool hasAttentionAt(int64_t level) const; // downsampling factor 2^level in attentionResolutions
    int64_t headsFor(int64_t channels) const; // attention heads of a transformer that wide
    bool operator==(const UNetConfig& o) const;
    bool operator!=(const UNetConfig& o) const { return !(*this == o); }

    // Throws EngineError naming the first bad field, its value and what was expected.
    void validate() const;
    nlohmann::json toJson() const; // the LDM params form, for messages and logs

    // From the `params` block of `unet_config` (CompVis) or `network_config` (Stability), already
    // converted from YAML to JSON. Unknown keys (use_checkpoint, image_size ...) are ignored.
    static UNetConfig fromLdmParams(const nlohmann::json& params);
    // From a whole CompVis / Stability YAML as JSON: the UNet params plus, for SDXL, the
    // size / crop embedding width from the conditioner's ConcatTimestepEmbedderND (default 256).
    static UNetConfig fromLdmYaml(const nlohmann::json& root);
    // From a diffusers unet/config.json.
    static UNetConfig fromDiffusersConfig(const nlohmann::json& config);
    // Every size from tensor shapes under `prefix` (e.g. "model.diffusion_model."). Heads cannot be
    // read from weights: SD1-style models (convolution proj_in, 768-wide context) get 8 heads, the
    // others 64 channels per head, as the released models use; a YAML must override otherwise.
    static UNetConfig detectFromWeights(
        const StateDict& sd, const std::string& prefix = "model.diffusion_model.");

    static UNetConfig sd15();
    static UNetConfig sd21();
    static UNetConfig sdxlBase();
};

} // namespace qd
