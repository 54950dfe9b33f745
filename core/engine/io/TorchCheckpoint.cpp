#include "io/TorchCheckpoint.h"

#include <cstdio>
#include <memory>

#include <torch/torch.h>

#include "io/MappedFile.h"
#include "io/Pickle.h"
#include "io/SafeTensors.h"
#include "io/ZipDirectory.h"

#ifdef QD_HAVE_LIBZIP
#include <zip.h>
#endif

namespace qd
{

bool haveTorchCheckpointSupport()
{
#ifdef QD_HAVE_LIBZIP
    return true;
#else
    return false;
#endif
}

#ifndef QD_HAVE_LIBZIP

namespace
{
[[noreturn]] void noZip(const std::string& path)
{
    throw EngineError(path
        + ": this QDiffusion was built without .ckpt support (libzip was not found at build "
          "time); convert the checkpoint to .safetensors or rebuild with libzip-dev installed");
}
} // namespace

StateDict loadTorchCheckpoint(const std::string& path, const TensorLoadOptions&)
{
    noZip(path);
}
StateDict loadTorchCheckpointTree(const std::string& path, std::map<std::string, std::string>*)
{
    noZip(path);
}
std::vector<TensorInfo> inspectTorchCheckpoint(const std::string& path)
{
    noZip(path);
}
void saveTorchCheckpoint(const std::string& path, const StateDict&, const TorchSaveOptions&)
{
    noZip(path);
}

#else

namespace
{

// The data.pkl of a real checkpoint is a few MB; anything far larger is not one.
constexpr uint64_t kMaxPickleBytes = uint64_t(1) << 30;

struct ZipCloser {
    void operator()(zip_t* z) const { zip_discard(z); }
};
struct ZipFileCloser {
    void operator()(zip_file_t* f) const { zip_fclose(f); }
};

class Archive
{
public:
    explicit Archive(const std::string& path)
        : m_path(path)
    {
        int err = 0;
        m_zip.reset(zip_open(path.c_str(), ZIP_RDONLY, &err));
        if (!m_zip) {
            zip_error_t e;
            zip_error_init_with_code(&e, err);
            const std::string why = zip_error_strerror(&e);
            zip_error_fini(&e);
            throw EngineError(path + ": cannot open as a PyTorch zip archive (" + why + ")");
        }
        const zip_int64_t n = zip_get_num_entries(m_zip.get(), 0);
        std::string pkl;
        for (zip_int64_t i = 0; i < n; ++i) {
            const char* name = zip_get_name(m_zip.get(), zip_uint64_t(i), 0);
            if (!name)
                continue;
            const std::string s = name;
            const size_t slash = s.find('/');
            const std::string rest = slash == std::string::npos ? s : s.substr(slash + 1);
            if (rest == "constants.pkl")
                throw EngineError(
                    path + ": a TorchScript archive (torch.jit.save), not a checkpoint of weights");
            // torch.save writes "<folder>/data.pkl"; the folder name varies ("archive",
            // "v1-5-pruned-emaonly", ...).
            if (rest == "data.pkl"
                && (slash == std::string::npos || s.find('/', slash + 1) == std::string::npos)) {
                if (!pkl.empty())
                    throw EngineError(path + ": holds two pickles ('" + pkl + "' and '" + s + "')");
                pkl = s;
                m_prefix = slash == std::string::npos ? std::string() : s.substr(0, slash + 1);
            }
        }
        if (pkl.empty())
            throw EngineError(path + ": a zip archive without data.pkl, so not a PyTorch checkpoint");
        m_pickle = read(pkl, kMaxPickleBytes);
        const zip_int64_t bo = zip_name_locate(m_zip.get(), (m_prefix + "byteorder").c_str(), 0);
        if (bo >= 0 && read(m_prefix + "byteorder", 16) != "little")
            throw EngineError(
                path + ": a big-endian checkpoint (byteorder is not 'little'), which is not supported");
    }

    const std::string& pickle() const { return m_pickle; }
    const std::string& prefix() const { return m_prefix; }

