#include "conformance/ConformanceRng.h"

#include <cstdio>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "conformance/ConformanceCase.h"
#include "io/SafeTensors.h"
#include "sampling/Noise.h"

namespace qd
{

namespace
{

using json = nlohmann::json;

using conformance::maxAbs;

std::vector<int64_t> shapeOf(const json& c)
{
    return c.at("shape").get<std::vector<int64_t>>();
}

// Compares `got` with golden `key`, keeping the worst error in r.noiseError.
void compare(const StateDict& goldens, const std::string& key, const torch::Tensor& got, ConformanceResult& r,
    double tol, const std::string& what)
{
    const auto it = goldens.find(key);
    if (it == goldens.end())
        throw EngineError("no golden '" + key + "'");
    const double e = maxAbs(got, it->second);
    r.noiseError = std::max(r.noiseError, e);
    if (!(e <= tol) && r.message.empty())
        r.message = what + " off by " + std::to_string(e);
}

void runCase(const StateDict& goldens, const json& c, const json& tolerances, ConformanceResult& r)
{
    const std::string kind = c.at("kind").get<std::string>();
    const double tol = tolerances.value(kind, 1e-6);
    if (kind == "randn") {
        PhiloxGenerator g(c.at("seed").get<uint64_t>());
        compare(goldens, c.at("tensor").get<std::string>(), g.randn(shapeOf(c)), r, tol, "the draw");
    } else if (kind == "sequence") {
        PhiloxGenerator g(c.at("seed").get<uint64_t>());
        const auto& names = c.at("tensors");
        for (size_t k = 0; k < names.size(); ++k)
            compare(goldens, names[k].get<std::string>(), g.randn(shapeOf(c)), r, tol,
                "draw " + std::to_string(k));
    } else if (kind == "image_rng") {
        ImageNoiseOptions o;
        o.source = RngSource::Nv;
        o.seeds = c.at("seeds").get<std::vector<uint64_t>>();
        o.subseeds = c.at("subseeds").get<std::vector<uint64_t>>();
        o.subseedStrength = c.at("subseed_strength").get<double>();
        o.seedResizeFromH = c.at("seed_resize_from_h").get<int>();
        o.seedResizeFromW = c.at("seed_resize_from_w").get<int>();
        o.ensd = c.at("eta_noise_seed_delta").get<int64_t>();
        const double t
            = o.subseedStrength != 0 ? tolerances.value("image_rng_with_subseed_strength", 1e-5) : tol;
        NoiseSource noise = NoiseSource::perImage(o);
        std::vector<int64_t> shape = shapeOf(c);
        shape.insert(shape.begin(), int64_t(o.seeds.size()));
        const auto& names = c.at("tensors");
        for (size_t k = 0; k < names.size(); ++k)
            compare(goldens, names[k].get<std::string>(), noise.next(shape), r, t,
                k == 0 ? std::string("the initial noise") : "per-step draw " + std::to_string(k));
        r.steps = int(names.size());
    } else {
        throw EngineError("unknown case kind '" + kind + "' (expected randn, sequence or image_rng)");
    }
    char line[160];
    std::snprintf(line, sizeof line, "%-10s max error %.1e (tol %.0e)", kind.c_str(), r.noiseError, tol);
    r.detail = line;
}

} // namespace

std::vector<ConformanceResult> runRngConformance(const ConformanceOptions& o, const json& file,
    const std::function<void(const ConformanceResult&)>& onResult)
{
    const StateDict goldens = loadSafetensors(o.goldens);
    const json tolerances = file.value("tolerance", json::object());
    std::vector<ConformanceResult> results;
    for (const json& c : file.at("cases"))
        conformance::runCase(
            o, "rng/" + c.value("name", std::string("?")),
            [&](ConformanceResult& r) { runCase(goldens, c, tolerances, r); }, results, onResult);
    return results;
}

} // namespace qd
