#pragma once
// The .safetensors format: 8-byte little-endian header length, a JSON header
// {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}}, then the data.
#include <map>
#include <string>

#include "StateDict.h"

namespace qd {

// Reads every tensor of a .safetensors file (F32, F16, BF16, F64 and the integer types), keeping
// each tensor's stored dtype.
StateDict loadSafetensors(const std::string& path);

// The file's "__metadata__" strings (empty when none).
std::map<std::string, std::string> safetensorsMetadata(const std::string& path);

// Writes `tensors` (any CPU dtype safetensors knows) atomically: to path + ".tmp", then rename.
void saveSafetensors(const std::string& path, const StateDict& tensors,
                     const std::map<std::string, std::string>& metadata = {});

} // namespace qd
