#include "ui/TokenCounter.h"

#include <QRegularExpression>

#include "core/generation/PromptTokens.h"

namespace qd
{

namespace
{
constexpr int kChunkLength = 75; // CLIP's 77 positions minus BOS and EOS
constexpr int kCommaBacktrack = 20; // A1111 option comma_padding_backtrack (default 20)
} // namespace

QString stripPromptSyntax(const QString& prompt)
{
    // Extra networks (<lora:name:0.8>, <hypernet:...>) are taken out before A1111 parses attention.
    static const QRegularExpression extraNetwork(QStringLiteral("<(\\w+):([^>]+)>"));
    QString text = prompt;
    text.replace(extraNetwork, QString());

    // A1111's prompt_parser.re_attention, one alternative per token kind.
    static const QRegularExpression attention(
        QStringLiteral(R"(\\\(|\\\)|\\\[|\\\]|\\\\|\\|\(|\[|:\s*([+-]?[.\d]+)\s*\)|\)|\]|[^\\()\[\]:]+|:)"));
    QString out;
    auto it = attention.globalMatch(text);
    while (it.hasNext()) {
        const auto m = it.next();
        const QString tok = m.captured(0);
        if (tok.size() == 2 && tok.at(0) == u'\\')
            out += tok.at(1); // escaped bracket or backslash: literal
        else if (tok == u"(" || tok == u"[" || tok == u")" || tok == u"]" || m.hasCaptured(1))
            out += u' '; // attention syntax separates words but adds no tokens
        else
            out += tok;
    }
    return out;
}

TokenCount chunkTokens(const QList<TokenKind>& tokens)
{
    TokenCount count;
    count.estimated = false;
    QList<TokenKind> chunk;
    int lastComma = -1;
    auto nextChunk = [&](bool isLast) {
        count.total += isLast ? int(chunk.size()) : kChunkLength;
        count.perChunk.append(int(chunk.size()));
        chunk.clear();
        lastComma = -1;
    };
    for (TokenKind kind : tokens) {
        if (kind == TokenKind::Break) {
            nextChunk(false);
            continue;
        }
        if (kind == TokenKind::Comma) {
            lastComma = int(chunk.size());
        } else if (chunk.size() == kChunkLength && lastComma != -1
            && chunk.size() - lastComma <= kCommaBacktrack) {
            // Move the words after the last comma into the next chunk.
            const QList<TokenKind> moved = chunk.mid(lastComma + 1);
            chunk.resize(lastComma + 1);
            nextChunk(false);
            chunk = moved;
        }
        if (chunk.size() == kChunkLength)
            nextChunk(false);
        chunk.append(kind);
    }
    if (!chunk.isEmpty() || count.perChunk.isEmpty())
        nextChunk(true);
    return count;
}

TokenCount estimateTokenCount(const QString& prompt)
{
    // BREAK is recognised as A1111's re_break: a whole word, upper case.
    static const QRegularExpression breakWord(QStringLiteral("\\s*\\bBREAK\\b\\s*"));
    // CLIP's pre-tokenizer (after lower-casing): contractions, letter runs, single digits,
    // punctuation runs.
    static const QRegularExpression pieces(
        QStringLiteral("'s|'t|'re|'ve|'m|'ll|'d|\\p{L}+|\\p{N}|[^\\s\\p{L}\\p{N}]+"));

    QList<TokenKind> tokens;
    const QStringList parts = stripPromptSyntax(prompt).split(breakWord);
    for (int p = 0; p < parts.size(); ++p) {
        if (p > 0)
            tokens.append(TokenKind::Break);
        auto it = pieces.globalMatch(parts[p].toLower());
        while (it.hasNext()) {
            const QString piece = it.next().captured(0);
            if (piece == u",") {
                tokens.append(TokenKind::Comma);
                continue;
            }
            const int n = piece.size() <= 8 ? 1 : (int(piece.size()) + 5) / 6;
            for (int i = 0; i < n; ++i)
                tokens.append(TokenKind::Word);
        }
    }
    TokenCount count = chunkTokens(tokens);
    count.estimated = true;
    return count;
}

TokenCount clipTokenCount(const QString& prompt, const EmbeddingVocabulary* embeddings)
{
    const std::optional<PromptTokens> exact = countPromptTokens(prompt, embeddings);
    if (!exact)
        return estimateTokenCount(prompt); // no vocabulary, or a prompt that does not parse yet
    TokenCount count;
    count.estimated = false;
    count.total = exact->total;
    count.perChunk = exact->perChunk;
    return count;
}

} // namespace qd
