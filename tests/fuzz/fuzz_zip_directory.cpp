// libFuzzer target: any bytes as a .ckpt zip archive whose central directory the mapped loader
// reads to find stored tensor data. Every entry it reports must lie inside the input.
#include <cstdint>

#include "core/engine/io/ZipDirectory.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    for (const auto& [name, e] : qd::storedZipEntries(data, size)) {
        if (e.offset > size || e.size > size - e.offset)
            __builtin_trap();
        volatile uint8_t sink = e.size ? data[e.offset + e.size - 1] : 0;
        (void)sink;
    }
    return 0;
}
