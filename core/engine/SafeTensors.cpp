#include "SafeTensors.h"

#include <cstdio>
#include <cstring>
#include <fstream>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

namespace qd {

namespace {

struct DtypeName {
    const char* name;
    torch::ScalarType type;
};
const DtypeName kDtypes[] = {
    {"F32", torch::kFloat32}, {"F16", torch::kFloat16}, {"BF16", torch::kBFloat16}, {"F64", torch::kFloat64},
    {"I64", torch::kInt64},   {"I32", torch::kInt32},   {"I16", torch::kInt16},     {"I8", torch::kInt8},
    {"U8", torch::kUInt8},    {"BOOL", torch::kBool},
};

torch::ScalarType dtypeFromName(const std::string& name, const std::string& path, const std::string& key)
{
    for (const auto& d : kDtypes)
        if (name == d.name)
            return d.type;
    throw EngineError(path + ": tensor '" + key + "' has unknown dtype '" + name + "'");
}

const char* nameFromDtype(torch::ScalarType t, const std::string& key)
{
    for (const auto& d : kDtypes)
        if (t == d.type)
            return d.name;
    throw EngineError("safetensors: tensor '" + key + "' has a dtype safetensors cannot store");
}

nlohmann::json readHeader(std::ifstream& in, const std::string& path, uint64_t& dataStart, uint64_t fileSize)
{
    uint64_t n = 0;
    unsigned char len[8];
    if (!in.read(reinterpret_cast<char*>(len), 8))
        throw EngineError(path + ": not a safetensors file (shorter than 8 bytes)");
    for (int i = 7; i >= 0; --i)
        n = (n << 8) | len[i];
    if (n > fileSize - 8)
        throw EngineError(path + ": header length " + std::to_string(n) + " runs past the end of the file ("
                          + std::to_string(fileSize) + " bytes)");
    std::string header(n, '\0');
    in.read(header.data(), std::streamsize(n));
    dataStart = 8 + n;
    try {
        return nlohmann::json::parse(header);
    } catch (const nlohmann::json::exception& e) {
        throw EngineError(path + ": header is not valid JSON (" + e.what() + ")");
    }
}

} // namespace

StateDict loadSafetensors(const std::string& path)
{
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in)
        throw EngineError(path + ": cannot open file");
    const uint64_t fileSize = uint64_t(in.tellg());
    in.seekg(0);
    uint64_t dataStart = 0;
    const nlohmann::json header = readHeader(in, path, dataStart, fileSize);
    StateDict out;
    for (auto it = header.begin(); it != header.end(); ++it) {
        if (it.key() == "__metadata__")
            continue;
        const auto& e = it.value();
        const auto type = dtypeFromName(e.at("dtype").get<std::string>(), path, it.key());
        std::vector<int64_t> shape = e.at("shape").get<std::vector<int64_t>>();
        const auto offsets = e.at("data_offsets").get<std::vector<uint64_t>>();
        auto t = torch::empty(shape, torch::TensorOptions().dtype(type));
        const uint64_t bytes = uint64_t(t.numel()) * t.element_size();
        if (offsets.size() != 2 || offsets[1] < offsets[0] || offsets[1] - offsets[0] != bytes
            || dataStart + offsets[1] > fileSize)
            throw EngineError(path + ": tensor '" + it.key() + "' has bad data offsets");
        in.seekg(std::streamoff(dataStart + offsets[0]));
        in.read(static_cast<char*>(t.data_ptr()), std::streamsize(bytes));
        out.emplace(it.key(), t);
    }
    return out;
}

std::map<std::string, std::string> safetensorsMetadata(const std::string& path)
{
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in)
        throw EngineError(path + ": cannot open file");
    const uint64_t fileSize = uint64_t(in.tellg());
    in.seekg(0);
    uint64_t dataStart = 0;
    const nlohmann::json header = readHeader(in, path, dataStart, fileSize);
    std::map<std::string, std::string> meta;
    if (header.contains("__metadata__"))
        for (auto it = header["__metadata__"].begin(); it != header["__metadata__"].end(); ++it)
            meta[it.key()] = it.value().get<std::string>();
    return meta;
}

void saveSafetensors(const std::string& path, const StateDict& tensors,
                     const std::map<std::string, std::string>& metadata)
{
    nlohmann::ordered_json header;
    if (!metadata.empty())
        header["__metadata__"] = metadata;
    uint64_t offset = 0;
    std::vector<torch::Tensor> data;
    for (const auto& [key, tensor] : tensors) {
        auto t = tensor.detach().to(torch::kCPU).contiguous();
        const uint64_t bytes = uint64_t(t.numel()) * t.element_size();
        header[key] = {{"dtype", nameFromDtype(t.scalar_type(), key)},
                       {"shape", t.sizes().vec()},
                       {"data_offsets", {offset, offset + bytes}}};
        offset += bytes;
        data.push_back(t);
    }
    std::string h = header.dump();
    h.append((8 - h.size() % 8) % 8, ' '); // keep the data 8-byte aligned, as the reference writer does
    const std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out)
            throw EngineError(path + ": cannot write file");
        unsigned char len[8];
        uint64_t n = h.size();
        for (int i = 0; i < 8; ++i)
            len[i] = (n >> (8 * i)) & 0xFF;
        out.write(reinterpret_cast<const char*>(len), 8);
        out.write(h.data(), std::streamsize(h.size()));
        for (const auto& t : data)
            out.write(static_cast<const char*>(t.data_ptr()), std::streamsize(t.numel() * t.element_size()));
        if (!out.flush())
            throw EngineError(path + ": write failed (disk full?)");
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        std::remove(tmp.c_str());
        throw EngineError(path + ": cannot rename the written file into place");
    }
}

} // namespace qd
