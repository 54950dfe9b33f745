#pragma once
// The KL autoencoder of SD 1.x / 2.x / XL (LDM ldm.models.autoencoder.AutoencoderKL), computing
// what diffusers' AutoencoderKL computes. Its module tree mirrors the single-file keys under
// "first_stage_model." (encoder.down.0.block.1.conv2.weight ...). Large images are encoded and
// decoded in overlapping tiles blended with linear ramps, automatically or on out-of-memory.
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Generator.h>
#include <torch/nn/module.h>
#include <torch/types.h>

#include "io/StateDict.h"
#include "models/TorchLayers.h"
#include "models/VaeConfig.h"

namespace qd
{

namespace vae
{
struct Encoder;
struct Decoder;
} // namespace vae

// The encoder's diagonal Gaussian over latents: mean and std [N, embed_dim, h, w].
struct VaeMoments {
    torch::Tensor mean;
    torch::Tensor std;
};

struct VaeTiling {
    enum class Mode { Auto, Never, Always };
    // Auto: tiles when the latent has more than autoAboveLatentPixels pixels, or when working on
    // the whole image runs out of memory.
    Mode mode = Mode::Auto;
    int64_t tileLatent = 96; // tile side in latent pixels (768 image pixels)
    // Overlap of neighbouring tiles: its outer quarter is ignored (zero padding at the tile's edge
    // reaches that far), its middle half crossfades linearly.
    int64_t overlapLatent = 32;
    int64_t autoAboveLatentPixels = 128 * 128; // larger than 1024 x 1024 images
    // Tiles share whole-image GroupNorm statistics and so match the untiled result (about half
    // the untiled memory). On out-of-memory, or when false: tiles normalised each on its own,
    // one at a time (memory of one tile, slight colour differences between tiles), then ever
    // smaller tiles down to 32.
    bool wholeImageStatistics = true;
};

class AutoencoderKL : public torch::nn::Module
{
public:
    static constexpr const char* kPrefix = "first_stage_model.";

    explicit AutoencoderKL(const VaeConfig& config, const torch::TensorOptions& options = torch::kFloat32);

    // Copies the weights under `prefix`. The middle attention's q / k / v / proj_out may be stored
    // as 1x1 convolutions [C, C, 1, 1] (LDM) or as linear weights [C, C] (some converted files):
    // both load.
    int load(const StateDict& sd, const std::string& source, const std::string& prefix = kPrefix,
        std::vector<std::string>* unexpected = nullptr);

    // image [N, in_channels, H, W] in [-1, 1] -> mean, std [N, embed_dim, H/8, W/8]
    // (log-variance clamped to [-30, 20] as LDM and diffusers do).
    VaeMoments encode(const torch::Tensor& image);
    // mean + std * randn drawn from `generator` (CPU generators draw on the CPU in float32, as
    // diffusers' randn_tensor does, so a seed gives the same latent everywhere).
    static torch::Tensor sample(const VaeMoments& moments, at::Generator& generator);
    // latent [N, embed_dim, h, w], already divided by the scale factor -> image [N, out_ch, 8h, 8w]
    torch::Tensor decode(const torch::Tensor& latent);

    // The same without tiling, and tiled whatever the size (tiles from tiling()).
    VaeMoments encodeWhole(const torch::Tensor& image);
    torch::Tensor decodeWhole(const torch::Tensor& latent);
    VaeMoments encodeTiled(const torch::Tensor& image);
    torch::Tensor decodeTiled(const torch::Tensor& latent);

    void setTiling(const VaeTiling& tiling) { m_tiling = tiling; }
    const VaeTiling& tiling() const { return m_tiling; }
    const VaeConfig& config() const { return m_config; }

private:
    torch::Tensor momentsWhole(const torch::Tensor& image); // quant_conv(encoder(image))
    torch::Tensor momentsTiled(
        const torch::Tensor& image, int64_t tile, int64_t overlap, bool wholeImageStats);
    torch::Tensor decodeTiles(
        const torch::Tensor& latent, int64_t tile, int64_t overlap, bool wholeImageStats);
    VaeMoments split(const torch::Tensor& moments) const;
    bool wantsTiles(const torch::Tensor& latentLike, int64_t h, int64_t w) const;

    VaeConfig m_config;
    VaeTiling m_tiling;
    std::shared_ptr<vae::Encoder> m_encoder;
    std::shared_ptr<vae::Decoder> m_decoder;
    std::shared_ptr<layers::Conv2d> m_quantConv, m_postQuantConv;
};

} // namespace qd
