#include "conformance/ConformanceControlNet.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "conformance/ConformanceCase.h"
#include "io/SafeTensors.h"
#include "models/FillRule.h"
#include "pipeline/SdModel.h"

namespace qd
{

namespace
{

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr double kUnitTol = 1e-4; // README: unit max|a - b| <= 1e-4 * max(1, max|b|)

json readLayout(const std::string& path)
{
    std::ifstream in(path);
    if (!in)
        throw EngineError(path + ": cannot read the ControlNet layout");
    return json::parse(in);
}

double relError(const torch::Tensor& a, const torch::Tensor& b)
{
    return conformance::maxAbs(a.to(torch::kCPU), b) / std::max(1.0, b.abs().max().item<double>());
}

} // namespace

std::string controlNetLayoutPath(const std::string& casesFile, const std::string& dataDir)
{
    const fs::path beside = fs::path(casesFile).parent_path() / "controlnet_layout.json";
    if (fs::exists(beside) || dataDir.empty())
        return beside.string();
    return (fs::path(dataDir) / "controlnet" / "controlnet_layout.json").string();
}

StateDict tinyControlNetStateDict(const std::string& layoutJson, bool diffusersNames)
{
    const json layout = readLayout(layoutJson);
    StateDict sd;
    if (!diffusersNames) {
        for (const auto& [key, shape] : layout.at("ldm_shapes").items())
            sd.emplace(key, fillRuleTensor(key, shape.get<std::vector<int64_t>>()));
        return sd;
    }
    const json& shapes = layout.at("ldm_shapes");
    for (const auto& [key, targets] : layout.at("diffusers_to_ldm").items()) {
        const std::string ldm = targets.at(0).get<std::string>(); // a pure renaming: one target each
        sd.emplace(key, fillRuleTensor(ldm, shapes.at(ldm).get<std::vector<int64_t>>()));
    }
    return sd;
}

std::string writeTinyControlNet(const std::string& layoutJson, const std::string& dir, bool diffusersLayout)
{
    fs::create_directories(dir);
    if (!diffusersLayout) {
        const std::string path = (fs::path(dir) / "tiny_controlnet.safetensors").string();
        saveSafetensors(path, tinyControlNetStateDict(layoutJson));
        return path;
    }
    const fs::path folder = fs::path(dir) / "tiny_controlnet_diffusers";
    fs::create_directories(folder);
    saveSafetensors(
        (folder / "diffusion_pytorch_model.safetensors").string(), tinyControlNetStateDict(layoutJson, true));
    std::ofstream(folder / "config.json") << readLayout(layoutJson).at("diffusers_config").dump(2);
    return folder.string();
}

ControlRun controlRunForCase(
    const json& c, const StateDict& goldens, std::shared_ptr<ControlNetModel> model, torch::Device device)
{
    const std::string imageKey = c.at("control_image").get<std::string>();
    const torch::Tensor& image = conformance::golden(goldens, imageKey.substr(0, imageKey.find(' ')));
    ControlUnitRun unit;
    unit.model = std::move(model);
    unit.hint = image.permute({ 2, 0, 1 }).unsqueeze(0).contiguous().to(device); // HWC -> [1, 3, H, W]
    unit.weight = c.at("controlnet_conditioning_scale").get<double>();
    unit.start = c.at("control_guidance_start").get<double>();
    unit.end = c.at("control_guidance_end").get<double>();
    if (c.value("guess_mode", false))
        throw EngineError("guess_mode cases are not reproduced");
    ControlRun run;
    run.rule = ControlGuidanceRule::Diffusers;
    if (c.contains("controlnet_keep")) {
        const auto keep = c["controlnet_keep"].get<std::vector<double>>();
        for (size_t i = 0; i < keep.size(); ++i)
            if (controlGuides(run.rule, int(i), int(keep.size()), unit.start, unit.end) != (keep[i] > 0.5))
                throw EngineError("step " + std::to_string(i) + ": the guidance rule says "
                    + (keep[i] > 0.5 ? "off" : "on") + ", diffusers' controlnet_keep the opposite");
    }
    run.units.push_back(unit);
    run.labels.push_back("tiny controlnet");
    return run;
}

void runControlNetUnits(const ConformanceOptions& o, const StateDict& goldens, ControlNetModel& model,
    SdModel& sd1, std::vector<ConformanceResult>& results,
    const std::function<void(const ConformanceResult&)>& onResult)
{
    c10::InferenceMode guard;
    for (const std::string prefix : { "sd1/controlnet", "sd1/controlnet_b2" }) {
        if (!goldens.count(prefix + ".x"))
            continue;
        conformance::runCase(
            o, prefix + " (unit)",
            [&](ConformanceResult& r) {
                auto g = [&](const std::string& key) {
                    return conformance::golden(goldens, prefix + "." + key);
                };
                const torch::Tensor x = g("x").to(sd1.device()), t = g("t").to(sd1.device());
                const torch::Tensor context = g("context").to(sd1.device()),
                                    cond = g("cond").to(sd1.device());
                const UNetResiduals res = model.forward(x, cond, t, context);
                double worst = 0;
                std::string worstKey;
                auto check = [&](const torch::Tensor& a, const std::string& key) {
                    const double e = relError(a, g(key));
                    if (e > worst || worstKey.empty()) {
                        worst = e;
                        worstKey = key;
                    }
                    if (!(e <= kUnitTol) && r.message.empty())
                        r.message = prefix + "." + key + " off by " + std::to_string(e) + " (tol 1e-4)";
                };
                for (size_t i = 0; i < res.down.size(); ++i)
                    check(res.down[i], "down." + std::to_string(i));
                check(res.mid, "mid");
                check(sd1.unet().forward(x, t, context, {}, &res), "unet_out");
                check(sd1.unet().forward(x, t, context), "unet_out_nocontrol");
                if (res.down.size() != 12 && r.message.empty())
                    r.message = std::to_string(res.down.size()) + " down residuals, expected 12";
                r.imageError = worst;
                char line[160];
                std::snprintf(line, sizeof line,
                    "13 residuals + UNet out: worst %s, %.1e x max(1, max|b|) (tol 1e-4)", worstKey.c_str(),
                    worst);
                r.detail = line;
            },
            results, onResult);
    }
}

} // namespace qd
