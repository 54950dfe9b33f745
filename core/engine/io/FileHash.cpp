#include "io/FileHash.h"

#include <algorithm>

#include "io/MappedFile.h"

#ifdef QD_HAVE_OPENSSL
#include <openssl/evp.h>
#endif

namespace qd
{

std::string fileSha256(const std::string& path, uint64_t skip, size_t hexDigits, uint64_t length)
{
#ifdef QD_HAVE_OPENSSL
    const auto file = MappedFile::open(path);
    const uint64_t begin = std::min<uint64_t>(skip, file->size());
    const uint64_t count = std::min<uint64_t>(length, file->size() - begin);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!EVP_Digest(file->data() + begin, size_t(count), digest, &len, EVP_sha256(), nullptr))
        return {};
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < len && out.size() < hexDigits; ++i) {
        out += hex[digest[i] >> 4];
        out += hex[digest[i] & 15];
    }
    out.resize(std::min(out.size(), hexDigits));
    return out;
#else
    (void)path;
    (void)skip;
    (void)hexDigits;
    (void)length;
    return {};
#endif
}

} // namespace qd
