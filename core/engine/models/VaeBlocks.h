#pragma once
// Internal: the blocks of the KL autoencoder (LDM ldm.modules.diffusionmodules.model), named as
// the single-file keys. Used by AutoencoderKL.cpp and VaeTiles.cpp only.
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "models/TorchLayers.h"
#include "models/VaeConfig.h"

namespace qd
{

namespace vae
{

using layers::Conv2d;
using layers::GroupNorm;
using layers::GroupStats;
using torch::Tensor;

// Every VAE normalisation: 32 groups, eps 1e-6 (LDM Normalize, diffusers' VAE blocks).
constexpr double kEps = 1e-6;
constexpr int64_t kGroups = 32;

inline std::shared_ptr<torch::nn::Module> container(torch::nn::Module& parent, const std::string& name)
{
    return parent.register_module(name, std::make_shared<torch::nn::Module>());
}

struct ResnetBlock : torch::nn::Module {
    ResnetBlock(int64_t in, int64_t out, const torch::TensorOptions& o)
    {
        norm1 = register_module("norm1", std::make_shared<GroupNorm>(kGroups, in, kEps, o));
        conv1 = register_module("conv1", std::make_shared<Conv2d>(in, out, 3, 1, 1, o));
        norm2 = register_module("norm2", std::make_shared<GroupNorm>(kGroups, out, kEps, o));
        conv2 = register_module("conv2", std::make_shared<Conv2d>(out, out, 3, 1, 1, o));
        if (in != out)
            shortcut = register_module("nin_shortcut", std::make_shared<Conv2d>(in, out, 1, 1, 0, o));
    }
    Tensor forward(const Tensor& x) const
    {
        Tensor h = conv1->forward(layers::silu(norm1->forward(x)));
        h = conv2->forward(layers::silu(norm2->forward(h)));
        return h.add_(shortcut ? shortcut->forward(x) : x);
    }
    std::shared_ptr<GroupNorm> norm1, norm2;
    std::shared_ptr<Conv2d> conv1, conv2, shortcut;
};

// Single-head self-attention over the h*w positions, q / k / v / proj_out as 1x1 convolutions.
struct AttnBlock : torch::nn::Module {
    AttnBlock(int64_t c, const torch::TensorOptions& o)
    {
        norm = register_module("norm", std::make_shared<GroupNorm>(kGroups, c, kEps, o));
        q = register_module("q", std::make_shared<Conv2d>(c, c, 1, 1, 0, o));
        k = register_module("k", std::make_shared<Conv2d>(c, c, 1, 1, 0, o));
        v = register_module("v", std::make_shared<Conv2d>(c, c, 1, 1, 0, o));
        projOut = register_module("proj_out", std::make_shared<Conv2d>(c, c, 1, 1, 0, o));
    }
    Tensor forward(const Tensor& x) const
    {
        const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
        const Tensor tokens
            = norm->forward(x).permute({ 0, 2, 3, 1 }).reshape({ n, h * w, c }); // [N,C,H,W] -> [N,HW,C]
        const Tensor a = layers::attention(
            q->forwardTokens(tokens), k->forwardTokens(tokens), v->forwardTokens(tokens), 1);
        return x + projOut->forwardTokens(a).view({ n, h, w, c }).permute({ 0, 3, 1, 2 }); // -> [N,C,H,W]
    }
    std::shared_ptr<GroupNorm> norm;
    std::shared_ptr<Conv2d> q, k, v, projOut;
};

// One resolution level: `block.j` ResnetBlocks, `attn.j` where configured, and a resampler
// (encoder: `downsample.conv`, decoder: `upsample.conv`).
struct Level : torch::nn::Module {
    Level(int64_t in, int64_t out, int64_t blocks, bool attention, const char* resampler,
        const torch::TensorOptions& o)
    {
        auto b = container(*this, "block");
        auto a = attention ? container(*this, "attn") : nullptr;
        for (int64_t j = 0; j < blocks; ++j) {
            block.push_back(
                b->register_module(std::to_string(j), std::make_shared<ResnetBlock>(j ? out : in, out, o)));
            if (a)
                attn.push_back(a->register_module(std::to_string(j), std::make_shared<AttnBlock>(out, o)));
        }
        if (resampler) {
            // encoder: stride 2 after an asymmetric pad; decoder: 3x3 after nearest 2x
            const bool down = std::string(resampler) == "downsample";
            resample = container(*this, resampler)
                           ->register_module(
                               "conv", std::make_shared<Conv2d>(out, out, 3, down ? 2 : 1, down ? 0 : 1, o));
            downsample = down;
        }
    }
    Tensor forward(Tensor h) const
    {
        for (size_t j = 0; j < block.size(); ++j) {
            h = block[j]->forward(h);
            if (!attn.empty())
                h = attn[j]->forward(h);
        }
        return resample ? resampleForward(h) : h;
    }
    Tensor resampleForward(const Tensor& h) const
    {
        if (downsample)
            return resample->forward(at::constant_pad_nd(h, { 0, 1, 0, 1 }, 0)); // pad right and bottom only
        namespace F = torch::nn::functional;
        return resample->forward(F::interpolate(h,
            F::InterpolateFuncOptions()
                .size(std::vector<int64_t> { h.size(2) * 2, h.size(3) * 2 })
                .mode(torch::kNearest)));
    }
    std::vector<std::shared_ptr<ResnetBlock>> block;
    std::vector<std::shared_ptr<AttnBlock>> attn;
    std::shared_ptr<Conv2d> resample;
    bool downsample = false;
};

struct Mid : torch::nn::Module {
    Mid(int64_t c, const torch::TensorOptions& o)
    {
        block1 = register_module("block_1", std::make_shared<ResnetBlock>(c, c, o));
        attn1 = register_module("attn_1", std::make_shared<AttnBlock>(c, o));
        block2 = register_module("block_2", std::make_shared<ResnetBlock>(c, c, o));
    }
    Tensor forward(const Tensor& x) const { return block2->forward(attn1->forward(block1->forward(x))); }
    std::shared_ptr<ResnetBlock> block1, block2;
    std::shared_ptr<AttnBlock> attn1;
};

struct Encoder : torch::nn::Module {
    Encoder(const VaeConfig& c, const torch::TensorOptions& o)
    {
        convIn = register_module("conv_in", std::make_shared<Conv2d>(c.inChannels, c.ch, 3, 1, 1, o));
        auto down = container(*this, "down");
        int64_t in = c.ch;
        for (int64_t l = 0; l < c.levels(); ++l) {
            const int64_t out = c.ch * c.chMult[l];
            levels.push_back(down->register_module(std::to_string(l),
                std::make_shared<Level>(in, out, c.numResBlocks, c.hasAttentionAt(l),
                    l + 1 < c.levels() ? "downsample" : nullptr, o)));
            in = out;
        }
        mid = register_module("mid", std::make_shared<Mid>(in, o));
        normOut = register_module("norm_out", std::make_shared<GroupNorm>(kGroups, in, kEps, o));
        convOut = register_module(
            "conv_out", std::make_shared<Conv2d>(in, c.doubleZ ? 2 * c.zChannels : c.zChannels, 3, 1, 1, o));
    }
    Tensor forward(const Tensor& x) const { return forwardMid(forwardDown(x)); }
    // conv_in and the down levels, from image to latent resolution
    Tensor forwardDown(const Tensor& x) const
    {
        Tensor h = convIn->forward(x);
        for (const auto& l : levels)
            h = l->forward(h);
        return h;
    }
    // the middle block and the output, at latent resolution
    Tensor forwardMid(const Tensor& h) const
    {
        return convOut->forward(layers::silu(normOut->forward(mid->forward(h))));
    }
    std::shared_ptr<Conv2d> convIn, convOut;
    std::vector<std::shared_ptr<Level>> levels;
    std::shared_ptr<Mid> mid;
    std::shared_ptr<GroupNorm> normOut;
};

struct Decoder : torch::nn::Module {
    Decoder(const VaeConfig& c, const torch::TensorOptions& o)
    {
        int64_t in = c.ch * c.chMult.back();
        convIn = register_module("conv_in", std::make_shared<Conv2d>(c.zChannels, in, 3, 1, 1, o));
        mid = register_module("mid", std::make_shared<Mid>(in, o));
        // up.N is indexed by level as in the encoder, but runs deepest first.
        auto up = container(*this, "up");
        levels.resize(size_t(c.levels()));
        for (int64_t l = c.levels() - 1; l >= 0; --l) {
            const int64_t out = c.ch * c.chMult[l];
            levels[l] = up->register_module(std::to_string(l),
                std::make_shared<Level>(
                    in, out, c.numResBlocks + 1, c.hasAttentionAt(l), l > 0 ? "upsample" : nullptr, o));
            in = out;
        }
        normOut = register_module("norm_out", std::make_shared<GroupNorm>(kGroups, in, kEps, o));
        convOut = register_module("conv_out", std::make_shared<Conv2d>(in, c.outChannels, 3, 1, 1, o));
    }
    Tensor forward(const Tensor& z) const { return forwardUp(forwardMid(z)); }
    // conv_in and the middle block, at latent resolution
    Tensor forwardMid(const Tensor& z) const { return mid->forward(convIn->forward(z)); }
    // the up levels and the output, from latent to image resolution
    Tensor forwardUp(Tensor h) const
    {
        for (auto it = levels.rbegin(); it != levels.rend(); ++it)
            h = (*it)->forward(h);
        return convOut->forward(layers::silu(normOut->forward(h)));
    }
    std::shared_ptr<Conv2d> convIn, convOut;
    std::vector<std::shared_ptr<Level>> levels;
    std::shared_ptr<Mid> mid;
    std::shared_ptr<GroupNorm> normOut;
};

// Runs the decoder's up levels and output on `mid` (the middle block's output), or the
// encoder's conv_in and down levels on `image`, in overlapping tiles of `tile` latent pixels
// (see VaeTiles.cpp), float32 result. With whole-image statistics the result is the untiled one
// up to the tiles' edges; without, each tile is normalised on its own and needs far less memory.
Tensor decodeUpTiled(
    const Decoder& decoder, const Tensor& mid, int64_t tile, int64_t overlap, bool wholeImageStats);
Tensor encodeDownTiled(
    const Encoder& encoder, const Tensor& image, int64_t tile, int64_t overlap, bool wholeImageStats);

} // namespace vae
} // namespace qd