    // Size of storage entry data/<key>, or throws when absent.
    uint64_t storageSize(const std::string& key, zip_uint64_t& index) const
    {
        const std::string name = m_prefix + "data/" + key;
        const zip_int64_t i = zip_name_locate(m_zip.get(), name.c_str(), 0);
        if (i < 0)
            throw EngineError(
                m_path + ": storage '" + name + "' named in data.pkl is missing from the archive");
        zip_stat_t st;
        zip_stat_init(&st);
        if (zip_stat_index(m_zip.get(), zip_uint64_t(i), 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE))
            throw EngineError(m_path + ": cannot read the size of '" + name + "'");
        index = zip_uint64_t(i);
        return st.size;
    }

    void readInto(zip_uint64_t index, void* dst, uint64_t bytes, const std::string& what) const
    {
        std::unique_ptr<zip_file_t, ZipFileCloser> f(zip_fopen_index(m_zip.get(), index, 0));
        if (!f)
            throw EngineError(
                m_path + ": cannot open '" + what + "' in the archive (" + zip_strerror(m_zip.get()) + ")");
        uint64_t done = 0;
        while (done < bytes) {
            const zip_int64_t got = zip_fread(f.get(), static_cast<char*>(dst) + done, bytes - done);
            if (got <= 0)
                throw EngineError(m_path + ": reading '" + what + "' failed after " + std::to_string(done)
                    + " of " + std::to_string(bytes) + " bytes (" + zip_file_strerror(f.get())
                    + "; truncated or corrupted file?)");
            done += uint64_t(got);
        }
    }

private:
    std::string read(const std::string& name, uint64_t limit) const
    {
        zip_uint64_t index;
        const zip_int64_t i = zip_name_locate(m_zip.get(), name.c_str(), 0);
        zip_stat_t st;
        zip_stat_init(&st);
        if (i < 0 || zip_stat_index(m_zip.get(), zip_uint64_t(i), 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE))
            throw EngineError(m_path + ": cannot read '" + name + "'");
        if (st.size > limit)
            throw EngineError(m_path + ": '" + name + "' is " + std::to_string(st.size)
                + " bytes, larger than any " + "checkpoint needs (limit " + std::to_string(limit) + ")");
        index = zip_uint64_t(i);
        std::string out(st.size, '\0');
        readInto(index, out.data(), st.size, name);
        return out;
    }

