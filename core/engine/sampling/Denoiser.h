#pragma once
// The model in k-diffusion form: D(x, sigma) = the clean-latent estimate for a noisy latent
// x = x0 + sigma * eps (Karras et al. 2022, eq. 7, with sigma_data = 1 preconditioning as in
// k-diffusion's CompVisDenoiser / CompVisVDenoiser), with classifier-free guidance done in one
// batched forward. Samplers only ever see D; they never see prompts, timesteps or CFG.
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <torch/types.h>

#include "EngineError.h" // Cancelled: thrown from a model call when the cancel flag is set
#include "sampling/NoiseSchedule.h"

namespace qd
{

// A sampler's view of the model: D(x, sigma) -> predicted x0, same shape and dtype as x.
using DenoiseFn = std::function<torch::Tensor(const torch::Tensor& x, double sigma)>;

// Conditioning the UNet reads (cross-attention context, SDXL's pooled/size vector, ...), opaque to the
// sampling code: every tensor has the batch on dim 0 and is concatenated / repeated along it.
struct Conditioning {
    std::map<std::string, torch::Tensor> tensors; // e.g. "context" [B, 77k, C], "y" [B, 2816]

    int64_t batch() const; // 0 when empty; EngineError when sizes differ
    Conditioning repeated(int64_t batch) const; // batch 1 -> `batch` rows (others unchanged)
    static Conditioning cat(const Conditioning& a, const Conditioning& b); // same keys; [A+B, ...]
};

// The raw model call the pipeline provides: xIn = c_in * x [B, C, H, W], t [B] (float timesteps),
// cond with batch B. Returns eps or v (per the schedule's prediction type), shape of xIn.
using ModelFn = std::function<torch::Tensor(
    const torch::Tensor& xIn, const torch::Tensor& t, const Conditioning& cond)>;

struct Guidance {
    Conditioning cond;
    Conditioning uncond; // unused when scale == 1
    double scale = 7.0; // CFG scale; exactly 1 skips the unconditional pass
    double rescale = 0.0; // guidance rescale phi (arXiv 2305.08891 §3.4, diffusers rescale_noise_cfg)
};

class Denoiser
{
public:
    Denoiser(ModelFn model, std::shared_ptr<const NoiseSchedule> schedule);

    void setGuidance(Guidance guidance);
    // The model timestep used for each listed sigma (a plan's sigmas/timesteps: diffusers rounds
    // some, e.g. DPMSolverMultistep with Karras sigmas). Other sigmas use sigmaToTimestep.
    void setTimesteps(const std::vector<double>& sigmas, const std::vector<double>& timesteps);
    // Checked before every model call; when it reads true the call throws Cancelled.
    void setCancelFlag(const std::atomic<bool>* cancel) { m_cancel = cancel; }

    // D(x, sigma) for x [B, C, H, W]: one model forward over [uncond; cond] (2B rows), or B rows
    // when the CFG scale is 1. Computes in x's dtype; the model output is cast back to it. Keep
    // the latents float32 (diffusers steps in float32) and let the model call cast to fp16/bf16.
    torch::Tensor operator()(const torch::Tensor& x, double sigma) const;
    // The model timestep for sigma (table entry if set, else log-sigma interpolation).
    double timestep(double sigma) const;
    DenoiseFn fn() const;
    const NoiseSchedule& schedule() const { return *m_schedule; }
    int64_t modelCalls() const { return m_calls; }

private:
    ModelFn m_model;
    std::shared_ptr<const NoiseSchedule> m_schedule;
    Guidance m_guidance;
    std::vector<std::pair<double, double>> m_table; // (sigma, timestep)
    const std::atomic<bool>* m_cancel = nullptr;
    mutable int64_t m_calls = 0;
};

// diffusers' rescale_noise_cfg: blends the guided prediction with itself rescaled to the
// conditional prediction's per-sample standard deviation.
torch::Tensor rescaleGuidance(const torch::Tensor& guided, const torch::Tensor& conditional, double phi);

} // namespace qd
