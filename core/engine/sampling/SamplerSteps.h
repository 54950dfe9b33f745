#pragma once
// Helpers shared by the sampler functions (not part of the public API).
#include <cmath>
#include <limits>
#include <utility>

#include "io/StateDict.h"
#include "sampling/Samplers.h"

namespace qd::steps
{

// Number of steps in args.sigmas; throws EngineError when the list cannot be sampled.
inline int count(const SamplerArgs& args, const char* sampler)
{
    const auto& s = args.sigmas;
    if (s.size() < 2)
        throw EngineError(std::string(sampler) + ": " + std::to_string(s.size())
            + " sigmas (expected at least 2: the start and the final sigma)");
    for (size_t i = 0; i + 1 < s.size(); ++i)
        if (!(s[i] > 0) || !(s[i + 1] >= 0) || !std::isfinite(s[i]))
            throw EngineError(std::string(sampler) + ": sigma[" + std::to_string(i) + "] = "
                + std::to_string(s[i]) + " (expected finite positive sigmas, only the last may be 0)");
    return static_cast<int>(s.size()) - 1;
}

// After each model evaluation's update: args.editLatents may replace x (inpainting's latent
// blend, as diffusers' pipelines do it between scheduler steps), then the callback sees it.
inline void report(const SamplerArgs& args, int step, int total, double sigma, double sigmaOfX,
    torch::Tensor& x, const torch::Tensor& denoised)
{
    if (args.editLatents)
        x = args.editLatents(x, sigmaOfX);
    if (!args.callback)
        return;
    const double t = args.timestepOf ? args.timestepOf(sigma) : std::numeric_limits<double>::quiet_NaN();
    args.callback(StepInfo { step, total, sigma, t, sigmaOfX, x, denoised });
}

inline torch::Tensor noise(const SamplerArgs& args, const torch::Tensor& like, const char* sampler)
{
    if (!args.noise)
        throw EngineError(std::string(sampler) + " draws random noise: give it a NoiseSource");
    return args.noise->like(like);
}

// An SDE step's noise: the Brownian tree's for sigma -> sigmaNext when the run has one, else the
// next draw of the NoiseSource.
inline torch::Tensor sdeNoise(
    const SamplerArgs& args, const torch::Tensor& like, double sigma, double sigmaNext, const char* sampler)
{
    if (!args.sdeNoise)
        return noise(args, like, sampler);
    return args.sdeNoise(sigma, sigmaNext).to(like.device(), like.scalar_type());
}

// diffusers' lower_order_final condition for multistep solvers: fewer than 15 steps in the schedule.
inline bool shortSchedule(const SamplerArgs& args, int n)
{
    return (args.options.scheduleSteps > 0 ? args.options.scheduleSteps : n) < 15;
}

inline double eta(const SamplerArgs& args, double fallback)
{
    return args.options.eta < 0 ? fallback : args.options.eta;
}

// k-diffusion get_ancestral_step: split a step sigma_from -> sigma_to into a deterministic part down
// to sigma_down and fresh noise of size sigma_up (sigma_down^2 + sigma_up^2 = sigma_to^2).
inline std::pair<double, double> ancestral(double from, double to, double eta)
{
    if (eta == 0.0)
        return { to, 0.0 };
    const double up = std::min(to, eta * std::sqrt(to * to * (from * from - to * to) / (from * from)));
    return { std::sqrt(to * to - up * up), up };
}

} // namespace qd::steps
