// Samplers that diffusers runs on integer timesteps in "VP" scaling. Here they step over the sigmas
// of those timesteps in k-diffusion scaling: alphas_cumprod = 1 / (1 + sigma^2) and
// x_vp = x / sqrt(1 + sigma^2) turn every diffusers update into the one written below (the
// comments give the VP form where it differs).
#include <deque>

#include <torch/torch.h>

#include "sampling/SamplerSteps.h"

namespace qd
{

namespace
{

double alphaBar(double sigma)
{
    return 1.0 / (1.0 + sigma * sigma);
}

// UniPC's B(h)-weighted coefficients for `order` points with ratios rks (last = 1): fills b and the
// Vandermonde rows R = rks^k; returns the rhos (solved, or UniPC's fixed 0.5 cases).
std::vector<double> uniRhos(const std::vector<double>& rks, double hh, double bh, bool predictor)
{
    const int order = static_cast<int>(rks.size());
    if (predictor ? order == 2 : order == 1)
        return { 0.5 };
    if (predictor && order == 1)
        return {};
    const int dim = predictor ? order - 1 : order;
    torch::Tensor R = torch::empty({ dim, dim }, torch::kFloat64), b = torch::empty({ dim }, torch::kFloat64);
    double phiK = std::expm1(hh) / hh - 1.0, factorial = 1.0;
    for (int k = 1; k <= order; ++k) {
        if (k <= dim) {
            for (int j = 0; j < dim; ++j)
                R[k - 1][j] = std::pow(rks[j], k - 1);
            b[k - 1] = phiK * factorial / bh;
        }
        factorial *= k + 1;
        phiK = phiK / hh - 1.0 / factorial;
    }
    const torch::Tensor rhos = at::linalg_solve(R, b);
    return std::vector<double>(rhos.data_ptr<double>(), rhos.data_ptr<double>() + dim);
}

// One UniPC update from sigma `from` to `to`: x_to = (to/from) x - phi1 * m0 - B(h) * sum(rho_k D1_k)
// [- B(h) * rho_last * (mT - m0) for the corrector]. outs holds model outputs, newest last, at
// sigma indices idx; D1_k uses the k-th older output.
torch::Tensor uniUpdate(const std::vector<double>& s, const std::deque<torch::Tensor>& outs, int fromIdx,
    int toIdx, const torch::Tensor& x, int order, bool bh2, const torch::Tensor* modelT)
{
    const double h = std::log(s[fromIdx] / s[toIdx]), hh = -h; // lambda = -log(sigma), data prediction
    const torch::Tensor& m0 = outs.back();
    if (s[toIdx] == 0)
        return m0; // sigma_t = 0: exp(-h) = 0, only the first-order term is left
    std::vector<double> rks;
    std::vector<torch::Tensor> d1s;
    for (int k = 1; k < order; ++k) {
        const double rk = std::log(s[fromIdx] / s[fromIdx - k]) / h;
        rks.push_back(rk);
        d1s.push_back((outs[outs.size() - 1 - k] - m0) / rk);
    }
    rks.push_back(1.0);
    const double phi1 = std::expm1(hh), bh = bh2 ? std::expm1(hh) : hh;
    const std::vector<double> rhos = uniRhos(rks, hh, bh, modelT == nullptr);
    torch::Tensor res = (s[toIdx] / s[fromIdx]) * x - phi1 * m0;
    torch::Tensor sum = torch::zeros_like(x);
    for (size_t k = 0; k < d1s.size(); ++k)
        sum = sum + rhos[k] * d1s[k];
    if (modelT)
        sum = sum + rhos.back() * (*modelT - m0);
    return res - bh * sum;
}

} // namespace

// DDIM (Song et al. 2020, arXiv 2010.02502, eq. 12); diffusers DDIMScheduler. eta 0 by default
// (deterministic: x_next = x0 + sigma_next * eps), eta > 0 adds fresh noise.
torch::Tensor sampleDdim(const DenoiseFn& model, torch::Tensor x, const SamplerArgs& args)
{
    const auto& s = args.sigmas;
    const int n = steps::count(args, "DDIM");
    const double eta = steps::eta(args, 0.0);
    for (int i = 0; i < n; ++i) {
        const torch::Tensor denoised = model(x, s[i]);
        const torch::Tensor eps = (x - denoised) / s[i];
        const double a = alphaBar(s[i]), ap = alphaBar(s[i + 1]);
        const double sd = eta * std::sqrt((1 - ap) / (1 - a) * (1 - a / ap));
        // VP: sqrt(ap) x0 + sqrt(1 - ap - sd^2) eps + sd z, divided by sqrt(ap)
        x = denoised + std::sqrt(std::max(1 - ap - sd * sd, 0.0) / ap) * eps;
        if (eta > 0)
            x = x + steps::noise(args, x, "DDIM") * (sd / std::sqrt(ap));
        steps::report(args, i, n, s[i], s[i + 1], x, denoised);
    }
    return x;
}

// Pseudo linear multistep (Liu et al. 2022, arXiv 2202.09778) with the Runge-Kutta warm-up skipped;
// diffusers PNDMScheduler (skip_prk_steps): step 1 is redone with the mean of two slopes, then
// Adams-Bashforth orders 2, 3, 4 on eps. PNDM's transfer equals x + (sigma_next - sigma) * eps.
torch::Tensor samplePlms(const DenoiseFn& model, torch::Tensor x, const SamplerArgs& args)
{
    const auto& s = args.sigmas;
    const int n = steps::count(args, "PLMS");
    const int total = n == 1 ? 1 : n + 1;
    torch::Tensor denoised = model(x, s[0]);
    std::deque<torch::Tensor> ets = { (x - denoised) / s[0] };
    const torch::Tensor xStart = x;
    x = x + (s[1] - s[0]) * ets[0];
    steps::report(args, 0, total, s[0], s[1], x, denoised);
    if (n == 1)
        return x;
    denoised = model(x, s[1]); // the second evaluation at sigma_1 is not kept in the history
    x = xStart + (s[1] - s[0]) * ((ets[0] + (x - denoised) / s[1]) / 2);
    steps::report(args, 1, total, s[1], s[1], x, denoised);
    for (int i = 1; i < n; ++i) {
        denoised = model(x, s[i]);
        ets.push_back((x - denoised) / s[i]);
        if (ets.size() > 4)
            ets.pop_front();
        const size_t k = ets.size();
        torch::Tensor e;
        if (k == 2)
            e = (3 * ets[1] - ets[0]) / 2;
        else if (k == 3)
            e = (23 * ets[2] - 16 * ets[1] + 5 * ets[0]) / 12;
        else
            e = (55 * ets[3] - 59 * ets[2] + 37 * ets[1] - 9 * ets[0]) / 24;
        x = x + (s[i + 1] - s[i]) * e;
        steps::report(args, i + 1, total, s[i], s[i + 1], x, denoised);
    }
    return x;
}

// UniPC (Zhao et al. 2023, arXiv 2302.04867): predictor UniP with corrector UniC on data
// predictions; diffusers UniPCMultistepScheduler (order 2, B(h) = expm1(-h) "bh2", lower order on
// the last steps). The corrector refines x with the new evaluation before the next prediction.
torch::Tensor sampleUniPc(const DenoiseFn& model, torch::Tensor x, const SamplerArgs& args)
{
    const auto& s = args.sigmas;
    const int n = steps::count(args, "UniPC");
    const int order = args.options.order > 0 ? args.options.order : 2;
    const bool bh2 = args.options.variant != "bh1";
    std::deque<torch::Tensor> outs;
    torch::Tensor lastSample;
    int lastOrder = 1;
    for (int i = 0; i < n; ++i) {
        const torch::Tensor denoised = model(x, s[i]);
        if (i > 0) // UniC with the previous step's order, from the previous start point
            x = uniUpdate(s, outs, i - 1, i, lastSample, lastOrder, bh2, &denoised);
        outs.push_back(denoised);
        if (static_cast<int>(outs.size()) > order)
            outs.pop_front();
        const int thisOrder = std::min({ order, n - i, i + 1 });
        lastSample = x;
        x = uniUpdate(s, outs, i, i + 1, x, thisOrder, bh2, nullptr);
        lastOrder = thisOrder;
        steps::report(args, i, n, s[i], s[i + 1], x, denoised);
    }
    return x;
}

// DEIS log-rho multistep (Zhang & Chen 2022, arXiv 2204.13902); diffusers DEISMultistepScheduler
// (order 2; lower order on the last steps below 15 steps). rho = sigma in k-diffusion scaling.
torch::Tensor sampleDeis(const DenoiseFn& model, torch::Tensor x, const SamplerArgs& args)
{
    const auto& s = args.sigmas;
    const int n = steps::count(args, "DEIS");
    const int order = std::min(args.options.order > 0 ? args.options.order : 2, 3);
    auto ind2 = [](double t, double b, double c) {
        return t * (-std::log(c) + std::log(t) - 1) / (std::log(b) - std::log(c));
    };
    auto ind3 = [](double t, double b, double c, double d) {
        const double lt = std::log(t), lc = std::log(c), ld = std::log(d), lb = std::log(b);
        return t * (lc * (ld - lt + 1) - ld * lt + ld + lt * lt - 2 * lt + 2) / ((lb - lc) * (lb - ld));
    };
    std::deque<torch::Tensor> eps;
    for (int i = 0; i < n; ++i) {
        const torch::Tensor denoised = model(x, s[i]);
        eps.push_back((x - denoised) / s[i]);
        if (static_cast<int>(eps.size()) > order)
            eps.pop_front();
        const int done = std::min(i, order); // diffusers' lower_order_nums
        const bool lowFinal = i == n - 1 && steps::shortSchedule(args, n);
        const bool lowSecond = i == n - 2 && steps::shortSchedule(args, n);
        const double t = s[i + 1], s0 = s[i];
        if (order == 1 || done < 1 || lowFinal || t == 0) {
            x = x + (t - s0) * eps.back();
        } else if (order == 2 || done < 2 || lowSecond) {
            const double s1 = s[i - 1];
            x = x + (ind2(t, s0, s1) - ind2(s0, s0, s1)) * eps.back()
                + (ind2(t, s1, s0) - ind2(s0, s1, s0)) * eps[eps.size() - 2];
        } else {
            const double s1 = s[i - 1], s2 = s[i - 2];
            x = x + (ind3(t, s0, s1, s2) - ind3(s0, s0, s1, s2)) * eps[2]
                + (ind3(t, s1, s2, s0) - ind3(s0, s1, s2, s0)) * eps[1]
                + (ind3(t, s2, s0, s1) - ind3(s0, s2, s0, s1)) * eps[0];
        }
        steps::report(args, i, n, s[i], s[i + 1], x, denoised);
    }
    return x;
}

// Ancestral DDPM (Ho et al. 2020, arXiv 2006.11239, eq. 6-7 posterior mean, "fixed_small"
// variance); diffusers DDPMScheduler: one draw per step unless the timestep is 0.
torch::Tensor sampleDdpm(const DenoiseFn& model, torch::Tensor x, const SamplerArgs& args)
{
    const auto& s = args.sigmas;
    const int n = steps::count(args, "DDPM");
    for (int i = 0; i < n; ++i) {
        const torch::Tensor denoised = model(x, s[i]);
        const double a = alphaBar(s[i]), ap = alphaBar(s[i + 1]), alpha = a / ap, beta = 1 - alpha;
        // VP posterior mean: c0 x0 + c1 x_vp, with x_vp = x * sqrt(a)
        const double c0 = std::sqrt(ap) * beta / (1 - a),
                     c1 = std::sqrt(alpha) * (1 - ap) / (1 - a) * std::sqrt(a);
        torch::Tensor prev = c0 * denoised + c1 * x;
        const bool lastTimestep = args.timestepOf && args.timestepOf(s[i]) <= 0;
        if (!lastTimestep) {
            const double variance = std::max((1 - ap) / (1 - a) * beta, 1e-20);
            prev = prev + steps::noise(args, x, "DDPM") * std::sqrt(variance);
        }
        x = prev / std::sqrt(ap);
        steps::report(args, i, n, s[i], s[i + 1], x, denoised);
    }
    return x;
}

// Latent consistency model multistep sampling (Luo et al. 2023, arXiv 2310.04378); diffusers
// LCMScheduler: boundary-condition scalings from the timestep, fresh noise on every step but the last.
torch::Tensor sampleLcm(const DenoiseFn& model, torch::Tensor x, const SamplerArgs& args)
{
    const auto& s = args.sigmas;
    const int n = steps::count(args, "LCM");
    if (!args.timestepOf)
        throw EngineError("LCM needs the sigma -> timestep mapping (run it through a Denoiser)");
    for (int i = 0; i < n; ++i) {
        const torch::Tensor x0 = model(x, s[i]);
        const double t = args.timestepOf(s[i]) * args.options.lcmTimestepScaling;
        const double cSkip = 0.25 / (t * t + 0.25), cOut = t / std::sqrt(t * t + 0.25); // sigma_data = 0.5
        const torch::Tensor denoised = cOut * x0 + cSkip * (x / std::sqrt(1 + s[i] * s[i])); // skip uses x_vp
        const bool last = i == n - 1;
        // VP: sqrt(ap) * denoised + sqrt(1 - ap) * z
        x = last ? denoised : denoised + steps::noise(args, x, "LCM") * s[i + 1];
        steps::report(args, i, n, s[i], last ? 0.0 : s[i + 1], x, denoised);
    }
    return x;
}

} // namespace qd
