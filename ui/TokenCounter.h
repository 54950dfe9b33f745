#pragma once
// The prompt editor's live token counter, behind one swappable function. The default is exact: CLIP's
// tokenizer and A1111's prompt parsing and chunking (core/generation/PromptTokens.h); the estimate
// stands in when the tokenizer's vocabulary cannot be loaded.
#include <QList>
#include <QString>

#include <functional>

namespace qd
{

struct EmbeddingVocabulary;

// Tokens of one prompt as A1111 counts them: the text after attention syntax and extra-network tags
// are removed, split into chunks of 75 (docs/reference.md §6).
struct TokenCount {
    int total = 0; // tokens over all chunks, without BOS/EOS
    QList<int> perChunk; // tokens in each chunk; at least one (possibly empty) chunk
    bool estimated = true; // false once a real tokenizer made the count
    int chunkCapacity() const { return 75 * int(perChunk.size()); } // A1111 shows "total/capacity"
};

using TokenCounterFunction = std::function<TokenCount(const QString& prompt)>;

// A1111's text without weights and extra networks: "(red:1.2) [cat] <lora:x:1>" -> "red cat".
// BREAK is kept as its own word. Escaped brackets \( \) stay as literal brackets.
QString stripPromptSyntax(const QString& prompt);

// Chunking as A1111's FrozenCLIPEmbedderWithCustomWords.tokenize_line: at 75 tokens a chunk is
// closed; when a comma lies within the last 20 tokens the chunk is cut just after that comma and the
// rest carries over; BREAK closes a chunk early. `total` counts every closed chunk as 75 (A1111's
// token_count). Each entry of `tokens` is one of the kinds below.
enum class TokenKind { Word, Comma, Break };
TokenCount chunkTokens(const QList<TokenKind>& tokens);

// Estimate without the BPE vocabulary: CLIP's pre-tokenizer pattern splits words, single digits and
// punctuation runs; a word of up to 8 letters counts as one token, longer words as one per 6 letters
// (CLIP's vocabulary holds most common English words whole).
TokenCount estimateTokenCount(const QString& prompt);

// A1111's count: extra-network tags removed, attention parsed, CLIP BPE, chunks of 75 with the comma
// backtrack and BREAK; a textual-inversion embedding's name counts as its vectors. Falls back to
// estimateTokenCount() when the vocabulary is missing.
TokenCount clipTokenCount(const QString& prompt, const EmbeddingVocabulary* embeddings = nullptr);

} // namespace qd
