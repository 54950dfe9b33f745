#pragma once
// ESRGAN-family upscalers: RRDBNet (ESRGAN, Real-ESRGAN x4plus / x2plus / anime_6B, BSRGAN, RealSR
// and the community "4x-..." models) as AUTOMATIC1111 and ComfyUI run them through spandrel. Reads
// the three key layouts (BasicSR "new", ESRGAN-repo "trunk", original "old" model.N), detects the
// network from the weights and runs it in float32. docs/reference.md §9 describes the network, the
// layouts and the calls; tests/data/conformance/upscaler holds the reference outputs.
#include <string>

#include <torch/types.h>

#include "io/StateDict.h"

namespace qd
{

struct RrdbConfig {
    int inChannels = 3; // of the first conv: 3, or 12 / 48 for pixel-unshuffle (x2 / x1) files
    int outChannels = 3;
    int numFeat = 64;
    int numBlock = 23;
    int growChannels = 32;
    int upsamples = 2; // nearest x2 + conv stages: the network's own factor is 2^upsamples
    int unshuffle = 1; // pixel_unshuffle factor applied first (x2 files: 2)
    // What the file upscales by: 2^upsamples / unshuffle.
    int scale() const { return (1 << upsamples) / unshuffle; }
    // The input size the descriptor pads to (spandrel's size requirement).
    int sizeMultiple() const { return unshuffle > 1 ? 4 : 1; }
};

// The weights renamed to the "old" layout (model.0 ... model.10) whatever layout the file uses,
// after unwrapping a common "module." / "netG." prefix. Throws EngineError naming what is missing
// when the tensors are not an RRDBNet.
StateDict rrdbToOldLayout(const StateDict& weights);

// The network the (old-layout) weights describe, as spandrel reads it.
RrdbConfig detectRrdb(const StateDict& oldLayout);

class RrdbNet
{
public:
    // Any layout; weights are converted to float32 on `device`.
    RrdbNet(const StateDict& weights, torch::Device device = torch::kCPU);
    // Loads a .safetensors / .pth / .pt file (Real-ESRGAN's params_ema wrapper included).
    static RrdbNet load(const std::string& path, torch::Device device = torch::kCPU);

    const RrdbConfig& config() const { return m_config; }
    torch::Device device() const { return m_device; }
    // The network alone, unclamped: [N, 3, H, W] -> [N, 3, H*scale, W*scale]. Unshuffle files
    // reflect-pad to their factor first and are cropped back.
    torch::Tensor forward(const torch::Tensor& x) const;
    // spandrel's ImageModelDescriptor call: reflect-pad bottom / right to the size requirement, the
    // network, clamp to [0, 1], crop to H*scale x W*scale.
    torch::Tensor upscale(const torch::Tensor& x) const;

private:
    torch::Tensor conv(const torch::Tensor& x, const std::string& name) const;
    torch::Tensor rdb(const torch::Tensor& x, const std::string& prefix) const;

    StateDict m_w;
    RrdbConfig m_config;
    torch::Device m_device;
};

} // namespace qd
