#include "lora/Lora.h"

#include <algorithm>
#include <cstring>
#include <filesystem>

#include <torch/torch.h>

#include "io/Checkpoint.h"
#include "io/DiffusersFolder.h"
#include "io/FileHash.h"
#include "io/MappedFile.h"
#include "io/SafeTensors.h"

namespace fs = std::filesystem;

namespace qd
{

namespace
{

bool endsWith(const std::string& s, const std::string& suffix)
{
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool startsWith(const std::string& s, const std::string& prefix)
{
    return s.rfind(prefix, 0) == 0;
}

// Tensor name suffixes of the LoRA layer forms, and which matrix each is.
enum class Role { Down, Up, Alpha };
struct Suffix {
    const char* text;
    Role role;
};
const Suffix kSuffixes[] = {
    { ".lora_down.weight", Role::Down }, { ".lora_up.weight", Role::Up }, { ".alpha", Role::Alpha }, // kohya
    { ".lora_A.weight", Role::Down }, { ".lora_B.weight", Role::Up }, // PEFT
    { ".lora.down.weight", Role::Down }, { ".lora.up.weight", Role::Up }, // diffusers LoRACompatibleLinear
    { ".lora_linear_layer.down.weight", Role::Down }, { ".lora_linear_layer.up.weight", Role::Up },
    { "_lora.down.weight", Role::Down }, { "_lora.up.weight", Role::Up }, // diffusers attention processors
};

// Layer types of other network kinds, named so the error says what the file is. `suffix`: the
// marker ends the key (".diff" also begins "model.diffusion_model").
struct Foreign {
    const char* marker;
    bool suffix;
    const char* kind;
};
const Foreign kForeign[] = {
    { ".hada_", false, "LyCORIS LoHa" },
    { ".lokr_", false, "LyCORIS LoKr" },
    { ".lora_mid.", false, "LoCon CP-decomposition (lora_mid)" },
    { ".oft_", false, "OFT" },
    { "bundle_emb.", false, "embedded textual inversion" },
    { ".dora_scale", true, "DoRA" },
    { ".diff", true, "full-difference (LyCORIS full)" },
    { ".diff_b", true, "full-difference (LyCORIS full)" },
    { ".w_norm", true, "LyCORIS norm" },
    { ".b_norm", true, "LyCORIS norm" },
};

// Compound words of diffusers / transformers module paths, for turning kohya's `_`-joined names
// back into dotted ones (longest first where one is a prefix of another).
const char* const kCompound[] = {
    "transformer_blocks",
    "conv_norm_out",
    "time_emb_proj",
    "conv_shortcut",
    "time_embedding",
    "add_embedding",
    "final_layer_norm",
    "token_embedding",
    "position_embedding",
    "text_projection",
    "down_blocks",
    "up_blocks",
    "mid_block",
    "text_model",
    "self_attn",
    "layer_norm1",
    "layer_norm2",
    "proj_in",
    "proj_out",
    "conv_in",
    "conv_out",
    "linear_1",
    "linear_2",
    "to_out",
    "q_proj",
    "k_proj",
    "v_proj",
    "out_proj",
    "to_q",
    "to_k",
    "to_v",
};

// "down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_out_0" -> "down_blocks.0.attentions.0.
// transformer_blocks.0.attn1.to_out.0"
std::string dotted(const std::string& underscored)
{
    std::string out;
    size_t p = 0;
    while (p < underscored.size()) {
        size_t len = 0;
        for (const char* c : kCompound) {
            const size_t n = std::strlen(c);
            if (n > len && underscored.compare(p, n, c) == 0
                && (p + n == underscored.size() || underscored[p + n] == '_'))
                len = n;
        }
        if (len == 0) {
            const size_t next = underscored.find('_', p);
            len = (next == std::string::npos ? underscored.size() : next) - p;
        }
        out += (out.empty() ? "" : ".") + underscored.substr(p, len);
        p += len + 1;
    }
    return out;
}

// diffusers' attention-processor names: "attn1.processor.to_q" -> "attn1.to_q", "...to_out" -> "to_out.0".
std::string canonicalDotted(std::string d)
{
    const std::string proc = ".processor.";
    for (size_t at; (at = d.find(proc)) != std::string::npos;)
        d.replace(at, proc.size(), ".");
    if (endsWith(d, ".to_out"))
        d += ".0";
    return d;
}

// `_`-joined module path (under `prefix`) -> the weight's key, for the names kohya writes as the
// single-file layout has them (its SDXL UNet, and SD1 / SDXL-first CLIP encoders).
std::map<std::string, std::string> underscoreIndex(
    const std::map<std::string, torch::Tensor>& weights, const std::string& prefix)
{
    std::map<std::string, std::string> index;
    for (const auto& [key, t] : weights) {
        if (!startsWith(key, prefix) || !endsWith(key, ".weight"))
            continue;
        std::string module = key.substr(prefix.size(), key.size() - prefix.size() - 7);
        std::replace(module.begin(), module.end(), '.', '_');
        index.emplace(module, key);
    }
    return index;
}

const char* const kUnetPrefix = "model.diffusion_model.";

} // namespace

// ---- reading ---------------------------------------------------------------------------------------

LoraFile LoraFile::read(const std::string& path)
{
    if (detectCheckpointFormat(path) == CheckpointFormat::Diffusers)
        throw EngineError(path + ": a diffusers pipeline folder, not a LoRA file");
    LoraFile f;
    f.path = path;
    f.name = fs::path(path).stem().string();
    if (endsWith(path, ".safetensors"))
        f.metadata = safetensorsMetadata(path);
    const StateDict tensors = loadCheckpoint(path);
    if (tensors.empty())
        throw EngineError(
            path + ": holds no tensors (expected LoRA layers such as 'lora_unet_*.lora_down.weight')");

    struct Parts {
        torch::Tensor down, up, alpha;
    };
    std::map<std::string, Parts> groups;
    for (const auto& [key, t] : tensors) {
        for (const Foreign& x : kForeign)
            if (x.suffix ? endsWith(key, x.marker) : key.find(x.marker) != std::string::npos)
                throw EngineError(path + ": tensor '" + key + "' belongs to a " + x.kind
                    + " layer; only LoRA / LoCon layers (lora_down / lora_up, lora_A / lora_B) are "
                      "supported");
        const Suffix* match = nullptr;
        for (const Suffix& s : kSuffixes)
            if (endsWith(key, s.text) && (!match || std::strlen(s.text) > std::strlen(match->text)))
                match = &s;
        if (!match)
            throw EngineError(path + ": tensor '" + key
                + "' is not part of a LoRA layer (expected names ending in .lora_down.weight, "
                  ".lora_up.weight, .alpha, .lora_A.weight or .lora_B.weight)");
        // processor form "...attn1.processor.to_q_lora.down.weight" leaves "...processor.to_q", which
        // the name mapping reads as "...attn1.to_q"
        Parts& p = groups[key.substr(0, key.size() - std::strlen(match->text))];
        torch::Tensor& slot = match->role == Role::Down ? p.down : match->role == Role::Up ? p.up : p.alpha;
        slot = t.to(torch::kCPU, torch::kFloat32).contiguous();
    }

    for (auto& [name, p] : groups) {
        if (!p.down.defined() || !p.up.defined())
            throw EngineError(path + ": LoRA layer '" + name + "' has no "
                + (p.down.defined() ? "up" : "down")
                + " matrix (expected both '.lora_down.weight' and '.lora_up.weight', or lora_A and lora_B)");
        if (p.down.dim() != 2 && p.down.dim() != 4)
            throw EngineError(path + ": LoRA layer '" + name + "' down matrix is "
                + shapeString(p.down.sizes()) + " (expected [rank, in] or [rank, in, kh, kw])");
        if (p.up.dim() != 2 && !(p.up.dim() == 4 && p.up.size(2) == 1 && p.up.size(3) == 1))
            throw EngineError(path + ": LoRA layer '" + name + "' up matrix is " + shapeString(p.up.sizes())
                + " (expected [out, rank] or [out, rank, 1, 1])");
        if (p.up.size(1) != p.down.size(0))
            throw EngineError(path + ": LoRA layer '" + name + "' has rank " + std::to_string(p.down.size(0))
                + " in its down matrix " + shapeString(p.down.sizes()) + " but "
                + std::to_string(p.up.size(1)) + " in its up matrix " + shapeString(p.up.sizes()));
        LoraLayer layer;
        layer.name = name;
        layer.down = p.down;
        layer.up = p.up;
        layer.alpha = double(p.down.size(0)); // no alpha: scale 1 (diffusers / PEFT default, A1111)
        if (p.alpha.defined()) {
            if (p.alpha.numel() != 1)
                throw EngineError(path + ": '" + name + ".alpha' has shape " + shapeString(p.alpha.sizes())
                    + " (expected a single number)");
            layer.alpha = p.alpha.item<double>();
        }
        f.layers.push_back(std::move(layer));
    }
    return f;
}

std::string loraShortHash(const std::string& path)
{
    uint64_t begin = 0;
    if (endsWith(path, ".safetensors")) {
        const auto file = MappedFile::open(path);
        if (file->size() >= 8) {
            uint64_t n = 0;
            for (int i = 7; i >= 0; --i)
                n = (n << 8) | file->data()[i]; // little-endian header length
            begin = 8 + n;
        }
    }
    return fileSha256(path, begin, 12);
}

std::string findLoraFile(const std::string& name, const std::vector<std::string>& folders)
{
    static const char* const exts[] = { ".safetensors", ".pt", ".ckpt", ".bin" };
    std::error_code ec;
    if (!name.empty() && fs::is_regular_file(name, ec))
        return name;
    for (const std::string& folder : folders) {
        if (folder.empty() || !fs::is_directory(folder, ec))
            continue;
        for (const char* ext : exts) // "sub/name" as A1111 also accepts
            if (fs::is_regular_file(fs::path(folder) / (name + ext), ec))
                return (fs::path(folder) / (name + ext)).string();
        std::vector<fs::path> found;
        for (auto it
             = fs::recursive_directory_iterator(folder, fs::directory_options::skip_permission_denied, ec);
             !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
            const fs::path& p = it->path();
            if (p.stem().string() != name || !it->is_regular_file(ec))
                continue;
            for (const char* ext : exts)
                if (p.extension() == ext)
                    found.push_back(p);
        }
        if (!found.empty()) {
            std::sort(found.begin(), found.end());
            return found.front().string();
        }
    }
    return {};
}

// ---- names -------------------------------------------------------------------------------------------

LoraTarget loraTarget(const std::string& layerName, const LoraModelView& model, const std::string& file)
{
    std::string name = layerName;
    if (startsWith(name, "base_model.model."))
        name = name.substr(17);
    // component: -1 = UNet, else the text encoder index; `underscored` for kohya names
    int encoder = -1;
    bool underscored = true;
    std::string rest;
    struct Prefix {
        const char* text;
        int encoder;
        bool underscored;
    };
    static const Prefix prefixes[] = {
        { "lora_unet_", -1, true },
        { "lora_te1_", 0, true },
        { "lora_te2_", 1, true },
        { "lora_te_", 0, true },
        { "unet.", -1, false },
        { "text_encoder_2.", 1, false },
        { "text_encoder.", 0, false },
    };
    bool known = false;
    for (const Prefix& p : prefixes) {
        if (startsWith(name, p.text)) {
            rest = name.substr(std::strlen(p.text));
            encoder = p.encoder;
            underscored = p.underscored;
            known = true;
            break;
        }
    }
    auto fail = [&](const std::string& why) -> LoraTarget {
        throw EngineError(file + ": LoRA layer '" + layerName + "' " + why + " in this " + model.family
            + " model (is the LoRA made for another model architecture?)");
    };
    if (!known)
        fail(
            "names no UNet or text encoder module (expected lora_unet_*, lora_te_*, unet.*, text_encoder.*)");
    if (encoder >= int(model.textPrefixes.size()))
        fail("is for text encoder " + std::to_string(encoder + 1) + ", which does not exist");

    const std::string prefix = encoder < 0 ? kUnetPrefix : model.textPrefixes[size_t(encoder)];
    LoraTarget target;
    target.textEncoder = encoder >= 0;
    if (underscored) {
        auto& index = model.underscored[prefix];
        if (index.empty())
            index = underscoreIndex(model.weights, prefix);
        auto it = index.find(rest);
        if (it != index.end()) {
            target.key = it->second;
            return target;
        }
        rest = dotted(rest);
    }
    rest = canonicalDotted(rest);

    DiffusersBlockLayout layout;
    layout.layersPerBlock = model.layersPerBlock;
    layout.upBlockHasAttention = model.upBlockHasAttention;
    const std::string component = encoder < 0 ? "unet" : encoder == 0 ? "text_encoder" : "text_encoder_2";
    std::optional<DiffusersRename> r;
    try {
        r = renameDiffusersKey(model.family, component, rest + ".weight", layout);
    } catch (const EngineError&) {
        fail("is for the " + component + " component, which does not exist");
    }
    if (!r || !model.weights.count(r->ldmKey))
        fail("(module '" + rest + "') has no weight" + (r ? " '" + r->ldmKey + "'" : std::string()));
    target.key = r->ldmKey;
    if (r->transform == DiffusersRename::Transform::FusedQkv)
        target.part = r->part;
    else if (r->transform != DiffusersRename::Transform::None
        && r->transform != DiffusersRename::Transform::Conv1x1)
        fail("maps to '" + r->ldmKey + "', which a LoRA cannot change");
    return target;
}

// ---- merging -----------------------------------------------------------------------------------------

void LoraPatcher::restore(LoraModelView& model)
{
    c10::InferenceMode guard;
    for (auto& [key, original] : m_backup) {
        auto it = model.weights.find(key);
        if (it != model.weights.end())
            it->second.copy_(original);
    }
    m_backup.clear();
    m_applied.clear();
}

void LoraPatcher::apply(LoraModelView& model, const std::vector<LoraUse>& loras)
{
    auto same = [](const std::vector<LoraUse>& a, const std::vector<LoraUse>& b) {
        if (a.size() != b.size())
            return false;
        for (size_t i = 0; i < a.size(); ++i)
            if (a[i].file != b[i].file || a[i].textWeight != b[i].textWeight
                || a[i].unetWeight != b[i].unetWeight)
                return false;
        return true;
    };
    if (same(loras, m_applied))
        return;
    restore(model);
    try {
        for (const LoraUse& use : loras)
            merge(model, use);
    } catch (...) {
        restore(model);
        throw;
    }
    m_applied = loras;
}

namespace
{

// The part of the model's weight `layer` changes (the q/k/v rows of a fused OpenCLIP in_proj_weight,
// else the whole tensor); throws EngineError when the layer's shapes do not fit it.
torch::Tensor layerDestination(
    const LoraModelView& model, const LoraLayer& layer, const LoraTarget& target, const std::string& file)
{
    const torch::Tensor& weight = model.weights.at(target.key);
    torch::Tensor dest = weight;
    if (target.part >= 0) // fused OpenCLIP in_proj_weight [3C, C]: rows of q, k or v
        dest = weight.narrow(0, weight.size(0) / 3 * target.part, weight.size(0) / 3);
    const int64_t in = dest.numel() / std::max<int64_t>(1, dest.size(0));
    if (layer.up.size(0) != dest.size(0) || layer.down.flatten(1).size(1) != in)
        throw EngineError(file + ": LoRA layer '" + layer.name + "' (up " + shapeString(layer.up.sizes())
            + ", down " + shapeString(layer.down.sizes()) + ") does not fit '" + target.key
            + (target.part >= 0 ? "' rows " + std::to_string(target.part) : std::string("'")) + " of shape "
            + shapeString(dest.sizes()) + " (is the LoRA made for another model architecture?)");
    return dest;
}

} // namespace

void LoraPatcher::check(const LoraModelView& model, const LoraUse& use)
{
    if (!use.file)
        return;
    for (const LoraLayer& layer : use.file->layers)
        layerDestination(model, layer, loraTarget(layer.name, model, use.file->path), use.file->path);
}

void LoraPatcher::merge(LoraModelView& model, const LoraUse& use)
{
    if (!use.file)
        return;
    c10::InferenceMode guard;
    const LoraFile& f = *use.file;
    for (const LoraLayer& layer : f.layers) {
        const LoraTarget target = loraTarget(layer.name, model, f.path);
        const double multiplier = target.textEncoder ? use.textWeight : use.unetWeight;
        if (multiplier == 0.0)
            continue; // weight 0: leave the weight untouched, bit for bit
        torch::Tensor weight = model.weights.at(target.key);
        torch::Tensor dest = layerDestination(model, layer, target, f.path);
        // [out, r] @ [r, in * kh * kw] -> the weight's shape ([out, in] or [out, in, kh, kw])
        const torch::Tensor up = layer.up.flatten(1), down = layer.down.flatten(1);
        const torch::Tensor delta = at::mm(up, down).reshape(dest.sizes()) * (multiplier * layer.scale());
        if (!m_backup.count(target.key))
            m_backup.emplace(target.key, weight.to(torch::kCPU, weight.scalar_type(), false, /*copy=*/true));
        // the sum in float32, rounded once to the weight's dtype
        dest.copy_(dest.to(torch::kFloat32) + delta.to(dest.device()));
    }
}

} // namespace qd
