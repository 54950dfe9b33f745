#include "sampling/SamplingPlan.h"

#include <cmath>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "io/StateDict.h"
#include "sampling/Schedules.h"

namespace qd
{

namespace
{

using json = nlohmann::json;

bool flag(const json& c, const char* key, bool fallback = false)
{
    return c.contains(key) && c[key].is_boolean() ? c[key].get<bool>() : fallback;
}

std::string text(const json& c, const char* key, const std::string& fallback)
{
    return c.contains(key) && c[key].is_string() ? c[key].get<std::string>() : fallback;
}

double number(const json& c, const char* key, double fallback)
{
    return c.contains(key) && c[key].is_number() ? c[key].get<double>() : fallback;
}

// Throws when a config key holds a value whose behaviour these samplers do not reproduce.
void require(const json& c, const std::string& cls, const char* key, const json& expected)
{
    if (c.contains(key) && !c[key].is_null() && c[key] != expected)
        throw EngineError(cls + " config: " + key + " = " + c[key].dump() + " is not supported (expected "
            + expected.dump() + ")");
}

std::vector<double> float32(std::vector<double> v)
{
    for (double& x : v)
        x = toFloat32(x);
    return v;
}

// The alternative sigma spacings diffusers' schedulers offer over `base` (their in_sigmas).
enum class Spacing { Interp, Karras, Exponential, Beta };

Spacing spacingOf(const json& c, const std::string& cls)
{
    const int count
        = flag(c, "use_karras_sigmas") + flag(c, "use_exponential_sigmas") + flag(c, "use_beta_sigmas");
    if (count > 1)
        throw EngineError(cls
            + " config: only one of use_karras_sigmas, use_exponential_sigmas, use_beta_sigmas may be true");
    return flag(c, "use_karras_sigmas")     ? Spacing::Karras
        : flag(c, "use_exponential_sigmas") ? Spacing::Exponential
        : flag(c, "use_beta_sigmas")        ? Spacing::Beta
                                            : Spacing::Interp;
}

// _convert_to_karras / _exponential / _beta: sigma_min/max from the config when set, else the ends
// of in_sigmas (descending). Returns `steps` sigmas without the final one.
std::vector<double> converted(
    Spacing sp, const json& c, double inMax, double inMin, int steps, bool configRange)
{
    const double lo = configRange ? number(c, "sigma_min", inMin) : inMin;
    const double hi = configRange ? number(c, "sigma_max", inMax) : inMax;
    std::vector<double> s = sp == Spacing::Karras ? karrasSigmas(steps, lo, hi)
        : sp == Spacing::Exponential              ? exponentialSigmas(steps, lo, hi)
                                                  : betaSigmas(steps, lo, hi);
    s.pop_back(); // the functions append 0
    return s;
}

double finalSigma(const json& c, const NoiseSchedule& ns, const std::string& cls)
{
    const std::string type = text(c, "final_sigmas_type", "zero");
    if (type == "zero")
        return 0.0;
    if (type == "sigma_min")
        return ns.sigmaMin();
    throw EngineError(cls + " config: final_sigmas_type '" + type + "' (expected zero or sigma_min)");
}

// Euler / Euler a / LMS / Heun / KDPM2 / KDPM2 a / DPMSolverSDE: sigmas interpolated over
// fractional timesteps, optionally respaced; timesteps from the sigmas when respaced.
void sigmaFamily(SamplingPlan& p, const json& c, const NoiseSchedule& ns, int steps, const std::string& cls,
    bool configRange, bool roundKarras)
{
    std::vector<double> t = ns.inferenceTimesteps(steps, TimestepGrid::Fractional);
    std::vector<double> s;
    for (double ti : t)
        s.push_back(ns.sigmaAtTimestep(ti));
    const Spacing sp = spacingOf(c, cls);
    if (sp != Spacing::Interp) {
        s = converted(sp, c, s.front(), s.back(), steps, configRange);
        for (size_t i = 0; i < s.size(); ++i)
            t[i] = sp == Spacing::Karras && roundKarras ? roundHalfEven(ns.sigmaToTimestep(s[i]))
                                                        : ns.sigmaToTimestep(s[i]);
        p.scheduleType = sp == Spacing::Karras ? "Karras"
            : sp == Spacing::Exponential       ? "Exponential"
                                               : "Beta";
    }
    s.push_back(cls == "EulerDiscreteScheduler" ? finalSigma(c, ns, cls) : 0.0);
    p.sigmas = float32(s);
    p.timesteps = float32(t);
    // init_noise_sigma: max sigma, or sqrt(max^2 + 1) for "leading" spacing (diffusers' rule).
    const double top = p.sigmas.front();
    p.initNoiseSigma = ns.config().timestepSpacing == "leading" ? std::sqrt(top * top + 1) : top;
}

// DPMSolverMultistep / UniPC / DEIS: integer timesteps on the N+1 grid; respaced sigmas come from
// the whole training table, and Karras timesteps are rounded.
void multistepFamily(
    SamplingPlan& p, const json& c, const NoiseSchedule& ns, int steps, const std::string& cls)
{
    std::vector<double> t = ns.inferenceTimesteps(steps, TimestepGrid::SkipLast);
    std::vector<double> s;
    const Spacing sp = spacingOf(c, cls);
    if (sp == Spacing::Interp) {
        for (double ti : t)
            s.push_back(ns.sigmaAtTimestep(ti));
    } else {
        s = converted(sp, c, ns.sigmaMax(), ns.sigmaMin(), steps, cls == "UniPCMultistepScheduler");
        for (size_t i = 0; i < s.size(); ++i)
            t[i] = sp == Spacing::Karras ? roundHalfEven(ns.sigmaToTimestep(s[i])) : ns.sigmaToTimestep(s[i]);
        p.scheduleType = sp == Spacing::Karras ? "Karras"
            : sp == Spacing::Exponential       ? "Exponential"
                                               : "Beta";
    }
    if (cls
        == "DEISMultistepScheduler") // DEIS ends at the table's sigma_min (or repeats the last respaced one)
        s.push_back(sp == Spacing::Interp ? ns.sigmaMin() : s.back());
    else
        s.push_back(cls == "UniPCMultistepScheduler" && sp != Spacing::Interp
                    && text(c, "final_sigmas_type", "zero") == "sigma_min"
                ? s.back() // UniPC repeats its last respaced sigma; DPMSolverMultistep uses the table's
                : finalSigma(c, ns, cls));
    p.sigmas = float32(s);
    p.timesteps = t;
    p.initNoiseSigma = std::sqrt(p.sigmas.front() * p.sigmas.front() + 1); // VP noise of std 1
    p.vpLatents = true;
}

// DDIM / PNDM / DDPM: the table's sigmas at integer timesteps; they step to the next listed
// timestep (DDIM/PNDM: t - T/N, the same for "leading" spacing) and end at `last`.
void timestepFamily(
    SamplingPlan& p, const std::vector<double>& t, const NoiseSchedule& ns, double lastAlphaCumprod)
{
    // Sigmas in double from alphas_cumprod, so 1 / (1 + sigma^2) gives back the very alphas_cumprod
    // these schedulers use (the float32-rounded sigma table would be off by ~1e-8).
    auto sigmaOf = [](double ac) { return std::sqrt((1 - ac) / ac); };
    p.timesteps = t;
    p.sigmas.clear();
    for (double ti : t)
        p.sigmas.push_back(sigmaOf(ns.alphasCumprod()[static_cast<size_t>(ti)]));
    p.sigmas.push_back(sigmaOf(lastAlphaCumprod));
    p.initNoiseSigma = std::sqrt(p.sigmas.front() * p.sigmas.front() + 1);
    p.vpLatents = true;
}

std::vector<double> repeatInner(const std::vector<double>& s, bool keepLast)
{
    // diffusers' cat([s[:1], s[1:(keepLast ? None : -1)].repeat_interleave(2), s[-1:]])
    std::vector<double> out = { s.front() };
    for (size_t i = 1; i < (keepLast ? s.size() : s.size() - 1); ++i)
        out.insert(out.end(), { s[i], s[i] });
    out.push_back(s.back());
    return out;
}

json configFor(const NoiseScheduleConfig& m)
{
    return json { { "num_train_timesteps", m.numTrainTimesteps }, { "beta_start", m.betaStart },
        { "beta_end", m.betaEnd }, { "beta_schedule", m.betaSchedule },
        { "rescale_betas_zero_snr", m.rescaleZeroTerminalSnr }, { "timestep_spacing", m.timestepSpacing },
        { "steps_offset", m.stepsOffset }, { "set_alpha_to_one", m.setAlphaToOne },
        { "skip_prk_steps", true },
        { "prediction_type", m.prediction == Prediction::V ? "v_prediction" : "epsilon" } };
}

} // namespace

SamplingPlan planFromDiffusers(const std::string& cls, const json& c, int steps)
{
    const NoiseSchedule ns(NoiseScheduleConfig::fromDiffusers(c));
    for (const char* key :
        { "thresholding", "clip_sample", "use_flow_sigmas", "use_dynamic_shifting", "use_lu_lambdas" })
        require(c, cls, key, false);
    SamplingPlan p;
    p.scheduleType = "Default";
    if (cls == "EulerDiscreteScheduler" || cls == "EulerAncestralDiscreteScheduler"
        || cls == "LMSDiscreteScheduler" || cls == "HeunDiscreteScheduler" || cls == "KDPM2DiscreteScheduler"
        || cls == "KDPM2AncestralDiscreteScheduler" || cls == "DPMSolverSDEScheduler") {
        require(c, cls, "interpolation_type", "linear");
        require(c, cls, "timestep_type", "discrete");
        const bool kdpm2 = cls.rfind("KDPM2", 0) == 0;
        sigmaFamily(p, c, ns, steps, cls, cls == "EulerDiscreteScheduler", kdpm2);
        p.sampler = findSampler(cls).info->label;
        if (cls == "HeunDiscreteScheduler" || cls == "DPMSolverSDEScheduler")
            p.schedulerSigmas = repeatInner(p.sigmas, false);
        else if (kdpm2)
            p.schedulerSigmas = repeatInner(p.sigmas, true);
        else
            p.schedulerSigmas = p.sigmas;
    } else if (cls == "DPMSolverMultistepScheduler" || cls == "UniPCMultistepScheduler"
        || cls == "DEISMultistepScheduler") {
        require(c, cls, "lower_order_final", true);
        if (cls == "DPMSolverMultistepScheduler") {
            const std::string algo = text(c, "algorithm_type", "dpmsolver++");
            if (algo != "dpmsolver++" && algo != "sde-dpmsolver++")
                throw EngineError(
                    cls + " config: algorithm_type '" + algo + "' (expected dpmsolver++ or sde-dpmsolver++)");
            require(c, cls, "solver_order", 2);
            require(c, cls, "euler_at_final", false);
            require(c, cls, "lambda_min_clipped", -std::numeric_limits<double>::infinity());
            p.sampler = algo == "dpmsolver++" ? "DPM++ 2M" : "DPM++ 2M SDE";
            p.options.variant = text(c, "solver_type", "midpoint");
        } else if (cls == "UniPCMultistepScheduler") {
            require(c, cls, "predict_x0", true);
            require(c, cls, "disable_corrector", json::array());
            require(c, cls, "solver_p", nullptr);
            p.sampler = "UniPC";
            p.options.variant = text(c, "solver_type", "bh2");
        } else {
            require(c, cls, "algorithm_type", "deis");
            p.sampler = "DEIS";
        }
        p.options.order = static_cast<int>(number(c, "solver_order", 2));
        multistepFamily(p, c, ns, steps, cls);
        p.schedulerSigmas = p.sigmas;
    } else if (cls == "DDIMScheduler" || cls == "PNDMScheduler" || cls == "DDPMScheduler") {
        std::vector<double> t = ns.inferenceTimesteps(steps, TimestepGrid::Integer);
        if (cls == "PNDMScheduler") {
            require(c, cls, "skip_prk_steps", true);
            p.sampler
                = "PLMS"; // PNDM's PLMS list repeats its second timestep; the sampler evaluates it twice
        } else if (cls == "DDPMScheduler") {
            require(c, cls, "variance_type", "fixed_small");
            p.sampler = "DDPM";
        } else {
            p.sampler = "DDIM";
            p.options.eta = 0.0; // the pipelines' default
        }
        timestepFamily(p, t, ns, cls == "DDPMScheduler" ? 1.0 : ns.finalAlphaCumprod());
    } else if (cls == "LCMScheduler") {
        const int original = static_cast<int>(number(c, "original_inference_steps", 50));
        if (steps > original)
            throw EngineError("LCMScheduler: steps " + std::to_string(steps)
                + " (expected at most original_inference_steps = " + std::to_string(original) + ")");
        const int k = ns.numTrainTimesteps() / original;
        std::vector<double> t;
        for (int i = 0; i < steps;
             ++i) { // origin timesteps (j+1)k-1, reversed, at floor(linspace(0, n, steps, endpoint=False))
            const int j = original - 1 - static_cast<int>(std::floor(i * (double(original) / steps)));
            t.push_back((j + 1.0) * k - 1);
        }
        p.sampler = "LCM";
        p.options.lcmTimestepScaling = number(c, "timestep_scaling", 10.0);
        timestepFamily(p, t, ns, 1.0); // the last step returns the denoised latent
    } else {
        throw EngineError("scheduler class '" + cls
            + "' is not supported (expected one of the diffusers classes"
              " named in SamplingPlan.h, e.g. EulerDiscreteScheduler)");
    }
    return p;
}

SamplingPlan makePlan(const std::string& sampler, const std::string& scheduleType, int steps,
    const NoiseScheduleConfig& model, bool sdxl)
{
    const SamplerChoice choice = findSampler(sampler);
    const SamplerInfo& info = *choice.info;
    std::string type = scheduleType.empty() || scheduleType == "Automatic"
        ? (choice.scheduleType.empty() ? info.defaultSchedule : choice.scheduleType)
        : scheduleType;
    type = type == "Default" ? type : canonicalScheduleType(type);
    if (type == "Automatic")
        type = info.defaultSchedule;
    const std::string& cls = info.diffusersClass;
    const bool dpmMulti = info.label == "DPM++ 2M" || info.label == "DPM++ 2M SDE";
    const bool multistep = dpmMulti || info.label == "UniPC" || info.label == "DEIS";
    if (type == "Default" && (!cls.empty() || dpmMulti)) {
        json c = configFor(model);
        if (info.label == "DPM++ 2M SDE")
            c["algorithm_type"] = "sde-dpmsolver++";
        SamplingPlan p = planFromDiffusers(dpmMulti ? "DPMSolverMultistepScheduler" : cls, c, steps);
        p.sampler = info.label;
        return p;
    }
    if (multistep && (type == "Karras" || type == "Exponential")) {
        json c = configFor(model);
        c[type == "Karras" ? "use_karras_sigmas" : "use_exponential_sigmas"] = true;
        if (info.label == "DPM++ 2M SDE")
            c["algorithm_type"] = "sde-dpmsolver++";
        SamplingPlan p = planFromDiffusers(dpmMulti ? "DPMSolverMultistepScheduler" : cls, c, steps);
        p.sampler = info.label;
        return p;
    }
    const NoiseSchedule ns(model);
    SamplingPlan p;
    p.sampler = info.label;
    p.scheduleType = type;
    if (type == "Default") {
        p.sigmas = defaultSigmas(steps, ns);
        const double top = p.sigmas.front();
        p.initNoiseSigma = model.timestepSpacing == "leading" ? std::sqrt(top * top + 1) : top;
    } else {
        // A1111 get_sigmas: one extra step for samplers that drop the second-to-last sigma.
        p.sigmas = scheduleSigmas(type, steps + (info.discardNextToLastSigma ? 1 : 0), ns, sdxl);
        if (info.discardNextToLastSigma)
            p.sigmas.erase(p.sigmas.end() - 2);
        p.initNoiseSigma = p.sigmas.front();
    }
    for (size_t i = 0; i + 1 < p.sigmas.size(); ++i)
        p.timesteps.push_back(ns.sigmaToTimestep(p.sigmas[i]));
    return p;
}

json parsePythonJson(const std::string& text)
{
    // Python's json module writes the non-standard tokens NaN, Infinity and -Infinity.
    std::string out;
    out.reserve(text.size());
    bool inString = false;
    for (size_t i = 0; i < text.size(); ++i) {
        const char ch = text[i];
        if (inString) {
            out += ch;
            if (ch == '\\' && i + 1 < text.size())
                out += text[++i];
            else if (ch == '"')
                inString = false;
            continue;
        }
        if (ch == '"')
            inString = true;
        bool replaced = false;
        for (const char* token : { "-Infinity", "Infinity", "NaN" }) {
            const size_t len = std::char_traits<char>::length(token);
            if (text.compare(i, len, token) == 0) {
                out += "null";
                i += len - 1;
                replaced = true;
                break;
            }
        }
        if (!replaced)
            out += ch;
    }
    return json::parse(out);
}

SamplingPlan SamplingPlan::withStrength(double strength) const
{
    if (!(strength >= 0.0 && strength <= 1.0))
        throw EngineError("denoising strength " + std::to_string(strength) + " (expected 0..1)");
    const int n = steps();
    const int keep = std::min(static_cast<int>(n * strength), n);
    if (keep < 1)
        throw EngineError("denoising strength " + std::to_string(strength) + " leaves no step of "
            + std::to_string(n) + " (expected strength * steps >= 1)");
    return lastSteps(keep);
}

SamplingPlan SamplingPlan::lastSteps(int keep) const
{
    const int n = steps();
    if (keep < 1 || keep > n)
        throw EngineError("the last " + std::to_string(keep) + " steps of a " + std::to_string(n)
            + "-step schedule (expected 1.." + std::to_string(n) + ")");
    SamplingPlan p = *this;
    if (p.options.scheduleSteps == 0)
        p.options.scheduleSteps = n;
    const int start = n - keep;
    p.sigmas.erase(p.sigmas.begin(), p.sigmas.begin() + start);
    p.timesteps.erase(p.timesteps.begin(), p.timesteps.begin() + std::min<size_t>(start, p.timesteps.size()));
    return p;
}

torch::Tensor SamplingPlan::initialLatents(const torch::Tensor& noise) const
{
    return noise * initNoiseSigma;
}

torch::Tensor SamplingPlan::noisedLatents(const torch::Tensor& x0, const torch::Tensor& noise) const
{
    return x0 + noise * sigmas.front();
}

torch::Tensor SamplingPlan::schedulerLatents(const torch::Tensor& x, double sigmaOfX) const
{
    return vpLatents ? x / std::sqrt(1.0 + sigmaOfX * sigmaOfX) : x;
}

} // namespace qd
