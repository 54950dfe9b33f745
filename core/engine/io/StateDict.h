#pragma once
// A checkpoint's tensors by their original single-file ("LDM") key, and the one generic function
// that fills a module tree whose names mirror those keys (docs/style.md §3).
#include <map>
#include <set>
#include <stdexcept>
#include <string>

#include <torch/nn/module.h>
#include <torch/types.h>

#include "EngineError.h"

namespace qd
{

// Ordered so listings and error messages are stable.
using StateDict = std::map<std::string, torch::Tensor>;

std::string shapeString(at::IntArrayRef shape); // "[32, 4, 3, 3]"

struct LoadOptions {
    // Names (relative to the module) that may be absent from the file; they keep their values.
    std::set<std::string> optional;
    // Unused keys under the prefix are collected here when non-null (EMA copies, position_ids ...
    // are normal in real files and are not an error).
    std::vector<std::string>* unexpected = nullptr;
};

// Copies sd[prefix + name] into every parameter and buffer `name` of `module`, converting dtype
// and device to the module's. A missing key or a shape mismatch throws EngineError naming the key,
// `source` (the file), the expected and the found shape. Returns the number of tensors copied.
int loadModule(torch::nn::Module& module, const StateDict& sd, const std::string& prefix,
    const std::string& source, const LoadOptions& options = {});

} // namespace qd
