#pragma once
// The .safetensors format: 8-byte little-endian header length, a JSON header
// {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}}, then the data.
// Reading maps the file (mmap); tensors whose dtype is kept point into the mapping (zero-copy).
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "io/SafeTensorsFormat.h"
#include "io/StateDict.h"
#include "io/TensorLoad.h"

namespace qd
{

using SafetensorsLoadOptions = TensorLoadOptions;

// Reads every tensor of a .safetensors file (F32, F16, BF16, F64 and the integer types), keeping
// each tensor's stored dtype. Tensors share the file's read-only mapping until written to.
StateDict loadSafetensors(const std::string& path);
StateDict loadSafetensors(const std::string& path, const SafetensorsLoadOptions& options);

// Parses and validates the header only (no tensor data is read).
SafetensorsHeader readSafetensorsHeader(const std::string& path);

// The file's "__metadata__" strings (empty when none).
std::map<std::string, std::string> safetensorsMetadata(const std::string& path);

// LibTorch dtype of a safetensors dtype name; nullopt when this LibTorch has none.
std::optional<torch::ScalarType> torchDtypeFromSafetensors(const std::string& name);
// Safetensors name of a LibTorch dtype; throws EngineError naming `key` when there is none.
std::string safetensorsDtypeName(torch::ScalarType type, const std::string& key);

// Writes `tensors` (any CPU dtype safetensors knows) atomically: to path + ".tmp", then rename.
void saveSafetensors(const std::string& path, const StateDict& tensors,
    const std::map<std::string, std::string>& metadata = {});

// Streams a checkpoint to disk one tensor at a time, so a multi-GB file never needs the whole
// model in memory: the header is written from the declared entries first, then each tensor in the
// declared order. The file appears (by rename) only when finish() succeeds.
class SafetensorsWriter
{
public:
    struct Entry {
        std::string key;
        torch::ScalarType dtype;
        std::vector<int64_t> shape;
    };
    SafetensorsWriter(const std::string& path, std::vector<Entry> entries,
        const std::map<std::string, std::string>& metadata = {});
    ~SafetensorsWriter(); // removes the temporary file when finish() was not reached
    SafetensorsWriter(const SafetensorsWriter&) = delete;
    SafetensorsWriter& operator=(const SafetensorsWriter&) = delete;

    // Writes the next tensor; `key`, dtype and shape must match the next declared entry.
    void write(const std::string& key, const torch::Tensor& tensor);
    void finish();
    uint64_t bytesWritten() const { return m_written; }

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
    uint64_t m_written = 0;
};

} // namespace qd
