#include "models/AutoencoderKL.h"

#include <algorithm>

#include <torch/torch.h>

#include "models/VaeBlocks.h"

namespace qd
{

using layers::Conv2d;
using layers::GroupNorm;
using torch::Tensor;

AutoencoderKL::AutoencoderKL(const VaeConfig& config, const torch::TensorOptions& options)
    : m_config(config)
{
    config.validate();
    m_encoder = register_module("encoder", std::make_shared<vae::Encoder>(config, options));
    m_decoder = register_module("decoder", std::make_shared<vae::Decoder>(config, options));
    if (config.useQuantConv)
        m_quantConv = register_module("quant_conv",
            std::make_shared<Conv2d>(2 * config.zChannels, 2 * config.embedDim, 1, 1, 0, options));
    if (config.usePostQuantConv)
        m_postQuantConv = register_module(
            "post_quant_conv", std::make_shared<Conv2d>(config.embedDim, config.zChannels, 1, 1, 0, options));
}

int AutoencoderKL::load(const StateDict& sd, const std::string& source, const std::string& prefix,
    std::vector<std::string>* unexpected)
{
    LoadOptions opt;
    opt.unexpected = unexpected;
    // 1x1 convolutions stored as linear weights ([C, C] for [C, C, 1, 1]): load a view of the
    // file's tensors with those reshaped.
    StateDict fixed;
    bool reshaped = false;
    for (const auto& p : named_parameters()) {
        const auto it = sd.find(prefix + p.key());
        if (it != sd.end() && p.value().dim() == 4 && it->second.dim() == 2 && p.value().size(2) == 1
            && p.value().size(3) == 1 && it->second.size(0) == p.value().size(0)
            && it->second.size(1) == p.value().size(1)) {
            fixed[it->first] = it->second.view({ it->second.size(0), it->second.size(1), 1, 1 });
            reshaped = true;
        }
    }
    if (!reshaped)
        return loadModule(*this, sd, prefix, source, opt);
    for (auto it = sd.lower_bound(prefix); it != sd.end() && it->first.compare(0, prefix.size(), prefix) == 0;
         ++it)
        fixed.emplace(it->first, it->second); // keeps the reshaped entries
    return loadModule(*this, fixed, prefix, source, opt);
}

Tensor AutoencoderKL::momentsWhole(const Tensor& image)
{
    const auto& w = m_encoder->convIn->weight;
    Tensor m = m_encoder->forward(image.to(w.device(), w.scalar_type()));
    return m_quantConv ? m_quantConv->forward(m) : m;
}

VaeMoments AutoencoderKL::split(const Tensor& moments) const
{
    const auto parts = moments.chunk(2, 1); // [N, 2E, h, w] -> mean, log-variance
    const Tensor logvar = parts[1].clamp(-30.0, 20.0);
    return { parts[0].contiguous(), at::exp(logvar * 0.5) };
}

bool AutoencoderKL::wantsTiles(const Tensor&, int64_t h, int64_t w) const
{
    return m_tiling.mode == VaeTiling::Mode::Always
        || (m_tiling.mode == VaeTiling::Mode::Auto && h * w > m_tiling.autoAboveLatentPixels);
}

VaeMoments AutoencoderKL::encodeWhole(const Tensor& image)
{
    c10::InferenceMode guard;
    if (image.dim() != 4 || image.size(1) != m_config.inChannels)
        throw EngineError("VAE encode: image has shape " + shapeString(image.sizes()) + ", expected [N, "
            + std::to_string(m_config.inChannels) + ", H, W]");
    return split(momentsWhole(image));
}

Tensor AutoencoderKL::momentsTiled(const Tensor& image, int64_t tile, int64_t overlap, bool wholeImageStats)
{
    // The down levels (the costly part, at image resolution) run in tiles; the middle block, with
    // its attention over all positions, runs on the blended result at latent resolution.
    const auto& w = m_encoder->convIn->weight;
    const Tensor x = image.to(w.device(), w.scalar_type());
    const Tensor down = vae::encodeDownTiled(*m_encoder, x, tile, overlap, wholeImageStats);
    const Tensor m = m_encoder->forwardMid(down.to(w.scalar_type()));
    return m_quantConv ? m_quantConv->forward(m) : m;
}

namespace
{

// Runs `run(tile, overlap, wholeImageStats)` as `tiling` says; on out-of-memory retries without
// whole-image statistics (one tile alive at a time), then with ever smaller tiles down to 32.
template <typename Fn> auto withTileFallback(const VaeTiling& tiling, Fn run)
{
    bool stats = tiling.wholeImageStatistics;
    int64_t tile = tiling.tileLatent, overlap = tiling.overlapLatent;
    for (;;) {
        try {
            return run(tile, overlap, stats);
        } catch (const std::exception& e) {
            if (!layers::isOutOfMemory(e) || (!stats && tile / 2 < 32))
                throw;
        }
        if (stats) {
            stats = false;
        } else {
            tile /= 2;
            overlap = std::max<int64_t>(overlap / 2, 8);
        }
    }
}

} // namespace

VaeMoments AutoencoderKL::encodeTiled(const Tensor& image)
{
    c10::InferenceMode guard;
    const int64_t f = m_config.downscale();
    if (image.dim() != 4 || image.size(1) != m_config.inChannels || image.size(2) % f || image.size(3) % f)
        throw EngineError("VAE tiled encode: image has shape " + shapeString(image.sizes())
            + ", expected [N, " + std::to_string(m_config.inChannels) + ", H, W] with H and W multiples of "
            + std::to_string(f));
    const auto dtype = m_encoder->convIn->weight.scalar_type();
    return split(withTileFallback(m_tiling, [&](int64_t tile, int64_t overlap, bool stats) {
        return momentsTiled(image, tile, overlap, stats).to(dtype);
    }));
}

VaeMoments AutoencoderKL::encode(const Tensor& image)
{
    c10::InferenceMode guard;
    const int64_t f = m_config.downscale();
    const bool tileable = image.dim() == 4 && image.size(2) % f == 0 && image.size(3) % f == 0;
    if (tileable && wantsTiles(image, image.size(2) / f, image.size(3) / f))
        return encodeTiled(image);
    try {
        return encodeWhole(image);
    } catch (const std::exception& e) {
        if (m_tiling.mode == VaeTiling::Mode::Never || !tileable || !layers::isOutOfMemory(e))
            throw;
    }
    return encodeTiled(image);
}

Tensor AutoencoderKL::sample(const VaeMoments& moments, at::Generator& generator)
{
    c10::InferenceMode guard;
    const bool cpuGen = generator.device().is_cpu();
    const auto opts = cpuGen ? torch::TensorOptions().dtype(torch::kFloat32) : moments.mean.options();
    const Tensor noise = at::randn(moments.mean.sizes(), generator, opts);
    return moments.mean + moments.std * noise.to(moments.mean.device(), moments.mean.scalar_type());
}

Tensor AutoencoderKL::decodeWhole(const Tensor& latent)
{
    c10::InferenceMode guard;
    if (latent.dim() != 4 || latent.size(1) != m_config.embedDim)
        throw EngineError("VAE decode: latent has shape " + shapeString(latent.sizes()) + ", expected [N, "
            + std::to_string(m_config.embedDim) + ", h, w]");
    const auto& w = m_decoder->convIn->weight;
    Tensor z = latent.to(w.device(), w.scalar_type());
    if (m_postQuantConv)
        z = m_postQuantConv->forward(z);
    return m_decoder->forward(z);
}

Tensor AutoencoderKL::decodeTiles(const Tensor& latent, int64_t tile, int64_t overlap, bool wholeImageStats)
{
    // conv_in and the middle block (attention over all positions) run on the whole latent; the
    // up levels, where the memory goes, in tiles.
    const auto& w = m_decoder->convIn->weight;
    Tensor z = latent.to(w.device(), w.scalar_type());
    if (m_postQuantConv)
        z = m_postQuantConv->forward(z);
    const Tensor mid = m_decoder->forwardMid(z);
    return vae::decodeUpTiled(*m_decoder, mid, tile, overlap, wholeImageStats).to(w.scalar_type());
}

Tensor AutoencoderKL::decodeTiled(const Tensor& latent)
{
    c10::InferenceMode guard;
    if (latent.dim() != 4 || latent.size(1) != m_config.embedDim)
        throw EngineError("VAE decode: latent has shape " + shapeString(latent.sizes()) + ", expected [N, "
            + std::to_string(m_config.embedDim) + ", h, w]");
    return withTileFallback(m_tiling,
        [&](int64_t tile, int64_t overlap, bool stats) { return decodeTiles(latent, tile, overlap, stats); });
}

Tensor AutoencoderKL::decode(const Tensor& latent)
{
    c10::InferenceMode guard;
    if (latent.dim() == 4 && wantsTiles(latent, latent.size(2), latent.size(3)))
        return decodeTiled(latent);
    try {
        return decodeWhole(latent);
    } catch (const std::exception& e) {
        if (m_tiling.mode == VaeTiling::Mode::Never || !layers::isOutOfMemory(e))
            throw;
    }
    return decodeTiled(latent);
}

} // namespace qd
