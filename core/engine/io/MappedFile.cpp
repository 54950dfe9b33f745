#include "io/MappedFile.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <vector>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "EngineError.h"

namespace qd
{

namespace
{
// The live mappings, for dropPages (a handful at a time: a checkpoint, a VAE, a LoRA).
std::mutex& registryMutex()
{
    static std::mutex m;
    return m;
}
std::vector<const MappedFile*>& registry()
{
    static std::vector<const MappedFile*> r;
    return r;
}
} // namespace

std::shared_ptr<MappedFile> MappedFile::open(const std::string& path)
{
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        throw EngineError(path + ": cannot open file (" + std::strerror(errno) + ")");
    struct stat st {
    };
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        throw EngineError(path + ": not a regular file");
    }
    std::shared_ptr<MappedFile> f(new MappedFile);
    f->m_path = path;
    f->m_size = uint64_t(st.st_size);
    if (f->m_size > 0) {
        // Private and writable: pages stay shared with the page cache until someone writes to a
        // tensor made from them (a LoRA merged in place, say); that write then gets a private copy
        // instead of a crash on a read-only page.
        void* p = ::mmap(nullptr, f->m_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            const int err = errno;
            ::close(fd);
            throw EngineError(path + ": cannot map file into memory (" + std::strerror(err) + ")");
        }
        f->m_data = static_cast<uint8_t*>(p);
    }
    ::close(fd); // the mapping keeps its own reference to the file
    if (f->m_data) {
        std::lock_guard<std::mutex> lock(registryMutex());
        registry().push_back(f.get());
    }
    return f;
}

MappedFile::~MappedFile()
{
    if (!m_data)
        return;
    {
        std::lock_guard<std::mutex> lock(registryMutex());
        auto& r = registry();
        r.erase(std::remove(r.begin(), r.end(), this), r.end());
    }
    ::munmap(m_data, m_size);
}

namespace
{
uint64_t pageSize()
{
    static const uint64_t p = uint64_t(::sysconf(_SC_PAGESIZE));
    return p;
}
} // namespace

void MappedFile::willNeed(uint64_t begin, uint64_t end) const
{
    if (!m_data || begin >= end || end > m_size)
        return;
    const uint64_t b = begin / pageSize() * pageSize();
    ::madvise(m_data + b, end - b, MADV_WILLNEED);
}

void MappedFile::dontNeed(uint64_t begin, uint64_t end) const
{
    if (!m_data || end > m_size)
        return;
    // Only whole pages inside [begin, end): a page shared with a neighbouring range stays.
    const uint64_t b = (begin + pageSize() - 1) / pageSize() * pageSize();
    const uint64_t e = end / pageSize() * pageSize();
    if (b < e)
        ::madvise(m_data + b, e - b, MADV_DONTNEED);
}

void MappedFile::dropPages(const void* p, uint64_t n)
{
    const auto* bytes = static_cast<const uint8_t*>(p);
    std::lock_guard<std::mutex> lock(registryMutex());
    for (const MappedFile* f : registry())
        if (bytes >= f->m_data && n <= f->m_size && uint64_t(bytes - f->m_data) <= f->m_size - n) {
            const uint64_t begin = uint64_t(bytes - f->m_data);
            f->dontNeed(begin, begin + n);
            return;
        }
}

} // namespace qd
