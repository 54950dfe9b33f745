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

NoiseSource NoiseSource::perImage(
    std::vector<uint64_t> seeds, std::vector<uint64_t> subseeds, double strength, uint64_t ensd)
{
    if (seeds.empty())
        throw EngineError("per-image noise: no seeds given");
    if (!(strength >= 0.0 && strength <= 1.0))
        throw EngineError("variation strength " + std::to_string(strength) + " (expected 0..1)");
    NoiseSource n;
    n.m_perImage = true;
    for (uint64_t s : seeds)
        n.m_generators.push_back(at::detail::createCPUGenerator(s));
    n.m_seeds = std::move(seeds);
    n.m_subseeds = std::move(subseeds);
    n.m_strength = strength;
    n.m_ensd = ensd;
    return n;
}

std::vector<uint64_t> NoiseSource::consecutiveSeeds(uint64_t seed, int batch)
{
    std::vector<uint64_t> out;
    for (int i = 0; i < batch; ++i)
        out.push_back(seed + i);
    return out;
}

torch::Tensor NoiseSource::next(at::IntArrayRef shape)
{
    if (m_generators.empty())
        throw EngineError("noise source used before it was set up");
    const bool first = m_draws++ == 0;
    if (!m_perImage)
        return draw(m_generators[0], shape);
    if (shape.empty() || shape[0] != static_cast<int64_t>(m_generators.size()))
        throw EngineError("per-image noise: shape " + shapeString(shape) + " for "
            + std::to_string(m_generators.size())
            + " seeds (expected the batch on dim 0 to equal the number of seeds)");
    const at::IntArrayRef one = shape.slice(1); // each image drawn as [C, H, W], like A1111's ImageRNG
    std::vector<torch::Tensor> images;
    for (size_t i = 0; i < m_generators.size(); ++i) {
        torch::Tensor x = draw(m_generators[i], one);
        if (first && m_strength > 0.0) {
            // A1111 uses subseed 0 for images beyond the given subseeds.
            const uint64_t sub = i < m_subseeds.size() ? m_subseeds[i] : 0;
            x = slerp(m_strength, x, randnLike(one, sub));
        }
        images.push_back(x);
    }
    if (first && m_ensd > 0)
        for (size_t i = 0; i < m_generators.size(); ++i)
            m_generators[i] = at::detail::createCPUGenerator(m_seeds[i] + m_ensd);
    return torch::stack(images, 0);
}

torch::Tensor NoiseSource::like(const torch::Tensor& x)
{
    return next(x.sizes()).to(x.device(), x.scalar_type());
}

} // namespace qd