    std::string m_path;
    std::string m_prefix;
    std::string m_pickle;
    std::unique_ptr<zip_t, ZipCloser> m_zip;
};

torch::ScalarType torchDtype(const pickle::StorageRef& s)
{
    if (s.dtype == "C64")
        return torch::kComplexFloat;
    if (s.dtype == "C128")
        return torch::kComplexDouble;
    return *torchDtypeFromSafetensors(s.dtype); // every storage dtype exists in LibTorch 1.13
}

// The dict holding the weights: {"state_dict": {...}} (Lightning / CompVis), the wrappers upscaler
// trainers use ({"params_ema": {...}} in Real-ESRGAN files; spandrel's list and order), a lone
// entry holding a dict, or the top level.
const pickle::Object& stateDictOf(const pickle::Object& top, const std::string& path)
{
    if (top.kind != pickle::Kind::Dict)
        throw EngineError(path + ": data.pkl holds a " + top.describe() + ", expected a dict of tensors");
    for (const char* key :
        { "state_dict", "model_state_dict", "params_ema", "params-ema", "params", "model", "net" }) {
        const pickle::Object* sd = top.get(key);
        if (sd && sd->kind == pickle::Kind::Dict)
            return *sd;
    }
    if (top.entries.size() == 1 && top.entries.front().second->kind == pickle::Kind::Dict)
        return *top.entries.front().second;
    return top;
}

template <typename F> void forEachTensor(const pickle::Object& dict, F&& f)
{
    for (const auto& [k, v] : dict.entries)
        if (k->kind == pickle::Kind::String && v->kind == pickle::Kind::Tensor)
            f(k->text, *v->tensor);
}

} // namespace

namespace
{

using TensorEntries = std::vector<std::pair<std::string, const pickle::TensorRef*>>;

// Builds the tensors `entries` name, pointing into the mapped file where the storage is stored
// uncompressed (torch.save's way).
StateDict buildTensors(const Archive& archive, const std::string& path, const TensorEntries& entries,
    const TensorLoadOptions& options)
{
    const std::shared_ptr<MappedFile> file = MappedFile::open(path);
    const std::map<std::string, StoredZipEntry> stored = storedZipEntries(file->data(), file->size());

    // Count the uses of each storage so it is released right after its last tensor is built.
    std::map<std::string, int> uses;
    for (const auto& [key, t] : entries)
        if (!options.keep || options.keep(key))
            ++uses[t->storage->key];
    struct Loaded {
        torch::Tensor storage;
        const StoredZipEntry* mapped = nullptr;
    };
    std::map<std::string, Loaded> storages;
    StateDict out;
    for (const auto& [key, tref] : entries) {
        if (options.keep && !options.keep(key))
            continue;
        const pickle::TensorRef& t = *tref;
        const pickle::StorageRef& s = *t.storage;
        auto it = storages.find(s.key);
        if (it == storages.end()) {
            zip_uint64_t index;
            const uint64_t size = archive.storageSize(s.key, index);
            const uint64_t expected = s.numel * uint64_t(s.elementSize);
            if (size != expected)
                throw EngineError(path + ": storage 'data/" + s.key + "' of tensor '" + key + "' holds "
                    + std::to_string(size) + " bytes, but data.pkl says " + std::to_string(s.numel) + " x "
                    + s.storageType + " = " + std::to_string(expected) + " bytes (corrupted file?)");
            const auto type = torch::TensorOptions().dtype(torchDtype(s));
            Loaded l;
            const auto e = stored.find(archive.prefix() + "data/" + s.key);
            if (e != stored.end() && e->second.size == size) {
                uint8_t* ptr = const_cast<uint8_t*>(file->data()) + e->second.offset;
                l.mapped = &e->second;
                if (reinterpret_cast<uintptr_t>(ptr) % uint64_t(s.elementSize) == 0) // zero-copy
                    l.storage = torch::from_blob(
                        ptr, { int64_t(s.numel) }, [file](void*) {}, type);
                else
                    l.storage = torch::from_blob(ptr, { int64_t(s.numel) }, type).clone();
            } else { // compressed or unusual entry: through libzip
                l.storage = torch::empty({ int64_t(s.numel) }, type);
                archive.readInto(index, l.storage.data_ptr(), size, "data/" + s.key);
            }
            it = storages.emplace(s.key, l).first;
        }
        torch::Tensor tensor = it->second.storage.as_strided(t.size, t.stride, t.offset);
        const auto type = tensor.scalar_type();
        const bool convert = options.floatDtype && c10::isFloatingType(type) && type != *options.floatDtype;
        if (convert)
            tensor = tensor.to(*options.floatDtype);
        if (--uses[s.key] == 0) {
            // Converted copies no longer need the mapped pages: drop them from the resident set
            // (only when no tensor points into them: every use of this storage was converted).
            if (convert && it->second.mapped && it->second.storage.storage().use_count() == 1)
                file->dontNeed(
                    it->second.mapped->offset, it->second.mapped->offset + it->second.mapped->size);
            storages.erase(it); // views keep the storage alive; converted tensors do not
        }
        out[key] = tensor;
    }
    return out;
}

// Every tensor of `o`, nested dicts flattened with '.' ("string_to_param.*"), a module's
// `_parameters` (an nn.ParameterDict's pickled state) read as a dict; plain values into `scalars`.
void collectTree(const pickle::Object& o, const std::string& prefix, TensorEntries& tensors,
    std::map<std::string, std::string>& scalars, int depth)
{
    if (depth > 8)
        return;
    if (o.kind == pickle::Kind::Opaque) {
        for (const auto& state : o.items)
            if (state->kind == pickle::Kind::Dict)
                if (const pickle::Object* params = state->get("_parameters"))
                    collectTree(*params, prefix, tensors, scalars, depth + 1);
        return;
    }
    if (o.kind != pickle::Kind::Dict)
        return;
    for (const auto& [k, v] : o.entries) {
        if (k->kind != pickle::Kind::String && k->kind != pickle::Kind::Int)
            continue;
        const std::string key
            = prefix + (k->kind == pickle::Kind::String ? k->text : std::to_string(k->integer));
        switch (v->kind) {
        case pickle::Kind::Tensor:
            tensors.emplace_back(key, v->tensor.get());
            break;
        case pickle::Kind::String:
            scalars[key] = v->text;
            break;
        case pickle::Kind::Int:
            scalars[key] = std::to_string(v->integer);
            break;
        case pickle::Kind::Dict:
        case pickle::Kind::Opaque:
            collectTree(*v, key + ".", tensors, scalars, depth + 1);
            break;
        default:
            break;
        }
    }
}

} // namespace

StateDict loadTorchCheckpoint(const std::string& path, const TensorLoadOptions& options)
{
    const Archive archive(path);
    const auto& bytes = archive.pickle();
    pickle::Reader reader(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), path + ": data.pkl");
    TensorEntries entries;
    forEachTensor(stateDictOf(reader.load(), path),
        [&](const std::string& key, const pickle::TensorRef& t) { entries.emplace_back(key, &t); });
    return buildTensors(archive, path, entries, options);
}

