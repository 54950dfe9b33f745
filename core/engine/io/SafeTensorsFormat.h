#pragma once
// The .safetensors header, parsed and validated without LibTorch (the fuzzer builds this alone).
// Layout: 8-byte little-endian header length N, N bytes of JSON
// {name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}}, then the
// data region; offsets are relative to the start of the data region.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace qd
{

// The reference implementation's limit (safetensors MAX_HEADER_SIZE): a larger header is refused
// before anything is allocated for it.
constexpr uint64_t kSafetensorsMaxHeader = 100'000'000;

struct SafetensorsEntry {
    std::string key;
    std::string dtype; // as written: "F16", "BF16", "F32", "I64", ...
    int elementSize = 0; // bytes per element
    std::vector<int64_t> shape;
    uint64_t begin = 0; // byte offsets relative to the data region
    uint64_t end = 0;
    uint64_t numel() const;
};

struct SafetensorsHeader {
    uint64_t dataStart = 0; // 8 + header length
    std::vector<SafetensorsEntry> tensors; // in data order (sorted by offset)
    std::map<std::string, std::string> metadata;
};

// Bytes per element of a safetensors dtype name, or 0 when the name is unknown.
int safetensorsElementSize(const std::string& dtype);

// Validates everything the reference implementation checks, and a little more: the file holds at
// least 8 bytes; the header length fits the file and the 100 MB limit; the header is UTF-8 JSON
// whose top level is an object with no duplicate key; every entry is an object with a known dtype,
// a shape of non-negative integers and two data offsets; byte size = product(shape) x element size
// (without overflow); the tensors, in offset order, cover the data region exactly (no overlap, no
// gap, nothing past the end of the file, no trailing bytes); "__metadata__" maps strings to
// strings. `file` is the whole file (fileSize bytes). Errors name `source` and the key.
SafetensorsHeader parseSafetensorsHeader(const uint8_t* file, uint64_t fileSize, const std::string& source);

} // namespace qd
