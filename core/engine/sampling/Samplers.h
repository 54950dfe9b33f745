#pragma once
// Samplers under their AUTOMATIC1111 labels (docs/reference.md §2). Each is one free function with the
// same signature over the denoiser D(x, sigma) and a sigma list (docs/style.md §5), ported step for
// step from the diffusers scheduler that the conformance goldens were made with (or k-diffusion
// where diffusers has none). All work in k-diffusion scaling, x = x0 + sigma * eps; samplers that
// diffusers runs on timesteps in "VP" scaling (DDIM, PLMS, UniPC, DEIS, DDPM, LCM, DPM-Solver) get
// the same numbers there because alphas_cumprod = 1 / (1 + sigma^2) and x_vp = x / sqrt(1 + sigma^2)
// (SamplingPlan converts latents back for comparison).
#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include <torch/types.h>

#include "sampling/Denoiser.h"
#include "sampling/Noise.h"

namespace qd
{

// What a step callback sees: one call per model evaluation, as diffusers' pipelines call theirs.
struct StepInfo {
    int step; // 0-based index of this evaluation
    int total; // evaluations in the run (Heun / DPM2: 2N - 1, PLMS: N + 1, ...)
    double sigma; // sigma the model was evaluated at
    double timestep; // the model timestep for sigma (NaN when the run has no mapping)
    double sigmaOfX; // noise level of x below, after this step's update
    const torch::Tensor& x; // current latents (k-diffusion scaling)
    const torch::Tensor& denoised; // predicted clean latent of this evaluation (for previews)
};
using StepCallback = std::function<void(const StepInfo&)>;

// Replaces the latents after each model evaluation's update, before the step callback sees them:
// x (k-diffusion scaling) at noise level sigmaOfX -> the latents to continue from. diffusers'
// inpainting with an ordinary (4-channel) UNet puts the noised original back outside the mask here,
// once per pipeline step, which is once per model evaluation.
using LatentEdit = std::function<torch::Tensor(const torch::Tensor& x, double sigmaOfX)>;

// Noise for an SDE step sigma -> sigmaNext: [B, C, H, W] standard normal (SamplerArgs::sdeNoise).
using SdeNoiseFn = std::function<torch::Tensor(double sigma, double sigmaNext)>;

struct SamplerOptions {
    double eta = -1.0; // ancestral / DDIM noise amount; < 0: the sampler's default (1, DDIM 0)
    double sNoise = 1.0; // scale of the added noise (k-diffusion s_noise)
    int order = 0; // solver order for UniPC / DEIS / LMS; 0: the default (2, 2, 4)
    std::string variant; // UniPC "bh1" | "bh2" (default bh2, diffusers'); DPM++ 2M SDE "midpoint" | "heun"
    double lcmTimestepScaling = 10.0; // LCMScheduler.timestep_scaling
    // Steps of the whole schedule before img2img cut it (diffusers' len(timesteps), which decides
    // its "lower order on the last step below 15 steps" rule); 0: the sigmas' own step count.
    int scheduleSteps = 0;
};

struct SamplerArgs {
    std::vector<double> sigmas; // decreasing; last = final sigma (usually 0)
    StepCallback callback; // optional
    NoiseSource* noise = nullptr; // required by samplers that draw noise
    std::function<double(double)> timestepOf; // sigma -> model timestep (callbacks; LCM needs it)
    SamplerOptions options;
    LatentEdit editLatents; // optional
    // The SDE samplers' noise for a step sigma -> sigmaNext (a Brownian tree per image,
    // sampling/BrownianTree.h). When set, DPM++ SDE / 2M SDE / 3M SDE follow k-diffusion exactly
    // (as AUTOMATIC1111 runs them) instead of diffusers' schedulers, which draw from `noise`.
    SdeNoiseFn sdeNoise;
};

using SamplerFn = torch::Tensor (*)(const DenoiseFn& model, torch::Tensor x, const SamplerArgs& args);

torch::Tensor sampleEuler(const DenoiseFn& model, torch::Tensor x, const SamplerArgs& args);
torch::Tensor sampleEulerAncestral(const DenoiseFn& model, torch::Tensor x, const SamplerArgs& args);
torch::Tensor sampleLms(const DenoiseFn& model, torch::Tensor x, const SamplerArgs& args);
torch::Tensor sampleHeun(const DenoiseFn& model, torch::Tensor x, const SamplerArgs& args);
torch::Tensor sampleDpm2(const DenoiseFn& model, torch::Tensor x, const SamplerArgs& args);
torch::Tensor sampleDpm2Ancestral(const DenoiseFn& model, torch::Tensor x, const SamplerArgs& args);
torch::Tensor sampleDpmpp2sAncestral(const DenoiseFn& model, torch::Tensor x, const SamplerArgs& args);
torch::Tensor sampleDpmpp2m(const DenoiseFn& model, torch::Tensor x, const SamplerArgs& args);
torch::Tensor sampleDpmppSde(const DenoiseFn& model, torch::Tensor x, const SamplerArgs& args);
torch::Tensor sampleDpmpp2mSde(const DenoiseFn& model, torch::Tensor x, const SamplerArgs& args);
torch::Tensor sampleDpmpp3mSde(const DenoiseFn& model, torch::Tensor x, const SamplerArgs& args);
torch::Tensor sampleDdim(const DenoiseFn& model, torch::Tensor x, const SamplerArgs& args);
torch::Tensor samplePlms(const DenoiseFn& model, torch::Tensor x, const SamplerArgs& args);
torch::Tensor sampleUniPc(const DenoiseFn& model, torch::Tensor x, const SamplerArgs& args);
torch::Tensor sampleDeis(const DenoiseFn& model, torch::Tensor x, const SamplerArgs& args);
torch::Tensor sampleDdpm(const DenoiseFn& model, torch::Tensor x, const SamplerArgs& args);
torch::Tensor sampleLcm(const DenoiseFn& model, torch::Tensor x, const SamplerArgs& args);

struct SamplerInfo {
    std::string label; // A1111 label, e.g. "DPM++ 2M"
    SamplerFn fn;
    std::string
        defaultSchedule; // what "Automatic" means for it: "Default" (the model's), "Karras", "Exponential"
    std::vector<std::string> aliases; // A1111 internal names (k_dpmpp_2m ...), lower-case
    std::string diffusersClass; // the scheduler class it reproduces ("" when only k-diffusion has it)
    bool discardNextToLastSigma = false; // A1111: schedule for steps + 1, drop the second-to-last sigma
    bool usesNoise = false; // draws from the NoiseSource
    bool brownianNoise = false; // A1111 gives it Brownian-tree noise (SamplerArgs::sdeNoise)
};

// Every sampler, in A1111's menu order.
const std::vector<SamplerInfo>& samplers();
std::vector<std::string> samplerLabels();

struct SamplerChoice {
    const SamplerInfo* info = nullptr;
    std::string scheduleType; // "" unless the name carried one ("DPM++ 2M Karras" -> "Karras")
};
// Finds a sampler by label, alias (k_euler_a), old combined name ("DPM++ 2M Karras", "DPM++ 2M SDE
// Exponential"), conformance name (euler_a, dpmpp_2m_karras) or diffusers class name, case-insensitively.
// An unknown name throws EngineError listing the valid labels.
SamplerChoice findSampler(const std::string& name);

// Runs sampler `name` from x (already scaled to sigmas[0]) through `args.sigmas` under
// c10::InferenceMode; `cancel` is checked before every model call (throws Cancelled). Returns the
// latents at the final sigma.
torch::Tensor runSampler(const std::string& name, const DenoiseFn& model, torch::Tensor x, SamplerArgs args,
    const std::atomic<bool>* cancel = nullptr);
// The same over a Denoiser, which also supplies the sigma -> timestep mapping.
torch::Tensor runSampler(const std::string& name, const Denoiser& denoiser, torch::Tensor x,
    const std::vector<double>& sigmas, const StepCallback& callback = {}, NoiseSource* noise = nullptr,
    const std::atomic<bool>* cancel = nullptr, const SamplerOptions& options = {},
    const LatentEdit& edit = {}, const SdeNoiseFn& sdeNoise = {});

} // namespace qd
