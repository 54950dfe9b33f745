#include "upscale/UpscaleTiles.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <torch/torch.h>

#include "io/StateDict.h"

namespace qd
{

namespace
{

// range(0, last, stride) + [last] (tiled_upscale_2's tile origins)
std::vector<int64_t> origins(int64_t size, int64_t tile, int64_t stride)
{
    std::vector<int64_t> out;
    for (int64_t o = 0; o < size - tile; o += stride)
        out.push_back(o);
    out.push_back(size - tile);
    return out;
}

// upscale_pil_patch: RGB uint8 [h, w, 3] -> BGR float32 [1, 3, h, w] (/255 in double), the model,
// 255 * y in float32, rounded half to even, back to RGB uint8.
torch::Tensor patch8(const UpscaleFn& model, const torch::Tensor& rgb)
{
    const torch::Tensor bgr = rgb.flip({ 2 }).permute({ 2, 0, 1 }).unsqueeze(0);
    const torch::Tensor x = (bgr.to(torch::kFloat64) / 255.0).to(torch::kFloat32);
    const torch::Tensor y = model(x).to(torch::kCPU, torch::kFloat32).clamp(0.0, 1.0);
    const torch::Tensor q = torch::round(y * 255.0f).to(torch::kUInt8); // torch.round: half to even
    return q.squeeze(0).permute({ 1, 2, 0 }).flip({ 2 }).contiguous();
}

// Pillow's paste with an "L" mask: per channel (dst * (255 - m) + src * m + 128) / 255, rounded as
// its integer arithmetic rounds.
uint8_t blend(uint8_t dst, uint8_t src, uint8_t m)
{
    const uint32_t t = uint32_t(dst) * (255u - m) + uint32_t(src) * m + 128u;
    return uint8_t(((t >> 8) + t) >> 8);
}

// images.split_grid: start offsets of the tiles along one axis of `size` pixels.
std::vector<int64_t> gridOffsets(int64_t size, int64_t tile, int64_t overlap)
{
    const int64_t n
        = std::max<int64_t>(1, int64_t(std::ceil(double(size - overlap) / double(tile - overlap))));
    const double d = n > 1 ? double(size - tile) / double(n - 1) : 0.0;
    std::vector<int64_t> out;
    for (int64_t i = 0; i < n; ++i) {
        int64_t o = int64_t(double(i) * d);
        if (o + tile >= size)
            o = size - tile;
        out.push_back(o);
    }
    return out;
}

} // namespace

torch::Tensor upscaleTiledTensor(
    const UpscaleFn& model, const torch::Tensor& x, int tile, int overlap, int scale)
{
    if (x.dim() != 4)
        throw EngineError("tiled upscale: input " + shapeString(x.sizes()) + ", expected [N, C, H, W]");
    const int64_t H = x.size(2), W = x.size(3);
    if (tile <= 0)
        return model(x);
    const int64_t t = std::min<int64_t>({ tile, H, W }), stride = t - overlap;
    if (stride <= 0)
        throw EngineError("tiled upscale: overlap " + std::to_string(overlap)
            + " leaves no stride in tiles of " + std::to_string(t));
    torch::Tensor result, weight;
    for (int64_t h : origins(H, t, stride))
        for (int64_t w : origins(W, t, stride)) {
            const torch::Tensor out = model(x.slice(2, h, h + t).slice(3, w, w + t));
            if (!result.defined()) {
                result = torch::zeros({ x.size(0), out.size(1), H * scale, W * scale }, out.options());
                weight = torch::zeros_like(result);
            }
            result.slice(2, h * scale, (h + t) * scale).slice(3, w * scale, (w + t) * scale).add_(out);
            weight.slice(2, h * scale, (h + t) * scale).slice(3, w * scale, (w + t) * scale).add_(1.0);
        }
    return result.div_(weight);
}

torch::Tensor upscaleImage8(const UpscaleFn& model, const torch::Tensor& rgb, int tile, int overlap)
{
    if (rgb.dim() != 3 || rgb.size(2) != 3 || rgb.scalar_type() != torch::kUInt8)
        throw EngineError("upscale: image " + shapeString(rgb.sizes()) + ", expected [H, W, 3] 8-bit RGB");
    const int64_t H = rgb.size(0), W = rgb.size(1);
    if (tile <= 0 || (tile >= H && tile >= W))
        return patch8(model, rgb);
    const int64_t tw = std::min<int64_t>(tile, W), th = std::min<int64_t>(tile, H);
    if (overlap >= std::min(tw, th))
        throw EngineError("upscale: tile overlap " + std::to_string(overlap) + " is not below the tile size "
            + std::to_string(std::min(tw, th)));
    const std::vector<int64_t> xs = gridOffsets(W, tw, overlap), ys = gridOffsets(H, th, overlap);
    int64_t s = 0;
    torch::Tensor canvas;
    std::vector<uint8_t> maskRow; // combine_grid's mask: uint8(float32(r) * 255 / ov)
    for (size_t yi = 0; yi < ys.size(); ++yi) {
        torch::Tensor row;
        for (size_t xi = 0; xi < xs.size(); ++xi) {
            const torch::Tensor out
                = patch8(model, rgb.slice(0, ys[yi], ys[yi] + th).slice(1, xs[xi], xs[xi] + tw).contiguous());
            if (!canvas.defined()) {
                s = out.size(1) / tw;
                canvas = torch::zeros({ H * s, W * s, 3 }, torch::kUInt8);
                const int64_t ov = overlap * s;
                for (int64_t r = 0; r < ov; ++r)
                    maskRow.push_back(uint8_t(float(r) * 255.0f / float(ov)));
            }
            if (!row.defined())
                row = torch::zeros({ th * s, W * s, 3 }, torch::kUInt8);
            const int64_t x = xs[xi] * s, ov = int64_t(maskRow.size()), w = out.size(1);
            if (x == 0) {
                row.slice(1, 0, w).copy_(out);
                continue;
            }
            auto dst = row.accessor<uint8_t, 3>();
            auto src = out.accessor<uint8_t, 3>();
            for (int64_t i = 0; i < out.size(0); ++i)
                for (int64_t j = 0; j < std::min(ov, W * s - x); ++j)
                    for (int c = 0; c < 3; ++c)
                        dst[i][x + j][c] = blend(dst[i][x + j][c], src[i][j][c], maskRow[size_t(j)]);
            row.slice(1, x + ov, std::min(x + w, W * s)).copy_(out.slice(1, ov, std::min(w, W * s - x)));
        }
        const int64_t y = ys[yi] * s, ov = int64_t(maskRow.size()), h = row.size(0);
        if (y == 0) {
            canvas.slice(0, 0, h).copy_(row);
            continue;
        }
        auto dst = canvas.accessor<uint8_t, 3>();
        auto src = row.accessor<uint8_t, 3>();
        for (int64_t i = 0; i < std::min(ov, H * s - y); ++i)
            for (int64_t j = 0; j < W * s; ++j)
                for (int c = 0; c < 3; ++c)
                    dst[y + i][j][c] = blend(dst[y + i][j][c], src[i][j][c], maskRow[size_t(i)]);
        canvas.slice(0, y + ov, std::min(y + h, H * s)).copy_(row.slice(0, ov, std::min(h, H * s - y)));
    }
    return canvas;
}

} // namespace qd
