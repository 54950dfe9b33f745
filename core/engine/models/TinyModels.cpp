#include "models/TinyModels.h"

#include <fstream>

#include <nlohmann/json.hpp>

#include "models/FillRule.h"

namespace qd
{

StateDict tinyStateDict(const std::string& model, const std::string& layoutsJson)
{
    std::ifstream in(layoutsJson);
    if (!in)
        throw EngineError(layoutsJson + ": cannot open the tiny model layouts");
    const nlohmann::json layouts = nlohmann::json::parse(in);
    const bool inpaint = model == "sd1inp";
    const std::string base = inpaint ? "sd1" : model;
    if (!layouts.contains(base))
        throw EngineError(
            layoutsJson + ": no tiny model '" + model + "' (expected sd1, sd2, sdxl or sd1inp)");
    StateDict sd;
    for (const auto& [key, shapeJson] : layouts[base]["ldm_shapes"].items()) {
        auto shape = shapeJson.get<std::vector<int64_t>>();
        // The inpainting UNet takes latents (4) + mask (1) + masked-image latents (4).
        if (inpaint && key == "model.diffusion_model.input_blocks.0.0.weight")
            shape[1] = 9;
        sd.emplace(key, fillRuleTensor(key, shape));
    }
    return sd;
}

} // namespace qd
