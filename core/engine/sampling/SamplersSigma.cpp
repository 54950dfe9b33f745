// Samplers that step over sigmas (k-diffusion's family), each matching the diffusers scheduler
// named in its comment step for step, including first / last step special cases and draw order.
#include <array>
#include <deque>
#include <tuple>

#include <torch/torch.h>

#include "sampling/SamplerSteps.h"

namespace qd
{

namespace
{

// Integral over [sigmas[i], sigmas[i+1]] of the Lagrange basis polynomial j through
// sigmas[i], sigmas[i-1], ... (order points): the LMS weight of derivative i - j. diffusers and
// k-diffusion use scipy's quad; the integrand is a polynomial of degree < 4, which 4-point
// Gauss-Legendre integrates exactly.
double lmsCoefficient(const std::vector<double>& s, int order, int i, int j)
{
    static const std::array<double, 4> nodes
        = { -0.8611363115940526, -0.3399810435848563, 0.3399810435848563, 0.8611363115940526 };
    static const std::array<double, 4> weights
        = { 0.3478548451374538, 0.6521451548625461, 0.6521451548625461, 0.3478548451374538 };
    const double a = s[i], b = s[i + 1], half = 0.5 * (b - a), mid = 0.5 * (a + b);
    double sum = 0.0;
    for (int q = 0; q < 4; ++q) {
        const double tau = mid + half * nodes[q];
        double prod = 1.0;
        for (int k = 0; k < order; ++k)
            if (k != j)
                prod *= (tau - s[i - k]) / (s[i - j] - s[i - k]);
        sum += weights[q] * prod;
    }
    return sum * half;
}

} // namespace

// Karras et al. 2022 (arXiv 2206.00364) Algorithm 2 without churn; diffusers EulerDiscreteScheduler.
torch::Tensor sampleEuler(const DenoiseFn& model, torch::Tensor x, const SamplerArgs& args)
{
    const auto& s = args.sigmas;
    const int n = steps::count(args, "Euler");
    for (int i = 0; i < n; ++i) {
        const torch::Tensor denoised = model(x, s[i]);
        const torch::Tensor d = (x - denoised) / s[i];
        x = x + d * (s[i + 1] - s[i]);
        steps::report(args, i, n, s[i], s[i + 1], x, denoised);
    }
    return x;
}

// Euler ancestral (k-diffusion sample_euler_ancestral); diffusers EulerAncestralDiscreteScheduler,
// which draws one noise every step, the last (sigma_up = 0) included.
torch::Tensor sampleEulerAncestral(const DenoiseFn& model, torch::Tensor x, const SamplerArgs& args)
{
    const auto& s = args.sigmas;
    const int n = steps::count(args, "Euler a");
    const double eta = steps::eta(args, 1.0);
    for (int i = 0; i < n; ++i) {
        const torch::Tensor denoised = model(x, s[i]);
        const auto [down, up] = steps::ancestral(s[i], s[i + 1], eta);
        const torch::Tensor d = (x - denoised) / s[i];
        x = x + d * (down - s[i]);
        if (eta > 0)
            x = x + steps::noise(args, x, "Euler a") * (up * args.options.sNoise);
        steps::report(args, i, n, s[i], s[i + 1], x, denoised);
    }
    return x;
}

// Linear multistep over sigma, order 4 (k-diffusion sample_lms); diffusers LMSDiscreteScheduler.
torch::Tensor sampleLms(const DenoiseFn& model, torch::Tensor x, const SamplerArgs& args)
{
    const auto& s = args.sigmas;
    const int n = steps::count(args, "LMS");
    const int maxOrder = args.options.order > 0 ? args.options.order : 4;
    std::deque<torch::Tensor> ds; // newest last
    for (int i = 0; i < n; ++i) {
        const torch::Tensor denoised = model(x, s[i]);
        ds.push_back((x - denoised) / s[i]);
        if (static_cast<int>(ds.size()) > maxOrder)
            ds.pop_front();
        const int order = std::min(i + 1, maxOrder);
        torch::Tensor sum = lmsCoefficient(s, order, i, 0) * ds.back();
        for (int j = 1; j < order; ++j)
            sum = sum + lmsCoefficient(s, order, i, j) * ds[ds.size() - 1 - j];
        x = x + sum;
        steps::report(args, i, n, s[i], s[i + 1], x, denoised);
    }
    return x;
}

// Heun's 2nd-order method (Karras et al. 2022 Algorithm 1, k-diffusion sample_heun); diffusers
// HeunDiscreteScheduler: Euler on the step to sigma = 0, a callback after each evaluation.
torch::Tensor sampleHeun(const DenoiseFn& model, torch::Tensor x, const SamplerArgs& args)
{
    const auto& s = args.sigmas;
    const int n = steps::count(args, "Heun");
    const int total = 2 * n - (s[n] == 0 ? 1 : 0);
    int call = 0;
    for (int i = 0; i < n; ++i) {
        const torch::Tensor denoised = model(x, s[i]);
        const torch::Tensor d = (x - denoised) / s[i];
        const double dt = s[i + 1] - s[i];
        if (s[i + 1] == 0) {
            x = x + d * dt;
            steps::report(args, call++, total, s[i], s[i + 1], x, denoised);
            continue;
        }
        torch::Tensor x2 = x + d * dt;
        steps::report(args, call++, total, s[i], s[i + 1], x2, denoised);
        const torch::Tensor denoised2 = model(x2, s[i + 1]);
        const torch::Tensor d2 = (x2 - denoised2) / s[i + 1];
        x = x + (d + d2) / 2 * dt;
        steps::report(args, call++, total, s[i + 1], s[i + 1], x, denoised2);
    }
    return x;
}

// DPM-Solver-2 (Lu et al. 2022, arXiv 2206.00927) as k-diffusion's sample_dpm_2: Euler to the
// log-midpoint sigma, then the step with the midpoint slope; diffusers KDPM2DiscreteScheduler.
torch::Tensor sampleDpm2(const DenoiseFn& model, torch::Tensor x, const SamplerArgs& args)
{
    const auto& s = args.sigmas;
    const int n = steps::count(args, "DPM2");
    const int total = 2 * n - (s[n] == 0 ? 1 : 0);
    int call = 0;
    for (int i = 0; i < n; ++i) {
        const torch::Tensor denoised = model(x, s[i]);
        const torch::Tensor d = (x - denoised) / s[i];
        if (s[i + 1] == 0) {
            x = x + d * (s[i + 1] - s[i]);
            steps::report(args, call++, total, s[i], s[i + 1], x, denoised);
            continue;
        }
        const double mid = std::exp(0.5 * (std::log(s[i]) + std::log(s[i + 1])));
        torch::Tensor x2 = x + d * (mid - s[i]);
        steps::report(args, call++, total, s[i], mid, x2, denoised);
        const torch::Tensor denoised2 = model(x2, mid);
        x = x + (x2 - denoised2) / mid * (s[i + 1] - s[i]);
        steps::report(args, call++, total, mid, s[i + 1], x, denoised2);
    }
    return x;
}

// Ancestral DPM-Solver-2 (k-diffusion sample_dpm_2_ancestral); diffusers
// KDPM2AncestralDiscreteScheduler: noise after each second-order step, none on the last step.
torch::Tensor sampleDpm2Ancestral(const DenoiseFn& model, torch::Tensor x, const SamplerArgs& args)
{
    const auto& s = args.sigmas;
    const int n = steps::count(args, "DPM2 a");
    const double eta = steps::eta(args, 1.0);
    int total = 0, call = 0;
    for (int i = 0; i < n; ++i)
        total += steps::ancestral(s[i], s[i + 1], eta).first > 0 ? 2 : 1;
    for (int i = 0; i < n; ++i) {
        const torch::Tensor denoised = model(x, s[i]);
        const auto [down, up] = steps::ancestral(s[i], s[i + 1], eta);
        const torch::Tensor d = (x - denoised) / s[i];
        if (down == 0) {
            x = x + d * (down - s[i]);
            steps::report(args, call++, total, s[i], down, x, denoised);
            continue;
        }
        const double mid = std::exp(0.5 * (std::log(s[i]) + std::log(down)));
        torch::Tensor x2 = x + d * (mid - s[i]);
        steps::report(args, call++, total, s[i], mid, x2, denoised);
        const torch::Tensor denoised2 = model(x2, mid);
        x = x + (x2 - denoised2) / mid * (down - s[i]);
        if (eta > 0)
            x = x + steps::noise(args, x, "DPM2 a") * (up * args.options.sNoise);
        steps::report(args, call++, total, mid, s[i + 1], x, denoised2);
    }
    return x;
}

// DPM-Solver++(2S) ancestral (Lu et al. 2022, arXiv 2211.01095; k-diffusion
// sample_dpmpp_2s_ancestral: diffusers has no equivalent scheduler).
torch::Tensor sampleDpmpp2sAncestral(const DenoiseFn& model, torch::Tensor x, const SamplerArgs& args)
{
    const auto& s = args.sigmas;
    const int n = steps::count(args, "DPM++ 2S a");
    const double eta = steps::eta(args, 1.0);
    int total = 0, call = 0;
    for (int i = 0; i < n; ++i)
        total += steps::ancestral(s[i], s[i + 1], eta).first > 0 ? 2 : 1;
    for (int i = 0; i < n; ++i) {
        torch::Tensor denoised = model(x, s[i]);
        const auto [down, up] = steps::ancestral(s[i], s[i + 1], eta);
        double evaluatedAt = s[i];
        if (down == 0) {
            x = x + (x - denoised) / s[i] * (down - s[i]);
        } else {
            const double h = std::log(s[i] / down),
                         mid = s[i] * std::exp(-0.5 * h); // t + h/2, t = -log(sigma)
            torch::Tensor x2 = (mid / s[i]) * x - std::expm1(-0.5 * h) * denoised;
            steps::report(args, call++, total, s[i], mid, x2, denoised);
            denoised = model(x2, mid);
            evaluatedAt = mid;
            x = (down / s[i]) * x - std::expm1(-h) * denoised;
        }
        if (s[i + 1] > 0 && eta > 0)
            x = x + steps::noise(args, x, "DPM++ 2S a") * (up * args.options.sNoise);
        steps::report(args, call++, total, evaluatedAt, s[i + 1], x, denoised);
    }
    return x;
}

// DPM-Solver++(2M) (Lu et al. 2022, arXiv 2211.01095); diffusers DPMSolverMultistepScheduler
// (dpmsolver++, midpoint): first order on the first step and on the last (lower_order_final).
torch::Tensor sampleDpmpp2m(const DenoiseFn& model, torch::Tensor x, const SamplerArgs& args)
{
    const auto& s = args.sigmas;
    const int n = steps::count(args, "DPM++ 2M");
    torch::Tensor old;
    for (int i = 0; i < n; ++i) {
        const torch::Tensor denoised = model(x, s[i]);
        if (s[i + 1] == 0) {
            x = denoised; // the first-order update with sigma_next = 0 is exactly D
        } else {
            const double h = std::log(s[i] / s[i + 1]);
            const bool secondOrder = old.defined() && !(i == n - 1 && steps::shortSchedule(args, n));
            torch::Tensor d = denoised;
            if (secondOrder) // D0 + D1 / 2 with D1 = (m0 - m1) / r0, r0 = h_prev / h
                d = denoised + 0.5 * (denoised - old) / (std::log(s[i - 1] / s[i]) / h);
            x = (s[i + 1] / s[i]) * x - std::expm1(-h) * d;
        }
        old = denoised;
        steps::report(args, i, n, s[i], s[i + 1], x, denoised);
    }
    return x;
}

// DPM-Solver++ SDE with midpoint r = 1/2 (k-diffusion sample_dpmpp_sde); diffusers
// DPMSolverSDEScheduler. Its Brownian-tree noise (torchsde) is replaced by independent draws from
// the NoiseSource: the same distribution, not the same numbers.
torch::Tensor sampleDpmppSde(const DenoiseFn& model, torch::Tensor x, const SamplerArgs& args)
{
    const auto& s = args.sigmas;
    const int n = steps::count(args, "DPM++ SDE");
    const double eta = steps::eta(args, 1.0), sNoise = args.options.sNoise;
    const int total = 2 * n - (s[n] == 0 ? 1 : 0);
    int call = 0;
    for (int i = 0; i < n; ++i) {
        const torch::Tensor denoised = model(x, s[i]);
        if (s[i + 1] == 0) {
            x = x + (x - denoised) / s[i] * (s[i + 1] - s[i]);
            steps::report(args, call++, total, s[i], s[i + 1], x, denoised);
            continue;
        }
        // exp(-(t + h/2)) with t = -log(sigma). With tree noise the times are k-diffusion's float32
        // values: the tree rounds them to 6 decimals, so a different last bit can pick another node.
        double from = s[i], mid = std::sqrt(s[i] * s[i + 1]), to = s[i + 1];
        if (args.sdeNoise) {
            const float t = -std::log(float(s[i])), tNext = -std::log(float(s[i + 1]));
            from = std::exp(-t);
            mid = std::exp(-(t + (tNext - t) * 0.5f));
            to = std::exp(-tNext);
        }
        double down, up;
        std::tie(down, up) = steps::ancestral(from, mid, eta);
        torch::Tensor x2 = (down / from) * x - std::expm1(std::log(down / from)) * denoised;
        x2 = x2 + steps::sdeNoise(args, x2, from, mid, "DPM++ SDE") * (sNoise * up);
        steps::report(args, call++, total, s[i], mid, x2, denoised);
        const torch::Tensor denoised2 = model(x2, mid);
        std::tie(down, up) = steps::ancestral(from, to, eta);
        x = (down / from) * x - std::expm1(std::log(down / from)) * denoised2;
        x = x + steps::sdeNoise(args, x, from, to, "DPM++ SDE") * (sNoise * up);
        steps::report(args, call++, total, mid, s[i + 1], x, denoised2);
    }
    return x;
}

// DPM-Solver++(2M) SDE (Lu et al. 2022; k-diffusion sample_dpmpp_2m_sde); diffusers
// DPMSolverMultistepScheduler with sde-dpmsolver++: one draw every step, first order at both ends.
torch::Tensor sampleDpmpp2mSde(const DenoiseFn& model, torch::Tensor x, const SamplerArgs& args)
{
    const auto& s = args.sigmas;
    const int n = steps::count(args, "DPM++ 2M SDE");
    const double eta = steps::eta(args, 1.0);
    const bool heun = args.options.variant == "heun";
    torch::Tensor old;
    for (int i = 0; i < n; ++i) {
        const torch::Tensor denoised = model(x, s[i]);
        // diffusers draws every step; k-diffusion (tree noise) only for steps that end above 0.
        const bool draw = eta > 0 && (!args.sdeNoise || s[i + 1] != 0);
        const torch::Tensor noise
            = draw ? steps::sdeNoise(args, x, s[i], s[i + 1], "DPM++ 2M SDE") : torch::Tensor();
        if (s[i + 1] == 0) {
            x = denoised;
        } else {
            const double h = std::log(s[i] / s[i + 1]), he = h + eta * h;
            x = (s[i + 1] / s[i] * std::exp(-eta * h)) * x - std::expm1(-he) * denoised;
            const bool lowerOrderFinal = !args.sdeNoise && i == n - 1 && steps::shortSchedule(args, n);
            if (old.defined() && !lowerOrderFinal) {
                const torch::Tensor d1 = (denoised - old) / (std::log(s[i - 1] / s[i]) / h);
                x = x + (heun ? (-std::expm1(-he) / -he + 1.0) : -0.5 * std::expm1(-he)) * d1;
            }
            if (eta > 0)
                x = x + noise * (s[i + 1] * std::sqrt(-std::expm1(-2.0 * eta * h)) * args.options.sNoise);
        }
        old = denoised;
        steps::report(args, i, n, s[i], s[i + 1], x, denoised);
    }
    return x;
}

// DPM-Solver++(3M) SDE (k-diffusion sample_dpmpp_3m_sde; diffusers' third-order SDE update differs,
// so A1111's is followed).
torch::Tensor sampleDpmpp3mSde(const DenoiseFn& model, torch::Tensor x, const SamplerArgs& args)
{
    const auto& s = args.sigmas;
    const int n = steps::count(args, "DPM++ 3M SDE");
    const double eta = steps::eta(args, 1.0);
    torch::Tensor den1, den2;
    double h1 = 0, h2 = 0;
    for (int i = 0; i < n; ++i) {
        const torch::Tensor denoised = model(x, s[i]);
        double h = 0;
        if (s[i + 1] == 0) {
            x = denoised;
        } else {
            h = std::log(s[i] / s[i + 1]);
            const double he = h * (eta + 1), phi2 = std::expm1(-he) / he + 1, phi3 = phi2 / he - 0.5;
            x = std::exp(-he) * x - std::expm1(-he) * denoised;
            if (den2.defined()) {
                const double r0 = h1 / h, r1 = h2 / h;
                const torch::Tensor d10 = (denoised - den1) / r0, d11 = (den1 - den2) / r1;
                const torch::Tensor d1 = d10 + (d10 - d11) * (r0 / (r0 + r1)), d2 = (d10 - d11) / (r0 + r1);
                x = x + phi2 * d1 - phi3 * d2;
            } else if (den1.defined()) {
                x = x + phi2 * ((denoised - den1) / (h1 / h));
            }
            if (eta > 0)
                x = x
                    + steps::sdeNoise(args, x, s[i], s[i + 1], "DPM++ 3M SDE")
                        * (s[i + 1] * std::sqrt(-std::expm1(-2.0 * h * eta)) * args.options.sNoise);
        }
        den2 = den1;
        den1 = denoised;
        h2 = h1;
        h1 = h;
        steps::report(args, i, n, s[i], s[i + 1], x, denoised);
    }
    return x;
}

} // namespace qd
