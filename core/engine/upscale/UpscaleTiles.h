#pragma once
// Running an upscaler over tiles, as AUTOMATIC1111 does (docs/reference.md §9.2), so that a large
// image fits in memory:
// - upscaleTiledTensor: modules/upscaler_utils.py tiled_upscale_2 — square tiles, the overlaps of
//   the outputs averaged.
// - upscaleImage8: upscale_with_model, the path of its ESRGAN / Real-ESRGAN upscalers — 8-bit RGB
//   tiles from images.split_grid, each run in BGR and rounded back to 8 bits, then combined with
//   images.combine_grid's linear blend over the overlaps.
#include <functional>

#include <torch/types.h>

namespace qd
{

using UpscaleFn = std::function<torch::Tensor(const torch::Tensor& x)>; // [1, 3, h, w] -> [1, 3, h*s, w*s]

// x [1, 3, H, W] float; tile <= 0: one call on the whole image.
torch::Tensor upscaleTiledTensor(
    const UpscaleFn& model, const torch::Tensor& x, int tile, int overlap, int scale);

// rgb [H, W, 3] uint8 -> [H*s, W*s, 3] uint8; `model` takes and gives [0, 1] floats (spandrel's
// clamped call). A tile larger than the image is cut to the image (A1111 pads the crop with black).
torch::Tensor upscaleImage8(const UpscaleFn& model, const torch::Tensor& rgb, int tile, int overlap);

} // namespace qd
