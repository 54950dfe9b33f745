#pragma once
// The architecture of the KL autoencoder (the VAE of SD 1.x / 2.x / XL) as data. Field names
// follow the LDM `first_stage_config.params` (embed_dim, ddconfig: ch, ch_mult, ...), which are
// also the names error messages use.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "io/StateDict.h"

namespace qd
{

struct VaeConfig {
    int64_t inChannels = 3; // ddconfig.in_channels
    int64_t outChannels = 3; // ddconfig.out_ch
    int64_t ch = 128; // ddconfig.ch
    std::vector<int64_t> chMult { 1, 2, 4, 4 }; // ddconfig.ch_mult
    int64_t numResBlocks = 2; // ddconfig.num_res_blocks
    std::vector<int64_t> attnResolutions; // ddconfig.attn_resolutions (SD: none but the middle one)
    int64_t resolution = 256; // ddconfig.resolution (only places attn_resolutions)
    int64_t zChannels = 4; // ddconfig.z_channels
    bool doubleZ = true; // ddconfig.double_z: the encoder yields mean and log-variance
    int64_t embedDim = 4; // embed_dim: latent channels after quant_conv
    bool useQuantConv = true; // quant_conv / post_quant_conv present (diffusers flags)
    bool usePostQuantConv = true;
    // The latent scale: the sampler works on encode(image) * scaleFactor and decode() takes
    // latent / scaleFactor. SD 1.x / 2.x 0.18215, SDXL 0.13025.
    double scaleFactor = 0.18215;

    int64_t levels() const { return int64_t(chMult.size()); }
    int64_t downscale() const { return int64_t(1) << (levels() - 1); } // 8 for SD
    bool hasAttentionAt(int64_t level) const; // resolution >> level in attnResolutions
    bool operator==(const VaeConfig& o) const;
    bool operator!=(const VaeConfig& o) const { return !(*this == o); }

    void validate() const; // throws EngineError naming the bad field
    nlohmann::json toJson() const;

    // `first_stage_config.params` ({embed_dim, ddconfig}) as JSON, with the model's scale_factor.
    static VaeConfig fromLdmParams(const nlohmann::json& params, double scaleFactor = 0.18215);
    // A whole CompVis / Stability YAML as JSON (model.params.first_stage_config, scale_factor).
    static VaeConfig fromLdmYaml(const nlohmann::json& root);
    // A diffusers vae/config.json.
    static VaeConfig fromDiffusersConfig(const nlohmann::json& config);
    // Sizes from shapes under `prefix`; the scale factor from the family (SDXL when the same file
    // holds an SDXL UNet or second text encoder, else SD 1.x / 2.x).
    static VaeConfig detectFromWeights(const StateDict& sd, const std::string& prefix = "first_stage_model.");

    static VaeConfig sd(); // SD 1.x / 2.x
    static VaeConfig sdxl(); // same layout, scale 0.13025
};

} // namespace qd
