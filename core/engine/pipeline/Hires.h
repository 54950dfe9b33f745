#pragma once
// Hires fix as AUTOMATIC1111 runs it (modules/processing.py StableDiffusionProcessingTxt2Img;
// docs/reference.md §10): the target size, the latent upscale modes, and the second pass's
// schedule. Pipeline::generate runs the pass itself.
#include <optional>
#include <string>
#include <vector>

#include <torch/nn/options/upsampling.h>
#include <torch/types.h>

#include "GenerationParams.h"
#include "Pipeline.h"
#include "sampling/SamplingPlan.h"

namespace qd
{

struct HiresTarget {
    int width = 0, height = 0; // what the first pass's result is upscaled to (hr_upscale_to_x / _y)
    int truncateX = 0, truncateY = 0; // latent cells cut off (both resize sizes given, other aspect)
    // The second pass's size after the cut.
    int finalWidth() const { return width - 8 * truncateX; }
    int finalHeight() const { return height - 8 * truncateY; }
};

// calculate_target_resolution for params.width x params.height.
HiresTarget hiresTarget(const GenerationParams& params);

struct LatentUpscaleMode {
    torch::nn::functional::InterpolateFuncOptions::mode_t mode;
    bool antialias = false;
    bool interpolates = false; // bilinear / bicubic: align_corners False, as F.interpolate's default
};
// shared.latent_upscale_modes: "Latent", "Latent (antialiased)", "Latent (bicubic)", "Latent (bicubic
// antialiased)", "Latent (nearest)", "Latent (nearest-exact)"; nullopt for any other name.
// (latentUpscalerNames() and isLatentUpscaler() are declared in Pipeline.h.)
std::optional<LatentUpscaleMode> latentUpscaleMode(const std::string& upscaler);

// F.interpolate(latents, size=(height / 8, width / 8), mode, antialias).
torch::Tensor upscaleLatents(
    const torch::Tensor& latents, const LatentUpscaleMode& mode, int width, int height);

// samples[:, :, ty//2 : H-(ty+1)//2, tx//2 : W-(tx+1)//2]
torch::Tensor truncateLatents(const torch::Tensor& latents, const HiresTarget& target);

// The second pass's schedule length: A1111's img2img with fixed steps runs the last `steps` of a
// schedule of int(steps / min(strength, 0.999)) steps (SamplingPlan::lastSteps); the Brownian
// tree spans that whole schedule.
int hiresScheduleSteps(int steps, double strength);

} // namespace qd
