#include "core/generation/PromptTokens.h"

#include "core/engine/text/PromptParser.h"

#include <QtGlobal>

namespace qd
{

std::optional<PromptTokens> countPromptTokens(const QString& prompt, const EmbeddingVocabulary* embeddings)
{
    static const ClipTokenizer* tokenizer = []() -> const ClipTokenizer* {
        try {
            return &ClipTokenizer::shared();
        } catch (const std::exception& e) {
            qWarning("token counter: %s; counting an estimate instead", e.what());
            return nullptr;
        }
    }();
    if (!tokenizer)
        return std::nullopt;
    try {
        const std::string text = prompt.toStdString();
        const ChunkedPrompt chunked
            = chunkPrompt(extractExtraNetworks(text).prompt, *tokenizer, {}, embeddings);
        PromptTokens count;
        count.total = chunked.tokenCount;
        for (const PromptChunk& c : chunked.chunks) {
            // start, tokens, then end / padding (PromptChunk is always 77 ids)
            int n = 0;
            for (size_t i = 1; i < c.tokens.size() && c.tokens[i] != ClipTokenizer::EndId; ++i)
                ++n;
            count.perChunk.append(n);
        }
        if (count.perChunk.isEmpty())
            count.perChunk.append(0);
        return count;
    } catch (const std::exception&) {
        return std::nullopt; // e.g. a malformed LoRA multiplier while typing "<lora:x:0."
    }
}

} // namespace qd
