#pragma once
// What a generation samples over: the sampler, its sigmas and model timesteps, how the initial noise
// is scaled, and how diffusers would present the latents. Built either from a diffusers scheduler
// class + config (conformance, diffusers parity: reproduces that class's set_timesteps exactly) or
// from an A1111 sampler label + schedule type + the model's noise schedule.
//
// A generation, txt2img (diffusers' draw order: the initial noise first, then the sampler's):
//   SamplingPlan plan = makePlan(p.sampler, p.scheduler, p.steps, modelSchedule, isSdxl);
//   Denoiser denoiser(unetCall, schedule);               // unetCall(xIn, t, cond) -> eps or v
//   denoiser.setGuidance({cond, uncond, p.cfgScale, p.guidanceRescale});
//   plan.applyTo(denoiser);
//   NoiseSource noise = NoiseSource::perImage(NoiseSource::consecutiveSeeds(seed, batch)); // or single(seed)
//   torch::Tensor x = plan.initialLatents(noise.next({batch, 4, h / 8, w / 8}).to(device));
//   x = runSampler(plan.sampler, denoiser, x, plan.sigmas, onStep, &noise, &cancel, plan.options);
//   decode(plan.finalLatents(x));
// img2img: draw the VAE sample's noise from `noise` first (diffusers' order), then
//   plan = plan.withStrength(strength); x = plan.noisedLatents(x0, noise.next(x0.sizes()).to(device));
// Conformance: planFromDiffusers(case.scheduler_class, case.scheduler_config, steps) and compare
//   plan.schedulerLatents(step.x, step.sigmaOfX) with CASE/latents.I in the callback.
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>
#include <torch/types.h>

#include "sampling/Denoiser.h"
#include "sampling/NoiseSchedule.h"
#include "sampling/Samplers.h"

namespace qd
{

struct SamplingPlan {
    std::string sampler; // A1111 label of the sampler function to run
    std::string scheduleType; // "Default" (the model's / diffusers' grid) or an A1111 schedule type
    std::vector<double> sigmas; // steps + 1 values, descending; the last is the final sigma
    std::vector<double> timesteps; // the model timestep at sigmas[i], i < steps
    double initNoiseSigma = 1.0; // txt2img: latents = noise * initNoiseSigma (k-diffusion scaling)
    bool vpLatents = false; // diffusers holds this scheduler's latents as x / sqrt(1 + sigma^2)
    SamplerOptions options; // solver order / variant / eta / LCM scaling from the config
    std::vector<double> schedulerSigmas; // diffusers' scheduler.sigmas after set_timesteps (empty: none)

    int steps() const { return static_cast<int>(sigmas.size()) - 1; }
    // img2img (diffusers get_timesteps): keep the last int(steps * strength) steps. Throws
    // EngineError when strength is outside [0, 1] or leaves no step.
    SamplingPlan withStrength(double strength) const;
    // The last `keep` steps (1..steps()), remembering the whole schedule's length in
    // options.scheduleSteps. Throws EngineError outside that range.
    SamplingPlan lastSteps(int keep) const;
    // txt2img start: noise * initNoiseSigma. img2img start: x0 + noise * sigmas[0] (equal to
    // diffusers' add_noise in either scaling).
    torch::Tensor initialLatents(const torch::Tensor& noise) const;
    torch::Tensor noisedLatents(const torch::Tensor& x0, const torch::Tensor& noise) const;
    // Latents as diffusers holds them (its callback / final output) for latents x at noise level
    // sigmaOfX; finalLatents is that for the sampler's result (what the VAE decodes).
    torch::Tensor schedulerLatents(const torch::Tensor& x, double sigmaOfX) const;
    torch::Tensor finalLatents(const torch::Tensor& x) const { return schedulerLatents(x, sigmas.back()); }
    // Gives the denoiser this plan's sigma -> timestep table.
    void applyTo(Denoiser& denoiser) const { denoiser.setTimesteps(sigmas, timesteps); }
};

// Reproduces `schedulerClass`.set_timesteps(steps) for a diffusers scheduler config (the JSON
// "scheduler_config" of a conformance case, or scheduler_config.json). Supported classes:
// DDIMScheduler, PNDMScheduler (skip_prk_steps), LMSDiscreteScheduler, EulerDiscreteScheduler,
// EulerAncestralDiscreteScheduler, HeunDiscreteScheduler, KDPM2DiscreteScheduler,
// KDPM2AncestralDiscreteScheduler, DPMSolverMultistepScheduler (order 2), DPMSolverSDEScheduler,
// UniPCMultistepScheduler, DEISMultistepScheduler, DDPMScheduler, LCMScheduler. Options these
// samplers do not reproduce (thresholding, flow sigmas, ...) throw EngineError naming the key.
SamplingPlan planFromDiffusers(const std::string& schedulerClass, const nlohmann::json& config, int steps);

// Parses JSON as Python's json module writes it (NaN / Infinity / -Infinity become null), e.g. a
// conformance cases.json whose scheduler configs hold lambda_min_clipped = -Infinity.
nlohmann::json parsePythonJson(const std::string& text);

// The plan for an A1111 sampler label (or alias / old combined name) and schedule type. "Automatic"
// (or "") takes the name's schedule ("DPM++ 2M Karras") or the sampler's default; "Default" — the
// model's grid — is diffusers' own scheduler class for the sampler with the model's config, as are
// Karras / Exponential for DPM++ 2M (SDE), UniPC and DEIS (same sigmas as A1111, diffusers'
// timestep rounding). Other combinations use the A1111 schedule function over the model's sigma
// range with k-diffusion's conventions (continuous timesteps, initial sigma = sigmas[0], A1111's
// discard_next_to_last_sigma for DPM2 / DPM2 a / DPM++ 3M SDE).
SamplingPlan makePlan(const std::string& sampler, const std::string& scheduleType, int steps,
    const NoiseScheduleConfig& model, bool sdxl = false);

} // namespace qd
