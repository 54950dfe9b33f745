#pragma once
// SHA-256 of a file's bytes, as AUTOMATIC1111 names its files in infotexts ("Lora hashes",
// "TI hashes"): lowercase hex, optionally cut to the first digits.
#include <cstdint>
#include <string>

namespace qd
{

// SHA-256 of `path`'s bytes from `skip` to the end (at most `length` of them), as lowercase hex cut
// to `hexDigits`. "" when this build has no SHA-256 (OpenSSL). Throws EngineError when the file
// can't be read. AUTOMATIC1111's old 8-digit model hash (sd-webui-controlnet names models with it)
// is fileSha256(path, 0x100000, 8, 0x10000).
std::string fileSha256(
    const std::string& path, uint64_t skip = 0, size_t hexDigits = 64, uint64_t length = UINT64_MAX);

} // namespace qd