StateDict loadTorchCheckpointTree(const std::string& path, std::map<std::string, std::string>* scalars)
{
    const Archive archive(path);
    const auto& bytes = archive.pickle();
    pickle::Reader reader(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), path + ": data.pkl");
    const pickle::Object& top = reader.load();
    if (top.kind != pickle::Kind::Dict)
        throw EngineError(path + ": data.pkl holds a " + top.describe() + ", expected a dict");
    TensorEntries entries;
    std::map<std::string, std::string> plain;
    collectTree(top, "", entries, plain, 0);
    if (scalars)
        *scalars = std::move(plain);
    return buildTensors(archive, path, entries, {});
}

std::vector<TensorInfo> inspectTorchCheckpoint(const std::string& path)
{
    const Archive archive(path);
    const auto& bytes = archive.pickle();
    pickle::Reader reader(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), path + ": data.pkl");
    std::vector<TensorInfo> out;
    forEachTensor(stateDictOf(reader.load(), path), [&](const std::string& key, const pickle::TensorRef& t) {
        uint64_t numel = 1;
        for (int64_t d : t.size)
            numel *= uint64_t(d);
        out.push_back({ key, t.storage->dtype, t.size, numel * uint64_t(t.storage->elementSize) });
    });
    return out;
}

// ------------------------------------------------------------------------------------------------

namespace
{

const char* storageClass(torch::ScalarType t, const std::string& key)
{
    switch (t) {
    case torch::kFloat32:
        return "FloatStorage";
    case torch::kFloat64:
        return "DoubleStorage";
    case torch::kFloat16:
        return "HalfStorage";
    case torch::kBFloat16:
        return "BFloat16Storage";
    case torch::kInt64:
        return "LongStorage";
    case torch::kInt32:
        return "IntStorage";
    case torch::kInt16:
        return "ShortStorage";
    case torch::kInt8:
        return "CharStorage";
    case torch::kUInt8:
        return "ByteStorage";
    case torch::kBool:
        return "BoolStorage";
    default:
        break;
    }
    throw EngineError("saveTorchCheckpoint: tensor '" + key + "' has dtype " + std::string(c10::toString(t))
        + ", which has no torch storage class");
}

// collections.OrderedDict() as CPython pickles it: the class, no arguments, REDUCE.
void emptyOrderedDict(pickle::Writer& w)
{
    w.global("collections", "OrderedDict");
    w.emptyTuple();
    w.reduce();
}

// torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, backward_hooks),
// the storage as persistent id ('storage', torch.<Type>Storage, key, 'cpu', numel).
void tensorPickle(
    pickle::Writer& w, const torch::Tensor& t, const std::string& storageKey, const std::string& key)
{
    w.global("torch._utils", "_rebuild_tensor_v2");
    w.mark();
    w.mark();
    w.string("storage");
    w.global("torch", storageClass(t.scalar_type(), key));
    w.string(storageKey);
    w.string("cpu");
    w.integer(t.numel());
    w.raw("t"); // TUPLE of the 5 items since the mark
    w.binPersId();
    w.integer(0);
    w.mark();
    for (int64_t d : t.sizes())
        w.integer(d);
    w.raw("t");
    w.mark();
    for (int64_t s : t.strides())
        w.integer(s);
    w.raw("t");
    w.boolean(false);
    emptyOrderedDict(w);
    w.raw("t"); // the 6 arguments
    w.reduce();
}

// Pushes, after a mark, the entries sd-v1-4.ckpt and friends hold beside "state_dict" (see
// AUTOMATIC1111's modules/safe.py): the caller's SETITEMS stores them.
void lightningExtras(pickle::Writer& w)
{
    w.string("epoch");
    w.integer(6);
    w.string("global_step");
    w.integer(470000);
    w.string("pytorch-lightning_version");
    w.string("1.4.2");
    w.string("callbacks");
    w.emptyDict();
    w.global("pytorch_lightning.callbacks.model_checkpoint", "ModelCheckpoint"); // the class is the key
    w.emptyDict();
    w.mark();
    w.string("monitor");
    w.none();
    w.string("best_model_score");
    // numpy.core.multiarray.scalar(numpy.dtype('f8', False, True) + its state, _codecs.encode(...))
    w.global("numpy.core.multiarray", "scalar");
    w.global("numpy", "dtype");
    w.string("f8");
    w.boolean(false);
    w.boolean(true);
    w.tuple(3);
    w.reduce();
    w.mark();
    w.integer(3);
    w.string("<");
    w.none();
    w.none();
    w.none();
    w.integer(-1);
    w.integer(-1);
    w.integer(0);
    w.raw("t");
    w.build();
    w.global("_codecs", "encode");
    w.string("\xc3\x9a\xc3\x99\xc3\x99\xc3\x99\xc3\x99\xc3\x99\xc3\xa9?");
    w.string("latin1");
    w.tuple(2);
    w.reduce();
    w.tuple(2);
    w.reduce();
    w.setItems(); // the callback's state
    w.setItem(); // {ModelCheckpoint: state}
}

} // namespace

