#pragma once
// A read-only view of a whole file through mmap. Tensors made from it with torch::from_blob hold a
// shared_ptr to it in their deleter, so the mapping lives exactly as long as the last tensor.
#include <cstdint>
#include <memory>
#include <string>

namespace qd
{

class MappedFile
{
public:
    // Maps `path`; throws EngineError naming the file when it cannot be opened or mapped.
    static std::shared_ptr<MappedFile> open(const std::string& path);
    ~MappedFile();
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;

    const uint8_t* data() const { return m_data; }
    uint64_t size() const { return m_size; }
    const std::string& path() const { return m_path; }

    // Tells the kernel the pages of [begin, end) will be read soon / are no longer needed. The
    // latter drops them from this process's resident set (the page cache keeps them), which keeps
    // the peak memory of a converting load near the size of the converted tensors.
    void willNeed(uint64_t begin, uint64_t end) const;
    void dontNeed(uint64_t begin, uint64_t end) const;

    // dontNeed for the bytes [p, p + n) when they lie inside a live mapping; a no-op for any other
    // memory. Only for bytes that were read and never written: a private page someone wrote to
    // would fall back to the file's content.
    static void dropPages(const void* p, uint64_t n);

private:
    MappedFile() = default;
    std::string m_path;
    uint8_t* m_data = nullptr;
    uint64_t m_size = 0;
};

} // namespace qd
