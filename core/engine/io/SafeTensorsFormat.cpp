#include "io/SafeTensorsFormat.h"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "EngineError.h"

namespace qd
{

namespace
{

struct DtypeSize {
    const char* name;
    int size;
};
// Every dtype the reference implementation defines (safetensors Dtype); which of them become
// tensors is decided by the loader.
const DtypeSize kSizes[] = {
    { "BOOL", 1 },
    { "U8", 1 },
    { "I8", 1 },
    { "F8_E5M2", 1 },
    { "F8_E4M3", 1 },
    { "I16", 2 },
    { "U16", 2 },
    { "F16", 2 },
    { "BF16", 2 },
    { "I32", 4 },
    { "U32", 4 },
    { "F32", 4 },
    { "F64", 8 },
    { "I64", 8 },
    { "U64", 8 },
};

bool mulOverflows(uint64_t a, uint64_t b, uint64_t& out)
{
    return __builtin_mul_overflow(a, b, &out);
}

std::string quoteKey(const std::string& s)
{
    // Keys come from untrusted files: keep messages printable and short.
    std::string out = "'";
    for (unsigned char c : s.substr(0, 200))
        out += (c < 0x20 || c == 0x7F) ? '?' : char(c);
    if (s.size() > 200)
        out += "...";
    return out + "'";
}

SafetensorsEntry parseEntry(const std::string& key, const nlohmann::json& e, const std::string& source)
{
    const std::string where = source + ": tensor " + quoteKey(key);
    if (!e.is_object())
        throw EngineError(where + " is described by a JSON " + e.type_name() + ", expected an object");
    SafetensorsEntry out;
    out.key = key;
    const auto dt = e.find("dtype");
    if (dt == e.end() || !dt->is_string())
        throw EngineError(where + " has no \"dtype\" string");
    out.dtype = dt->get<std::string>();
    out.elementSize = safetensorsElementSize(out.dtype);
    if (out.elementSize == 0)
        throw EngineError(where + " has unknown dtype " + quoteKey(out.dtype)
            + " (expected F64, F32, F16, BF16, F8_E4M3, F8_E5M2, I64, I32, I16, I8, U64, U32, U16, U8 or "
              "BOOL)");
    const auto sh = e.find("shape");
    if (sh == e.end() || !sh->is_array())
        throw EngineError(where + " has no \"shape\" array");
    for (const auto& d : *sh) {
        if (!d.is_number_unsigned() || d.get<uint64_t>() > uint64_t(INT64_MAX))
            throw EngineError(
                where + " has a shape entry " + d.dump().substr(0, 40) + ", expected a non-negative integer");
        out.shape.push_back(int64_t(d.get<uint64_t>()));
    }
    const auto off = e.find("data_offsets");
    if (off == e.end() || !off->is_array() || off->size() != 2 || !(*off)[0].is_number_unsigned()
        || !(*off)[1].is_number_unsigned())
        throw EngineError(
            where + " has bad \"data_offsets\" (expected [begin, end] as non-negative integers)");
    out.begin = (*off)[0].get<uint64_t>();
    out.end = (*off)[1].get<uint64_t>();
    if (out.end < out.begin)
        throw EngineError(where + " has data_offsets [" + std::to_string(out.begin) + ", "
            + std::to_string(out.end) + "] that end before they begin");
    uint64_t bytes = uint64_t(out.elementSize);
    for (int64_t d : out.shape)
        if (mulOverflows(bytes, uint64_t(d), bytes))
            throw EngineError(where + " has a shape whose byte size overflows 64 bits");
    if (out.end - out.begin != bytes)
        throw EngineError(where + ": shape " + sh->dump() + " of " + out.dtype + " needs "
            + std::to_string(bytes) + " bytes but data_offsets [" + std::to_string(out.begin) + ", "
            + std::to_string(out.end) + "] hold " + std::to_string(out.end - out.begin));
    return out;
}

} // namespace

uint64_t SafetensorsEntry::numel() const
{
    uint64_t n = 1;
    for (int64_t d : shape)
        n *= uint64_t(d);
    return n;
}

int safetensorsElementSize(const std::string& dtype)
{
    for (const auto& d : kSizes)
        if (dtype == d.name)
            return d.size;
    return 0;
}

SafetensorsHeader parseSafetensorsHeader(const uint8_t* file, uint64_t fileSize, const std::string& source)
{
    if (fileSize < 8)
        throw EngineError(source + ": not a safetensors file (" + std::to_string(fileSize)
            + " bytes, shorter than the 8-byte header length)");
    uint64_t n = 0;
    for (int i = 7; i >= 0; --i)
        n = (n << 8) | file[i];
    if (n > kSafetensorsMaxHeader)
        throw EngineError(source + ": header length " + std::to_string(n) + " exceeds the 100 MB limit"
            + " (not a safetensors file, or a corrupted one)");
    if (n > fileSize - 8)
        throw EngineError(source + ": header length " + std::to_string(n) + " runs past the end of the file ("
            + std::to_string(fileSize) + " bytes; truncated download?)");
    SafetensorsHeader out;
    out.dataStart = 8 + n;

    // Duplicate top-level keys are legal JSON but ambiguous here; the parser callback sees every
    // key before nlohmann keeps only the last one.
    std::set<std::string> seen;
    std::string duplicate;
    const auto callback = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
        if (event == nlohmann::json::parse_event_t::key && depth == 1 && duplicate.empty()
            && !seen.insert(parsed.get<std::string>()).second)
            duplicate = parsed.get<std::string>();
        return true;
    };
    nlohmann::json header;
    try {
        const char* begin = reinterpret_cast<const char*>(file + 8);
        header = nlohmann::json::parse(begin, begin + n, callback);
    } catch (const nlohmann::json::exception& e) {
        throw EngineError(source + ": header is not valid JSON (" + e.what() + ")");
    }
    if (!header.is_object())
        throw EngineError(
            source + ": header is a JSON " + std::string(header.type_name()) + ", expected an object");
    if (!duplicate.empty())
        throw EngineError(source + ": header names tensor " + quoteKey(duplicate) + " twice");

