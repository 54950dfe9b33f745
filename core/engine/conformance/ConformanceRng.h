#pragma once
// The random-source cases (tests/data/conformance/rng: AUTOMATIC1111's NV generator and its
// per-image noise rules) for the conformance runner.
#include <functional>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "conformance/Conformance.h"

namespace qd
{

// Runs every case of a philox_cases.json ("kind": randn, sequence, image_rng) against the goldens
// file in `options.goldens`, at the file's own tolerances.
std::vector<ConformanceResult> runRngConformance(const ConformanceOptions& options,
    const nlohmann::json& file, const std::function<void(const ConformanceResult&)>& onResult);

} // namespace qd
