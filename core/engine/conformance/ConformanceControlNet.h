#pragma once
// The ControlNet conformance data (tests/data/conformance/controlnet): the tiny ControlNet built
// from controlnet_layout.json + the fill rule, its unit goldens, and what an end-to-end case
// needs (the generation runner in Conformance.cpp runs those with diffusers' guidance rule).
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "conformance/Conformance.h"
#include "controlnet/ControlNet.h"
#include "io/StateDict.h"
#include "pipeline/ControlNetRun.h"

namespace qd
{

class SdModel;

// controlnet_layout.json: beside `casesFile`, else in dataDir/controlnet.
std::string controlNetLayoutPath(const std::string& casesFile, const std::string& dataDir);

// Every tensor of the tiny ControlNet by the fill rule over its single-file key
// ("control_model.*"); with `diffusersNames`, the same tensors under diffusers' names (the
// layout's diffusers_to_ldm).
StateDict tinyControlNetStateDict(const std::string& layoutJson, bool diffusersNames = false);

// Writes the tiny ControlNet into `dir` (control_model.* .safetensors, or with `diffusersLayout` a
// diffusers folder: config.json + diffusion_pytorch_model.safetensors) and loads it through
// loadControlNet. Returns the path written.
std::string writeTinyControlNet(const std::string& layoutJson, const std::string& dir, bool diffusersLayout);

// A case's ControlNet unit (controlnet_conditioning_scale, control_guidance_start / _end, the
// control image golden) with diffusers' guidance rule; throws EngineError when the case's
// controlnet_keep disagrees with that rule.
ControlRun controlRunForCase(const nlohmann::json& c, const StateDict& goldens,
    std::shared_ptr<ControlNetModel> model, torch::Device device);

// The unit goldens (sd1/controlnet.* and sd1/controlnet_b2.*): the ControlNet's 13 residuals, the
// UNet's output with and without them, within 1e-4 * max(1, max|b|). One result per batch size.
void runControlNetUnits(const ConformanceOptions& options, const StateDict& goldens, ControlNetModel& model,
    SdModel& sd1, std::vector<ConformanceResult>& results,
    const std::function<void(const ConformanceResult&)>& onResult);

} // namespace qd
