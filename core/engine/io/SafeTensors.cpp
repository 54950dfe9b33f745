#include "io/SafeTensors.h"

#include <cstdio>
#include <fstream>

#include <nlohmann/json.hpp>
#include <torch/torch.h>
#include <torch/version.h>

#include "io/MappedFile.h"

namespace qd
{

namespace
{

#define QD_TORCH_AT_LEAST(major, minor)                                                                      \
    (TORCH_VERSION_MAJOR > (major) || (TORCH_VERSION_MAJOR == (major) && TORCH_VERSION_MINOR >= (minor)))

struct DtypeName {
    const char* name;
    torch::ScalarType type;
};
const DtypeName kDtypes[] = {
    { "F32", torch::kFloat32 },
    { "F16", torch::kFloat16 },
    { "BF16", torch::kBFloat16 },
    { "F64", torch::kFloat64 },
    { "I64", torch::kInt64 },
    { "I32", torch::kInt32 },
    { "I16", torch::kInt16 },
    { "I8", torch::kInt8 },
    { "U8", torch::kUInt8 },
    { "BOOL", torch::kBool },
#if QD_TORCH_AT_LEAST(2, 1)
    { "F8_E4M3", at::ScalarType::Float8_e4m3fn },
    { "F8_E5M2", at::ScalarType::Float8_e5m2 },
#endif
#if QD_TORCH_AT_LEAST(2, 3)
    { "U16", at::ScalarType::UInt16 },
    { "U32", at::ScalarType::UInt32 },
    { "U64", at::ScalarType::UInt64 },
#endif
};

bool isFloating(torch::ScalarType t)
{
    return c10::isFloatingType(t);
}

} // namespace

std::optional<torch::ScalarType> torchDtypeFromSafetensors(const std::string& name)
{
    for (const auto& d : kDtypes)
        if (name == d.name)
            return d.type;
    return std::nullopt;
}

std::string safetensorsDtypeName(torch::ScalarType t, const std::string& key)
{
    for (const auto& d : kDtypes)
        if (t == d.type)
            return d.name;
    throw EngineError("safetensors: tensor '" + key + "' has dtype " + std::string(c10::toString(t))
        + ", which safetensors cannot store");
}

StateDict loadSafetensors(const std::string& path)
{
    return loadSafetensors(path, SafetensorsLoadOptions {});
}

StateDict loadSafetensors(const std::string& path, const SafetensorsLoadOptions& options)
{
    const std::shared_ptr<MappedFile> file = MappedFile::open(path);
    const SafetensorsHeader header = parseSafetensorsHeader(file->data(), file->size(), path);
    const bool converting = options.floatDtype.has_value();
    if (converting) // read ahead: the whole data region is about to be read once, in order
        file->willNeed(header.dataStart, file->size());
    StateDict out;
    for (const auto& e : header.tensors) {
        if (options.keep && !options.keep(e.key))
            continue;
        const auto type = torchDtypeFromSafetensors(e.dtype);
        if (!type) {
            if (options.skipped)
                options.skipped->push_back(e.key);
            continue;
        }
        const uint64_t begin = header.dataStart + e.begin;
        uint8_t* ptr = const_cast<uint8_t*>(file->data()) + begin;
        const auto opts = torch::TensorOptions().dtype(*type);
        const bool convert = converting && isFloating(*type) && *type != *options.floatDtype;
        torch::Tensor t;
        if (convert) {
            // A temporary view of the mapped bytes, converted into fresh memory; the mapped pages
            // are then dropped from the resident set so the peak stays near the converted size.
            t = torch::from_blob(ptr, e.shape, opts).to(*options.floatDtype);
            file->dontNeed(begin, header.dataStart + e.end);
        } else if (reinterpret_cast<uintptr_t>(ptr) % e.elementSize == 0) {
            // Zero-copy: the tensor keeps the mapping alive through its deleter.
            t = torch::from_blob(
                ptr, e.shape, [file](void*) {}, opts);
        } else {
            // Misaligned data (a writer that did not pad): copy rather than hand kernels a
            // misaligned pointer.
            t = torch::from_blob(ptr, e.shape, opts).clone();
        }
        out.emplace(e.key, std::move(t));
    }
    return out;
}

SafetensorsHeader readSafetensorsHeader(const std::string& path)
{
    const auto file = MappedFile::open(path);
    return parseSafetensorsHeader(file->data(), file->size(), path);
}

std::map<std::string, std::string> safetensorsMetadata(const std::string& path)
{
    return readSafetensorsHeader(path).metadata;
}

struct SafetensorsWriter::Impl {
    std::string path;
    std::string tmp;
    std::ofstream out;
    std::vector<Entry> entries;
    size_t next = 0;
    bool finished = false;
};

SafetensorsWriter::SafetensorsWriter(
    const std::string& path, std::vector<Entry> entries, const std::map<std::string, std::string>& metadata)
    : m_impl(std::make_unique<Impl>())
{
    m_impl->path = path;
    m_impl->tmp = path + ".tmp";
    nlohmann::ordered_json header;
    if (!metadata.empty())
        header["__metadata__"] = metadata;
    uint64_t offset = 0;
    for (const auto& e : entries) {
        uint64_t numel = 1;
        for (int64_t d : e.shape)
            numel *= uint64_t(d);
        const uint64_t bytes = numel * c10::elementSize(e.dtype);
        if (header.contains(e.key))
            throw EngineError(path + ": tensor '" + e.key + "' declared twice");
        header[e.key] = { { "dtype", safetensorsDtypeName(e.dtype, e.key) }, { "shape", e.shape },
            { "data_offsets", { offset, offset + bytes } } };
        offset += bytes;
    }
    m_impl->entries = std::move(entries);
    std::string h = header.dump();
    h.append((8 - h.size() % 8) % 8, ' '); // keep the data 8-byte aligned, as the reference writer does
    m_impl->out.open(m_impl->tmp, std::ios::binary | std::ios::trunc);
    if (!m_impl->out)
        throw EngineError(path + ": cannot write file");
    unsigned char len[8];
    const uint64_t n = h.size();
    for (int i = 0; i < 8; ++i)
        len[i] = (n >> (8 * i)) & 0xFF;
    m_impl->out.write(reinterpret_cast<const char*>(len), 8);
    m_impl->out.write(h.data(), std::streamsize(h.size()));
    m_written = 8 + h.size();
}

SafetensorsWriter::~SafetensorsWriter()
{
    if (m_impl && !m_impl->finished) {
        m_impl->out.close();
        std::remove(m_impl->tmp.c_str());
    }
}

void SafetensorsWriter::write(const std::string& key, const torch::Tensor& tensor)
{
    auto& d = *m_impl;
    if (d.next >= d.entries.size() || d.entries[d.next].key != key)
        throw EngineError(d.path + ": tensor '" + key + "' written out of the declared order (expected '"
            + (d.next < d.entries.size() ? d.entries[d.next].key : std::string("<end>")) + "')");
    const Entry& e = d.entries[d.next];
    if (tensor.scalar_type() != e.dtype || tensor.sizes().vec() != e.shape)
        throw EngineError(d.path + ": tensor '" + key + "' is "
            + std::string(c10::toString(tensor.scalar_type())) + " " + shapeString(tensor.sizes())
            + ", declared " + std::string(c10::toString(e.dtype)) + " " + shapeString(e.shape));
    const auto t = tensor.detach().to(torch::kCPU).contiguous();
    const auto bytes = std::streamsize(t.numel() * t.element_size());
    d.out.write(static_cast<const char*>(t.data_ptr()), bytes);
    if (!d.out)
        throw EngineError(d.path + ": write failed (disk full?)");
    m_written += uint64_t(bytes);
    ++d.next;
}

void SafetensorsWriter::finish()
{
    auto& d = *m_impl;
    if (d.next != d.entries.size())
        throw EngineError(
            d.path + ": " + std::to_string(d.entries.size() - d.next) + " declared tensors not written");
    if (!d.out.flush())
        throw EngineError(d.path + ": write failed (disk full?)");
    d.out.close();
    if (std::rename(d.tmp.c_str(), d.path.c_str()) != 0) {
        std::remove(d.tmp.c_str());
        throw EngineError(d.path + ": cannot rename the written file into place");
    }
    d.finished = true;
}

void saveSafetensors(
    const std::string& path, const StateDict& tensors, const std::map<std::string, std::string>& metadata)
{
    std::vector<SafetensorsWriter::Entry> entries;
    for (const auto& [key, t] : tensors) {
        safetensorsDtypeName(t.scalar_type(), key); // refuse unstorable dtypes before writing anything
        entries.push_back({ key, t.scalar_type(), t.sizes().vec() });
    }
    SafetensorsWriter writer(path, std::move(entries), metadata);
    for (const auto& [key, t] : tensors)
        writer.write(key, t);
    writer.finish();
}

} // namespace qd
