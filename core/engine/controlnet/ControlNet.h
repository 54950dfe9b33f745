#pragma once
// A ControlNet (Zhang et al. 2023; lllyasviel's cldm.ControlNet = diffusers' ControlNetModel): a
// copy of the UNet's encoder that reads the control image through a small convolutional hint
// encoder and returns one residual per skip connection plus one for the middle block, each
// through a 1x1 "zero" convolution. The module tree mirrors the single-file keys under
// "control_model." (time_embed, input_blocks, middle_block, zero_convs.N.0, middle_block_out.0,
// input_hint_block.{0,2,...,14}); the encoder is the UNet's own code (UNetEncoder).
//
// Use (pipeline/ControlNetRun does this per CFG batch):
//   auto cn = loadControlNet("control_v11p_sd15_canny.safetensors", { device, dtype });
//   checkControlNetFits(cn->config(), sd.unet().config(), "SD 1.x", "control_v11p_sd15_canny");
//   UNetResiduals r = cn->forward(xIn, hint01, t, context);   // x scaled as the UNet's input
//   unet.forward(xIn, t, context, {}, &r);
#include <memory>
#include <string>
#include <vector>

#include <torch/nn/module.h>
#include <torch/types.h>

#include "controlnet/ControlNetConfig.h"
#include "io/StateDict.h"
#include "models/TorchLayers.h"
#include "models/UNetModel.h"

namespace qd
{

class ControlNetModel : public torch::nn::Module
{
public:
    static constexpr const char* kPrefix = "control_model.";

    explicit ControlNetModel(
        const ControlNetConfig& config, const torch::TensorOptions& options = torch::kFloat32);

    // Copies the weights under `prefix` (EngineError naming a missing or mis-shaped key and `source`).
    int load(const StateDict& sd, const std::string& source, const std::string& prefix = kPrefix);

    // x [N, in_channels, h, w]: the UNet's (scaled) input latents; hint [1 or N, 3, 8h, 8w]: the
    // control image, RGB in [0, 1]; t [N] (or one value); context [N or 1, L, context_dim]; y as the
    // UNet's (SDXL). Returns the unscaled residuals (down: one per input block; mid), in the
    // module's dtype. Runs under c10::InferenceMode.
    UNetResiduals forward(const torch::Tensor& x, const torch::Tensor& hint, const torch::Tensor& t,
        const torch::Tensor& context, const torch::Tensor& y = {}) const;

    const ControlNetConfig& config() const { return m_config; }
    torch::Device device() const { return m_encoder->device(); }

private:
    ControlNetConfig m_config;
    std::unique_ptr<UNetEncoder> m_encoder;
    std::vector<std::shared_ptr<layers::Conv2d>> m_hint; // input_hint_block.{0,2,...}; odd indices are SiLU
    std::vector<std::shared_ptr<layers::Conv2d>> m_zeroConvs; // zero_convs.N.0
    std::shared_ptr<layers::Conv2d> m_middleOut; // middle_block_out.0
};

struct ControlNetLoadOptions {
    torch::Device device = torch::kCPU;
    torch::ScalarType dtype = torch::kFloat32;
    std::string config; // a cldm YAML; default: NAME.yaml beside the file when it exists
};

// Loads a ControlNet from any of the forms met in practice: a .safetensors / .pth / .ckpt file
// with "control_model.*" keys (v1.1), the same keys without the prefix, a v1.0 file that also holds
// a whole SD model (only control_model.* is read), a diffusers ControlNetModel (a folder with
// config.json + diffusion_pytorch_model.safetensors, or such a file with config.json beside it;
// renamed by io/DiffusersKeys). fp16 / bf16 weights are converted to options.dtype. The config
// comes from the YAML, else diffusers' config.json, else the weights' shapes.
std::shared_ptr<ControlNetModel> loadControlNet(
    const std::string& path, const ControlNetLoadOptions& options = {});

// The same from tensors already in memory (any of the key forms above); `diffusersConfig` is the
// config.json of a diffusers-named state dict, or null. `source` names it in errors.
std::shared_ptr<ControlNetModel> controlNetFromStateDict(const StateDict& sd, const std::string& source,
    const ControlNetLoadOptions& options = {}, const nlohmann::json* diffusersConfig = nullptr);

// diffusers' ControlNetModel key names -> "control_model." single-file names (shapes unchanged).
StateDict controlNetFromDiffusersKeys(const StateDict& sd);

} // namespace qd
