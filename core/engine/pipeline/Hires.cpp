#include "pipeline/Hires.h"

#include <algorithm>
#include <map>

#include <torch/torch.h>

#include "io/StateDict.h"

namespace qd
{

namespace F = torch::nn::functional;

HiresTarget hiresTarget(const GenerationParams& p)
{
    HiresTarget t;
    if (p.hrResizeX == 0 && p.hrResizeY == 0) {
        t.width = int(p.width * p.hrScale);
        t.height = int(p.height * p.hrScale);
    } else if (p.hrResizeY == 0) {
        t.width = p.hrResizeX;
        t.height = p.hrResizeX * p.height / p.width;
    } else if (p.hrResizeX == 0) {
        t.width = p.hrResizeY * p.width / p.height;
        t.height = p.hrResizeY;
    } else {
        const double src = double(p.width) / p.height, dst = double(p.hrResizeX) / p.hrResizeY;
        if (src < dst) {
            t.width = p.hrResizeX;
            t.height = p.hrResizeX * p.height / p.width;
        } else {
            t.width = p.hrResizeY * p.width / p.height;
            t.height = p.hrResizeY;
        }
        // Python's floor division; the upscaled side is never below the target here
        t.truncateX = (t.width - p.hrResizeX) / 8;
        t.truncateY = (t.height - p.hrResizeY) / 8;
    }
    return t;
}

const std::vector<std::string>& latentUpscalerNames()
{
    static const std::vector<std::string> names { "Latent", "Latent (antialiased)", "Latent (bicubic)",
        "Latent (bicubic antialiased)", "Latent (nearest)", "Latent (nearest-exact)" };
    return names;
}

bool isLatentUpscaler(const std::string& name)
{
    return latentUpscaleMode(name).has_value();
}

std::optional<LatentUpscaleMode> latentUpscaleMode(const std::string& upscaler)
{
    if (upscaler == "Latent")
        return LatentUpscaleMode { torch::kBilinear, false, true };
    if (upscaler == "Latent (antialiased)")
        return LatentUpscaleMode { torch::kBilinear, true, true };
    if (upscaler == "Latent (bicubic)")
        return LatentUpscaleMode { torch::kBicubic, false, true };
    if (upscaler == "Latent (bicubic antialiased)")
        return LatentUpscaleMode { torch::kBicubic, true, true };
    if (upscaler == "Latent (nearest)")
        return LatentUpscaleMode { torch::kNearest, false };
    if (upscaler == "Latent (nearest-exact)")
        return LatentUpscaleMode { torch::kNearestExact, false };
    return std::nullopt;
}

torch::Tensor upscaleLatents(
    const torch::Tensor& latents, const LatentUpscaleMode& mode, int width, int height)
{
    auto o = F::InterpolateFuncOptions().size(std::vector<int64_t> { height / 8, width / 8 }).mode(mode.mode);
    if (mode.antialias)
        o = o.antialias(true);
    if (mode.interpolates)
        o = o.align_corners(false);
    return F::interpolate(latents, o);
}

torch::Tensor truncateLatents(const torch::Tensor& x, const HiresTarget& t)
{
    if (t.truncateX == 0 && t.truncateY == 0)
        return x;
    const int64_t h = x.size(2), w = x.size(3);
    return x.slice(2, t.truncateY / 2, h - (t.truncateY + 1) / 2)
        .slice(3, t.truncateX / 2, w - (t.truncateX + 1) / 2);
}

int hiresScheduleSteps(int steps, double strength)
{
    if (!(strength > 0.0 && strength <= 1.0))
        throw EngineError(
            "hires fix: denoising strength " + std::to_string(strength) + " (expected above 0, up to 1)");
    return int(steps / std::min(strength, 0.999));
}

} // namespace qd
