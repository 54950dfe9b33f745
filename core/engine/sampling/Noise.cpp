#include "sampling/Noise.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "io/StateDict.h"

namespace qd
{

namespace
{

torch::Tensor draw(at::Generator& g, at::IntArrayRef shape)
{
    return torch::randn(shape, g, torch::TensorOptions().dtype(torch::kFloat32).device(torch::kCPU));
}

} // namespace

torch::Tensor randnLike(at::IntArrayRef shape, uint64_t seed)
{
    at::Generator g = at::detail::createCPUGenerator(seed);
    return draw(g, shape);
}

torch::Tensor slerp(double val, const torch::Tensor& low, const torch::Tensor& high)
{
    if (low.sizes() != high.sizes() || low.dim() < 2)
        throw EngineError("slerp: shapes " + shapeString(low.sizes()) + " and " + shapeString(high.sizes())
            + " (expected equal shapes of at least 2 dimensions)");
    const torch::Tensor lowNorm = low / torch::norm(low, 2, { 1 }, true);
    const torch::Tensor highNorm = high / torch::norm(high, 2, { 1 }, true);
    const torch::Tensor dot = (lowNorm * highNorm).sum(1);
    if (dot.mean().item<double>() > 0.9995)
        return low * val + high * (1.0 - val);
    const torch::Tensor omega = torch::acos(dot);
    const torch::Tensor so = torch::sin(omega);
    return (torch::sin((1.0 - val) * omega) / so).unsqueeze(1) * low
        + (torch::sin(val * omega) / so).unsqueeze(1) * high;
}

NoiseSource NoiseSource::single(uint64_t seed)
{
    return fromGenerator(at::detail::createCPUGenerator(seed));
}

NoiseSource NoiseSource::fromGenerator(at::Generator generator)
{
    if (!generator.defined() || generator.device().type() != c10::DeviceType::CPU)
        throw EngineError(
            "noise generator: expected a CPU generator (CPU draws match PyTorch's bit for bit)");
    NoiseSource n;
    n.m_generators.push_back(std::move(generator));
    return n;
}

NoiseSource NoiseSource::perImage(const ImageNoiseOptions& o)
{
    if (o.seeds.empty())
        throw EngineError("per-image noise: no seeds given");
    if (!(o.subseedStrength >= 0.0 && o.subseedStrength <= 1.0))
        throw EngineError("variation strength " + std::to_string(o.subseedStrength) + " (expected 0..1)");
    NoiseSource n;
    n.m_perImage = true;
    n.m_options = o;
    for (uint64_t s : o.seeds)
        n.m_streams.emplace_back(o.source, s, o.device);
    return n;
}

NoiseSource NoiseSource::perImage(
    std::vector<uint64_t> seeds, std::vector<uint64_t> subseeds, double strength, int64_t ensd)
{
    ImageNoiseOptions o;
    o.seeds = std::move(seeds);
    o.subseeds = std::move(subseeds);
    o.subseedStrength = strength;
    o.ensd = ensd;
    return perImage(o);
}

std::vector<uint64_t> NoiseSource::consecutiveSeeds(uint64_t seed, int batch)
{
    std::vector<uint64_t> out;
    for (int i = 0; i < batch; ++i)
        out.push_back(seed + i);
    return out;
}

torch::Tensor NoiseSource::initialImageNoise(size_t i, at::IntArrayRef one)
{
    const ImageNoiseOptions& o = m_options;
    const RngSource src = o.source;
    const bool resized = o.seedResizeFromW > 0 && o.seedResizeFromH > 0 && one.size() == 3;
    std::vector<int64_t> shape = one.vec();
    if (resized)
        shape = { one[0], int64_t(o.seedResizeFromH / 8), int64_t(o.seedResizeFromW / 8) };
    const bool sameShape = shape == one.vec();
    torch::Tensor sub;
    if (o.subseedStrength != 0) {
        const uint64_t subseed = i < o.subseeds.size() ? o.subseeds[i] : 0; // A1111: 0 beyond the list
        sub = randnFrom(src, subseed, shape, o.device);
    }
    torch::Tensor noise = sameShape ? m_streams[i].randn(one) : randnFrom(src, o.seeds[i], shape, o.device);
    if (sub.defined())
        noise = slerp(o.subseedStrength, noise, sub);
    if (!sameShape) {
        // the centred overlap of the small noise pasted into the image's own full-size draw
        torch::Tensor x = m_streams[i].randn(one);
        int64_t dx = (one[2] - shape[2]) / 2, dy = (one[1] - shape[1]) / 2;
        // Python's floor division for negative differences
        if ((one[2] - shape[2]) < 0 && (one[2] - shape[2]) % 2)
            dx -= 1;
        if ((one[1] - shape[1]) < 0 && (one[1] - shape[1]) % 2)
            dy -= 1;
        const int64_t w = dx >= 0 ? shape[2] : shape[2] + 2 * dx;
        const int64_t h = dy >= 0 ? shape[1] : shape[1] + 2 * dy;
        const int64_t tx = dx < 0 ? 0 : dx, ty = dy < 0 ? 0 : dy;
        const int64_t sx = std::max<int64_t>(-dx, 0), sy = std::max<int64_t>(-dy, 0);
        if (w > 0 && h > 0)
            x.slice(1, ty, ty + h)
                .slice(2, tx, tx + w)
                .copy_(noise.slice(1, sy, sy + h).slice(2, sx, sx + w));
        noise = x;
    }
    return noise;
}

torch::Tensor NoiseSource::next(at::IntArrayRef shape)
{
    const bool first = m_draws++ == 0;
    if (!m_perImage) {
        if (m_generators.empty())
            throw EngineError("noise source used before it was set up");
        return draw(m_generators[0], shape);
    }
    if (shape.empty() || shape[0] != static_cast<int64_t>(m_streams.size()))
        throw EngineError("per-image noise: shape " + shapeString(shape) + " for "
            + std::to_string(m_streams.size())
            + " seeds (expected the batch on dim 0 to equal the number of seeds)");
    const at::IntArrayRef one = shape.slice(1); // each image drawn as [C, H, W], like A1111's ImageRNG
    std::vector<torch::Tensor> images;
    for (size_t i = 0; i < m_streams.size(); ++i)
        images.push_back(first ? initialImageNoise(i, one) : m_streams[i].randn(one));
    if (first && m_options.ensd != 0) {
        m_streams.clear();
        for (uint64_t s : m_options.seeds)
            m_streams.emplace_back(m_options.source, s + uint64_t(m_options.ensd), m_options.device);
    }
    return torch::stack(images, 0).to(m_options.device);
}

torch::Tensor NoiseSource::encoderNoise(at::IntArrayRef shape)
{
    if (!m_perImage)
        return next(shape);
    if (shape.empty() || shape[0] != static_cast<int64_t>(m_options.seeds.size()))
        throw EngineError("per-image encoder noise: shape " + shapeString(shape) + " for "
            + std::to_string(m_options.seeds.size()) + " seeds");
    std::vector<torch::Tensor> images;
    for (uint64_t s : m_options.seeds)
        images.push_back(randnLike(shape.slice(1), s));
    return torch::stack(images, 0).to(m_options.device);
}

torch::Tensor NoiseSource::like(const torch::Tensor& x)
{
    return next(x.sizes()).to(x.device(), x.scalar_type());
}

} // namespace qd
