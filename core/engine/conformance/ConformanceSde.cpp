#include "conformance/ConformanceSde.h"

#include <cstdio>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "conformance/ConformanceCase.h"
#include "io/SafeTensors.h"
#include "sampling/BrownianTree.h"
#include "sampling/Samplers.h"

namespace qd
{

namespace
{

using json = nlohmann::json;

constexpr double kNoiseTol = 1e-6; // the README's bar for draws and tree noise (bit-exact expected)

using conformance::maxAbs;

using conformance::golden;

// Keeps the worst error in `worst` and the first failure in r.message.
void check(double error, double tol, double& worst, ConformanceResult& r, const std::string& what)
{
    worst = std::max(worst, error);
    if (!(error <= tol) && r.message.empty())
        r.message = what + " off by " + std::to_string(error) + " (tol " + std::to_string(tol) + ")";
}

std::vector<int64_t> imageShape(const json& c)
{
    std::vector<int64_t> shape = c.at("shape").get<std::vector<int64_t>>();
    shape.erase(shape.begin());
    return shape;
}

void runSeedSequence(const json& probes, ConformanceResult& r)
{
    int n = 0;
    for (const json& p : probes) {
        std::vector<uint64_t> key;
        if (!p.at("spawn_key").is_null())
            key = p.at("spawn_key").get<std::vector<uint64_t>>();
        const auto want = p.at("words").get<std::vector<uint32_t>>();
        const auto got = seedSequenceState(
            p.at("entropy").get<uint64_t>(), key, int(want.size()), p.value("pool_size", 24));
        if (got != want && r.message.empty())
            r.message = "SeedSequence(" + std::to_string(p.at("entropy").get<uint64_t>()) + ", "
                + p.at("spawn_key").dump() + ") words differ";
        ++n;
    }
    r.detail = std::to_string(n) + " numpy SeedSequence states";
}

void runRngProbe(const StateDict& goldens, const json& probes, ConformanceResult& r)
{
    for (const json& p : probes) {
        const auto got = randnFrom(
            RngSource::Cpu, p.at("seed").get<uint64_t>(), p.at("shape").get<std::vector<int64_t>>());
        check(maxAbs(got, golden(goldens, p.at("tensor").get<std::string>())), 0.0, r.noiseError, r,
            "CPU draw for seed " + std::to_string(p.at("seed").get<uint64_t>()));
    }
    char line[120];
    std::snprintf(
        line, sizeof line, "CPU generator draws: max error %.1e (bit-exact required)", r.noiseError);
    r.detail = line;
}

void runRaw(const StateDict& goldens, const json& c, ConformanceResult& r)
{
    const json& names = c.at("tensors");
    BrownianNoise noise(c.at("seeds").get<std::vector<uint64_t>>(), imageShape(c),
        c.at("tree_t0").get<double>(), c.at("tree_t1").get<double>(), RngSource::Cpu);
    std::vector<torch::Tensor> roots;
    for (auto& tree : noise.trees())
        roots.push_back(tree.rootW());
    check(maxAbs(torch::stack(roots), golden(goldens, names.at("root_W").get<std::string>())), kNoiseTol,
        r.noiseError, r, "the root increment");
    const torch::Tensor& want = golden(goldens, names.at("noise").get<std::string>());
    const json& queries = c.at("queries");
    for (size_t q = 0; q < queries.size(); ++q)
        check(maxAbs(noise(queries[q][0].get<double>(), queries[q][1].get<double>()), want[int64_t(q)]),
            kNoiseTol, r.noiseError, r, "query " + std::to_string(q));
    r.steps = int(queries.size());
    char line[120];
    std::snprintf(
        line, sizeof line, "%2d queries, max error %.1e (tol %.0e)", r.steps, r.noiseError, kNoiseTol);
    r.detail = line;
}

double relError(const torch::Tensor& got, const torch::Tensor& want)
{
    return maxAbs(got, want) / std::max(1.0, want.abs().max().item<double>());
}

void runSampler(const StateDict& goldens, const json& c, double latentTol, ConformanceResult& r)
{
    const json& names = c.at("tensors");
    const auto seeds = c.at("seeds").get<std::vector<uint64_t>>();
    const auto shape = imageShape(c);
    const auto sigmas = c.at("sigmas").get<std::vector<double>>();
    // The tree spans the full schedule, also when img2img samples only its tail.
    auto treeOfSchedule = [&] { return BrownianNoise::forSchedule(seeds, shape, sigmas, RngSource::Cpu); };
    {
        BrownianNoise fromSigmas = treeOfSchedule();
        BrownianNoise fromCase(
            seeds, shape, c.at("tree_t0").get<double>(), c.at("tree_t1").get<double>(), RngSource::Cpu);
        if (!torch::equal(fromSigmas.trees()[0].rootW(), fromCase.trees()[0].rootW()))
            r.message = "the tree's range from the sigmas differs from the case's";
    }
    // 1. The tree's noise for the recorded calls.
    {
        BrownianNoise noise = treeOfSchedule();
        const json& calls = c.at("noise_calls");
        for (size_t k = 0; k < calls.size(); ++k)
            check(maxAbs(noise(calls[k][0].get<double>(), calls[k][1].get<double>()),
                      golden(goldens, names.at("bt_noise." + std::to_string(k)).get<std::string>())),
                kNoiseTol, r.noiseError, r, "noise call " + std::to_string(k));
    }

    // 2. The whole run with the analytic model.
    std::vector<torch::Tensor> first;
    for (uint64_t seed : seeds)
        first.push_back(randnFrom(RngSource::Cpu, seed, shape));
    const torch::Tensor noise0 = torch::stack(first);
    check(maxAbs(noise0, golden(goldens, names.at("noise0").get<std::string>())), 0.0, r.noiseError, r,
        "the initial noise");
    std::vector<double> run = sigmas;
    torch::Tensor x;
    if (c.at("mode").get<std::string>() == "img2img") {
        run = c.at("sigma_sched").get<std::vector<double>>();
        x = golden(goldens, names.at("init_latent").get<std::string>()) + noise0 * run[0];
    } else {
        x = noise0 * run[0];
    }
    check(relError(x, golden(goldens, names.at("x_start").get<std::string>())), latentTol, r.latentError, r,
        "x_start");

    size_t step = 0;
    DenoiseFn model = [&](const torch::Tensor& xi, double sigma) {
        if (step + 1 < run.size() && sigma == run[step]) {
            const auto key = "x." + std::to_string(step);
            if (names.contains(key))
                check(relError(xi, golden(goldens, names.at(key).get<std::string>())), latentTol,
                    r.latentError, r, key);
            ++step;
            r.steps = int(step);
        }
        const torch::Tensor s = torch::full({}, float(sigma), torch::kFloat32);
        return (xi * 0.9f) / torch::sqrt(s * s + 1.0f);
    };
    BrownianNoise tree = treeOfSchedule();
    SamplerArgs args;
    args.sigmas = run;
    args.options.eta = c.value("eta", 1.0);
    args.options.sNoise = c.value("s_noise", 1.0);
    args.options.variant = c.value("solver_type", std::string());
    args.sdeNoise = [&tree](double s, double next) { return tree(s, next); };
    const torch::Tensor out = runSampler(c.at("sampler").get<std::string>(), model, x, args);
    check(relError(out, golden(goldens, names.at("out").get<std::string>())), latentTol, r.latentError, r,
        "the result");
    char line[160];
    std::snprintf(line, sizeof line, "%-13s %zu image(s), noise max error %.1e, latents %.1e (tol %.0e)",
        c.at("sampler").get<std::string>().c_str(), seeds.size(), r.noiseError, r.latentError, latentTol);
    r.detail = line;
}

} // namespace

std::vector<ConformanceResult> runSdeConformance(const ConformanceOptions& o, const json& file,
    const std::function<void(const ConformanceResult&)>& onResult)
{
    const StateDict goldens = loadSafetensors(o.goldens);
    std::vector<ConformanceResult> results;
    auto run = [&](const std::string& name, const std::function<void(ConformanceResult&)>& body) {
        conformance::runCase(o, "sde/" + name, body, results, onResult);
    };
    if (file.contains("seedseq_probe"))
        run("seedseq_probe", [&](ConformanceResult& r) { runSeedSequence(file["seedseq_probe"], r); });
    if (file.contains("rng_probe"))
        run("rng_probe", [&](ConformanceResult& r) { runRngProbe(goldens, file["rng_probe"], r); });
    const json raw = file.value("raw_cases", json::object()),
               runs = file.value("sampler_cases", json::object());
    for (const auto& [name, c] : raw.items())
        run("raw/" + name, [&](ConformanceResult& r) { runRaw(goldens, c, r); });
    for (const auto& [name, c] : runs.items())
        run("run/" + name, [&](ConformanceResult& r) { runSampler(goldens, c, o.latentTol, r); });
    return results;
}

} // namespace qd
