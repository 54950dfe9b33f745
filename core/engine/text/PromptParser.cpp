#include "text/PromptParser.h"

#include <algorithm>
#include <charconv>

#include <utf8proc.h>

#include "io/StateDict.h"
#include "text/ClipTokenizer.h"
#include "text/TextCleanup.h" // decodeUtf8

namespace qd
{

namespace
{

std::string toUtf8(std::u32string_view s)
{
    std::string out;
    out.reserve(s.size());
    uint8_t buf[4];
    for (char32_t c : s)
        out.append(
            reinterpret_cast<const char*>(buf), size_t(utf8proc_encode_char(utf8proc_int32_t(c), buf)));
    return out;
}

// Python re's \w for str patterns: alphanumeric (letters and every number category) or '_'.
bool isWordChar(char32_t c)
{
    if (c == '_')
        return true;
    const auto k = utf8proc_category(utf8proc_int32_t(c));
    return (k >= UTF8PROC_CATEGORY_LU && k <= UTF8PROC_CATEGORY_LO)
        || (k >= UTF8PROC_CATEGORY_ND && k <= UTF8PROC_CATEGORY_NO);
}
// Python re's \s for str patterns (str.isspace()).
bool isSpace(char32_t c)
{
    return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680
        || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F
        || c == 0x3000;
}
bool isAsciiDigit(char32_t c)
{
    return c >= '0' && c <= '9';
}

// re.split(r"\s*\bBREAK\b\s*", text)
std::vector<std::u32string> splitOnBreak(const std::u32string& s)
{
    static const std::u32string kBreak = U"BREAK";
    std::vector<std::u32string> parts;
    size_t from = 0, k = from;
    while ((k = s.find(kBreak, k)) != std::u32string::npos) {
        const size_t after = k + kBreak.size();
        const bool boundaryBefore = k == 0 || !isWordChar(s[k - 1]);
        const bool boundaryAfter = after == s.size() || !isWordChar(s[after]);
        if (!boundaryBefore || !boundaryAfter) {
            ++k;
            continue;
        }
        size_t start = k;
        while (start > from && isSpace(s[start - 1]))
            --start;
        size_t end = after;
        while (end < s.size() && isSpace(s[end]))
            ++end;
        parts.push_back(s.substr(from, start - from));
        from = k = end;
    }
    parts.push_back(s.substr(from));
    return parts;
}

// Python float() of what `[+-]?[.\d]+` matched; false where Python would raise ("1.2.3", ".").
bool parsePyFloat(std::u32string_view s, double& value)
{
    std::string ascii;
    for (char32_t c : s) {
        if (c > 0x7F)
            return false; // non-ASCII digits: not supported (A1111 would accept them)
        ascii.push_back(char(c));
    }
    const char* begin = ascii.data();
    const char* end = begin + ascii.size();
    bool negative = false;
    if (begin < end && (*begin == '+' || *begin == '-')) {
        negative = *begin == '-';
        ++begin;
    }
    if (begin == end || *begin == '+' || *begin == '-')
        return false;
    auto [ptr, ec] = std::from_chars(begin, end, value, std::chars_format::fixed);
    if (ec != std::errc() || ptr != end)
        return false;
    if (negative)
        value = -value;
    return true;
}

double parseMultiplier(const std::string& item, const std::string& tag)
{
    double v = 0;
    const char* b = item.data();
    const char* e = b + item.size();
    while (b < e && (*b == ' ' || *b == '\t'))
        ++b;
    while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
        --e;
    if (b < e && *b == '+')
        ++b;
    auto [ptr, ec] = std::from_chars(b, e, v);
    if (b == e || ec != std::errc() || ptr != e)
        throw EngineError("prompt: the multiplier '" + item + "' in '" + tag + "' is not a number");
    return v;
}

} // namespace

std::vector<PromptFragment> parsePromptAttention(std::string_view utf8)
{
    constexpr double roundMultiplier = 1.1;
    constexpr double squareMultiplier = 1 / 1.1;
    const std::u32string s = decodeUtf8(utf8);
    std::vector<std::pair<std::u32string, double>> res;
    std::vector<size_t> round, square;
    auto multiplyRange = [&](size_t start, double m) {
        for (size_t p = start; p < res.size(); ++p)
            res[p].second *= m;
    };
    auto addText = [&](const std::u32string& text) {
        const auto parts = splitOnBreak(text);
        for (size_t i = 0; i < parts.size(); ++i) {
            if (i > 0)
                res.emplace_back(U"BREAK", -1.0);
            res.emplace_back(parts[i], 1.0);
        }
    };
    auto isSyntax
        = [](char32_t c) { return c == '\\' || c == '(' || c == ')' || c == '[' || c == ']' || c == ':'; };

    // The alternatives of A1111's re_attention, tried in its order at each position.
    size_t i = 0;
    while (i < s.size()) {
        const char32_t c = s[i];
        if (c == '\\') {
            const bool escape = i + 1 < s.size()
                && (s[i + 1] == '(' || s[i + 1] == ')' || s[i + 1] == '[' || s[i + 1] == ']'
                    || s[i + 1] == '\\');
            // `\(` -> "(", a lone `\` -> "" (kept as an entry, as A1111 does)
            res.emplace_back(escape ? s.substr(i + 1, 1) : std::u32string(), 1.0);
            i += escape ? 2 : 1;
        } else if (c == '(') {
            round.push_back(res.size());
            ++i;
        } else if (c == '[') {
            square.push_back(res.size());
            ++i;
        } else if (c == ':') {
            // `:([+-]?[.\d]+)\)`
            size_t j = i + 1;
            if (j < s.size() && (s[j] == '+' || s[j] == '-'))
                ++j;
            const size_t numBegin = j;
            while (j < s.size() && (s[j] == '.' || isAsciiDigit(s[j])))
                ++j;
            double weight = 0;
            const bool isWeight = j > numBegin && j < s.size() && s[j] == ')'
                && parsePyFloat(std::u32string_view(s).substr(i + 1, j - i - 1), weight);
            if (isWeight) {
                if (!round.empty()) {
                    multiplyRange(round.back(), weight);
                    round.pop_back();
                } else {
                    addText(s.substr(i, j + 1 - i));
                }
                i = j + 1;
            } else {
                addText(U":");
                ++i;
            }
        } else if (c == ')' && !round.empty()) {
            multiplyRange(round.back(), roundMultiplier);
            round.pop_back();
            ++i;
        } else if (c == ']' && !square.empty()) {
            multiplyRange(square.back(), squareMultiplier);
            square.pop_back();
            ++i;
        } else if (c == ')' || c == ']') {
            addText(s.substr(i, 1));
            ++i;
        } else {
            size_t j = i;
            while (j < s.size() && !isSyntax(s[j]))
                ++j;
            addText(s.substr(i, j - i));
            i = j;
        }
    }
    for (size_t pos : round)
        multiplyRange(pos, roundMultiplier);
    for (size_t pos : square)
        multiplyRange(pos, squareMultiplier);
    if (res.empty())
        res.emplace_back(U"", 1.0);

    // merge runs of identical weights
    std::vector<PromptFragment> out;
    for (auto& [text, weight] : res) {
        if (!out.empty() && out.back().weight == weight)
            out.back().text += toUtf8(text);
        else
            out.push_back({ toUtf8(text), weight });
    }
    return out;
}

PromptWithNetworks extractExtraNetworks(std::string_view utf8)
{
    // re.sub(r"<(\w+):([^>]+)>", "", prompt)
    const std::u32string s = decodeUtf8(utf8);
    PromptWithNetworks result;
    std::u32string kept;
    size_t i = 0;
    while (i < s.size()) {
        if (s[i] == '<') {
            size_t j = i + 1;
            while (j < s.size() && isWordChar(s[j]))
                ++j;
            if (j > i + 1 && j < s.size() && s[j] == ':') {
                size_t k = j + 1;
                while (k < s.size() && s[k] != '>')
                    ++k;
                if (k > j + 1 && k < s.size()) {
                    ExtraNetwork net;
                    net.kind = toUtf8(s.substr(i + 1, j - i - 1));
                    const std::string args = toUtf8(s.substr(j + 1, k - j - 1));
                    const std::string tag = toUtf8(s.substr(i, k + 1 - i));
                    std::vector<std::string> positional;
                    std::string named_te, named_unet;
                    bool hasTe = false, hasUnet = false;
                    size_t from = 0;
                    for (;;) {
                        const size_t colon = args.find(':', from);
                        net.args.push_back(
                            args.substr(from, colon == std::string::npos ? std::string::npos : colon - from));
                        if (colon == std::string::npos)
                            break;
                        from = colon + 1;
                    }
                    for (const auto& item : net.args) {
                        const size_t eq = item.find('=');
                        if (eq == std::string::npos) {
                            positional.push_back(item);
                        } else if (item.substr(0, eq) == "te") {
                            named_te = item.substr(eq + 1);
                            hasTe = true;
                        } else if (item.substr(0, eq) == "unet") {
                            named_unet = item.substr(eq + 1);
                            hasUnet = true;
                        }
                    }
                    net.name = positional.empty() ? std::string() : positional[0];
                    net.teMultiplier = positional.size() > 1 ? parseMultiplier(positional[1], tag) : 1.0;
                    if (hasTe)
                        net.teMultiplier = parseMultiplier(named_te, tag);
                    net.unetMultiplier
                        = positional.size() > 2 ? parseMultiplier(positional[2], tag) : net.teMultiplier;
                    if (hasUnet)
                        net.unetMultiplier = parseMultiplier(named_unet, tag);
                    result.networks.push_back(std::move(net));
                    i = k + 1;
                    continue;
                }
            }
        }
        kept.push_back(s[i]);
        ++i;
    }
    result.prompt = toUtf8(kept);
    return result;
}

PromptChunk emptyChunk(int chunkLength)
{
    PromptChunk chunk;
    chunk.tokens.assign(size_t(chunkLength) + 2, ClipTokenizer::EndId);
    chunk.tokens[0] = ClipTokenizer::StartId;
    chunk.multipliers.assign(size_t(chunkLength) + 2, 1.0);
    return chunk;
}

void EmbeddingVocabulary::add(std::vector<int> ids, int vectors, int index)
{
    if (ids.empty())
        return;
    auto& list = m_byFirstId[ids.front()];
    list.erase(
        std::remove_if(list.begin(), list.end(), [&](const Entry& e) { return e.ids == ids; }), list.end());
    list.push_back({ std::move(ids), vectors, index });
    std::stable_sort(
        list.begin(), list.end(), [](const Entry& a, const Entry& b) { return a.ids.size() > b.ids.size(); });
}

const EmbeddingVocabulary::Entry* EmbeddingVocabulary::match(
    const std::vector<int>& tokens, size_t position) const
{
    const auto it = m_byFirstId.find(tokens[position]);
    if (it == m_byFirstId.end())
        return nullptr;
    for (const Entry& e : it->second)
        if (position + e.ids.size() <= tokens.size()
            && std::equal(e.ids.begin(), e.ids.end(), tokens.begin() + long(position)))
            return &e;
    return nullptr;
}

ChunkedPrompt chunkPrompt(std::string_view prompt, const ClipTokenizer& tokenizer,
    const ChunkOptions& options, const EmbeddingVocabulary* embeddings)
{
    if (options.chunkLength < 1)
        throw EngineError(
            "chunkPrompt: chunk length " + std::to_string(options.chunkLength) + ", expected >= 1");
    const size_t length = size_t(options.chunkLength);
    ChunkedPrompt result;
    result.parsed = options.emphasis ? parsePromptAttention(prompt)
                                     : std::vector<PromptFragment> { { std::string(prompt), 1.0 } };
    if (embeddings && embeddings->empty())
        embeddings = nullptr;

    PromptChunk chunk;
    long lastComma = -1;
    auto nextChunk = [&](bool isLast) {
        result.tokenCount += isLast ? int(chunk.tokens.size()) : options.chunkLength;
        chunk.tokens.resize(length, ClipTokenizer::EndId);
        chunk.multipliers.resize(length, 1.0);
        chunk.tokens.insert(chunk.tokens.begin(), ClipTokenizer::StartId);
        chunk.tokens.push_back(ClipTokenizer::EndId);
        chunk.multipliers.insert(chunk.multipliers.begin(), 1.0);
        chunk.multipliers.push_back(1.0);
        lastComma = -1;
        result.chunks.push_back(std::move(chunk));
        chunk = PromptChunk();
    };

    for (const auto& fragment : result.parsed) {
        if (fragment.isBreak()) {
            nextChunk(false);
            continue;
        }
        const std::vector<int> tokens = tokenizer.encode(fragment.text, options.pad);
        for (size_t position = 0; position < tokens.size();) {
            const int token = tokens[position];
            if (token == ClipTokenizer::CommaId) {
                lastComma = long(chunk.tokens.size());
            } else if (options.commaBacktrack != 0 && chunk.tokens.size() == length && lastComma != -1
                && long(chunk.tokens.size()) - lastComma <= options.commaBacktrack) {
                // The chunk is full and a comma is near its end: the text after the comma moves on
                // (an embedding's placement stays with the chunk it was made in, as in A1111).
                const size_t breakAt = size_t(lastComma) + 1;
                std::vector<int> relocTokens(chunk.tokens.begin() + long(breakAt), chunk.tokens.end());
                std::vector<double> relocMults(
                    chunk.multipliers.begin() + long(breakAt), chunk.multipliers.end());
                chunk.tokens.resize(breakAt);
                chunk.multipliers.resize(breakAt);
                nextChunk(false);
                chunk.tokens = std::move(relocTokens);
                chunk.multipliers = std::move(relocMults);
            }
            if (chunk.tokens.size() == length)
                nextChunk(false);
            const EmbeddingVocabulary::Entry* e = embeddings ? embeddings->match(tokens, position) : nullptr;
            if (!e) {
                chunk.tokens.push_back(token);
                chunk.multipliers.push_back(fragment.weight);
                ++position;
                continue;
            }
            if (chunk.tokens.size() + size_t(e->vectors) > length)
                nextChunk(false);
            chunk.fixes.push_back({ int(chunk.tokens.size()), e->index });
            chunk.tokens.insert(chunk.tokens.end(), size_t(e->vectors), 0);
            chunk.multipliers.insert(chunk.multipliers.end(), size_t(e->vectors), fragment.weight);
            if (std::find(result.embeddings.begin(), result.embeddings.end(), e->index)
                == result.embeddings.end())
                result.embeddings.push_back(e->index);
            position += e->ids.size();
        }
    }
    if (!chunk.tokens.empty() || result.chunks.empty())
        nextChunk(true);
    return result;
}

} // namespace qd