    for (auto it = header.begin(); it != header.end(); ++it) {
        if (it.key() == "__metadata__") {
            if (!it->is_object())
                throw EngineError(source + ": \"__metadata__\" is a JSON " + std::string(it->type_name())
                    + ", expected an object of strings");
            for (auto m = it->begin(); m != it->end(); ++m) {
                if (!m->is_string())
                    throw EngineError(source + ": metadata " + quoteKey(m.key()) + " is a JSON "
                        + std::string(m->type_name()) + ", expected a string");
                out.metadata[m.key()] = m->get<std::string>();
            }
            continue;
        }
        out.tensors.push_back(parseEntry(it.key(), *it, source));
    }

    // As the reference implementation: in offset order, each tensor starts where the previous one
    // ended, and the last one ends at the end of the file.
    std::stable_sort(
        out.tensors.begin(), out.tensors.end(), [](const SafetensorsEntry& a, const SafetensorsEntry& b) {
            return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
        });
    const uint64_t dataSize = fileSize - out.dataStart;
    uint64_t expected = 0;
    const SafetensorsEntry* previous = nullptr;
    for (const auto& t : out.tensors) {
        if (t.end > dataSize)
            throw EngineError(source + ": tensor " + quoteKey(t.key) + " has data_offsets ["
                + std::to_string(t.begin) + ", " + std::to_string(t.end) + "] past the end of the data ("
                + std::to_string(dataSize) + " bytes; truncated file?)");
        if (t.begin < expected)
            throw EngineError(source + ": tensor " + quoteKey(t.key) + " overlaps tensor "
                + quoteKey(previous->key) + " (data_offsets begin at " + std::to_string(t.begin) + ", before "
                + std::to_string(expected) + ")");
        if (t.begin > expected)
            throw EngineError(source + ": bytes " + std::to_string(expected) + " to "
                + std::to_string(t.begin) + " of the data belong to no tensor (before tensor "
                + quoteKey(t.key) + ")");
        expected = t.end;
        previous = &t;
    }
    if (expected != dataSize)
        throw EngineError(source + ": the tensors cover " + std::to_string(expected) + " of the "
            + std::to_string(dataSize) + " data bytes (the data region is not fully covered)");
    return out;
}

} // namespace qd
