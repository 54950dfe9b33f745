#include "io/ZipDirectory.h"

#include <cstring>

namespace qd
{

namespace
{

// Little-endian reads that fail instead of reading past the end.
struct Bytes {
    const uint8_t* p;
    uint64_t n;
    bool ok = true;

    uint64_t le(uint64_t at, int width)
    {
        if (at > n || uint64_t(width) > n - at) {
            ok = false;
            return 0;
        }
        uint64_t v = 0;
        for (int i = width - 1; i >= 0; --i)
            v = (v << 8) | p[at + uint64_t(i)];
        return v;
    }
};

constexpr uint32_t kLocalHeader = 0x04034b50;
constexpr uint32_t kCentralHeader = 0x02014b50;
constexpr uint32_t kEndOfDirectory = 0x06054b50;
constexpr uint32_t kZip64Locator = 0x07064b50;
constexpr uint32_t kZip64EndOfDirectory = 0x06064b50;
constexpr uint32_t k32 = 0xFFFFFFFFu;

} // namespace

std::map<std::string, StoredZipEntry> storedZipEntries(const uint8_t* file, uint64_t fileSize)
{
    std::map<std::string, StoredZipEntry> out;
    Bytes b { file, fileSize };
    if (fileSize < 22)
        return out;
    // End of central directory: the last 22 bytes, or earlier when a comment (<= 64 KiB) follows.
    uint64_t eocd = UINT64_MAX;
    const uint64_t lowest = fileSize > 22 + 65535 ? fileSize - 22 - 65535 : 0;
    for (uint64_t at = fileSize - 22 + 1; at-- > lowest;)
        if (b.le(at, 4) == kEndOfDirectory) {
            eocd = at;
            break;
        }
    if (eocd == UINT64_MAX)
        return out;
    uint64_t entries = b.le(eocd + 10, 2);
    uint64_t cdOffset = b.le(eocd + 16, 4);
    if ((entries == 0xFFFF || cdOffset == k32) && eocd >= 20 && b.le(eocd - 20, 4) == kZip64Locator) {
        const uint64_t z64 = b.le(eocd - 20 + 8, 8);
        if (b.le(z64, 4) != kZip64EndOfDirectory)
            return out;
        entries = b.le(z64 + 32, 8);
        cdOffset = b.le(z64 + 48, 8);
    }
    uint64_t at = cdOffset;
    for (uint64_t i = 0; i < entries && b.ok; ++i) {
        if (b.le(at, 4) != kCentralHeader)
            return {};
        const uint64_t flags = b.le(at + 8, 2);
        const uint64_t method = b.le(at + 10, 2);
        uint64_t compressed = b.le(at + 20, 4);
        uint64_t size = b.le(at + 24, 4);
        const uint64_t nameLength = b.le(at + 28, 2);
        const uint64_t extraLength = b.le(at + 30, 2);
        const uint64_t commentLength = b.le(at + 32, 2);
        uint64_t local = b.le(at + 42, 4);
        if (!b.ok || nameLength > fileSize - (at + 46))
            return {};
        const std::string name(reinterpret_cast<const char*>(file + at + 46), nameLength);
        // ZIP64 extended information: the 64-bit values of the fields saturated above, in order.
        uint64_t e = at + 46 + nameLength;
        const uint64_t extraEnd = e + extraLength;
        while (e + 4 <= extraEnd && b.ok) {
            const uint64_t id = b.le(e, 2), len = b.le(e + 2, 2);
            if (id == 0x0001) {
                uint64_t f = e + 4;
                if (size == k32) {
                    size = b.le(f, 8);
                    f += 8;
                }
                if (compressed == k32) {
                    compressed = b.le(f, 8);
                    f += 8;
                }
                if (local == k32) {
                    local = b.le(f, 8);
                }
            }
            e += 4 + len;
        }
        at = extraEnd + commentLength;
        // Stored, not encrypted (flag bit 0), sizes agreeing.
        if (!b.ok || method != 0 || (flags & 1) || compressed != size)
            continue;
        if (b.le(local, 4) != kLocalHeader)
            continue;
        const uint64_t localName = b.le(local + 26, 2), localExtra = b.le(local + 28, 2);
        const uint64_t data = local + 30 + localName + localExtra;
        if (!b.ok || localName != nameLength || data > fileSize || size > fileSize - data
            || std::memcmp(file + local + 30, name.data(), nameLength) != 0)
            continue;
        out[name] = { data, size };
    }
    if (!b.ok)
        return {};
    return out;
}

} // namespace qd
