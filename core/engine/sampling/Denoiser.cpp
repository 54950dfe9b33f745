#include "sampling/Denoiser.h"

#include <cmath>

#include <torch/torch.h>

#include "io/StateDict.h"

namespace qd
{

int64_t Conditioning::batch() const
{
    int64_t b = 0;
    for (const auto& [key, t] : tensors) {
        if (!t.defined() || t.dim() == 0)
            throw EngineError("conditioning '" + key + "' has no batch dimension");
        if (b != 0 && t.size(0) != b)
            throw EngineError("conditioning '" + key + "' has batch " + std::to_string(t.size(0))
                + " (expected " + std::to_string(b) + " like the other tensors)");
        b = t.size(0);
    }
    return b;
}

Conditioning Conditioning::repeated(int64_t n) const
{
    Conditioning out;
    for (const auto& [key, t] : tensors) {
        if (t.size(0) == n) {
            out.tensors[key] = t;
        } else if (t.size(0) == 1) {
            std::vector<int64_t> reps(t.dim(), 1);
            reps[0] = n;
            out.tensors[key] = t.repeat(reps);
        } else {
            throw EngineError("conditioning '" + key + "' has batch " + std::to_string(t.size(0))
                + " (expected 1 or the latent batch " + std::to_string(n) + ")");
        }
    }
    return out;
}

Conditioning Conditioning::cat(const Conditioning& a, const Conditioning& b)
{
    Conditioning out;
    for (const auto& [key, t] : a.tensors) {
        const auto it = b.tensors.find(key);
        if (it == b.tensors.end())
            throw EngineError("conditioning '" + key + "' is missing from the unconditional side");
        if (t.sizes().slice(1) != it->second.sizes().slice(1))
            throw EngineError("conditioning '" + key + "': shapes " + shapeString(t.sizes()) + " and "
                + shapeString(it->second.sizes()) + " differ beyond the batch (pad the shorter prompt)");
        out.tensors[key] = torch::cat({ t, it->second }, 0);
    }
    if (b.tensors.size() != a.tensors.size())
        throw EngineError("conditioning: the unconditional side has keys the conditional side lacks");
    return out;
}

torch::Tensor rescaleGuidance(const torch::Tensor& guided, const torch::Tensor& conditional, double phi)
{
    std::vector<int64_t> dims;
    for (int64_t d = 1; d < guided.dim(); ++d)
        dims.push_back(d);
    // torch.std is the unbiased (n - 1) estimate, as diffusers uses it.
    const torch::Tensor stdCond = conditional.std(dims, /*unbiased=*/true, /*keepdim=*/true);
    const torch::Tensor stdGuided = guided.std(dims, /*unbiased=*/true, /*keepdim=*/true);
    const torch::Tensor rescaled = guided * (stdCond / stdGuided);
    return phi * rescaled + (1.0 - phi) * guided;
}

Denoiser::Denoiser(ModelFn model, std::shared_ptr<const NoiseSchedule> schedule)
    : m_model(std::move(model))
    , m_schedule(std::move(schedule))
{
    if (!m_model || !m_schedule)
        throw EngineError("Denoiser needs a model function and a noise schedule");
}

void Denoiser::setGuidance(Guidance guidance)
{
    if (!std::isfinite(guidance.scale))
        throw EngineError("CFG scale " + std::to_string(guidance.scale) + " (expected a finite number)");
    if (!(guidance.rescale >= 0.0 && guidance.rescale <= 1.0))
        throw EngineError("guidance rescale " + std::to_string(guidance.rescale) + " (expected 0..1)");
    m_guidance = std::move(guidance);
}

void Denoiser::setTimesteps(const std::vector<double>& sigmas, const std::vector<double>& timesteps)
{
    m_table.clear();
    for (size_t i = 0; i < sigmas.size() && i < timesteps.size(); ++i)
        m_table.emplace_back(sigmas[i], timesteps[i]);
}

double Denoiser::timestep(double sigma) const
{
    for (const auto& [s, t] : m_table)
        if (std::abs(s - sigma) <= 1e-9 * std::abs(s))
            return t;
    return m_schedule->sigmaToTimestep(sigma);
}

torch::Tensor Denoiser::operator()(const torch::Tensor& x, double sigma) const
{
    if (m_cancel && m_cancel->load())
        throw Cancelled();
    ++m_calls;
    const int64_t batch = x.size(0);
    const double s2 = sigma * sigma + 1.0;
    const torch::Tensor xIn = x / std::sqrt(s2); // c_in = 1 / sqrt(sigma^2 + 1)
    const double t = timestep(sigma);
    const auto tOptions = torch::TensorOptions().dtype(torch::kFloat32).device(x.device());
    const Conditioning cond = m_guidance.cond.repeated(batch);

    torch::Tensor out;
    if (m_guidance.scale == 1.0) {
        out = m_model(xIn, torch::full({ batch }, t, tOptions), cond);
    } else {
        // [uncond; cond] in one forward, as diffusers' pipelines batch it: [2B, C, H, W].
        const Conditioning both = Conditioning::cat(m_guidance.uncond.repeated(batch), cond);
        const torch::Tensor both_out
            = m_model(torch::cat({ xIn, xIn }, 0), torch::full({ 2 * batch }, t, tOptions), both);
        const auto halves = both_out.chunk(2, 0);
        out = halves[0] + m_guidance.scale * (halves[1] - halves[0]);
        if (m_guidance.rescale > 0.0)
            out = rescaleGuidance(out, halves[1], m_guidance.rescale);
    }
    if (out.sizes() != x.sizes())
        throw EngineError("model output " + shapeString(out.sizes()) + " (expected the latent shape "
            + shapeString(x.sizes()) + ")");
    out = out.to(x.scalar_type());
    if (m_schedule->config().prediction == Prediction::V) // c_skip = 1/(s^2+1), c_out = -s/sqrt(s^2+1)
        return out * (-sigma / std::sqrt(s2)) + x / s2;
    return x - sigma * out; // eps: c_skip = 1, c_out = -sigma
}

DenoiseFn Denoiser::fn() const
{
    return [this](const torch::Tensor& x, double sigma) { return (*this)(x, sigma); };
}

} // namespace qd
