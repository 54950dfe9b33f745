#include "conformance/Conformance.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include <torch/torch.h>
#include <unistd.h>

#include "Pipeline.h"
#include "conformance/ConformanceControlNet.h"
#include "conformance/ConformanceRng.h"
#include "conformance/ConformanceSde.h"
#include "conformance/ConformanceUpscaler.h"
#include "io/SafeTensors.h"
#include "models/TinyModels.h"
#include "pipeline/Generation.h"

namespace qd
{

namespace
{

double relError(const torch::Tensor& a, const torch::Tensor& b)
{
    const auto a64 = a.to(torch::kCPU, torch::kFloat64), b64 = b.to(torch::kCPU, torch::kFloat64);
    if (a64.sizes() != b64.sizes())
        return INFINITY;
    const double err = (a64 - b64).abs().max().item<double>();
    return err / std::max(1.0, b64.abs().max().item<double>());
}

std::string yamlFor(const std::string& model)
{
    return model == "sd1inp" ? "sd1-inpaint-tiny.yaml" : model + "-tiny.yaml";
}

// A case this runner has no way to run: reported as SKIP with the reason, not as a failure.
struct SkipCase : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Every case key the runner understands; a case with any other (a feature the reference used that
// the engine does not have) is skipped, naming the key.
const char* const kKnownKeys[] = {
    "sampler",
    "scheduler_class",
    "scheduler_config",
    "prompt",
    "negative_prompt",
    "width",
    "height",
    "steps",
    "guidance_scale",
    "seed",
    "generator",
    "randn_calls",
    "callback_steps",
    "strength",
    "clip_skip",
    "init_image",
    "mask",
    "lora",
    "lora_weight",
    // ControlNet cases (controlnet/): one tiny ControlNet, diffusers' guidance rule; the prompt
    // embeddings they name are the tiny SD1 text encoder's own output, which the runner computes
    "controlnet",
    "control_image",
    "controlnet_conditioning_scale",
    "control_guidance_start",
    "control_guidance_end",
    "guess_mode",
    "controlnet_keep",
    "controlnet_scale_per_step",
    "prompt_embeds",
    "diagnostic_max_abs_image_diff_vs_no_control",
};

// "sd1/inpaint/mask (1 = repaint)" -> "sd1/inpaint/mask"
std::string goldenKey(const nlohmann::json& value)
{
    const std::string s = value.get<std::string>();
    return s.substr(0, s.find(' '));
}

class Runner
{
public:
    explicit Runner(const ConformanceOptions& o)
        : m_o(o)
        , m_goldens(loadSafetensors(o.goldens))
    {
    }

    // The tiny ControlNet, written as a file and read back through loadControlNet once.
    std::shared_ptr<ControlNetModel> controlNet()
    {
        if (!m_controlNet) {
            namespace fs = std::filesystem;
            const fs::path dir = fs::temp_directory_path() / ("qd-controlnet-" + std::to_string(::getpid()));
            const std::string path
                = writeTinyControlNet(controlNetLayoutPath(m_o.cases, m_o.dataDir), dir.string(), false);
            ControlNetLoadOptions load;
            load.device = torch::Device(m_o.device);
            m_controlNet = loadControlNet(path, load);
            std::error_code ignored;
            fs::remove_all(dir, ignored);
        }
        return m_controlNet;
    }

    // The ControlNet unit goldens (a goldens file that has them), before the cases.
    void runUnits(std::vector<ConformanceResult>& results,
        const std::function<void(const ConformanceResult&)>& onResult)
    {
        if (m_goldens.count("sd1/controlnet.x"))
            runControlNetUnits(m_o, m_goldens, *controlNet(), model("sd1"), results, onResult);
    }

    ConformanceResult run(const std::string& name, const nlohmann::json& c)
    {
        ConformanceResult r;
        r.name = name;
        try {
            runCase(name, c, r);
        } catch (const SkipCase& e) {
            r.passed = false;
            r.skipped = true;
            r.message = e.what();
        } catch (const std::exception& e) {
            r.passed = false;
            r.message = e.what();
        }
        return r;
    }

private:
    const torch::Tensor& golden(const std::string& key) const
    {
        auto it = m_goldens.find(key);
        if (it == m_goldens.end())
            throw EngineError(m_o.goldens + ": no golden '" + key + "'");
        return it->second;
    }

    SdModel& model(const std::string& prefix)
    {
        auto& slot = m_models[prefix];
        if (!slot) {
            const StateDict sd = tinyStateDict(prefix, m_o.dataDir + "/tiny_layouts.json");
            SdLoadOptions load;
            load.device = torch::Device(m_o.device);
            slot = SdModel::fromStateDict(sd, ModelConfig::fromYaml(m_o.dataDir + "/" + yamlFor(prefix)),
                "tiny " + prefix + " model", load);
        }
        return *slot;
    }

    std::shared_ptr<const LoraFile> lora(const std::string& file)
    {
        auto& slot = m_loras[file];
        if (!slot)
            slot = std::make_shared<const LoraFile>(LoraFile::read(m_o.dataDir + "/" + file));
        return slot;
    }

    void runCase(const std::string& name, const nlohmann::json& c, ConformanceResult& r)
    {
        if (c.contains("error"))
            throw SkipCase(
                "diffusers could not run this case, so there is nothing to compare: " + c["error"].dump());
        for (const auto& item : c.items())
            if (std::find(std::begin(kKnownKeys), std::end(kKnownKeys), item.key()) == std::end(kKnownKeys))
                throw SkipCase("case key '" + item.key() + "' is a feature this runner does not reproduce");
        const std::string prefix = name.substr(0, name.find('/'));
        SdModel& m = model(prefix);

        // LoRA: merged as the app merges `<lora:...>` (weight for UNet and text encoder); a case
        // without one restores the checkpoint's weights
        std::vector<LoraUse> loras;
        if (c.contains("lora")) {
            const double w = c.value("lora_weight", 1.0);
            loras.push_back({ lora(c["lora"].get<std::string>()), w, w });
        }
        m.setLoras(loras);

        // the plan exactly as the case's diffusers scheduler class made it
        const int steps = c.at("steps").get<int>();
        SamplingPlan plan
            = planFromDiffusers(c.at("scheduler_class").get<std::string>(), c.at("scheduler_config"), steps);
        const bool inpaint = c.contains("mask") && c.contains("init_image");
        const bool img2img = !inpaint && c.contains("strength") && c.contains("init_image");
        const double strength = c.value("strength", 1.0);
        if (img2img || inpaint)
            plan = plan.withStrength(strength);

        // diffusers' text rules: clip_skip only for the prompt, "" encoded as text (no zeros)
        ConditionerOptions promptOpt, negOpt;
        promptOpt.clipSkip = c.contains("clip_skip") ? c["clip_skip"].get<int>() + 1 : 1;
        TextConditioning cond = m.conditioner().encode(c.at("prompt").get<std::string>(), promptOpt);
        TextConditioning uncond = m.conditioner().encode(c.value("negative_prompt", ""), negOpt);
        m.conditioner().equaliseChunks(cond, uncond, negOpt);
        std::string firstBad;
        const std::string embedsKey = name.substr(0, name.rfind('/')) + "/prompt_embeds";
        if (m_goldens.count(embedsKey)) { // e.g. a LoRA case: the text encoder as diffusers had it
            const double e = relError(cond.context, m_goldens.at(embedsKey));
            if (e > 1e-4) // README: unit goldens <= 1e-4 * max(1, max|b|)
                firstBad = "prompt embeds off by " + std::to_string(e);
        }

        const torch::Tensor& noise0 = golden(name + "/noise.0");
        const torch::Tensor& latents0 = golden(name + "/latents.0");
        const int64_t batch = latents0.size(0);
        // Image cases ran at the size diffusers chose: make_goldens passes no width / height with an
        // image, so the inpainting pipeline used the UNet's default (sample_size * 8, 128 x 128 for
        // the tiny model) whatever the case's width / height fields say; the latents show it.
        const bool imageCase = img2img || inpaint;
        const int width = imageCase ? int(latents0.size(3) * 8) : c.value("width", int(latents0.size(3) * 8));
        const int height
            = imageCase ? int(latents0.size(2) * 8) : c.value("height", int(latents0.size(2) * 8));

        BatchRequest req;
        req.cond = m.conditioning(cond, width, height);
        req.uncond = m.conditioning(uncond, width, height);
        req.cfgScale = c.at("guidance_scale").get<double>();
        req.plan = plan;
        req.batch = int(batch);
        req.latentHeight = height / 8;
        req.latentWidth = width / 8;
        req.strength = strength;
        VaeMoments init;
        InpaintInputs inpaintInputs;
        if (img2img) {
            // HWC in [0, 1] -> [1, 3, H, W] in [-1, 1]
            const auto img
                = golden(goldenKey(c["init_image"])).permute({ 2, 0, 1 }).unsqueeze(0).to(m.device()) * 2.0
                - 1.0;
            init = m.encodeImage(img);
            req.init = &init;
        } else if (inpaint) {
            // HWC / HW in [0, 1] -> [1, 3, H, W] / [1, 1, H, W], prepared as diffusers prepares them
            const auto img = golden(goldenKey(c["init_image"])).permute({ 2, 0, 1 }).unsqueeze(0);
            const auto mask = golden(goldenKey(c["mask"])).unsqueeze(0).unsqueeze(0);
            inpaintInputs = prepareInpaint(m, img, mask, width, height, strength);
            req.inpaint = &inpaintInputs;
        }

        ControlRun control;
        if (c.contains("controlnet")) {
            control = controlRunForCase(c, m_goldens, controlNet(), m.device());
            req.control = &control;
        }

        // the first draw must be the recorded one, bit for bit
        {
            NoiseSource probe = NoiseSource::single(uint64_t(c.at("seed").get<int64_t>()));
            const auto shape = noise0.sizes().vec();
            r.noiseError = (probe.next(shape) - noise0).abs().max().item<double>();
        }

        int index = 0;
        req.onStep = [&](const StepInfo& s) {
            const std::string key = name + "/latents." + std::to_string(index);
            auto it = m_goldens.find(key);
            if (it == m_goldens.end()) {
                if (firstBad.empty())
                    firstBad
                        = "callback " + std::to_string(index) + " has no golden (more steps than diffusers)";
            } else {
                const double e = relError(plan.schedulerLatents(s.x, s.sigmaOfX), it->second);
                r.latentError = std::max(r.latentError, e);
                if (e > m_o.latentTol && firstBad.empty())
                    firstBad = "step " + std::to_string(index) + " latents off by " + std::to_string(e);
            }
            ++index;
        };
        NoiseSource noise = NoiseSource::single(uint64_t(c.at("seed").get<int64_t>()));
        const auto finalLatents = sampleBatch(m, req, noise);
        r.steps = index;
        const int expectedSteps = c.value("callback_steps", index);
        if (index != expectedSteps && firstBad.empty())
            firstBad = std::to_string(index) + " callbacks, diffusers made " + std::to_string(expectedSteps);
        if (inpaint && c.contains("randn_calls") && noise.draws() != c["randn_calls"].get<int64_t>()
            && firstBad.empty())
            firstBad
                = std::to_string(noise.draws()) + " random draws, diffusers made " + c["randn_calls"].dump();

        // the image as diffusers returns it: (x / 2 + 0.5).clamp(0, 1), HWC
        const auto decoded = m.decodeLatent(finalLatents);
        const auto image = (decoded / 2 + 0.5).clamp(0, 1)[0].permute({ 1, 2, 0 }).to(torch::kCPU);
        const auto& goldenImage = golden(name + "/image");
        r.imageError = image.sizes() == goldenImage.sizes()
            ? (image.to(torch::kFloat64) - goldenImage.to(torch::kFloat64)).abs().max().item<double>()
            : INFINITY;

        if (r.noiseError != 0)
            r.message = "initial noise differs from the recorded draw (max error "
                + std::to_string(r.noiseError) + ")";
        else if (!firstBad.empty())
            r.message = firstBad;
        else if (!(r.imageError <= m_o.imageTol))
            r.message = "final image off by " + std::to_string(r.imageError);
        r.passed = r.message.empty();
    }

    ConformanceOptions m_o;
    StateDict m_goldens;
    std::map<std::string, std::unique_ptr<SdModel>> m_models;
    std::map<std::string, std::shared_ptr<const LoraFile>> m_loras;
    std::shared_ptr<ControlNetModel> m_controlNet;
};

} // namespace

std::vector<ConformanceResult> runConformance(
    const ConformanceOptions& options, const std::function<void(const ConformanceResult&)>& onResult)
{
    std::ifstream in(options.cases);
    if (!in)
        throw EngineError(options.cases + ": cannot open the cases file");
    std::stringstream text;
    text << in.rdbuf();
    const nlohmann::json cases = parsePythonJson(text.str());
    if (cases.contains("cases") && cases["cases"].is_array()) {
        // random draws (randn / sequence / image_rng) or upscalers (forward / tiled_...)
        static const std::set<std::string> upscalerKinds { "forward", "descriptor_pad", "tiled_tensor",
            "tiled_pil" };
        for (const auto& c : cases["cases"])
            if (upscalerKinds.count(c.value("kind", std::string())))
                return runUpscalerConformance(options, cases, onResult);
        return runRngConformance(options, cases, onResult);
    }
    if (cases.contains("raw_cases") || cases.contains("sampler_cases"))
        return runSdeConformance(options, cases, onResult);
    if (!cases.contains("cases") || !cases["cases"].is_object())
        throw EngineError(options.cases
            + ": no \"cases\" object (generations), \"cases\" list (random draws) or \"sampler_cases\" "
              "(Brownian-tree noise)");
    if (options.device != "cpu") {
        validateDevice(options.device, "fp32");
        // diffusers' float32 reference: full-precision matrix products and convolutions
        at::globalContext().setAllowTF32CuBLAS(false);
        at::globalContext().setAllowTF32CuDNN(false);
    }
    ConformanceOptions o = options;
    bool controlNet = false;
    for (const auto& [name, c] : cases["cases"].items())
        controlNet = controlNet || c.contains("controlnet");
    namespace fs = std::filesystem;
    // ControlNet cases run on the tiny SD1 model of the folder above theirs unless --data says
    const fs::path above = fs::path(options.cases).parent_path().parent_path();
    if (controlNet && o.dataDir.empty() && fs::exists(above / "tiny_layouts.json"))
        o.dataDir = above.string();
    Runner runner(o);
    std::vector<ConformanceResult> results;
    runner.runUnits(results, onResult);
    for (const auto& [name, c] : cases["cases"].items()) {
        if (!options.filter.empty() && name.find(options.filter) == std::string::npos)
            continue;
        results.push_back(runner.run(name, c));
        if (onResult)
            onResult(results.back());
    }
    return results;
}

} // namespace qd
