#pragma once
// The few building blocks the UNet and the VAE are made of. Unlike torch::nn's layers they take
// TensorOptions and leave their parameters uninitialised: weights always come from a checkpoint,
// a fp16 / CUDA model is built in place, and the meta device builds full-size trees without
// allocating anything (the shape test does that).
#include <cstdint>

#include <torch/nn/module.h>
#include <torch/types.h>

namespace qd::layers
{

struct Linear : torch::nn::Module {
    Linear(int64_t in, int64_t out, bool bias, const torch::TensorOptions& options);
    torch::Tensor forward(const torch::Tensor& x) const;
    torch::Tensor weight; // [out, in]
    torch::Tensor bias; // [out] or undefined
};

struct Conv2d : torch::nn::Module {
    Conv2d(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t padding,
        const torch::TensorOptions& options);
    torch::Tensor forward(const torch::Tensor& x) const;
    // A 1x1 convolution applied to channels-last tokens [N, L, in] -> [N, L, out]: the same sum as
    // the convolution, without moving the feature map between layouts twice.
    torch::Tensor forwardTokens(const torch::Tensor& tokens) const;
    torch::Tensor weight; // [out, in, k, k]
    torch::Tensor bias; // [out]
    int64_t stride, padding;
};

// Whole-image statistics of one GroupNorm layer gathered over the tiles of an image (the tiled
// VAE): every tile adds its weighted sums, each pixel weighted by the tile's share of it (shares sum
// to 1 over the tiles), so the totals are the whole image's.
struct GroupStats {
    torch::Tensor sum, sumSq; // [N, G] float64: sum w x, sum w x^2
    double count = 0; // sum of w over pixels, times channels per group
    torch::Tensor mean, rstd; // [N, G] after finish()
    void finish(double eps);
};

struct GroupNorm : torch::nn::Module {
    GroupNorm(int64_t groups, int64_t channels, double eps, const torch::TensorOptions& options);
    torch::Tensor forward(const torch::Tensor& x) const;
    // Adds the sums of x [N, C, h, w] weighted by `share` [h, w] to `stats`.
    void accumulate(const torch::Tensor& x, const torch::Tensor& share, GroupStats& stats) const;
    // Normalises x with finished whole-image statistics instead of its own.
    torch::Tensor forward(const torch::Tensor& x, const GroupStats& stats) const;
    torch::Tensor weight, bias; // [channels]
    int64_t groups;
    double eps;
};

struct LayerNorm : torch::nn::Module {
    LayerNorm(int64_t dim, double eps, const torch::TensorOptions& options);
    torch::Tensor forward(const torch::Tensor& x) const;
    torch::Tensor weight, bias; // [dim]
    double eps;
};

// SiLU applied in place on a temporary (saves one allocation per use).
inline torch::Tensor silu(torch::Tensor t)
{
    at::silu_(t);
    return t;
}

// Scaled dot-product attention (Vaswani et al.), softmax over keys in float32 whatever the
// compute dtype. q [N, Lq, H*D], k and v [N, Lk, H*D] -> [N, Lq, H*D], scale 1/sqrt(D).
// Uses at::scaled_dot_product_attention on LibTorch >= 2, else batched matrix products over
// bounded chunks of queries so the [Lq, Lk] score matrix never exceeds a few megabytes.
torch::Tensor attention(
    const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, int64_t heads);

// True when `e` reports an exhausted allocator (CUDA or CPU), the case where tiled work helps.
bool isOutOfMemory(const std::exception& e);

} // namespace qd::layers
