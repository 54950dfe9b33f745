// rng-check: AUTOMATIC1111's default random source on a CUDA GPU against the NV generator on the
// CPU (docs/reference.md §8.1). The draws must be equal bit for bit, and a generation on the GPU
// (source GPU, its numbers drawn by CUDA) must give the image the CPU makes from NV's numbers.
#include <cstdio>
#include <sstream>

#include <torch/torch.h>

#include "Commands.h"
#include "core/engine/EngineInfo.h"
#include "core/engine/Pipeline.h"
#include "core/engine/sampling/RandomSource.h"

namespace qd::cli
{

namespace
{

struct Options {
    std::string device = "cuda";
    std::string seeds = "0,42,4000000000";
    int steps = 6;
};

std::vector<uint64_t> parseSeeds(const std::string& text)
{
    std::vector<uint64_t> out;
    std::stringstream in(text);
    for (std::string item; std::getline(in, item, ',');)
        out.push_back(std::stoull(item));
    return out;
}

int maxPixelDiff(const Image& a, const Image& b)
{
    if (a.pixels.size() != b.pixels.size())
        return 255;
    int d = 0;
    for (size_t i = 0; i < a.pixels.size(); ++i)
        d = std::max(d, std::abs(int(a.pixels[i]) - int(b.pixels[i])));
    return d;
}

int run(const Options& o)
{
    configureThreads();
    validateDevice(o.device, "fp32");
    const torch::Device device(o.device);
    if (!device.is_cuda())
        std::printf("note: %s is not a CUDA device; source GPU draws NV's numbers there, so this only "
                    "checks the plumbing\n",
            o.device.c_str());
    std::vector<uint64_t> seeds;
    try {
        seeds = parseSeeds(o.seeds);
    } catch (const std::exception&) {
        std::fprintf(
            stderr, "error: --seeds must be numbers separated by commas, not '%s'\n", o.seeds.c_str());
        return 2;
    }
    bool ok = true;
    for (uint64_t seed : seeds) {
        RandomStream gpu(RngSource::Gpu, seed, device);
        PhiloxGenerator nv(seed);
        double worst = 0;
        for (int k = 0; k < 3; ++k) // the initial noise and two later draws
            worst = std::max(
                worst, (gpu.randn({ 4, 64, 64 }).cpu() - nv.randn({ 4, 64, 64 })).abs().max().item<double>());
        std::printf("%-4s noise  seed %-12llu max |GPU - NV| %.1e (bit-exact required)\n",
            worst == 0 ? "PASS" : "FAIL", static_cast<unsigned long long>(seed), worst);
        ok = ok && worst == 0;
    }
    ModelSpec cpuSpec, devSpec;
    cpuSpec.device = "cpu";
    devSpec.device = o.device;
    cpuSpec.dtype = devSpec.dtype = "fp32";
    auto onCpu = Pipeline::open(cpuSpec), onDevice = Pipeline::open(devSpec);
    const PreviewOptions none { PreviewMethod::None, 1, {} };
    for (const char* sampler : { "Euler a", "DPM++ 2M SDE" }) {
        GenerationParams p;
        p.prompt = "a red lighthouse on a cliff";
        p.sampler = sampler;
        p.steps = o.steps;
        p.width = p.height = 64;
        p.seed = int64_t(seeds.empty() ? 42 : seeds.front());
        p.rngSource = "NV";
        const auto a = onCpu->generate(p, {}, none, {}, nullptr);
        p.rngSource = "GPU";
        const auto b = onDevice->generate(p, {}, none, {}, nullptr);
        // the CUDA tolerance of the conformance cases (image 2e-3) is half a step of 8 bits
        const int d = maxPixelDiff(a[0].image, b[0].image);
        std::printf("%-4s image  %-12s NV on cpu vs GPU on %s: max pixel difference %d/255 (<= 1 required)\n",
            d <= 1 ? "PASS" : "FAIL", sampler, o.device.c_str(), d);
        ok = ok && d <= 1;
    }
    return ok ? 0 : 1;
}

} // namespace

Command addRngCheck(CLI::App& app)
{
    auto* sub
        = app.add_subcommand("rng-check", "Compare the GPU random source on a device with the NV generator");
    auto o = std::make_shared<Options>();
    sub->add_option("--device", o->device, "cuda or cuda:N (cpu only checks the plumbing)")
        ->capture_default_str();
    sub->add_option("--seeds", o->seeds, "Seeds, separated by commas")->capture_default_str();
    sub->add_option("--steps", o->steps, "Sampling steps of the image check")->capture_default_str();
    return { sub, [o] { return run(*o); } };
}

} // namespace qd::cli
