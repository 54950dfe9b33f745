// libFuzzer target: any bytes as the data.pkl of a PyTorch checkpoint. The restricted reader must
// either rebuild a value or throw EngineError, never crash, leak, or accept a global outside its
// table.
#include <cstdint>
#include <unordered_set>
#include <vector>

#include "core/engine/EngineError.h"
#include "core/engine/io/Pickle.h"

namespace
{

// Walks the result as the checkpoint loader does (dicts of tensors), checking every tensor view
// stays inside its storage. Iterative, each object once: pickles nest deeply, share objects and can
// even contain themselves.
void walk(const qd::pickle::Object& top)
{
    std::unordered_set<const qd::pickle::Object*> seen;
    std::vector<const qd::pickle::Object*> todo { &top };
    while (!todo.empty()) {
        const qd::pickle::Object* o = todo.back();
        todo.pop_back();
        if (!seen.insert(o).second)
            continue;
        if (o->kind == qd::pickle::Kind::Tensor) {
            const auto& t = *o->tensor;
            uint64_t last = uint64_t(t.offset);
            bool empty = false;
            for (size_t i = 0; i < t.size.size(); ++i) {
                empty |= t.size[i] == 0;
                if (t.size[i] > 0)
                    last += uint64_t(t.size[i] - 1) * uint64_t(t.stride[i]);
            }
            if (!empty && last >= t.storage->numel)
                __builtin_trap();
        }
        for (const auto& [k, v] : o->entries) {
            (void)k->describe();
            todo.push_back(v.get());
        }
        for (const auto& i : o->items)
            todo.push_back(i.get());
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    try {
        qd::pickle::Reader reader(data, size, "fuzz.pkl");
        const qd::pickle::Object& top = reader.load();
        (void)top.describe();
        walk(top);
        (void)top.get("state_dict");
    } catch (const qd::EngineError&) {
    }
    return 0;
}
