#pragma once
// Where the uncompressed ("stored") entries of a zip archive lie in the file, read from its
// central directory (ZIP64 included). torch.save stores every tensor storage uncompressed, so a
// mapped .ckpt can hand out tensors that point straight into the file, as safetensors does; libzip
// (which reads everything else) has no call that gives an entry's data offset. Torch-free and
// bounds-checked on untrusted bytes (a fuzzer target builds it alone).
#include <cstdint>
#include <map>
#include <string>

namespace qd
{

struct StoredZipEntry {
    uint64_t offset = 0; // of the entry's data, from the start of the file
    uint64_t size = 0;
};

// The stored entries of the zip archive `file` (fileSize bytes) by name. Entries that are
// compressed, encrypted or whose headers do not check out are left out (read them through
// libzip); an unreadable directory gives an empty map.
std::map<std::string, StoredZipEntry> storedZipEntries(const uint8_t* file, uint64_t fileSize);

} // namespace qd
