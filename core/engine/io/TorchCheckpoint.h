#pragma once
// PyTorch checkpoints (.ckpt / .pt / .pth / diffusers .bin): the zip archive torch.save has written
// since PyTorch 1.6: <folder>/data.pkl (a pickle of the saved object, tensors as persistent-id
// storages), <folder>/data/<key> (each storage's raw little-endian bytes), <folder>/version,
// <folder>/byteorder. <folder> is "archive" or the saved file's stem ("v1-5-pruned-emaonly").
// The pickle is read by the restricted reader in Pickle.h: nothing in the file is ever executed.
#include <map>
#include <string>
#include <vector>

#include "io/StateDict.h"
#include "io/TensorLoad.h"

namespace qd
{

// False when the engine was built without libzip: the functions below then throw EngineError
// saying so.
bool haveTorchCheckpointSupport();

// The tensors of the checkpoint's state dict: the "state_dict" entry of the top-level dict when
// there is one (Lightning / CompVis files), an upscaler trainer's wrapper ("params_ema", "params",
// "model", "net", ...), else the top-level dict itself (torch.save of a state_dict). Non-tensor entries are
// ignored. Throws EngineError naming the file and the problem (not a zip, no data.pkl, a refused global, a
// storage whose size does not match, ...).
StateDict loadTorchCheckpoint(const std::string& path, const TensorLoadOptions& options = {});

// Every tensor of the file's top-level dict, nested dicts flattened with '.' (a textual-inversion
// file's "string_to_param.*"), and its plain strings / integers into `scalars` ("name", "step").
StateDict loadTorchCheckpointTree(
    const std::string& path, std::map<std::string, std::string>* scalars = nullptr);

// The same tensors described (dtype, shape, bytes) without reading their data.
std::vector<TensorInfo> inspectTorchCheckpoint(const std::string& path);

struct TorchSaveOptions {
    bool nestInStateDict = true; // {"state_dict": {...}} as CompVis / Lightning checkpoints
    std::string wrapperKey = "state_dict"; // the nesting key ("params_ema": Real-ESRGAN files)
    std::string folder = "archive"; // the archive's top folder
    // Adds what real Stable Diffusion .ckpt files carry beside the weights (epoch, global_step,
    // the Lightning version, a ModelCheckpoint callback keyed by its class, a numpy scalar), so
    // tests exercise the placeholders.
    bool lightningExtras = false;
};

// Writes `tensors` as torch.save would (pickle protocol 2, storages stored uncompressed),
// atomically (path + ".tmp", then rename). Every tensor gets its own storage.
void saveTorchCheckpoint(
    const std::string& path, const StateDict& tensors, const TorchSaveOptions& options = {});

} // namespace qd
