#include "models/ModelConfig.h"

#include <filesystem>

#ifdef QD_HAVE_YAMLCPP
#include <yaml-cpp/yaml.h>
#endif

namespace fs = std::filesystem;

namespace qd
{

const char* predictionName(Prediction p)
{
    return p == Prediction::V ? "v" : "epsilon";
}

#ifdef QD_HAVE_YAMLCPP
static nlohmann::json toJson(const YAML::Node& n)
{
    switch (n.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
        return nullptr;
    case YAML::NodeType::Sequence: {
        auto a = nlohmann::json::array();
        for (const auto& e : n)
            a.push_back(toJson(e));
        return a;
    }
    case YAML::NodeType::Map: {
        auto o = nlohmann::json::object();
        for (const auto& kv : n)
            o[kv.first.as<std::string>()] = toJson(kv.second);
        return o;
    }
    case YAML::NodeType::Scalar:
        break;
    }
    const std::string s = n.Scalar();
    if (n.Tag() == "!") // quoted: always a string
        return s;
    if (s == "null" || s == "~")
        return nullptr;
    if (s == "true" || s == "True")
        return true;
    if (s == "false" || s == "False")
        return false;
    try {
        size_t used = 0;
        const long long i = std::stoll(s, &used);
        if (used == s.size())
            return i;
    } catch (...) {
    }
    try {
        size_t used = 0;
        const double d = std::stod(s, &used);
        if (used == s.size())
            return d;
    } catch (...) {
    }
    return s;
}
#endif

nlohmann::json yamlFileToJson(const std::string& path)
{
#ifdef QD_HAVE_YAMLCPP
    try {
        return toJson(YAML::LoadFile(path));
    } catch (const YAML::Exception& e) {
        throw EngineError(path + ": not a readable YAML file (line " + std::to_string(e.mark.line + 1) + ": "
            + e.msg + ")");
    }
#else
    throw EngineError(
        path + ": this build has no YAML support (yaml-cpp); the model is configured from its weights");
#endif
}

ModelConfig ModelConfig::defaults(ModelFamily family)
{
    ModelConfig c;
    c.family = family;
    c.scaleFactor = family == ModelFamily::SDXL ? 0.13025 : 0.18215;
    return c;
}

static const nlohmann::json& at(
    const nlohmann::json& j, const char* key, const std::string& path, const std::string& where)
{
    if (!j.is_object() || !j.contains(key))
        throw EngineError(path + ": missing '" + where + key + "'");
    return j.at(key);
}

ModelConfig ModelConfig::fromYaml(const std::string& path)
{
    const nlohmann::json root = yamlFileToJson(path);
    const nlohmann::json& model = at(root, "model", path, "");
    const nlohmann::json& params = at(model, "params", path, "model.");
    ModelConfig c;
    const std::string target = model.value("target", "");
    if (params.contains("network_config")) { // Stability "sgm" layout (SDXL)
        c = defaults(ModelFamily::SDXL);
        c.unetParams = at(params["network_config"], "params", path, "model.params.network_config.");
        if (params.contains("conditioner_config"))
            c.textEncoders
                = params["conditioner_config"]["params"].value("emb_models", nlohmann::json::array());
        const auto& den = params.value("denoiser_config", nlohmann::json::object());
        const std::string scaling = den.contains("params") && den["params"].contains("scaling_config")
            ? den["params"]["scaling_config"].value("target", "")
            : "";
        c.prediction = scaling.find("VScaling") != std::string::npos ? Prediction::V : Prediction::Epsilon;
        c.predictionKnown = true;
    } else if (params.contains("unet_config")) { // CompVis "ldm" layout (SD 1.x / 2.x)
        c.unetParams = at(params["unet_config"], "params", path, "model.params.unet_config.");
        const nlohmann::json& cond = at(params, "cond_stage_config", path, "model.params.");
        const std::string condTarget = cond.value("target", "");
        c.family = condTarget.find("OpenCLIP") != std::string::npos ? ModelFamily::SD2 : ModelFamily::SD1;
        c.textEncoders = nlohmann::json::array({ cond });
        c.prediction = params.value("parameterization", "eps") == "v" ? Prediction::V : Prediction::Epsilon;
        c.predictionKnown = true;
        c.linearStart = params.value("linear_start", c.linearStart);
        c.linearEnd = params.value("linear_end", c.linearEnd);
        c.timesteps = params.value("timesteps", c.timesteps);
    } else {
        throw EngineError(path
            + ": neither 'model.params.unet_config' (SD 1.x/2.x) nor "
              "'model.params.network_config' (SDXL) found (target '"
            + target + "')");
    }
    c.scaleFactor = params.value("scale_factor", c.scaleFactor);
    if (params.contains("first_stage_config")) {
        const auto& fs = params["first_stage_config"];
        const nlohmann::json& fp = at(fs, "params", path, "model.params.first_stage_config.");
        c.vaeParams = at(fp, "ddconfig", path, "model.params.first_stage_config.params.");
        c.vaeParams["embed_dim"] = fp.value("embed_dim", 4);
    }
    if (!c.unetParams.is_object())
        throw EngineError(path + ": UNet parameters are not a mapping");
    c.source = path;
    c.yamlRoot = root;
    return c;
}

static bool hasPrefix(const StateDict& sd, const std::string& prefix)
{
    auto it = sd.lower_bound(prefix);
    return it != sd.end() && it->first.compare(0, prefix.size(), prefix) == 0;
}

ModelFamily detectFamily(const StateDict& sd, const std::string& source)
{
    if (hasPrefix(sd, "conditioner.embedders.1.model."))
        return ModelFamily::SDXL;
    if (hasPrefix(sd, "cond_stage_model.model."))
        return ModelFamily::SD2;
    if (hasPrefix(sd, "cond_stage_model.transformer."))
        return ModelFamily::SD1;
    if (!hasPrefix(sd, "model.diffusion_model."))
        throw EngineError(source
            + ": not a Stable Diffusion checkpoint (no 'model.diffusion_model.*' UNet keys; "
              "is it a LoRA, a VAE or an embedding?)");
    throw EngineError(source
        + ": has a UNet but no known text encoder keys (cond_stage_model.* / "
          "conditioner.embedders.*): cannot tell SD 1.x, 2.x or XL apart");
}

std::string configBeside(const std::string& checkpointPath)
{
    fs::path p(checkpointPath);
    if (fs::is_directory(p))
        return {};
    for (const char* ext : { ".yaml", ".yml" }) {
        fs::path y = p;
        y.replace_extension(ext);
        std::error_code ec;
        if (fs::exists(y, ec))
            return y.string();
    }
    return {};
}

} // namespace qd
