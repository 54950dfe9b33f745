#pragma once
// What kind of Stable Diffusion model a checkpoint holds, from (in order of trust) the CompVis /
// Stability YAML beside it, a diffusers folder's config.json files, or the key names and shapes.
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "Pipeline.h" // ModelFamily
#include "io/StateDict.h"
#include "sampling/NoiseSchedule.h" // Prediction

namespace qd
{

const char* predictionName(Prediction p); // "epsilon", "v"

struct ModelConfig {
    ModelFamily family = ModelFamily::SD1;
    Prediction prediction = Prediction::Epsilon;
    bool predictionKnown = false; // stated by a config file (SD2's ε vs v cannot be read from weights)
    double scaleFactor = 0.18215; // VAE latent scale (SDXL 0.13025)
    double linearStart = 0.00085; // scaled-linear betas
    double linearEnd = 0.012;
    int timesteps = 1000;
    // Component parameter blocks as the LDM YAML has them (JSON); null = detect from the weights.
    nlohmann::json unetParams; // model.params.unet_config.params / network_config.params
    nlohmann::json vaeParams; // first_stage_config.params.ddconfig (+ embed_dim)
    nlohmann::json textEncoders; // [{target, params}] in conditioning order
    nlohmann::json yamlRoot; // the whole YAML as JSON, when the config came from one
    std::map<std::string, nlohmann::json> diffusersConfigs; // "unet", "vae", "scheduler", ... of a folder
    std::string source; // the file the config came from, for error messages

    // Reads a CompVis ("v1-inference.yaml", "v2-inference-v.yaml") or Stability ("sd_xl_base.yaml")
    // config. Throws EngineError naming the file and the missing or bad field.
    static ModelConfig fromYaml(const std::string& path);
    // Defaults for a family with every size left to detection.
    static ModelConfig defaults(ModelFamily family);
};

// Family from key names: SDXL has conditioner.embedders.*, SD2 cond_stage_model.model.* (OpenCLIP),
// SD1 cond_stage_model.transformer.*. Throws EngineError (naming `source`) when none match.
ModelFamily detectFamily(const StateDict& sd, const std::string& source);

// "NAME.yaml" beside "NAME.safetensors" / "NAME.ckpt" when it exists, else "".
std::string configBeside(const std::string& checkpointPath);

// A YAML file as JSON (scalars typed: int, float, bool, null, string). Needs yaml-cpp: without it,
// throws EngineError saying the engine was built without YAML support.
nlohmann::json yamlFileToJson(const std::string& path);

} // namespace qd
