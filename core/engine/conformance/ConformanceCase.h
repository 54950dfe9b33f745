#pragma once
// Pieces shared by the runners of the cases that are not generations (ConformanceRng.cpp,
// ConformanceSde.cpp): the comparison and the bookkeeping of one case.
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "conformance/Conformance.h"
#include "io/StateDict.h"

namespace qd::conformance
{

// max |a - b| in double precision; infinity when the shapes differ.
inline double maxAbs(const torch::Tensor& a, const torch::Tensor& b)
{
    if (a.sizes() != b.sizes())
        return INFINITY;
    return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

// The golden tensor `key`; EngineError naming it when the file lacks it.
inline const torch::Tensor& golden(const StateDict& goldens, const std::string& key)
{
    const auto it = goldens.find(key);
    if (it == goldens.end())
        throw EngineError("no golden '" + key + "'");
    return it->second;
}

// Runs `body` as case `name` unless options.filter leaves it out: an exception becomes its failure
// message, the result is appended to `results` and handed to `onResult`.
inline void runCase(const ConformanceOptions& options, const std::string& name,
    const std::function<void(ConformanceResult&)>& body, std::vector<ConformanceResult>& results,
    const std::function<void(const ConformanceResult&)>& onResult)
{
    ConformanceResult r;
    r.name = name;
    if (!options.filter.empty() && r.name.find(options.filter) == std::string::npos)
        return;
    try {
        body(r);
    } catch (const std::exception& e) {
        r.message = e.what();
    }
    r.passed = r.message.empty();
    results.push_back(r);
    if (onResult)
        onResult(results.back());
}

} // namespace qd::conformance
