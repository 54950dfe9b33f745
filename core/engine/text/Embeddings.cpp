#include "text/Embeddings.h"

#include <algorithm>
#include <filesystem>

#include <torch/torch.h>

#include "EngineError.h"
#include "io/FileHash.h"
#include "io/SafeTensors.h"
#include "io/TorchCheckpoint.h"

namespace fs = std::filesystem;

namespace qd
{

namespace
{

std::string lowerExtension(const fs::path& p)
{
    std::string e = p.extension().string();
    std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return e;
}

std::string shapeText(const torch::Tensor& t)
{
    std::string s = "[";
    for (int64_t i = 0; i < t.dim(); ++i)
        s += (i ? ", " : "") + std::to_string(t.size(i));
    return s + "]";
}

// [C] -> [1, C]; anything but a 1- or 2-dimensional floating tensor is refused.
torch::Tensor asVectors(torch::Tensor t, const std::string& path, const std::string& key)
{
    if (!t.is_floating_point() || t.dim() < 1 || t.dim() > 2 || t.numel() == 0)
        throw EngineError(path + ": '" + key + "' is a " + std::string(c10::toString(t.scalar_type())) + " "
            + shapeText(t) + " tensor, expected float [vectors, width]");
    if (t.dim() == 1)
        t = t.unsqueeze(0);
    return t.to(torch::kFloat32).contiguous().clone(); // owns its memory: the file is closed after
}

} // namespace

std::string EmbeddingInfo::family() const
{
    return width == 768 ? "SD1" : width == 1024 ? "SD2" : width == 2048 ? "SDXL" : "";
}

TextualInversion loadTextualInversion(const std::string& path)
{
    const fs::path p(path);
    const std::string ext = lowerExtension(p);
    StateDict tensors;
    std::map<std::string, std::string> scalars;
    if (ext == ".safetensors") {
        tensors = loadSafetensors(path);
        scalars = safetensorsMetadata(path);
    } else if (ext == ".pt" || ext == ".bin") {
        tensors = loadTorchCheckpointTree(path, &scalars);
    } else {
        throw EngineError(path + ": not an embedding file (expected .pt, .bin or .safetensors)");
    }

    TextualInversion ti;
    ti.info.name = p.stem().string();
    ti.info.path = path;
    std::vector<std::string> params;
    for (const auto& [key, t] : tensors)
        if (key.rfind("string_to_param.", 0) == 0)
            params.push_back(key);
    if (!params.empty()) { // A1111 / textual_inversion .pt
        if (params.size() != 1)
            throw EngineError(path + ": the embedding file has " + std::to_string(params.size())
                + " terms in string_to_param, expected one");
        ti.vectors[""] = asVectors(tensors.at(params.front()), path, params.front());
    } else if (tensors.count("clip_l") && tensors.count("clip_g")) { // SDXL
        ti.vectors["clip_l"] = asVectors(tensors.at("clip_l"), path, "clip_l");
        ti.vectors["clip_g"] = asVectors(tensors.at("clip_g"), path, "clip_g");
        if (ti.vectors["clip_l"].size(0) != ti.vectors["clip_g"].size(0))
            throw EngineError(path + ": clip_l has " + std::to_string(ti.vectors["clip_l"].size(0))
                + " vectors and clip_g " + std::to_string(ti.vectors["clip_g"].size(0))
                + ", expected the same");
    } else if (tensors.size() == 1) { // diffusers concept {"<token>": [C]}, safetensors {"emb_params": ...}
        ti.vectors[""] = asVectors(tensors.begin()->second, path, tensors.begin()->first);
    } else {
        std::string keys;
        for (const auto& [key, t] : tensors)
            keys += (keys.empty() ? "" : ", ") + key;
        throw EngineError(path + ": neither a textual inversion embedding nor a diffusers concept (tensors: "
            + (keys.empty() ? std::string("none") : keys) + ")");
    }
    ti.info.vectors = int(ti.vectors.begin()->second.size(0));
    for (const auto& [key, v] : ti.vectors)
        ti.info.width += v.size(1);
    if (const auto it = scalars.find("step"); it != scalars.end()) {
        try {
            ti.info.step = std::stoll(it->second);
        } catch (const std::exception&) {
        }
    }
    if (const auto it = scalars.find("sd_checkpoint_name"); it != scalars.end())
        ti.info.checkpointName = it->second;
    return ti;
}

std::vector<std::string> findEmbeddingFiles(const std::vector<std::string>& dirs)
{
    std::vector<std::string> out;
    for (const std::string& dir : dirs) {
        std::error_code ec;
        if (dir.empty() || !fs::is_directory(dir, ec))
            continue;
        std::vector<std::string> here;
        for (fs::recursive_directory_iterator it(dir, fs::directory_options::follow_directory_symlink, ec),
             end;
             !ec && it != end; it.increment(ec)) {
            const std::string ext = lowerExtension(it->path());
            if ((ext == ".pt" || ext == ".bin" || ext == ".safetensors") && it->is_regular_file(ec)
                && it->file_size(ec) > 0)
                here.push_back(it->path().string());
        }
        std::sort(here.begin(), here.end());
        out.insert(out.end(), here.begin(), here.end());
    }
    return out;
}

std::shared_ptr<const EmbeddingSet> EmbeddingSet::load(
    const std::vector<std::string>& dirs, int64_t width, const ClipTokenizer& tokenizer)
{
    std::vector<TextualInversion> kept;
    std::vector<std::pair<std::string, std::string>> skipped;
    for (const std::string& path : findEmbeddingFiles(dirs)) {
        try {
            TextualInversion ti = loadTextualInversion(path);
            if (width > 0 && ti.info.width != width) {
                skipped.emplace_back(path,
                    "made for another model (width " + std::to_string(ti.info.width) + ", this model's "
                        + std::to_string(width) + ")");
                continue;
            }
            kept.push_back(std::move(ti));
        } catch (const std::exception& e) { // EngineError, or c10::Error from a malformed tensor
            skipped.emplace_back(path, e.what());
        }
    }
    auto set = fromEmbeddings(std::move(kept), tokenizer);
    std::const_pointer_cast<EmbeddingSet>(set)->m_skipped = std::move(skipped);
    return set;
}

std::shared_ptr<const EmbeddingSet> EmbeddingSet::fromEmbeddings(
    std::vector<TextualInversion> embeddings, const ClipTokenizer& tokenizer)
{
    auto set = std::make_shared<EmbeddingSet>();
    for (TextualInversion& ti : embeddings) {
        const auto same = std::find_if(set->m_embeddings.begin(), set->m_embeddings.end(),
            [&](const TextualInversion& e) { return e.info.name == ti.info.name; });
        if (same != set->m_embeddings.end())
            *same = std::move(ti);
        else
            set->m_embeddings.push_back(std::move(ti));
    }
    for (size_t i = 0; i < set->m_embeddings.size(); ++i) {
        const EmbeddingInfo& info = set->m_embeddings[i].info;
        set->m_vocabulary.add(tokenizer.encode(info.name), info.vectors, int(i));
    }
    return set;
}

std::string EmbeddingSet::hashes(const std::vector<int>& indices) const
{
    std::string out;
    for (int i : indices) {
        const EmbeddingInfo& info = m_embeddings.at(size_t(i)).info;
        auto it = m_hashes.find(info.path);
        if (it == m_hashes.end()) {
            std::string h;
            try {
                h = fileSha256(info.path, 0, 12);
            } catch (const EngineError&) {
            }
            it = m_hashes.emplace(info.path, h).first;
        }
        if (it->second.empty())
            continue;
        std::string alias;
        for (char ch : info.name)
            if (ch != ':' && ch != ',')
                alias += ch;
        out += (out.empty() ? "" : ", ") + alias + ": " + it->second;
    }
    return out;
}

} // namespace qd
