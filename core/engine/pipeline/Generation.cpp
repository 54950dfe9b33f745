#include "pipeline/Generation.h"

#include <cmath>
#include <optional>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "sampling/BrownianTree.h"

namespace qd
{

namespace
{

namespace F = torch::nn::functional;

// diffusers' VaeImageProcessor.resize for tensors: F.interpolate(x, size) (mode "nearest").
torch::Tensor resizeNearest(const torch::Tensor& x, int64_t height, int64_t width)
{
    if (x.size(2) == height && x.size(3) == width)
        return x;
    return F::interpolate(
        x, F::InterpolateFuncOptions().size(std::vector<int64_t> { height, width }).mode(torch::kNearest));
}

// A posterior sample as diffusers' retrieve_latents(..., generator) * scaling_factor draws it.
torch::Tensor sampleLatents(const VaeMoments& moments, int64_t batch, const std::vector<int64_t>& shape,
    NoiseSource& noise, double scaleFactor)
{
    auto mean = moments.mean, std = moments.std;
    if (mean.size(0) != batch) {
        mean = mean.expand({ batch, -1, -1, -1 });
        std = std.expand({ batch, -1, -1, -1 });
    }
    const auto eps = noise.encoderNoise(shape).to(mean.device(), mean.scalar_type());
    return (mean + std * eps).to(torch::kFloat32) * scaleFactor;
}

// AUTOMATIC1111's latent noise / latent nothing (processing.py, img2img init): under the mask the
// image latents become a unit normal draw from each image's own seed (its own generator, so the
// job's other draws stay as they were), or zeros.
torch::Tensor fillMaskedLatents(const torch::Tensor& latents, const torch::Tensor& mask01, int content,
    const std::vector<uint64_t>& seeds)
{
    const auto mask = mask01.to(latents.device(), latents.scalar_type());
    auto fill = torch::zeros_like(latents);
    if (content == 2) {
        std::vector<torch::Tensor> draws;
        for (int64_t i = 0; i < latents.size(0); ++i) {
            auto gen = at::detail::createCPUGenerator(i < int64_t(seeds.size()) ? seeds[size_t(i)] : 0);
            draws.push_back(
                torch::randn(latents.sizes().slice(1), gen, torch::TensorOptions(torch::kFloat32)));
        }
        fill = torch::stack(draws).to(latents.device(), latents.scalar_type());
    }
    return latents * (1 - mask) + fill * mask;
}

} // namespace

InpaintInputs prepareInpaint(SdModel& m, const torch::Tensor& image01, const torch::Tensor& mask01, int width,
    int height, double strength)
{
    c10::InferenceMode guard;
    if (image01.dim() != 4 || image01.size(0) != 1 || image01.size(1) != 3)
        throw EngineError(
            "inpainting: the image is " + shapeString(image01.sizes()) + ", expected [1, 3, H, W]");
    if (mask01.dim() != 4 || mask01.size(0) != 1 || mask01.size(1) != 1)
        throw EngineError(
            "inpainting: the mask is " + shapeString(mask01.sizes()) + ", expected [1, 1, H, W]");
    if (width % 8 || height % 8 || width <= 0 || height <= 0)
        throw EngineError("inpainting: size " + std::to_string(width) + "x" + std::to_string(height)
            + " is not a positive multiple of 8");
    const int64_t in = m.unetInChannels();
    if (in != 4 && in != 9)
        throw EngineError(
            "inpainting needs a UNet with 4 or 9 input channels; this one has " + std::to_string(in));
    // image: resize, then [0, 1] -> [-1, 1]; mask: resize, binarise at 0.5 (VaeImageProcessor)
    const auto image = resizeNearest(image01.to(torch::kCPU, torch::kFloat32), height, width) * 2.0 - 1.0;
    const auto mask
        = (resizeNearest(mask01.to(torch::kCPU, torch::kFloat32), height, width) >= 0.5).to(torch::kFloat32);
    InpaintInputs out;
    // [1, 1, H, W] -> [1, 1, H/8, W/8]: the nearest pixel of each latent cell (prepare_mask_latents)
    out.mask = resizeNearest(mask, height / 8, width / 8);
    if (in == 4 || strength < 1.0)
        out.image = m.encodeImage(image);
    if (in == 9)
        out.maskedImage = m.encodeImage(image * (mask < 0.5));
    return out;
}

torch::Tensor sampleBatch(SdModel& m, const BatchRequest& r, NoiseSource& noise)
{
    c10::InferenceMode guard;
    const int64_t B = r.batch;
    const std::vector<int64_t> shape { B, 4, r.latentHeight, r.latentWidth };
    const double scale = m.config().scaleFactor;
    Conditioning cond = r.cond, uncond = r.uncond;
    LatentEdit edit;
    torch::Tensor x;
    if (r.inpaint) {
        const InpaintInputs& ip = *r.inpaint;
        const bool legacy = m.unetInChannels() == 4, full = r.strength >= 1.0;
        if (ip.mask.size(2) != r.latentHeight || ip.mask.size(3) != r.latentWidth)
            throw EngineError("inpainting: the mask is " + shapeString(ip.mask.sizes())
                + " at latent size, expected " + std::to_string(r.latentHeight) + "x"
                + std::to_string(r.latentWidth));
        torch::Tensor imageLatents;
        if (legacy || !full) {
            if (!ip.image.mean.defined())
                throw EngineError(
                    "inpainting: the image latents are missing (prepareInpaint with this strength)");
            imageLatents = sampleLatents(ip.image, B, shape, noise, scale);
            if (r.maskedContent == 2 || r.maskedContent == 3)
                imageLatents = fillMaskedLatents(imageLatents, ip.mask, r.maskedContent, r.seeds);
        }
        const auto eps = noise.next(shape).to(m.device());
        x = full ? r.plan.initialLatents(eps) : r.plan.noisedLatents(imageLatents, eps);
        const auto mask = ip.mask.to(m.device(), torch::kFloat32).expand({ B, 1, -1, -1 });
        if (legacy) {
            noise.encoderNoise(shape); // diffusers encodes the masked image for 4-channel UNets too
            // latents = (1 - mask) * add_noise(image_latents, noise, t_next) + mask * latents, where
            // add_noise is x0 + noise * sigma in this scaling. After the last step diffusers puts
            // back the clean image latents in the scheduler's own scaling: for timestep schedulers
            // (DDIM, PLMS, ...) whose last sigma is not 0 that is x0 * sqrt(1 + sigma^2) here.
            const double last = r.plan.sigmas.back();
            const double lastScale = r.plan.vpLatents ? std::sqrt(1.0 + last * last) : 1.0;
            edit = [mask, imageLatents, eps, last, lastScale](const torch::Tensor& xs, double sigma) {
                if (sigma == last)
                    return (1 - mask) * (imageLatents * lastScale) + mask * xs;
                return (1 - mask) * (imageLatents + eps * sigma) + mask * xs;
            };
        } else {
            if (!ip.maskedImage.mean.defined())
                throw EngineError("inpainting: the masked-image latents are missing (prepareInpaint)");
            const auto masked = sampleLatents(ip.maskedImage, B, shape, noise, scale);
            // the UNet's input is [latents, mask, masked-image latents] along channels
            cond.tensors["c_concat"] = uncond.tensors["c_concat"]
                = torch::cat({ mask, masked.to(m.device()) }, 1);
        }
    } else if (r.initLatents) {
        const torch::Tensor x0 = r.initLatents->to(m.device(), torch::kFloat32);
        x = r.plan.noisedLatents(x0, noise.next(shape).to(x0.device()));
    } else if (r.init) {
        const auto x0 = sampleLatents(*r.init, B, shape, noise, scale);
        x = r.plan.noisedLatents(x0, noise.next(shape).to(x0.device()));
    } else {
        x = r.plan.initialLatents(noise.next(shape).to(m.device()));
    }
    if (!r.inpaint && m.unetInChannels() == 9) {
        // AUTOMATIC1111 txt2img / img2img with an inpainting model: a mask of ones and the latents of a
        // grey image (0 in [-1, 1]); the posterior mean keeps the seed's draws as they are
        const auto grey = torch::zeros({ 1, 3, r.latentHeight * 8, r.latentWidth * 8 });
        const auto latents = (m.encodeImage(grey).mean.to(torch::kFloat32) * scale).to(m.device());
        const auto ones = torch::ones({ 1, 1, r.latentHeight, r.latentWidth }, latents.options());
        cond.tensors["c_concat"] = uncond.tensors["c_concat"]
            = torch::cat({ ones, latents }, 1).expand({ B, -1, -1, -1 });
    }
    ModelFn unet = [&m](const torch::Tensor& xIn, const torch::Tensor& t, const Conditioning& c) {
        return m.unetCall(xIn, t, c);
    };
    int controlStep = 0;
    if (r.control && !r.control->empty()) {
        unet = [&m, &r, &controlStep](
                   const torch::Tensor& xIn, const torch::Tensor& t, const Conditioning& c) {
            // the plan step of this call: its timestep's index (an evaluation between two plan
            // timesteps keeps the last one's)
            const float tv = t.reshape({ -1 })[0].item<float>();
            for (size_t i = 0; i < r.plan.timesteps.size(); ++i)
                if (float(r.plan.timesteps[i]) == tv) {
                    controlStep = int(i);
                    break;
                }
            // CFG batches are [uncond; cond] (Denoiser), a scale of 1 runs the conditional half alone
            const int64_t uncondRows = r.cfgScale == 1.0 ? 0 : xIn.size(0) / 2;
            const UNetResiduals res
                = controlResiduals(*r.control, controlStep, r.plan.steps(), xIn, t, c, uncondRows);
            return m.unetCall(xIn, t, c, res.empty() ? nullptr : &res);
        };
    }
    Denoiser denoiser(unet, std::make_shared<NoiseSchedule>(m.scheduleConfig()));
    denoiser.setGuidance({ cond.repeated(B), uncond.repeated(B), r.cfgScale, r.guidanceRescale });
    r.plan.applyTo(denoiser);
    // AUTOMATIC1111 gives the SDE samplers one Brownian tree per image seed over the whole
    // schedule (also when img2img runs only its tail), drawn where the latents live.
    std::optional<BrownianNoise> tree;
    SdeNoiseFn sdeNoise;
    if (noise.isPerImage() && findSampler(r.plan.sampler).info->brownianNoise) {
        tree.emplace(BrownianNoise::forSchedule(noise.options().seeds, { 4, r.latentHeight, r.latentWidth },
            r.fullSigmas.empty() ? r.plan.sigmas : r.fullSigmas, noise.options().source, m.device()));
        sdeNoise = [&tree](double sigma, double next) { return (*tree)(sigma, next); };
    }
    x = runSampler(
        r.plan.sampler, denoiser, x, r.plan.sigmas, r.onStep, &noise, r.stop, r.plan.options, edit, sdeNoise);
    return r.plan.finalLatents(x);
}

} // namespace qd
