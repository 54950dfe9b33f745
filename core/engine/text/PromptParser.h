#pragma once
// AUTOMATIC1111's prompt syntax and chunking (docs/reference.md §6), exactly as its
// modules/prompt_parser.py (parse_prompt_attention), modules/extra_networks.py (parse_prompt) and
// modules/sd_hijack_clip.py (tokenize_line) do it; pinned by tests/data/conformance/
// prompt_chunks_cases.json. No torch here: the GUI shows token counts with it.
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "text/ClipTokenizer.h"

namespace qd
{

// One run of prompt text with its attention weight. {"BREAK", -1} marks a BREAK (A1111's marker:
// only an entry with exactly this text and weight starts a new chunk).
struct PromptFragment {
    std::string text;
    double weight = 1.0;
    bool isBreak() const { return weight == -1.0 && text == "BREAK"; }
};

// `(a)` x1.1, `((a))` x1.21, `(a:1.3)`, `[a]` /1.1, `\(` `\)` `\[` `\]` `\\` literal, BREAK; unclosed
// brackets apply to the end; runs of equal weight are merged. Never fails: anything unparsable is
// text. An empty prompt gives {{"", 1.0}}.
std::vector<PromptFragment> parsePromptAttention(std::string_view text);

// `<kind:args>` tags (A1111 "extra networks": `<lora:name:0.8>`, `<lora:name:0.8:0.5>`,
// `<lora:name:te=0.8:unet=0.5>`, `<hypernet:name:1>`), removed from the text the encoder sees.
struct ExtraNetwork {
    std::string kind; // "lora", "hypernet", ...
    std::vector<std::string> args; // the ':'-separated items as written
    std::string name; // first positional item
    double teMultiplier = 1.0; // second positional item or te=
    double unetMultiplier = 1.0; // third positional item or unet=, else teMultiplier
};
struct PromptWithNetworks {
    std::string prompt; // the prompt with every tag removed
    std::vector<ExtraNetwork> networks; // in order of appearance
};
// Throws EngineError naming the tag when a multiplier is not a number.
PromptWithNetworks extractExtraNetworks(std::string_view prompt);

// Textual-inversion embeddings as the chunker sees them: each name's token ids and how many vectors
// it stands for (A1111's EmbeddingDatabase.ids_lookup). Torch-free, so the GUI's token counter
// counts embeddings as the encoder will.
struct EmbeddingVocabulary {
    struct Entry {
        std::vector<int> ids; // the name's tokens (without start / end)
        int vectors = 1;
        int index = 0; // the caller's number for this embedding
    };
    // Adds (or, for the same ids, replaces) an entry; per first id the longest names come first.
    void add(std::vector<int> ids, int vectors, int index);
    // The longest entry whose ids start at tokens[position], or nullptr.
    const Entry* match(const std::vector<int>& tokens, size_t position) const;
    bool empty() const { return m_byFirstId.empty(); }

private:
    std::unordered_map<int, std::vector<Entry>> m_byFirstId;
};

// One embedding placed in a chunk: its vectors replace the token embeddings at positions
// offset + 1 ... (after the start token), as A1111's PromptChunkFix.
struct EmbeddingFix {
    int offset = 0; // index into the chunk's tokens without the start token
    int index = 0; // EmbeddingVocabulary::Entry::index
};

// One encoder input: start, 75 tokens (padded with <|endoftext|>), end = 77 ids, and a weight per
// id (1.0 at start, end and padding). An embedding occupies one id 0 per vector.
struct PromptChunk {
    std::vector<int> tokens;
    std::vector<double> multipliers;
    std::vector<EmbeddingFix> fixes;
};

struct ChunkedPrompt {
    std::vector<PromptFragment> parsed;
    std::vector<PromptChunk> chunks; // at least one
    int tokenCount = 0; // what A1111's UI shows: 75 per full chunk + the last one's tokens
    std::vector<int> embeddings; // indices of the embeddings used, in order of first use
};

struct ChunkOptions {
    int chunkLength = 75; // tokens between start and end
    int commaBacktrack = 20; // A1111 comma_padding_backtrack: move the text after a comma this close
                             // to a chunk's end into the next chunk (0 disables)
    bool emphasis = true; // false = A1111 emphasis "None": brackets are plain text
    ClipTokenizer::Pad pad = ClipTokenizer::Pad::EndOfText; // tokenizer flavour (see ClipTokenizer)
};

// parsePromptAttention + tokenize each fragment + A1111 chunking. The text should already have its
// extra-network tags removed (extractExtraNetworks). With `embeddings`, a run of tokens spelling an
// embedding's name becomes that many vectors' placeholders (moved whole to the next chunk when they
// do not fit), as A1111's tokenize_line.
ChunkedPrompt chunkPrompt(std::string_view prompt, const ClipTokenizer& tokenizer,
    const ChunkOptions& options = {}, const EmbeddingVocabulary* embeddings = nullptr);

// A1111's empty_chunk(): start, then end repeated; every multiplier 1.
PromptChunk emptyChunk(int chunkLength = 75);

} // namespace qd
