#pragma once
// Runs conformance cases (tests/data/conformance format: cases.json + goldens.safetensors) through
// the engine's generation path and compares the initial noise, every step's latents and the final
// image with diffusers' recorded ones, at the README's tolerances.
#include <functional>
#include <string>
#include <vector>

namespace qd
{

struct ConformanceResult {
    std::string name;
    bool passed = false;
    bool skipped = false; // a case this runner cannot run (the reason in `message`); not a failure
    double noiseError = 0; // max |a - b| of the initial noise (expected 0: bit-exact generator)
    double latentError = 0; // worst step: max |a - b| / max(1, max |b|)
    double imageError = 0; // max |a - b| of the final image in [0, 1]
    int steps = 0; // callbacks compared
    std::string message; // why it failed
    std::string detail; // the figures of a case that is not a generation (random draws, noise trees)
};

struct ConformanceOptions {
    std::string goldens; // goldens.safetensors (also holds inputs such as init images)
    std::string cases; // cases.json
    std::string dataDir; // tiny_layouts.json, *-tiny.yaml, the LoRA files cases name
    std::string filter; // run only cases whose name contains this
    std::string device = "cpu"; // "cpu", "cuda" or "cuda:N": the models run there in float32
                                // (TF32 off); the random draws stay on the CPU generator
    double latentTol = 1e-3; // README: per-step latents <= 1e-3 * max(1, max|b|)
    double imageTol = 2e-3; // README: final image max|a-b| <= 2e-3
};

// One result per case, in file order; `onResult` (optional) is called as each finishes. The cases
// file says what it holds: generations ({"cases": {name: case}}), random-source cases
// ({"cases": [{"kind": "randn" | "sequence" | "image_rng", ...}]}, conformance/ConformanceRng.h) or
// Brownian-tree cases ({"raw_cases", "sampler_cases", ...}, conformance/ConformanceSde.h) or upscaler
// cases ({"cases": [{"kind": "forward" | "descriptor_pad" | "tiled_tensor" | "tiled_pil", ...}]},
// conformance/ConformanceUpscaler.h).
std::vector<ConformanceResult> runConformance(
    const ConformanceOptions& options, const std::function<void(const ConformanceResult&)>& onResult = {});

} // namespace qd
