#pragma once
// The sampling core of one batch (engine-internal): noise -> (img2img: noised init latent) ->
// sampler over the CFG denoiser -> final latents. Pipeline::generate and the conformance runner
// both go through here, so what the goldens check is what users run.
#include <atomic>

#include <torch/types.h>

#include "Denoiser.h"
#include "Noise.h"
#include "SamplingPlan.h"
#include "SdModel.h"

namespace qd {

struct BatchRequest {
    Conditioning cond;        // batch 1; repeated to `batch`
    Conditioning uncond;
    double cfgScale = 7.0;
    double guidanceRescale = 0.0;
    SamplingPlan plan;        // strength already applied for img2img
    const VaeMoments* init = nullptr; // img2img: the init image's (unscaled) posterior, batch 1 or `batch`
    int batch = 1;
    int64_t latentHeight = 0, latentWidth = 0;
    StepCallback onStep;      // per model evaluation (StepInfo: x, denoised, sigma ...)
    const std::atomic<bool>* stop = nullptr; // checked before every model call (throws Cancelled)
};

// Draws from `noise` in diffusers' order (img2img: the VAE sample first, then the start noise;
// txt2img: the initial latent noise), then the sampler's own draws. Returns the final latents as
// the VAE takes them (scaled), i.e. plan.finalLatents().
torch::Tensor sampleBatch(SdModel& model, const BatchRequest& request, NoiseSource& noise);

} // namespace qd