void saveTorchCheckpoint(const std::string& path, const StateDict& tensors, const TorchSaveOptions& options)
{
    std::vector<torch::Tensor> data; // kept alive until zip_close() reads them
    pickle::Writer w(2);
    if (options.nestInStateDict) {
        w.emptyDict();
        w.string(options.wrapperKey);
    }
    emptyOrderedDict(w);
    int n = 0;
    for (const auto& [key, tensor] : tensors) {
        if (n % 1000 == 0) // CPython batches SETITEMS by 1000
            w.mark();
        auto t = tensor.detach().to(torch::kCPU).contiguous();
        w.string(key);
        tensorPickle(w, t, std::to_string(data.size()), key);
        data.push_back(t);
        if (++n % 1000 == 0)
            w.setItems();
    }
    if (n % 1000 != 0)
        w.setItems();
    if (options.nestInStateDict) {
        w.setItem();
        if (options.lightningExtras) {
            w.mark();
            lightningExtras(w);
            w.setItems();
        }
    }
    w.stop();
    const std::string pkl = w.data();

    const std::string tmp = path + ".tmp";
    int err = 0;
    zip_t* z = zip_open(tmp.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
    if (!z)
        throw EngineError(path + ": cannot create the archive");
    const std::string prefix = options.folder.empty() ? std::string() : options.folder + "/";
    auto add = [&](const std::string& name, const void* bytes, uint64_t size) {
        zip_source_t* src = zip_source_buffer(z, bytes, size, 0);
        const zip_int64_t i = src ? zip_file_add(z, (prefix + name).c_str(), src, ZIP_FL_ENC_UTF_8) : -1;
        if (i < 0) {
            if (src)
                zip_source_free(src);
            const std::string why = zip_strerror(z);
            zip_discard(z);
            std::remove(tmp.c_str());
            throw EngineError(path + ": cannot add '" + name + "' to the archive (" + why + ")");
        }
        zip_set_file_compression(z, zip_uint64_t(i), ZIP_CM_STORE, 0); // torch.save stores, never deflates
    };
    static const char kByteOrder[] = "little";
    static const char kVersion[] = "3\n";
    add("data.pkl", pkl.data(), pkl.size());
    add("byteorder", kByteOrder, 6);
    for (size_t i = 0; i < data.size(); ++i)
        add("data/" + std::to_string(i), data[i].data_ptr(),
            uint64_t(data[i].numel()) * data[i].element_size());
    add("version", kVersion, 2);
    if (zip_close(z) != 0) {
        const std::string why = zip_strerror(z);
        zip_discard(z);
        std::remove(tmp.c_str());
        throw EngineError(path + ": writing the archive failed (" + why + ")");
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        std::remove(tmp.c_str());
        throw EngineError(path + ": cannot rename the written file into place");
    }
}

#endif // QD_HAVE_LIBZIP

} // namespace qd
