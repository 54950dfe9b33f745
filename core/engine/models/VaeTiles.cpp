// Tiled VAE: the image is cut into overlapping tiles that run through the network in lockstep,
// layer by layer. Convolutions see only their tile (the overlap gives them their neighbourhood);
// every GroupNorm first gathers the whole image's statistics over all tiles and then normalises
// each tile with them, so tiles agree with each other and with the untiled result. Outputs are
// blended with linear ramps across the overlaps, away from the tile edges that zero padding
// spoils. What this saves: no layer holds more than one tile's temporaries (normalised copies,
// convolution outputs, upsampled maps), only each tile's current activation, which is about
// half the untiled peak. When even that does not fit, tiles run one after the other, each
// normalised on its own (as diffusers does): memory of one tile, at the price of small colour
// differences between tiles.
#include <algorithm>

#include "models/VaeBlocks.h"

namespace qd::vae
{

namespace
{

// Tile origins along one axis: step tile - overlap, the last tile flush with the end.
std::vector<int64_t> tileStarts(int64_t length, int64_t tile, int64_t overlap)
{
    if (length <= tile)
        return { 0 };
    std::vector<int64_t> starts;
    const int64_t step = std::max<int64_t>(1, tile - overlap);
    for (int64_t s = 0; s + tile < length; s += step)
        starts.push_back(s);
    starts.push_back(length - tile);
    return starts;
}

// Weights along one axis of a tile `n` long, on each side a neighbour overlaps by `overlap`: 0 for
// the outer quarter of the overlap (where the tile's zero padding reaches), a linear ramp across
// the middle half, 1 beyond; the neighbour's mirrored ramp makes the two sum to 1.
Tensor rampWeights(int64_t n, bool before, bool after, int64_t overlap)
{
    const int64_t margin = overlap / 4;
    const double span = double(std::max<int64_t>(1, overlap - 2 * margin));
    auto w = torch::ones({ n }, torch::kFloat32);
    const auto idx = torch::arange(n, torch::kFloat32);
    if (before)
        w = torch::minimum(w, ((idx + 0.5 - double(margin)) / span).clamp(0.0, 1.0));
    if (after)
        w = torch::minimum(w, ((double(n) - idx - 0.5 - double(margin)) / span).clamp(0.0, 1.0));
    return w;
}

class TileRun
{
public:
    // Tiles over an h x w latent; `f` image pixels per latent pixel; `scale` pixels per latent
    // pixel of the activations the run starts from.
    TileRun(int64_t h, int64_t w, int64_t tile, int64_t overlap, int64_t f, int64_t scale)
        : m_scale(scale)
    {
        // Each tile's share of every image pixel: ramps divided by their sum over the tiles, so
        // shares add up to 1 everywhere. Coarser maps average them over each pixel's block.
        auto total = torch::zeros({ h * f, w * f });
        for (int64_t y : tileStarts(h, tile, overlap))
            for (int64_t x : tileStarts(w, tile, overlap)) {
                Tile t { y, x, std::min(tile, h), std::min(tile, w), {}, {} };
                t.share = rampWeights(t.h * f, y > 0, y + t.h < h, overlap * f).unsqueeze(1)
                    * rampWeights(t.w * f, x > 0, x + t.w < w, overlap * f).unsqueeze(0);
                total.narrow(0, y * f, t.h * f).narrow(1, x * f, t.w * f).add_(t.share);
                m_tiles.push_back(std::move(t));
            }
        for (auto& t : m_tiles)
            t.share.div_(total.narrow(0, t.row * f, t.h * f).narrow(1, t.col * f, t.w * f));
    }

    // Starts each tile from its part of `input` ([N, C, h * scale, w * scale]).
    void cut(const Tensor& input)
    {
        for (auto& t : m_tiles)
            t.act = input.narrow(2, t.row * m_scale, t.h * m_scale).narrow(3, t.col * m_scale, t.w * m_scale);
    }

    template <typename Fn> void each(Fn fn)
    {
        for (auto& t : m_tiles)
            t.act = fn(t.act);
    }

    void scaleBy(int64_t num, int64_t den) { m_scale = m_scale * num / den; }

    GroupStats stats(const GroupNorm& norm, const std::vector<Tensor>& xs)
    {
        GroupStats s;
        for (size_t i = 0; i < m_tiles.size(); ++i)
            norm.accumulate(xs[i], share(i, xs[i]), s);
        s.finish(norm.eps);
        return s;
    }
    std::vector<Tensor> states() const
    {
        std::vector<Tensor> xs;
        for (const auto& t : m_tiles)
            xs.push_back(t.act);
        return xs;
    }

    void resnet(const ResnetBlock& b)
    {
        const GroupStats s1 = stats(*b.norm1, states());
        std::vector<Tensor> h;
        for (auto& t : m_tiles)
            h.push_back(b.conv1->forward(layers::silu(b.norm1->forward(t.act, s1))));
        const GroupStats s2 = stats(*b.norm2, h);
        for (size_t i = 0; i < m_tiles.size(); ++i) {
            Tensor out = b.conv2->forward(layers::silu(b.norm2->forward(h[i], s2)));
            h[i] = Tensor();
            Tensor& x = m_tiles[i].act;
            x = out.add_(b.shortcut ? b.shortcut->forward(x) : x);
        }
    }

