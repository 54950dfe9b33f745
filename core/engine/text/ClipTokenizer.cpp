#include "text/ClipTokenizer.h"

#include <algorithm>
#include <climits>

#include <zlib.h>

#include "io/StateDict.h"
#include "pipeline/Resources.h"
#include "text/TextCleanup.h"

namespace qd
{

namespace
{

constexpr const char* StartText = "<|startoftext|>";
constexpr const char* EndText = "<|endoftext|>";
// The merge list holds 48894 merges after its "#version" line: 49152 (vocabulary) - 256 bytes -
// 2 specials, the slice [1 : 49152 - 256 - 2 + 1] of openai/CLIP's simple_tokenizer.py.
constexpr int MergeCount = 49152 - 256 - 2;

std::string readGzip(const std::string& path)
{
    gzFile f = gzopen(path.c_str(), "rb");
    if (!f)
        throw EngineError(path + ": cannot open the CLIP merge list");
    std::string data;
    char buf[1 << 16];
    for (;;) {
        const int n = gzread(f, buf, sizeof buf);
        if (n < 0) {
            int err = 0;
            const std::string msg = gzerror(f, &err);
            gzclose(f);
            throw EngineError(path + ": corrupt gzip data (" + msg + ")");
        }
        if (n == 0)
            break;
        data.append(buf, size_t(n));
    }
    gzclose(f);
    return data;
}

using text::appendUtf8;
using text::cleanText;
using text::encodeUtf8;
using text::isLetter;
using text::isNumber;
using text::isRegexSpace;

bool startsWithAt(const std::u32string& s, size_t i, const char* ascii)
{
    for (size_t k = 0; ascii[k]; ++k)
        if (i + k >= s.size() || s[i + k] != char32_t(static_cast<unsigned char>(ascii[k])))
            return false;
    return true;
}

// CLIP's pre-tokenizer regex, by hand:
// <|startoftext|>|<|endoftext|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
std::vector<std::string> splitWords(const std::u32string& s)
{
    std::vector<std::string> words;
    size_t i = 0;
    while (i < s.size()) {
        size_t end = i;
        const char32_t c = s[i];
        if (startsWithAt(s, i, StartText)) {
            end = i + 15;
        } else if (startsWithAt(s, i, EndText)) {
            end = i + 13;
        } else if (c == '\'' && i + 1 < s.size()
            && (s[i + 1] == 's' || s[i + 1] == 't' || s[i + 1] == 'm' || s[i + 1] == 'd')) {
            end = i + 2;
        } else if (startsWithAt(s, i, "'re") || startsWithAt(s, i, "'ve") || startsWithAt(s, i, "'ll")) {
            end = i + 3;
        } else if (isLetter(c)) {
            while (end < s.size() && isLetter(s[end]))
                ++end;
        } else if (isNumber(c)) {
            end = i + 1;
        } else if (!isRegexSpace(c)) {
            while (end < s.size() && !isRegexSpace(s[end]) && !isLetter(s[end]) && !isNumber(s[end]))
                ++end;
        } else {
            ++i; // whitespace separates words
            continue;
        }
        words.push_back(encodeUtf8(s, i, end));
        i = end;
    }
    return words;
}

} // namespace

ClipTokenizer::ClipTokenizer(const std::string& bpeGzPath)
{
    const std::string data = readGzip(bpeGzPath);
    std::vector<std::string_view> lines;
    lines.reserve(MergeCount + 2);
    size_t pos = 0;
    while (pos <= data.size() && int(lines.size()) <= MergeCount) {
        size_t nl = data.find('\n', pos);
        if (nl == std::string::npos)
            nl = data.size();
        lines.emplace_back(data.data() + pos, nl - pos);
        pos = nl + 1;
    }
    if (int(lines.size()) < MergeCount + 1)
        throw EngineError(bpeGzPath + ": the CLIP merge list has " + std::to_string(lines.size())
            + " lines, expected at least " + std::to_string(MergeCount + 1));

    // bytes_to_unicode(): printable Latin-1 bytes stand for themselves, the others map to 256 + n,
    // so no byte becomes whitespace or a control character. The vocabulary starts with the bytes
    // in this order.
    std::vector<int> order;
    for (int b = '!'; b <= '~'; ++b)
        order.push_back(b);
    for (int b = 0xA1; b <= 0xAC; ++b)
        order.push_back(b);
    for (int b = 0xAE; b <= 0xFF; ++b)
        order.push_back(b);
    std::vector<bool> printable(256, false);
    for (int b : order)
        printable[b] = true;
    int extra = 0;
    for (int b = 0; b < 256; ++b) {
        std::string ch;
        appendUtf8(ch, printable[b] ? b : 256 + extra++);
        m_byteChars[b] = ch;
        m_charBytes[ch] = static_cast<unsigned char>(b);
    }
    for (int b = 0; b < 256; ++b)
        if (!printable[b])
            order.push_back(b);

    m_tokens.reserve(2 * 256 + MergeCount + 2);
    for (int b : order)
        m_tokens.push_back(m_byteChars[b]);
    for (int b : order)
        m_tokens.push_back(m_byteChars[b] + "</w>");
    m_mergeRanks.reserve(MergeCount);
    for (int r = 0; r < MergeCount; ++r) {
        const std::string_view line = lines[size_t(r) + 1];
        const size_t sp = line.find(' ');
        if (sp == std::string_view::npos || sp == 0 || sp + 1 >= line.size())
            throw EngineError(bpeGzPath + ": merge line " + std::to_string(r + 2) + " '" + std::string(line)
                + "' is not two symbols separated by a space");
        std::string key(line);
        m_mergeRanks[key] = r; // dict(zip(merges, range(...))): a repeated merge keeps its last rank
        m_tokens.push_back(std::string(line.substr(0, sp)) + std::string(line.substr(sp + 1)));
    }
    m_tokens.push_back(StartText);
    m_tokens.push_back(EndText);
    // Python's dict(zip(vocab, range(...))) keeps the last id of a repeated entry.
    m_ids.reserve(m_tokens.size());
    for (int id = 0; id < int(m_tokens.size()); ++id)
        m_ids[m_tokens[size_t(id)]] = id;
}

ClipTokenizer::~ClipTokenizer() = default;

const ClipTokenizer& ClipTokenizer::shared()
{
    static const ClipTokenizer tokenizer(resourcePath("bpe_simple_vocab_16e6.txt.gz"));
    return tokenizer;
}

std::vector<int> ClipTokenizer::bpe(const std::string& byteWord) const
{
    // Symbols are the UTF-8 characters of the byte-level word; the last one carries "</w>".
    std::vector<std::string> word;
    for (size_t i = 0; i < byteWord.size();) {
        size_t n = 1;
        const auto lead = static_cast<unsigned char>(byteWord[i]);
        if (lead >= 0xF0)
            n = 4;
        else if (lead >= 0xE0)
            n = 3;
        else if (lead >= 0xC0)
            n = 2;
        word.push_back(byteWord.substr(i, n));
        i += n;
    }
    if (word.empty())
        return {};
    word.back() += "</w>";

    std::string key;
    while (word.size() > 1) {
        int bestRank = INT_MAX;
        size_t bestAt = 0;
        for (size_t i = 0; i + 1 < word.size(); ++i) {
            key.assign(word[i]).append(1, ' ').append(word[i + 1]);
            auto it = m_mergeRanks.find(key);
            if (it != m_mergeRanks.end() && it->second < bestRank) {
                bestRank = it->second;
                bestAt = i;
            }
        }
        if (bestRank == INT_MAX)
            break;
        // Merge every non-overlapping occurrence of the best pair, left to right.
        const std::string first = word[bestAt], second = word[bestAt + 1];
        std::vector<std::string> merged;
        merged.reserve(word.size());
        for (size_t i = 0; i < word.size();) {
            if (i + 1 < word.size() && word[i] == first && word[i + 1] == second) {
                merged.push_back(first + second);
                i += 2;
            } else {
                merged.push_back(std::move(word[i]));
                ++i;
            }
        }
        word.swap(merged);
    }
    std::vector<int> ids;
    ids.reserve(word.size());
    for (const auto& symbol : word) {
        auto it = m_ids.find(symbol);
        ids.push_back(it == m_ids.end() ? EndId : it->second); // unk_token is <|endoftext|>
    }
    return ids;
}

void ClipTokenizer::appendWordIds(const std::string& word, std::vector<int>& out) const
{
    if (word == StartText) {
        out.push_back(StartId);
        return;
    }
    if (word == EndText) {
        out.push_back(EndId);
        return;
    }
    {
        std::lock_guard<std::mutex> lock(m_cacheMutex);
        auto it = m_cache.find(word);
        if (it != m_cache.end()) {
            out.insert(out.end(), it->second.begin(), it->second.end());
            return;
        }
    }
    std::string byteWord;
    for (unsigned char b : word)
        byteWord += m_byteChars[b];
    std::vector<int> ids = bpe(byteWord);
    out.insert(out.end(), ids.begin(), ids.end());
    std::lock_guard<std::mutex> lock(m_cacheMutex);
    if (m_cache.size() > 200000) // bounded: prompts are short, but a server runs for weeks
        m_cache.clear();
    m_cache.emplace(word, std::move(ids));
}

void ClipTokenizer::appendSegmentIds(std::string_view segment, std::vector<int>& out) const
{
    for (const auto& word : splitWords(cleanText(segment)))
        appendWordIds(word, out);
}

std::vector<int> ClipTokenizer::encode(std::string_view text, Pad pad) const
{
    // transformers first splits the raw text on its special ("added") tokens, then cleans and
    // BPE-encodes each piece between them on its own.
    std::vector<int> ids;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t best = std::string_view::npos, len = 0;
        int id = 0;
        auto consider = [&](std::string_view special, int specialId) {
            const size_t at = text.find(special, pos);
            if (at < best) {
                best = at;
                len = special.size();
                id = specialId;
            }
        };
        consider(StartText, StartId);
        consider(EndText, EndId);
        if (pad == Pad::Bang)
            consider("!", 0);
        if (best == std::string_view::npos) {
            appendSegmentIds(text.substr(pos), ids);
            break;
        }
        if (best > pos)
            appendSegmentIds(text.substr(pos, best - pos), ids);
        ids.push_back(id);
        pos = best + len;
    }
    return ids;
}

