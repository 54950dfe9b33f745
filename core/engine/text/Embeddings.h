#pragma once
// Textual-inversion embeddings as AUTOMATIC1111 reads them (modules/textual_inversion): a file's
// name (without extension) typed in a prompt stands for its vectors, which replace the token
// embeddings where the name's tokens were (docs/reference.md §6.1). Formats: A1111 / original
// .pt ({"string_to_param": {"*": [n, C]}, "step", "sd_checkpoint_name", ...}, also as a pickled
// nn.ParameterDict), diffusers concepts .bin ({"<token>": [C]}), .safetensors ({"emb_params": [n, C]}),
// SDXL ({"clip_l": [n, 768], "clip_g": [n, 1280]}).
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <torch/types.h>

#include "text/ClipTokenizer.h"
#include "text/PromptParser.h"

namespace qd
{

struct EmbeddingInfo {
    std::string name; // the file's name without extension: the word that inserts it
    std::string path;
    int vectors = 0; // tokens it occupies
    int64_t width = 0; // per-vector width (SDXL: clip_l + clip_g = 2048)
    int64_t step = -1; // training step when the file says
    std::string checkpointName; // "sd_checkpoint_name" when the file says
    // "SD1" (768), "SD2" (1024), "SDXL" (2048) from the width; "" otherwise
    std::string family() const;
};

struct TextualInversion {
    EmbeddingInfo info;
    // float32 [vectors, width] per text encoder: "" for SD1 / SD2, "clip_l" and "clip_g" for SDXL
    std::map<std::string, torch::Tensor> vectors;
};

// Reads one embedding file. Throws EngineError naming the file and what is wrong with it.
TextualInversion loadTextualInversion(const std::string& path);

// The embedding files (.pt, .bin, .safetensors) under each folder and its subfolders, sorted; folders
// that do not exist are skipped.
std::vector<std::string> findEmbeddingFiles(const std::vector<std::string>& dirs);

// The embeddings a model can use, and the chunker's view of their names.
class EmbeddingSet
{
public:
    // Loads every file of `dirs`; a later file of the same name replaces an earlier one (A1111).
    // `width` > 0 keeps only embeddings of that width (the model's text context width); the others,
    // and files that can't be read, are listed in skipped() with the reason.
    static std::shared_ptr<const EmbeddingSet> load(
        const std::vector<std::string>& dirs, int64_t width, const ClipTokenizer& tokenizer);
    // From embeddings already read (tests; the first of equal names is replaced by the later).
    static std::shared_ptr<const EmbeddingSet> fromEmbeddings(
        std::vector<TextualInversion> embeddings, const ClipTokenizer& tokenizer);

    const EmbeddingVocabulary& vocabulary() const { return m_vocabulary; }
    const std::vector<TextualInversion>& embeddings() const { return m_embeddings; }
    const std::vector<std::pair<std::string, std::string>>& skipped() const { return m_skipped; }
    // A1111's "TI hashes" value for embeddings `indices` ("name: sha256[0:12], ..."); "" without
    // SHA-256 support. Each file is hashed once.
    std::string hashes(const std::vector<int>& indices) const;

private:
    std::vector<TextualInversion> m_embeddings;
    EmbeddingVocabulary m_vocabulary;
    std::vector<std::pair<std::string, std::string>> m_skipped; // path, reason
    mutable std::map<std::string, std::string> m_hashes; // path -> 12 hex digits
};

} // namespace qd