    void level(const Level& l)
    {
        for (size_t j = 0; j < l.block.size(); ++j) {
            resnet(*l.block[j]);
            if (!l.attn.empty()) // attention inside a level (not in SD's VAEs) sees its tile only
                each([&](const Tensor& x) { return l.attn[j]->forward(x); });
        }
        if (l.resample) {
            each([&](const Tensor& x) { return l.resampleForward(x); });
            l.downsample ? scaleBy(1, 2) : scaleBy(2, 1);
        }
    }

    // norm_out, SiLU, conv_out
    void out(const GroupNorm& norm, const Conv2d& conv)
    {
        const GroupStats s = stats(norm, states());
        each([&](const Tensor& x) { return conv.forward(layers::silu(norm.forward(x, s))); });
    }

    // Sum of the tiles weighted by their shares, float32 [N, C, h * scale, w * scale].
    Tensor blend(int64_t h, int64_t w)
    {
        Tensor result;
        for (size_t i = 0; i < m_tiles.size(); ++i) {
            addShare(result, i, m_tiles[i].act, h, w);
            m_tiles[i].act = Tensor();
        }
        return result;
    }

    // Without whole-image statistics: each tile runs through `fn` on its own, start to end, and
    // is blended in at once, so only one tile is alive at a time (each tile normalised with its
    // own statistics, as diffusers' tiled VAE does).
    template <typename Fn> Tensor independent(const Tensor& input, int64_t h, int64_t w, Fn fn)
    {
        Tensor result;
        const int64_t inScale = m_scale;
        for (size_t i = 0; i < m_tiles.size(); ++i) {
            const auto& t = m_tiles[i];
            const Tensor piece = fn(
                input.narrow(2, t.row * inScale, t.h * inScale).narrow(3, t.col * inScale, t.w * inScale));
            m_scale = piece.size(2) / t.h; // the output's pixels per latent pixel
            addShare(result, i, piece, h, w);
        }
        return result;
    }

private:
    struct Tile {
        int64_t row, col, h, w; // in latent pixels
        Tensor share; // [h * f, w * f]
        Tensor act; // the tile's current activation
    };
    void addShare(Tensor& result, size_t i, const Tensor& piece, int64_t h, int64_t w) const
    {
        const auto& t = m_tiles[i];
        if (!result.defined())
            result = torch::zeros({ piece.size(0), piece.size(1), h * m_scale, w * m_scale },
                piece.options().dtype(torch::kFloat32));
        result.narrow(2, t.row * m_scale, piece.size(2))
            .narrow(3, t.col * m_scale, piece.size(3))
            .add_(piece.to(torch::kFloat32) * share(i, piece).to(piece.device()));
    }
    // The tile's share at the resolution of `x`.
    Tensor share(size_t i, const Tensor& x) const
    {
        const Tensor& full = m_tiles[i].share;
        const int64_t k = full.size(0) / x.size(2);
        if (k == 1)
            return full;
        return at::avg_pool2d(full.unsqueeze(0).unsqueeze(0), { k, k }).squeeze(0).squeeze(0);
    }

    std::vector<Tile> m_tiles;
    int64_t m_scale;
};

} // namespace

Tensor decodeUpTiled(
    const Decoder& decoder, const Tensor& mid, int64_t tile, int64_t overlap, bool wholeImageStats)
{
    const int64_t f = int64_t(1) << (decoder.levels.size() - 1);
    TileRun run(mid.size(2), mid.size(3), tile, overlap, f, 1);
    if (!wholeImageStats)
        return run.independent(
            mid, mid.size(2), mid.size(3), [&](const Tensor& x) { return decoder.forwardUp(x); });
    run.cut(mid);
    for (auto it = decoder.levels.rbegin(); it != decoder.levels.rend(); ++it)
        run.level(**it);
    run.out(*decoder.normOut, *decoder.convOut);
    return run.blend(mid.size(2), mid.size(3));
}

Tensor encodeDownTiled(
    const Encoder& encoder, const Tensor& image, int64_t tile, int64_t overlap, bool wholeImageStats)
{
    const int64_t f = int64_t(1) << (encoder.levels.size() - 1);
    const int64_t h = image.size(2) / f, w = image.size(3) / f;
    TileRun run(h, w, tile, overlap, f, f);
    if (!wholeImageStats)
        return run.independent(image, h, w, [&](const Tensor& x) { return encoder.forwardDown(x); });
    run.cut(image);
    run.each([&](const Tensor& x) { return encoder.convIn->forward(x); });
    for (const auto& l : encoder.levels)
        run.level(*l);
    return run.blend(h, w);
}

} // namespace qd::vae
