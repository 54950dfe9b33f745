#pragma once
// The conformance fill rule: deterministic weights for every checkpoint key, so tiny (and full-size
// benchmark) checkpoints can be made anywhere without shipping weights. Defined in
// tests/data/conformance/README.md ("Fill rule"); computed in double, rounded once to float32.
#include <cstdint>
#include <string_view>
#include <vector>

#include <torch/types.h>

namespace qd
{

uint32_t fnv1a32(std::string_view bytes);

// Fills `out` (float32, contiguous) with the rule's values for checkpoint key `key` and shape
// `shape` (the shape decides which branch of the rule applies).
void fillRule(std::string_view key, const std::vector<int64_t>& shape, float* out);

// Convenience: a new float32 CPU tensor of `shape` holding the rule's values for `key`.
torch::Tensor fillRuleTensor(std::string_view key, const std::vector<int64_t>& shape);

} // namespace qd
