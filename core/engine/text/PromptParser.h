#pragma once
// AUTOMATIC1111's prompt syntax and chunking (docs/reference.md §6), exactly as its
// modules/prompt_parser.py (parse_prompt_attention), modules/extra_networks.py (parse_prompt) and
// modules/sd_hijack_clip.py (tokenize_line) do it; pinned by tests/data/conformance/
// prompt_chunks_cases.json. No torch here: the GUI shows token counts with it.
#include <string>
#include <string_view>
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

// One encoder input: start, 75 tokens (padded with <|endoftext|>), end = 77 ids, and a weight per
// id (1.0 at start, end and padding).
struct PromptChunk {
    std::vector<int> tokens;
    std::vector<double> multipliers;
};

struct ChunkedPrompt {
    std::vector<PromptFragment> parsed;
    std::vector<PromptChunk> chunks; // at least one
    int tokenCount = 0; // what A1111's UI shows: 75 per full chunk + the last one's tokens
};

struct ChunkOptions {
    int chunkLength = 75; // tokens between start and end
    int commaBacktrack = 20; // A1111 comma_padding_backtrack: move the text after a comma this close
                             // to a chunk's end into the next chunk (0 disables)
    bool emphasis = true; // false = A1111 emphasis "None": brackets are plain text
    ClipTokenizer::Pad pad = ClipTokenizer::Pad::EndOfText; // tokenizer flavour (see ClipTokenizer)
};

// parsePromptAttention + tokenize each fragment + A1111 chunking. The text should already have its
// extra-network tags removed (extractExtraNetworks).
ChunkedPrompt chunkPrompt(
    std::string_view prompt, const ClipTokenizer& tokenizer, const ChunkOptions& options = {});

// A1111's empty_chunk(): start, then end repeated; every multiplier 1.
PromptChunk emptyChunk(int chunkLength = 75);

} // namespace qd
