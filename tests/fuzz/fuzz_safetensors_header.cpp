// libFuzzer target: any bytes as a whole .safetensors file. The header parser must either return a
// validated header or throw EngineError; anything else (a crash, a sanitizer report, another
// exception type) is a finding.
#include <cstdint>

#include "core/engine/EngineError.h"
#include "core/engine/io/SafeTensorsFormat.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    try {
        const qd::SafetensorsHeader h = qd::parseSafetensorsHeader(data, size, "fuzz.safetensors");
        // What a loader then does with the result: every range must lie inside the input.
        for (const auto& t : h.tensors) {
            if (h.dataStart + t.end > size || t.end - t.begin != t.numel() * uint64_t(t.elementSize))
                __builtin_trap();
            volatile uint8_t sink = 0;
            if (t.end > t.begin)
                sink = data[h.dataStart + t.end - 1];
            (void)sink;
        }
    } catch (const qd::EngineError&) {
    }
    return 0;
}
