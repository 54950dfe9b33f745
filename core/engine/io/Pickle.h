#pragma once
// A restricted reader for the Python pickles inside PyTorch checkpoints (data.pkl of a .ckpt/.pt
// zip archive). It is a small stack machine over the pickle opcodes (protocols 0-4, see CPython's
// Lib/pickletools.py) that rebuilds plain data (None, bool, int, float, str, bytes, list, tuple,
// dict, set) and tensors (torch._utils._rebuild_tensor_v2 and friends over persistent-id
// storages), and NEVER executes anything: every global the pickle names is looked up in a fixed
// table; harmless classes real checkpoints carry (Lightning callbacks, numpy scalars, ...) become
// opaque placeholders, everything else is refused with an error naming the global.
// No LibTorch here: tensors are described (storage key, dtype, view), not loaded; the fuzzer
// builds this file alone.
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace qd::pickle
{

// One storage of the archive (data/<key>), as the persistent id
// ('storage', torch.<Type>Storage, key, location, numel) describes it.
struct StorageRef {
    std::string key;
    std::string storageType; // "HalfStorage", "FloatStorage", ...
    std::string dtype; // safetensors-style name: "F16", "F32", "BF16", "I64", ...
    int elementSize = 0;
    uint64_t numel = 0; // elements of dtype
    std::string location; // "cpu", "cuda:0", ... (ignored: everything loads to the CPU)
};

// A tensor as _rebuild_tensor_v2(storage, storage_offset, size, stride, ...) describes it. The view
// has been checked to lie inside the storage.
struct TensorRef {
    std::shared_ptr<const StorageRef> storage;
    int64_t offset = 0; // in elements
    std::vector<int64_t> size;
    std::vector<int64_t> stride;
};

enum class Kind {
    None,
    Bool,
    Int,
    BigInt,
    Float,
    String,
    Bytes,
    List,
    Tuple,
    Dict,
    Set,
    Global,
    Opaque,
    Storage,
    Tensor
};

struct Object;
using Ref = std::shared_ptr<Object>;

// What a global is allowed to become. Anything not in the table is refused.
enum class GlobalRole {
    DictType, // collections.OrderedDict, collections.defaultdict, builtins.dict: calling it gives a dict
    SetType, // builtins.set / frozenset
    StorageType, // torch.FloatStorage, torch.HalfStorage, ...
    RebuildTensorV2, // torch._utils._rebuild_tensor_v2
    RebuildTensor, // torch._utils._rebuild_tensor
    RebuildParameter, // torch._utils._rebuild_parameter(_with_state): the tensor is the first argument
    RebuildFromType, // torch._tensor._rebuild_from_type_v2(func, type, args, state)
    Opaque, // a harmless class or function: calling it gives a placeholder, nothing runs
};

struct Object {
    Kind kind = Kind::None;
    bool boolean = false;
    int64_t integer = 0;
    double real = 0;
    std::string text; // String / Bytes / BigInt (little-endian two's complement bytes) / Global and
                      // Opaque: the dotted global name
    GlobalRole role = GlobalRole::Opaque; // Global only
    std::vector<Ref> items; // List, Tuple, Set, Opaque (its arguments)
    std::vector<std::pair<Ref, Ref>> entries; // Dict, in insertion order
    std::unordered_map<std::string, size_t> stringKeys; // Dict: index of each str key in entries
    std::shared_ptr<const StorageRef> storage; // Storage
    std::shared_ptr<const TensorRef> tensor; // Tensor

    // Dict lookup by string key; nullptr when absent or not a dict.
    const Object* get(const std::string& key) const;
    std::string describe() const; // "dict", "str 'abc'", "global os.system", ... for messages
};

// The role of global `module`.`name`, or false when it is refused.
bool globalRole(const std::string& module, const std::string& name, GlobalRole& role);

// Element size and dtype name of a torch storage class name ("HalfStorage" -> 2, "F16"); false
// when unknown.
bool storageDtype(const std::string& storageType, int& elementSize, std::string& dtype);

class Reader
{
public:
    // `source` names the file (and entry) in error messages. The bytes must outlive load().
    Reader(const uint8_t* data, size_t size, std::string source);
    ~Reader(); // releases every object iteratively (no deep recursion, no leak through cycles)
    Reader(const Reader&) = delete;
    Reader& operator=(const Reader&) = delete;

    // Runs the pickle up to STOP and returns its value, valid while this Reader lives. Throws
    // EngineError naming the source, the byte offset and the problem.
    const Object& load();

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

// Emits pickle opcodes (protocol 2, as torch.save writes them). Used to write .ckpt files and by
// tests to build hostile pickles by hand.
class Writer
{
public:
    explicit Writer(int protocol = 2);
    void proto(int protocol);
    void mark();
    void stop();
    void none();
    void boolean(bool v);
    void integer(int64_t v);
    void real(double v);
    void string(const std::string& s);
    void bytes(const std::string& b);
    void global(const std::string& module, const std::string& name);
    void emptyDict();
    void emptyList();
    void emptyTuple();
    void tuple(size_t n); // TUPLE1/2/3 for n <= 3 (no mark), else TUPLE after a mark()
    void setItem();
    void setItems(); // after mark() and key/value pairs
    void append();
    void appends();
    void reduce();
    void build();
    void newObj();
    void binPersId();
    void put(uint32_t index);
    void get(uint32_t index);
    void raw(const std::string& bytes); // anything else, verbatim
    const std::string& data() const { return m_data; }

private:
    std::string m_data;
};

} // namespace qd::pickle