std::vector<int> ClipTokenizer::encodeWithSpecials(std::string_view text, Pad pad) const
{
    std::vector<int> ids { StartId };
    const auto body = encode(text, pad);
    ids.insert(ids.end(), body.begin(), body.end());
    ids.push_back(EndId);
    return ids;
}

std::vector<int> ClipTokenizer::encodePadded(std::string_view text, int length, Pad pad) const
{
    if (length < 2)
        throw EngineError(
            "ClipTokenizer: padded length " + std::to_string(length) + " is too short, expected >= 2");
    auto body = encode(text, pad);
    if (int(body.size()) > length - 2)
        body.resize(size_t(length - 2));
    std::vector<int> ids { StartId };
    ids.insert(ids.end(), body.begin(), body.end());
    ids.push_back(EndId);
    ids.resize(size_t(length), pad == Pad::Bang ? 0 : EndId);
    return ids;
}

const std::string& ClipTokenizer::tokenText(int id) const
{
    if (id < 0 || id >= int(m_tokens.size()))
        throw EngineError("ClipTokenizer: token id " + std::to_string(id) + " is outside the vocabulary [0, "
            + std::to_string(m_tokens.size()) + ")");
    return m_tokens[size_t(id)];
}

int ClipTokenizer::idOf(const std::string& token) const
{
    auto it = m_ids.find(token);
    return it == m_ids.end() ? -1 : it->second;
}

std::string ClipTokenizer::decode(const std::vector<int>& ids) const
{
    std::string out;
    for (int id : ids) {
        const std::string& t = tokenText(id);
        if (id == StartId || id == EndId) {
            out += t;
            continue;
        }
        for (size_t i = 0; i < t.size();) {
            if (t.compare(i, 4, "</w>") == 0) {
                out += ' ';
                i += 4;
                continue;
            }
            size_t n = 1;
            const auto lead = static_cast<unsigned char>(t[i]);
            if (lead >= 0xE0)
                n = 3;
            else if (lead >= 0xC0)
                n = 2;
            auto it = m_charBytes.find(t.substr(i, n));
            if (it != m_charBytes.end())
                out += char(it->second);
            i += n;
        }
    }
    while (!out.empty() && out.back() == ' ')
        out.pop_back();
    return out;
}

} // namespace qd
