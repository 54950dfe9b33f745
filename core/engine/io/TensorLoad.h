#pragma once
// Options and descriptions shared by every checkpoint reader (safetensors, PyTorch archives,
// diffusers folders).
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <c10/core/ScalarType.h>

namespace qd
{

struct TensorLoadOptions {
    // Floating tensors (F64, F32, F16, BF16, F8) are converted to this dtype while loading, one
    // tensor at a time so the peak memory stays near the converted size (e.g. F16 -> F32 for a CPU
    // run). Integer and bool tensors keep their dtype. nullopt: every tensor keeps its stored dtype.
    std::optional<c10::ScalarType> floatDtype;
    // Only keys for which this returns true are loaded (all when empty). Keys are the file's own.
    std::function<bool(const std::string& key)> keep;
    // Keys skipped because this LibTorch has no matching dtype (U16/U32/U64 before 2.3, F8 before
    // 2.1) are appended here when non-null; they are never weights of the models QDiffusion runs.
    std::vector<std::string>* skipped = nullptr;
};

// One tensor as a file describes it, read without loading its data.
struct TensorInfo {
    std::string key;
    std::string dtype; // safetensors-style name: "F32", "F16", "BF16", "I64", ...
    std::vector<int64_t> shape;
    uint64_t bytes = 0;
};

} // namespace qd
