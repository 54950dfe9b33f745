// The sampler registry (labels, aliases, default schedules) and runSampler.
#include "sampling/Samplers.h"

#include <algorithm>
#include <cctype>

#include <torch/torch.h>

#include "io/StateDict.h"
#include "sampling/Schedules.h"

namespace qd
{

namespace
{

std::string lower(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

std::string trim(const std::string& s)
{
    const auto b = s.find_first_not_of(" \t\r\n"), e = s.find_last_not_of(" \t\r\n");
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

// "DPM++ 2M SDE" -> "dpmpp_2m_sde" (the conformance cases' names).
std::string snake(const std::string& label)
{
    std::string out;
    for (char c : lower(label))
        out += c == ' ' ? std::string("_") : c == '+' ? std::string("p") : std::string(1, c);
    return out;
}

const SamplerInfo* exact(const std::string& key)
{
    for (const SamplerInfo& s : samplers()) {
        if (lower(s.label) == key || snake(s.label) == key
            || (!s.diffusersClass.empty() && lower(s.diffusersClass) == key))
            return &s;
        if (std::find(s.aliases.begin(), s.aliases.end(), key) != s.aliases.end())
            return &s;
    }
    return nullptr;
}

} // namespace

const std::vector<SamplerInfo>& samplers()
{
    // A1111 1.10 (modules/sd_samplers_kdiffusion.py, sd_samplers_timesteps.py) for labels, aliases,
    // default schedules and discard_next_to_last_sigma; DEIS and DDPM are diffusers-only.
    static const std::vector<SamplerInfo> list = {
        { "DPM++ 2M", sampleDpmpp2m, "Karras", { "k_dpmpp_2m" }, "DPMSolverMultistepScheduler" },
        { "DPM++ SDE", sampleDpmppSde, "Karras", { "k_dpmpp_sde" }, "DPMSolverSDEScheduler", false, true,
            true },
        { "DPM++ 2M SDE", sampleDpmpp2mSde, "Exponential", { "k_dpmpp_2m_sde" }, "", false, true, true },
        { "DPM++ 2S a", sampleDpmpp2sAncestral, "Karras", { "k_dpmpp_2s_a" }, "", false, true },
        { "DPM++ 3M SDE", sampleDpmpp3mSde, "Exponential", { "k_dpmpp_3m_sde" }, "", true, true, true },
        { "Euler a", sampleEulerAncestral, "Default", { "k_euler_a", "k_euler_ancestral" },
            "EulerAncestralDiscreteScheduler", false, true },
        { "Euler", sampleEuler, "Default", { "k_euler" }, "EulerDiscreteScheduler" },
        { "LMS", sampleLms, "Default", { "k_lms" }, "LMSDiscreteScheduler" },
        { "Heun", sampleHeun, "Default", { "k_heun" }, "HeunDiscreteScheduler" },
        { "DPM2", sampleDpm2, "Karras", { "k_dpm_2" }, "KDPM2DiscreteScheduler", true },
        { "DPM2 a", sampleDpm2Ancestral, "Karras", { "k_dpm_2_a" }, "KDPM2AncestralDiscreteScheduler", true,
            true },
        { "DDIM", sampleDdim, "Default", {}, "DDIMScheduler" },
        { "PLMS", samplePlms, "Default", {}, "PNDMScheduler" },
        { "UniPC", sampleUniPc, "Default", {}, "UniPCMultistepScheduler" },
        { "LCM", sampleLcm, "Default", {}, "LCMScheduler", false, true },
        { "DEIS", sampleDeis, "Default", {}, "DEISMultistepScheduler" },
        { "DDPM", sampleDdpm, "Default", {}, "DDPMScheduler", false, true },
    };
    return list;
}

std::vector<std::string> samplerLabels()
{
    std::vector<std::string> out;
    for (const SamplerInfo& s : samplers())
        out.push_back(s.label);
    return out;
}

SamplerChoice findSampler(const std::string& name)
{
    const std::string key = lower(trim(name));
    if (const SamplerInfo* s = exact(key))
        return { s, "" };
    // Old combined names: "DPM++ 2M Karras", "dpmpp_2m_karras", "k_dpmpp_2m_ka", "DPM++ 3M SDE Exponential".
    std::vector<std::pair<std::string, std::string>> suffixes
        = { { "_ka", "Karras" }, { "_exp", "Exponential" } };
    for (const std::string& type : scheduleTypes()) {
        suffixes.emplace_back(" " + lower(type), type);
        suffixes.emplace_back("_" + snake(type), type);
    }
    for (const auto& [suffix, type] : suffixes) {
        if (type == "Automatic" || key.size() <= suffix.size()
            || key.compare(key.size() - suffix.size(), suffix.size(), suffix) != 0)
            continue;
        if (const SamplerInfo* s = exact(trim(key.substr(0, key.size() - suffix.size()))))
            return { s, type };
    }
    std::string valid;
    for (const SamplerInfo& s : samplers())
        valid += (valid.empty() ? "" : ", ") + s.label;
    throw EngineError("unknown sampler '" + name + "' (valid: " + valid
        + "; a schedule type may follow, e.g. 'DPM++ 2M Karras')");
}

torch::Tensor runSampler(const std::string& name, const DenoiseFn& model, torch::Tensor x, SamplerArgs args,
    const std::atomic<bool>* cancel)
{
    const SamplerChoice choice = findSampler(name);
    if (!model)
        throw EngineError("sampler '" + choice.info->label + "': no denoiser given");
    if (!x.defined() || x.dim() < 2)
        throw EngineError("sampler '" + choice.info->label + "': latents must be a [B, C, H, W] tensor");
    c10::InferenceMode guard;
    if (!cancel)
        return choice.info->fn(model, std::move(x), args);
    const DenoiseFn checked = [&model, cancel](const torch::Tensor& in, double sigma) {
        if (cancel->load())
            throw Cancelled();
        return model(in, sigma);
    };
    return choice.info->fn(checked, std::move(x), args);
}

torch::Tensor runSampler(const std::string& name, const Denoiser& denoiser, torch::Tensor x,
    const std::vector<double>& sigmas, const StepCallback& callback, NoiseSource* noise,
    const std::atomic<bool>* cancel, const SamplerOptions& options, const LatentEdit& edit,
    const SdeNoiseFn& sdeNoise)
{
    SamplerArgs args;
    args.editLatents = edit;
    args.sdeNoise = sdeNoise;
    args.sigmas = sigmas;
    args.callback = callback;
    args.noise = noise;
    args.options = options;
    args.timestepOf = [&denoiser](double sigma) { return denoiser.timestep(sigma); };
    return runSampler(name, denoiser.fn(), std::move(x), std::move(args), cancel);
}

} // namespace qd
