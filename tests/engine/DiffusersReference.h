#pragma once
// Test-only ports of diffusers' scheduler step functions for the samplers that diffusers runs in
// "VP" scaling (x_vp = sqrt(alphas_cumprod) x0 + sqrt(1 - alphas_cumprod) eps, model input x_vp),
// written as diffusers writes them (scheduling_ddim.py, scheduling_pndm.py,
// scheduling_dpmsolver_multistep.py, scheduling_unipc_multistep.py, scheduling_deis_multistep.py,
// scheduling_ddpm.py, scheduling_lcm.py, diffusers 0.40). The engine's samplers work in k-diffusion
// scaling; comparing the two checks the conversion step by step. Epsilon prediction, CFG off.
#include <cmath>
#include <deque>
#include <functional>
#include <vector>

#include <torch/torch.h>

#include "core/engine/sampling/Noise.h"

namespace ref
{

using Eps = std::function<torch::Tensor(const torch::Tensor& xVp, double t)>;
using Latents = std::vector<torch::Tensor>; // after each step, as diffusers' callback sees them

inline Latents ddim(
    const Eps& eps, torch::Tensor x, const std::vector<double>& ts, const std::vector<double>& ac, int n)
{
    Latents out;
    for (double t : ts) {
        const torch::Tensor e = eps(x, t);
        const int prev = int(t) - 1000 / n;
        const double a = ac[int(t)], ap = prev >= 0 ? ac[prev] : ac[0];
        const torch::Tensor x0 = (x - std::sqrt(1 - a) * e) / std::sqrt(a);
        x = std::sqrt(ap) * x0 + std::sqrt(1 - ap) * e;
        out.push_back(x);
    }
    return out;
}

// PNDMScheduler.step_plms over its timestep list [t0, t1, t1, t2, ...].
inline Latents plms(const Eps& eps, torch::Tensor x, const std::vector<double>& distinct,
    const std::vector<double>& ac, int n)
{
    std::vector<double> ts = { distinct[0] };
    for (size_t i = 1; i < distinct.size(); ++i) {
        ts.push_back(distinct[i]);
        if (i == 1)
            ts.push_back(distinct[i]);
    }
    auto prevSample = [&](const torch::Tensor& s, int t, int tp, const torch::Tensor& e) {
        const double a = ac[t], ap = tp >= 0 ? ac[tp] : ac[0], b = 1 - a, bp = 1 - ap;
        const double denom = a * std::sqrt(bp) + std::sqrt(a * b * ap);
        return std::sqrt(ap / a) * s - (ap - a) * e / denom;
    };
    std::deque<torch::Tensor> ets;
    torch::Tensor cur;
    Latents out;
    for (size_t counter = 0; counter < ts.size(); ++counter) {
        torch::Tensor e = eps(x, ts[counter]);
        int t = int(ts[counter]), tp = t - 1000 / n;
        torch::Tensor sample = x;
        if (counter != 1) {
            while (ets.size() > 3)
                ets.pop_front();
            ets.push_back(e);
        } else {
            tp = t;
            t = t + 1000 / n;
        }
        if (ets.size() == 1 && counter == 0) {
            cur = x;
        } else if (ets.size() == 1 && counter == 1) {
            e = (e + ets.back()) / 2;
            sample = cur;
        } else if (ets.size() == 2) {
            e = (3 * ets[1] - ets[0]) / 2;
        } else if (ets.size() == 3) {
            e = (23 * ets[2] - 16 * ets[1] + 5 * ets[0]) / 12;
        } else {
            e = (55 * ets[3] - 59 * ets[2] + 37 * ets[1] - 9 * ets[0]) / 24;
        }
        x = prevSample(sample, t, tp, e);
        out.push_back(x);
    }
    return out;
}

inline void alphaSigma(double s, double& alpha, double& sigma)
{
    alpha = 1 / std::sqrt(s * s + 1);
    sigma = s * alpha;
}

inline double lambdaOf(double s)
{
    double a, sg;
    alphaSigma(s, a, sg);
    return std::log(a) - std::log(sg);
}

// DPMSolverMultistepScheduler, dpmsolver++ / sde-dpmsolver++, order 2, midpoint, final sigma 0.
inline Latents dpmpp2m(const Eps& eps, torch::Tensor x, const std::vector<double>& sig,
    const std::vector<double>& ts, bool sde, qd::NoiseSource* noise)
{
    const int n = int(ts.size());
    Latents out;
    torch::Tensor m1;
    for (int i = 0; i < n; ++i) {
        double a0, s0, at, st;
        alphaSigma(sig[i], a0, s0);
        alphaSigma(sig[i + 1], at, st);
        const torch::Tensor m0 = (x - s0 * eps(x, ts[i])) / a0;
        const torch::Tensor z = sde ? noise->like(x) : torch::Tensor();
        const double h = lambdaOf(sig[i + 1]) - lambdaOf(sig[i]);
        if (i == 0 || i == n - 1) {
            x = sde ? st / s0 * std::exp(-h) * x + at * (1 - std::exp(-2 * h)) * m0
                    + st * std::sqrt(1 - std::exp(-2 * h)) * z
                    : st / s0 * x - at * (std::exp(-h) - 1) * m0;
        } else {
            const double r0 = (lambdaOf(sig[i]) - lambdaOf(sig[i - 1])) / h;
            const torch::Tensor d1 = (1 / r0) * (m0 - m1);
            x = sde ? st / s0 * std::exp(-h) * x + at * (1 - std::exp(-2 * h)) * m0
                    + 0.5 * (at * (1 - std::exp(-2 * h))) * d1 + st * std::sqrt(1 - std::exp(-2 * h)) * z
                    : st / s0 * x - at * (std::exp(-h) - 1) * m0 - 0.5 * (at * (std::exp(-h) - 1)) * d1;
        }
        m1 = m0;
        out.push_back(x);
    }
    return out;
}

// UniPCMultistepScheduler, predict_x0, bh2, solver_order 2, lower_order_final, final sigma 0.
inline Latents unipc(
    const Eps& eps, torch::Tensor x, const std::vector<double>& sig, const std::vector<double>& ts)
{
    const int n = int(ts.size()), order = 2;
    std::deque<torch::Tensor> outs;
    torch::Tensor last;
    int lastOrder = 0;
    // One bh2 update: from sigma index `s`, to `t`, outputs newest last; corrector when mT is set.
    auto update = [&](int s, int t, const torch::Tensor& xs, int ord, const torch::Tensor* mT) {
        double as, ss, at, st;
        alphaSigma(sig[s], as, ss);
        alphaSigma(sig[t], at, st);
        const double h = lambdaOf(sig[t]) - lambdaOf(sig[s]), hh = -h;
        const torch::Tensor& m0 = outs.back();
        std::vector<double> rks;
        std::vector<torch::Tensor> d1s;
        for (int i = 1; i < ord; ++i) {
            const double rk = (lambdaOf(sig[s - i]) - lambdaOf(sig[s])) / h;
            rks.push_back(rk);
            d1s.push_back((outs[outs.size() - 1 - i] - m0) / rk);
        }
        rks.push_back(1.0);
        const double phi1 = std::expm1(hh), bh = std::expm1(hh);
        std::vector<double> b;
        double phiK = phi1 / hh - 1, fact = 1;
        for (int i = 1; i <= ord; ++i) {
            b.push_back(phiK * fact / bh);
            fact *= i + 1;
            phiK = phiK / hh - 1 / fact;
        }
        const torch::Tensor xt = st / ss * xs - at * phi1 * m0;
        if (!mT) {
            if (d1s.empty())
                return xt;
            return xt - at * bh * (0.5 * d1s[0]); // order 2: rhos_p = [0.5]
        }
        double rc0 = 0.5, rc1 = 0;
        if (ord == 2) { // solve [[1, 1], [r0, 1]] rho = b
            rc1 = (b[1] - rks[0] * b[0]) / (1 - rks[0]);
            rc0 = b[0] - rc1;
            return xt - at * bh * (rc0 * d1s[0] + rc1 * (*mT - m0));
        }
        return xt - at * bh * (rc0 * (*mT - m0));
    };
    Latents out;
    for (int i = 0; i < n; ++i) {
        double a, sg;
        alphaSigma(sig[i], a, sg);
        const torch::Tensor m = (x - sg * eps(x, ts[i])) / a;
        if (i > 0)
            x = update(i - 1, i, last, lastOrder, &m);
        outs.push_back(m);
        if (int(outs.size()) > order)
            outs.pop_front();
        const int ord = std::min({ order, n - i, i + 1 });
        last = x;
        x = update(i, i + 1, x, ord, nullptr);
        lastOrder = ord;
        out.push_back(x);
    }
    return out;
}

// DEISMultistepScheduler, logrho, order 2, final sigma = the table's sigma_min.
inline Latents deis(const Eps& eps, torch::Tensor x, const std::vector<double>& sig,
    const std::vector<double>& ts, int scheduleSteps)
{
    const int n = int(ts.size());
    auto ind = [](double t, double b, double c) {
        return t * (-std::log(c) + std::log(t) - 1) / (std::log(b) - std::log(c));
    };
    Latents out;
    torch::Tensor m1;
    for (int i = 0; i < n; ++i) {
        double a0, s0, at, st;
        alphaSigma(sig[i], a0, s0);
        alphaSigma(sig[i + 1], at, st);
        const torch::Tensor x0 = (x - s0 * eps(x, ts[i])) / a0;
        const torch::Tensor m0 = (x - a0 * x0) / s0;
        if (i == 0 || (i == n - 1 && scheduleSteps < 15)) {
            const double h = lambdaOf(sig[i + 1]) - lambdaOf(sig[i]);
            x = at / a0 * x - st * (std::exp(h) - 1.0) * m0;
        } else {
            double a1, s1;
            alphaSigma(sig[i - 1], a1, s1);
            const double rt = st / at, r0 = s0 / a0, r1 = s1 / a1;
            x = at
                * (x / a0 + (ind(rt, r0, r1) - ind(r0, r0, r1)) * m0
                    + (ind(rt, r1, r0) - ind(r0, r1, r0)) * m1);
        }
        m1 = m0;
        out.push_back(x);
    }
    return out;
}

// DDPMScheduler, fixed_small variance; one draw per step (t > 0).
inline Latents ddpm(const Eps& eps, torch::Tensor x, const std::vector<double>& ts,
    const std::vector<double>& ac, qd::NoiseSource& noise)
{
    Latents out;
    for (size_t i = 0; i < ts.size(); ++i) {
        const int t = int(ts[i]);
        const double a = ac[t], ap = i + 1 < ts.size() ? ac[int(ts[i + 1])] : 1.0;
        const double alpha = a / ap, beta = 1 - alpha;
        const torch::Tensor x0 = (x - std::sqrt(1 - a) * eps(x, t)) / std::sqrt(a);
        torch::Tensor prev = std::sqrt(ap) * beta / (1 - a) * x0 + std::sqrt(alpha) * (1 - ap) / (1 - a) * x;
        const double var = std::max((1 - ap) / (1 - a) * beta, 1e-20);
        x = prev + std::sqrt(var) * noise.like(x);
        out.push_back(x);
    }
    return out;
}

// LCMScheduler, timestep_scaling 10, sigma_data 0.5.
inline Latents lcm(const Eps& eps, torch::Tensor x, const std::vector<double>& ts,
    const std::vector<double>& ac, qd::NoiseSource& noise)
{
    Latents out;
    for (size_t i = 0; i < ts.size(); ++i) {
        const int t = int(ts[i]);
        const double a = ac[t], ap = i + 1 < ts.size() ? ac[int(ts[i + 1])] : ac[t];
        const double st = t * 10.0, cSkip = 0.25 / (st * st + 0.25), cOut = st / std::sqrt(st * st + 0.25);
        const torch::Tensor x0 = (x - std::sqrt(1 - a) * eps(x, t)) / std::sqrt(a);
        const torch::Tensor denoised = cOut * x0 + cSkip * x;
        x = i + 1 < ts.size() ? std::sqrt(ap) * denoised + std::sqrt(1 - ap) * noise.like(x) : denoised;
        out.push_back(x);
    }
    return out;
}

// The k-diffusion-scaled schedulers that interleave two evaluations per step, ported with their
// interleaved sigma arrays and step-index arithmetic (scheduling_k_dpm_2_ancestral_discrete.py,
// scheduling_heun_discrete.py). model(xIn, t) is eps; tOf maps a sigma to the model timestep.
using Model = std::function<torch::Tensor(const torch::Tensor& xIn, double t)>;

inline std::vector<double> interleave(const std::vector<double>& v, bool keepLast)
{
    std::vector<double> out = { v.front() };
    for (size_t i = 1; i < (keepLast ? v.size() : v.size() - 1); ++i)
        out.insert(out.end(), { v[i], v[i] });
    out.push_back(v.back());
    return out;
}

inline Latents kdpm2Ancestral(const Model& model, const std::function<double(double)>& tOf, torch::Tensor x,
    const std::vector<double>& sig, qd::NoiseSource& noise)
{
    const size_t n = sig.size(); // N + 1, the last 0
    std::vector<double> next(n), up(n), down(n), interp(n);
    for (size_t i = 0; i < n; ++i) {
        next[i] = i + 1 < n ? sig[i + 1] : 0.0;
        up[i] = std::sqrt(next[i] * next[i] * (sig[i] * sig[i] - next[i] * next[i]) / (sig[i] * sig[i]));
        down[i] = i + 1 < n ? std::sqrt(next[i] * next[i] - up[i] * up[i]) : 0.0;
        interp[i] = i + 2 < n ? std::exp(0.5 * (std::log(sig[i]) + std::log(down[i]))) : 0.0;
    }
    const auto S = interleave(sig, true), SI = interleave(interp, true), UP = interleave(up, true),
               DOWN = interleave(down, true);
    Latents out;
    torch::Tensor saved;
    for (size_t k = 0; k + 1 < 2 * (n - 1); ++k) {
        const bool first = !saved.defined();
        const double sigmaIn = first ? S[k] : SI[k - 1];
        const torch::Tensor eps = model(x / std::sqrt(sigmaIn * sigmaIn + 1), tOf(sigmaIn));
        const double sigma = first ? S[k] : S[k - 1], mid = first ? SI[k] : SI[k - 1];
        const torch::Tensor pred = x - (first ? sigma : mid) * eps;
        if (first) {
            saved = x;
            x = x + (x - pred) / sigma * (mid - sigma);
        } else {
            x = saved + (x - pred) / mid * (DOWN[k - 1] - sigma);
            saved = torch::Tensor();
            x = x + noise.like(x) * UP[k - 1];
        }
        out.push_back(x);
    }
    return out;
}

inline Latents heun(const Model& model, const std::function<double(double)>& tOf, torch::Tensor x,
    const std::vector<double>& sig)
{
    const auto S = interleave(sig, false);
    Latents out;
    torch::Tensor saved, prevD;
    double dt = 0;
    for (size_t k = 0; k + 1 < S.size(); ++k) {
        const bool first = !saved.defined();
        const double sigmaIn = S[k];
        const torch::Tensor eps = model(x / std::sqrt(sigmaIn * sigmaIn + 1), tOf(sigmaIn));
        const double sigma = first ? S[k] : S[k - 1], sigmaNext = first ? S[k + 1] : S[k];
        const torch::Tensor pred = x - (first ? sigma : sigmaNext) * eps;
        if (first) {
            prevD = (x - pred) / sigma;
            dt = sigmaNext - sigma;
            saved = x;
            x = x + prevD * dt;
        } else {
            x = saved + (prevD + (x - pred) / sigmaNext) / 2 * dt;
            saved = torch::Tensor();
        }
        out.push_back(x);
    }
    return out;
}

} // namespace ref
