#pragma once
// The sampling core of one batch (engine-internal): noise -> (img2img: noised init latent) ->
// sampler over the CFG denoiser -> final latents. Pipeline::generate and the conformance runner
// both go through here, so what the goldens check is what users run.
#include <atomic>

#include <torch/types.h>

#include "pipeline/ControlNetRun.h"
#include "pipeline/SdModel.h"
#include "sampling/Denoiser.h"
#include "sampling/Noise.h"
#include "sampling/SamplingPlan.h"

namespace qd
{

// Inpainting inputs as diffusers' StableDiffusionInpaintPipeline prepares them (see prepareInpaint).
struct InpaintInputs {
    VaeMoments image; // the init image's posterior (unscaled); undefined when not needed
    VaeMoments maskedImage; // posterior of image * (mask < 0.5); undefined for 4-channel UNets
    torch::Tensor mask; // [1, 1, h, w] at latent size, 0 / 1 (1 = repaint)
};

// image01 [1, 3, H, W] in [0, 1] and mask01 [1, 1, H', W'] in [0, 1] (1 = repaint) -> the inputs of
// a width x height inpainting, as diffusers does it for tensors: both resized with nearest
// neighbour when their size differs, the image to [-1, 1], the mask binarised (>= 0.5 -> 1), the
// masked image = image * (mask < 0.5), the mask at latent size by nearest neighbour. Encodes the
// image when a 4-channel UNet or strength < 1 needs its latents, the masked image when a
// 9-channel UNet does.
InpaintInputs prepareInpaint(SdModel& model, const torch::Tensor& image01, const torch::Tensor& mask01,
    int width, int height, double strength);

struct BatchRequest {
    Conditioning cond; // batch 1; repeated to `batch`
    Conditioning uncond;
    double cfgScale = 7.0;
    double guidanceRescale = 0.0;
    SamplingPlan plan; // strength already applied for img2img
    std::vector<double> fullSigmas; // the schedule before img2img cut it (empty: plan.sigmas); the
                                    // SDE samplers' Brownian tree spans it
    const VaeMoments* init = nullptr; // img2img: the init image's (unscaled) posterior, batch 1 or `batch`
    const torch::Tensor* initLatents = nullptr; // img2img from latents as the VAE takes them ([batch, 4, h,
                                                // w]: hires fix with a latent upscaler); drawn like `init`
    const InpaintInputs* inpaint = nullptr; // inpainting (then `init` is unused)
    double strength = 1.0; // inpainting: 1 starts from pure noise (diffusers' is_strength_max),
                           // less from the noised image (plan already cut to it)
    // A1111's "Masked content" on the image latents before noising: 2 (latent noise) puts a draw of
    // each image's seed under the mask, 3 (latent nothing) zeros; other values leave them
    int maskedContent = 1;
    std::vector<uint64_t> seeds; // per image of the batch, for latent noise
    // ControlNet units: each model call adds their residuals (the ControlNets run on the same
    // scaled input, timestep and conditioning as the UNet, both CFG halves); step i of
    // plan.steps() is the plan step whose timestep the call uses (later evaluations inside a step
    // keep its index)
    const ControlRun* control = nullptr;
    int batch = 1;
    int64_t latentHeight = 0, latentWidth = 0;
    StepCallback onStep; // per model evaluation (StepInfo: x, denoised, sigma ...)
    const std::atomic<bool>* stop = nullptr; // checked before every model call (throws Cancelled)
};

// Draws from `noise` in diffusers' order (img2img: the VAE sample first, then the start noise;
// VAE samples come from noise.encoderNoise(), which is the next draw for single() sources;
// txt2img: the initial latent noise; inpainting: the image's VAE sample when a 4-channel UNet or
// strength < 1 needs it, the start noise, then the masked image's VAE sample, drawn for 4-channel
// UNets too), then the sampler's own draws. Inpainting with a 9-channel UNet feeds it mask and
// masked-image latents; with a 4-channel one, the latents outside the mask are replaced after
// every step by the image's latents noised to that step's level (diffusers' legacy blend). A
// 9-channel UNet without inpainting inputs gets AUTOMATIC1111's txt2img conditioning (mask all 1,
// masked image all grey, its posterior mean). Returns the final latents as the VAE takes them
// (scaled), i.e. plan.finalLatents().
torch::Tensor sampleBatch(SdModel& model, const BatchRequest& request, NoiseSource& noise);

} // namespace qd
