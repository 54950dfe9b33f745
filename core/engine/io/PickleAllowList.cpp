// The allow-list of the restricted pickle reader (io/Pickle.h): the globals real checkpoints name
// and the storage types they use. Nothing here is ever called: roles say what placeholder to build.
#include "io/Pickle.h"

namespace qd::pickle
{

namespace
{

struct AllowedGlobal {
    const char* module;
    const char* name;
    GlobalRole role;
};

// What real checkpoints (CompVis / Stability Lightning .ckpt, diffusers .bin, torch.save of state
// dicts, torch 1.x and 2.x) name, in the spirit of AUTOMATIC1111's safe.py and torch.load's
// weights_only allow-list. Nothing here is ever called: roles say what placeholder to build.
const AllowedGlobal kAllowed[] = {
    { "collections", "OrderedDict", GlobalRole::DictType },
    { "collections", "defaultdict", GlobalRole::DictType },
    { "builtins", "dict", GlobalRole::DictType },
    { "__builtin__", "dict", GlobalRole::DictType },
    { "builtins", "set", GlobalRole::SetType },
    { "__builtin__", "set", GlobalRole::SetType },
    { "builtins", "frozenset", GlobalRole::SetType },
    { "__builtin__", "frozenset", GlobalRole::SetType },
    { "torch._utils", "_rebuild_tensor_v2", GlobalRole::RebuildTensorV2 },
    { "torch._utils", "_rebuild_tensor", GlobalRole::RebuildTensor },
    { "torch._utils", "_rebuild_parameter", GlobalRole::RebuildParameter },
    { "torch._utils", "_rebuild_parameter_with_state", GlobalRole::RebuildParameter },
    { "torch._tensor", "_rebuild_from_type_v2", GlobalRole::RebuildFromType },
    { "torch.tensor", "_rebuild_from_type_v2", GlobalRole::RebuildFromType }, // torch < 1.9 module name
    { "torch", "Size", GlobalRole::Opaque },
    { "torch", "device", GlobalRole::Opaque },
    { "torch", "Tensor", GlobalRole::Opaque },
    { "torch", "float32", GlobalRole::Opaque },
    { "torch", "float16", GlobalRole::Opaque },
    { "torch", "bfloat16", GlobalRole::Opaque },
    { "torch", "float64", GlobalRole::Opaque },
    { "torch", "int64", GlobalRole::Opaque },
    { "torch", "int32", GlobalRole::Opaque },
    { "torch", "uint8", GlobalRole::Opaque },
    { "torch", "bool", GlobalRole::Opaque },
    { "torch.nn.parameter", "Parameter", GlobalRole::Opaque },
    { "torch.nn.modules.container", "ParameterDict", GlobalRole::Opaque },
    { "torch.torch_version", "TorchVersion", GlobalRole::Opaque },
    { "numpy.core.multiarray", "scalar", GlobalRole::Opaque },
    { "numpy.core.multiarray", "_reconstruct", GlobalRole::Opaque },
    { "numpy._core.multiarray", "scalar", GlobalRole::Opaque },
    { "numpy._core.multiarray", "_reconstruct", GlobalRole::Opaque },
    { "numpy", "dtype", GlobalRole::Opaque },
    { "numpy", "ndarray", GlobalRole::Opaque },
    { "_codecs", "encode", GlobalRole::Opaque }, // numpy scalars' bytes under protocol 2
    { "argparse", "Namespace", GlobalRole::Opaque },
    { "pathlib", "PosixPath", GlobalRole::Opaque },
    { "pathlib", "WindowsPath", GlobalRole::Opaque },
    { "pathlib", "PurePosixPath", GlobalRole::Opaque },
    { "pathlib", "PureWindowsPath", GlobalRole::Opaque },
    { "copyreg", "_reconstructor", GlobalRole::Opaque },
    { "copy_reg", "_reconstructor", GlobalRole::Opaque },
    { "builtins", "object", GlobalRole::Opaque },
    { "__builtin__", "object", GlobalRole::Opaque },
    { "builtins", "slice", GlobalRole::Opaque },
    { "typing", "Any", GlobalRole::Opaque },
    { "datetime", "datetime", GlobalRole::Opaque },
    { "datetime", "timedelta", GlobalRole::Opaque },
};

// Training-framework modules whose objects (callbacks, loggers, hyper-parameter containers) real
// Lightning checkpoints carry beside the weights.
const char* const kOpaqueModulePrefixes[]
    = { "pytorch_lightning", "lightning", "lightning_fabric", "omegaconf", "numpy.dtypes" };

struct StorageDtype {
    const char* storage;
    const char* dtype;
    int size;
};
const StorageDtype kStorages[] = {
    { "FloatStorage", "F32", 4 },
    { "DoubleStorage", "F64", 8 },
    { "HalfStorage", "F16", 2 },
    { "BFloat16Storage", "BF16", 2 },
    { "LongStorage", "I64", 8 },
    { "IntStorage", "I32", 4 },
    { "ShortStorage", "I16", 2 },
    { "CharStorage", "I8", 1 },
    { "ByteStorage", "U8", 1 },
    { "BoolStorage", "BOOL", 1 },
    { "ComplexFloatStorage", "C64", 8 },
    { "ComplexDoubleStorage", "C128", 16 },
    { "UntypedStorage", "U8", 1 },
};

} // namespace

bool storageDtype(const std::string& storageType, int& elementSize, std::string& dtype)
{
    for (const auto& s : kStorages)
        if (storageType == s.storage) {
            elementSize = s.size;
            dtype = s.dtype;
            return true;
        }
    return false;
}

bool globalRole(const std::string& module, const std::string& name, GlobalRole& role)
{
    for (const auto& g : kAllowed)
        if (module == g.module && name == g.name) {
            role = g.role;
            return true;
        }
    int size;
    std::string dtype;
    if ((module == "torch" || module == "torch.cuda") && storageDtype(name, size, dtype)) {
        role = GlobalRole::StorageType;
        return true;
    }
    for (const char* prefix : kOpaqueModulePrefixes) {
        const size_t n = std::strlen(prefix);
        if (module.compare(0, n, prefix) == 0 && (module.size() == n || module[n] == '.')) {
            role = GlobalRole::Opaque;
            return true;
        }
    }
    return false;
}

} // namespace qd::pickle
