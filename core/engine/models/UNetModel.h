#pragma once
// The latent-diffusion UNet of SD 1.x / 2.x / XL (CompVis / Stability openaimodel.UNetModel),
// computing what diffusers' UNet2DConditionModel computes. Its module tree mirrors the
// single-file checkpoint keys under "model.diffusion_model." (input_blocks.1.0.in_layers.2.weight
// ...), so loading is one loadModule() call. SD1, SD2 and SDXL differ only in UNetConfig.
#include <memory>
#include <string>
#include <vector>

#include <torch/nn/module.h>
#include <torch/types.h>

#include "io/StateDict.h"
#include "models/TorchLayers.h"
#include "models/UNetConfig.h"

namespace qd
{

namespace unet
{
struct Block;
}

// Sinusoidal embedding of (fractional) timesteps t [N] -> [N, dim], float32, cos half first:
// LDM's timestep_embedding = diffusers' Timesteps(flip_sin_to_cos=True, freq_shift=0).
torch::Tensor timestepEmbedding(const torch::Tensor& t, int64_t dim);

// The encoder half of the UNet: time (and SDXL label) embedding, input_blocks and middle_block.
// The UNet and the ControlNet (whose single-file keys use the same names for these parts) both
// hold one; it registers its modules on the owner, so the key names stay the owner's.
class UNetEncoder
{
public:
    UNetEncoder(torch::nn::Module& owner, const UNetConfig& config, const torch::TensorOptions& options);

    // What every block reads: the inputs on the weights' device and dtype, and SiLU(time embedding).
    struct Inputs {
        torch::Tensor x, context, embAct;
    };
    // Checks the shapes (EngineError naming `what`), converts, embeds t (and y for SDXL).
    Inputs prepare(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& context,
        const torch::Tensor& y, const char* what) const;
    size_t inputBlocks() const { return m_input.size(); }
    torch::Tensor runInput(size_t i, const torch::Tensor& h, const Inputs& in) const;
    torch::Tensor runMiddle(const torch::Tensor& h, const Inputs& in) const;
    // Channels of each input block's output (the skip connections), in order.
    const std::vector<int64_t>& skipChannels() const { return m_skipChannels; }
    torch::Device device() const;
    torch::ScalarType dtype() const;

private:
    UNetConfig m_config;
    std::shared_ptr<layers::Linear> m_timeEmbed0, m_timeEmbed2; // time_embed.1 is SiLU
    std::shared_ptr<layers::Linear> m_label0, m_label2; // label_emb.0.1 is SiLU (SDXL)
    std::vector<std::shared_ptr<unet::Block>> m_input;
    std::shared_ptr<unet::Block> m_middle;
    std::vector<int64_t> m_skipChannels;
};

// What a ControlNet adds to the UNet: one tensor per skip connection (input block order) and one
// for the middle block's output, already scaled.
struct UNetResiduals {
    std::vector<torch::Tensor> down;
    torch::Tensor mid;
    bool empty() const { return down.empty() && !mid.defined(); }
};

class UNetModel : public torch::nn::Module
{
public:
    static constexpr const char* kPrefix = "model.diffusion_model.";

    // Validates `config`; parameters are created uninitialised with `options` (dtype, device;
    // the meta device builds the tree without memory).
    explicit UNetModel(const UNetConfig& config, const torch::TensorOptions& options = torch::kFloat32);

    // Copies the weights under `prefix` (throws EngineError naming a missing or mis-shaped key
    // and `source`). Unused keys under the prefix go to `unexpected` when given.
    int load(const StateDict& sd, const std::string& source, const std::string& prefix = kPrefix,
        std::vector<std::string>* unexpected = nullptr);

    // x [N, in_channels, h, w] latents of any size (odd sizes too), t [N] (or one value)
    // timesteps, context [N or 1, L, context_dim], y [N, adm_in_channels] for SDXL (see
    // admVector), else undefined -> [N, out_channels, h, w]. Runs under c10::InferenceMode.
    // `residuals` (ControlNet): down[i] is added to skip connection i as the output blocks take
    // it, mid to the middle block's output.
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& context,
        const torch::Tensor& y = {}, const UNetResiduals* residuals = nullptr);

    // SDXL's y: the pooled text embedding [N, P] followed by each of the size / crop numbers
    // [N, K] (orig h, orig w, crop top, crop left, target h, target w) as a
    // config.admTimeEmbedDim-wide sinusoidal embedding -> [N, P + K * dim].
    torch::Tensor admVector(const torch::Tensor& pooled, const torch::Tensor& timeIds) const;

    const UNetConfig& config() const { return m_config; }

private:
    UNetConfig m_config;
    torch::TensorOptions m_options;
    std::unique_ptr<UNetEncoder> m_encoder;
    std::vector<std::shared_ptr<unet::Block>> m_output;
    std::shared_ptr<layers::GroupNorm> m_outNorm; // out.0; out.1 is SiLU
    std::shared_ptr<layers::Conv2d> m_outConv; // out.2
};

} // namespace qd
