#pragma once
// The exact token count of a prompt as AUTOMATIC1111 shows it under the prompt box: extra-network tags
// (<lora:...>) removed, attention syntax parsed, CLIP's BPE tokenizer, chunks of 75 with the comma
// backtrack and BREAK (docs/reference.md §6). The engine's prompt parser does the work; this is the
// front ends' way to it.
#include <QList>
#include <QString>

#include <optional>

namespace qd
{

struct EmbeddingVocabulary;

struct PromptTokens {
    int total = 0; // A1111's token_count: every closed chunk counts 75
    QList<int> perChunk; // tokens in each chunk, without BOS/EOS; at least one (possibly empty) chunk
};

// nullopt when no exact count can be made: the tokenizer's vocabulary could not be loaded (warned
// once), or the prompt does not parse yet (a LoRA multiplier half typed, "<lora:x:0.").
// A textual-inversion embedding named in `embeddings` counts as its vectors.
std::optional<PromptTokens> countPromptTokens(
    const QString& prompt, const EmbeddingVocabulary* embeddings = nullptr);

} // namespace qd
