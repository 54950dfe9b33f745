#include "sampling/NoiseSchedule.h"

#include <algorithm>
#include <cfenv>
#include <cmath>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "io/StateDict.h"

namespace qd
{

double roundHalfEven(double v)
{
    // std::nearbyint rounds in the current mode, which is to-nearest-even unless someone changed it.
    const int mode = std::fegetround();
    if (mode != FE_TONEAREST)
        std::fesetround(FE_TONEAREST);
    const double r = std::nearbyint(v);
    if (mode != FE_TONEAREST)
        std::fesetround(mode);
    return r;
}

double toFloat32(double v)
{
    return static_cast<double>(static_cast<float>(v));
}

NoiseScheduleConfig NoiseScheduleConfig::fromDiffusers(const nlohmann::json& c)
{
    NoiseScheduleConfig out;
    auto num = [&](const char* key, double& field) {
        if (c.contains(key) && c[key].is_number())
            field = c[key].get<double>();
    };
    double tmp = out.numTrainTimesteps;
    num("num_train_timesteps", tmp);
    out.numTrainTimesteps = static_cast<int>(tmp);
    num("beta_start", out.betaStart);
    num("beta_end", out.betaEnd);
    if (c.contains("beta_schedule") && c["beta_schedule"].is_string())
        out.betaSchedule = c["beta_schedule"].get<std::string>();
    if (c.contains("trained_betas") && !c["trained_betas"].is_null())
        throw EngineError(
            "scheduler config: trained_betas is not supported (expected null and a beta_schedule)");
    if (c.contains("rescale_betas_zero_snr") && c["rescale_betas_zero_snr"].is_boolean())
        out.rescaleZeroTerminalSnr = c["rescale_betas_zero_snr"].get<bool>();
    if (c.contains("timestep_spacing") && c["timestep_spacing"].is_string())
        out.timestepSpacing = c["timestep_spacing"].get<std::string>();
    tmp = out.stepsOffset;
    num("steps_offset", tmp);
    out.stepsOffset = static_cast<int>(tmp);
    if (c.contains("set_alpha_to_one") && c["set_alpha_to_one"].is_boolean())
        out.setAlphaToOne = c["set_alpha_to_one"].get<bool>();
    if (c.contains("prediction_type") && c["prediction_type"].is_string()) {
        const auto p = c["prediction_type"].get<std::string>();
        if (p == "epsilon")
            out.prediction = Prediction::Epsilon;
        else if (p == "v_prediction")
            out.prediction = Prediction::V;
        else
            throw EngineError("scheduler config: prediction_type '" + p
                + "' is not supported (expected epsilon or v_prediction)");
    }
    out.validate();
    return out;
}

void NoiseScheduleConfig::validate() const
{
    if (numTrainTimesteps < 2)
        throw EngineError("noise schedule: num_train_timesteps " + std::to_string(numTrainTimesteps)
            + " (expected at least 2)");
    if (betaSchedule != "scaled_linear" && betaSchedule != "linear")
        throw EngineError("noise schedule: beta_schedule '" + betaSchedule
            + "' is not supported (expected scaled_linear or linear)");
    if (!(betaStart > 0 && betaEnd > betaStart && betaEnd < 1))
        throw EngineError("noise schedule: beta_start " + std::to_string(betaStart) + ", beta_end "
            + std::to_string(betaEnd) + " (expected 0 < beta_start < beta_end < 1)");
    if (timestepSpacing != "leading" && timestepSpacing != "trailing" && timestepSpacing != "linspace")
        throw EngineError("noise schedule: timestep_spacing '" + timestepSpacing
            + "' (expected leading, trailing or linspace)");
}

NoiseSchedule::NoiseSchedule(NoiseScheduleConfig config)
    : m_config(std::move(config))
{
    m_config.validate();
    c10::InferenceMode guard;
    const int64_t T = m_config.numTrainTimesteps;
    const auto f32 = torch::TensorOptions().dtype(torch::kFloat32);
    // diffusers: torch.linspace(...float32) (** 2 for scaled_linear), alphas = 1 - betas, cumprod.
    torch::Tensor betas = m_config.betaSchedule == "linear"
        ? torch::linspace(m_config.betaStart, m_config.betaEnd, T, f32)
        : torch::linspace(std::sqrt(m_config.betaStart), std::sqrt(m_config.betaEnd), T, f32).pow(2);
    if (m_config.rescaleZeroTerminalSnr) {
        // Shift and scale sqrt(alphas_cumprod) so the last one is 0 and the first unchanged.
        torch::Tensor abar = torch::cumprod(1.0 - betas, 0).sqrt();
        const torch::Tensor first = abar[0].clone(), last = abar[-1].clone();
        abar = (abar - last) * (first / (first - last));
        abar = abar.pow(2);
        torch::Tensor alphas = torch::cat({ abar.slice(0, 0, 1), abar.slice(0, 1) / abar.slice(0, 0, -1) });
        betas = 1.0 - alphas;
    }
    torch::Tensor alphasCumprod = torch::cumprod(1.0 - betas, 0);
    if (m_config.rescaleZeroTerminalSnr) {
        // diffusers' Euler trick: a terminal alphas_cumprod of exactly 0 would make sigma infinite.
        alphasCumprod[T - 1] = std::pow(2.0, -24);
    }
    const torch::Tensor sigmas = ((1.0 - alphasCumprod) / alphasCumprod).pow(0.5);
    const torch::Tensor logSigmas = sigmas.log();
    auto toVector = [](const torch::Tensor& t) {
        const torch::Tensor d = t.to(torch::kFloat64).contiguous();
        return std::vector<double>(d.data_ptr<double>(), d.data_ptr<double>() + d.numel());
    };
    m_alphasCumprod = toVector(alphasCumprod);
    m_sigmas = toVector(sigmas);
    m_logSigmas = toVector(logSigmas);
}

double NoiseSchedule::sigmaToTimestep(double sigma) const
{
    const double logSigma = std::log(std::max(sigma, 1e-10));
    const int n = static_cast<int>(m_logSigmas.size());
    // low = the last grid index whose log-sigma is <= log(sigma) (0 when none), at most n-2.
    const auto it = std::upper_bound(m_logSigmas.begin(), m_logSigmas.end(), logSigma);
    int low = static_cast<int>(it - m_logSigmas.begin()) - 1;
    low = std::clamp(low, 0, n - 2);
    const double lo = m_logSigmas[low], hi = m_logSigmas[low + 1];
    const double w = std::clamp((lo - logSigma) / (lo - hi), 0.0, 1.0);
    return (1.0 - w) * low + w * (low + 1);
}

double NoiseSchedule::timestepToSigma(double t) const
{
    const int n = static_cast<int>(m_logSigmas.size());
    t = std::clamp(t, 0.0, double(n - 1));
    const int low = static_cast<int>(std::floor(t)), high = static_cast<int>(std::ceil(t));
    const double w = t - low;
    return std::exp((1.0 - w) * m_logSigmas[low] + w * m_logSigmas[high]);
}

double NoiseSchedule::sigmaAtTimestep(double t) const
{
    const int n = static_cast<int>(m_sigmas.size());
    if (!(t > 0))
        return m_sigmas.front();
    if (t >= n - 1)
        return m_sigmas.back();
    const int j = static_cast<int>(std::floor(t));
    const double slope = m_sigmas[j + 1] - m_sigmas[j]; // grid spacing is 1
    return slope * (t - j) + m_sigmas[j];
}

namespace
{

// np.arange(start, stop, step) for a negative float step: ceil((stop - start) / step) values.
std::vector<double> arangeDown(double start, double stop, double step)
{
    const auto n = static_cast<int64_t>(std::ceil((stop - start) / step));
    std::vector<double> out;
    for (int64_t i = 0; i < n; ++i)
        out.push_back(start + double(i) * step);
    return out;
}

// np.linspace(start, stop, num): i * step + start, the last point exactly stop.
std::vector<double> linspace(double start, double stop, int num)
{
    std::vector<double> out(num);
    const double step = num > 1 ? (stop - start) / (num - 1) : 0.0;
    for (int i = 0; i < num; ++i)
        out[i] = num > 1 ? i * step + start : start;
    if (num > 1)
        out[num - 1] = stop;
    return out;
}

} // namespace

std::vector<double> NoiseSchedule::inferenceTimesteps(int steps, TimestepGrid grid) const
{
    if (steps < 1 || steps > m_config.numTrainTimesteps)
        throw EngineError("steps " + std::to_string(steps) + " (expected 1.."
            + std::to_string(m_config.numTrainTimesteps) + ")");
    const int T = m_config.numTrainTimesteps;
    const std::string& spacing = m_config.timestepSpacing;
    std::vector<double> t;
    if (spacing == "trailing") {
        // np.arange(T, 0, -T/N).round() - 1 (all families)
        for (double v : arangeDown(T, 0, -double(T) / steps))
            t.push_back(roundHalfEven(v) - 1);
        if (grid == TimestepGrid::Fractional)
            for (double& v : t)
                v = toFloat32(v);
        return t;
    }
    const bool skipLast = grid == TimestepGrid::SkipLast;
    const int points = skipLast ? steps + 1 : steps;
    if (spacing == "leading") {
        // (np.arange(points) * (T // points)).round()[::-1] (+ drop the last for SkipLast) + offset
        const int ratio = T / points;
        for (int i = points - 1; i >= (skipLast ? 1 : 0); --i)
            t.push_back(double(i) * ratio + m_config.stepsOffset);
        return t;
    }
    // linspace
    const std::vector<double> lin = linspace(0, T - 1, points);
    for (int i = points - 1; i >= (skipLast ? 1 : 0); --i)
        t.push_back(grid == TimestepGrid::Fractional ? toFloat32(lin[i]) : roundHalfEven(lin[i]));
    return t;
}

} // namespace qd
