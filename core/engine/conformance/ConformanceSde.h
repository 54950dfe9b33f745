#pragma once
// The Brownian-tree cases (tests/data/conformance/sde: the SDE samplers' noise as AUTOMATIC1111
// draws it, README there) for the conformance runner.
#include <functional>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "conformance/Conformance.h"

namespace qd
{

// Runs seedseq_probe, rng_probe, raw_cases and sampler_cases of an sde_cases.json against the
// goldens in `options.goldens`: seed words exact, draws and tree noise within 1e-6 (bit-exact in
// practice), whole runs' latents within options.latentTol relative.
std::vector<ConformanceResult> runSdeConformance(const ConformanceOptions& options,
    const nlohmann::json& file, const std::function<void(const ConformanceResult&)>& onResult);

} // namespace qd
