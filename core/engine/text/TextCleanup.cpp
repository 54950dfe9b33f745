#include "text/TextCleanup.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include <utf8proc.h>

namespace qd
{

// Invalid UTF-8 becomes U+FFFD (which the cleanup below drops, as Python never sees such bytes).
std::u32string decodeUtf8(std::string_view s)
{
    std::u32string out;
    out.reserve(s.size());
    auto p = reinterpret_cast<const uint8_t*>(s.data());
    utf8proc_ssize_t left = utf8proc_ssize_t(s.size());
    while (left > 0) {
        int32_t cp = 0;
        utf8proc_ssize_t n = utf8proc_iterate(p, left, &cp);
        if (n <= 0) {
            cp = 0xFFFD;
            n = 1;
        }
        out.push_back(char32_t(cp));
        p += n;
        left -= n;
    }
    return out;
}

namespace text
{

namespace
{

utf8proc_category_t category(char32_t c)
{
    return utf8proc_category(utf8proc_int32_t(c));
}

} // namespace

void appendUtf8(std::string& out, int32_t cp)
{
    uint8_t buf[4];
    const auto n = utf8proc_encode_char(cp, buf);
    out.append(reinterpret_cast<const char*>(buf), size_t(n));
}

std::string encodeUtf8(const std::u32string& s, size_t begin, size_t end)
{
    std::string out;
    end = std::min(end, s.size());
    out.reserve(end - begin);
    for (size_t i = begin; i < end; ++i)
        appendUtf8(out, int32_t(s[i]));
    return out;
}

bool isLetter(char32_t c)
{
    const auto k = category(c);
    return k >= UTF8PROC_CATEGORY_LU && k <= UTF8PROC_CATEGORY_LO;
}
bool isNumber(char32_t c)
{
    const auto k = category(c);
    return k >= UTF8PROC_CATEGORY_ND && k <= UTF8PROC_CATEGORY_NO;
}
// Python's str.isspace() (what str.split() splits on): bidi classes WS, B, S or category Zs.
bool isPySpace(char32_t c)
{
    return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680
        || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F
        || c == 0x3000;
}
// \s of the `regex` module: the White_Space property.
bool isRegexSpace(char32_t c)
{
    return isPySpace(c) && !(c >= 0x1C && c <= 0x1F);
}

namespace
{

bool isCased(char32_t c)
{
    const auto k = category(c);
    return k == UTF8PROC_CATEGORY_LU || k == UTF8PROC_CATEGORY_LL || k == UTF8PROC_CATEGORY_LT;
}
bool isCaseIgnorable(char32_t c)
{
    const auto k = category(c);
    return k == UTF8PROC_CATEGORY_MN || k == UTF8PROC_CATEGORY_ME || k == UTF8PROC_CATEGORY_CF
        || k == UTF8PROC_CATEGORY_LM || k == UTF8PROC_CATEGORY_SK || c == '\'' || c == '.' || c == ':'
        || c == 0xB7 || c == 0x2019;
}

// Python's str.lower(): the simple mapping plus the two full mappings that differ from it
// (U+0130 -> "i\u0307", and capital sigma -> final sigma at the end of a word).
void pyLowerInto(const std::u32string& w, std::u32string& out)
{
    for (size_t i = 0; i < w.size(); ++i) {
        const char32_t c = w[i];
        if (c == 0x130) {
            out.push_back('i');
            out.push_back(0x307);
        } else if (c == 0x3A3) {
            auto casedBefore = [&] {
                for (size_t j = i; j-- > 0;) {
                    if (isCaseIgnorable(w[j]))
                        continue;
                    return isCased(w[j]);
                }
                return false;
            };
            auto casedAfter = [&] {
                for (size_t j = i + 1; j < w.size(); ++j) {
                    if (isCaseIgnorable(w[j]))
                        continue;
                    return isCased(w[j]);
                }
                return false;
            };
            out.push_back(casedBefore() && !casedAfter() ? 0x3C2 : 0x3C3);
        } else {
            out.push_back(char32_t(utf8proc_tolower(utf8proc_int32_t(c))));
        }
    }
}

// --- ftfy.fix_text (ftfy 6 defaults), the parts that change ordinary prompts ------------------------
// Not ported: fix_encoding (mojibake repair such as "cafÃ©" -> "café") and the full HTML5 entity
// table (the common entities and numeric references are handled).

// unescape_html="auto": HTML entities are decoded unless the text contains '<'.
void unescapeHtml(std::u32string& s)
{
    if (s.find(U'<') != std::u32string::npos || s.find(U'&') == std::u32string::npos)
        return;
    static const std::pair<const char*, char32_t> named[] = { { "amp", '&' }, { "lt", '<' }, { "gt", '>' },
        { "quot", '"' }, { "apos", '\'' }, { "nbsp", 0xA0 }, { "copy", 0xA9 }, { "reg", 0xAE },
        { "trade", 0x2122 }, { "hellip", 0x2026 }, { "mdash", 0x2014 }, { "ndash", 0x2013 },
        { "lsquo", 0x2018 }, { "rsquo", 0x2019 }, { "ldquo", 0x201C }, { "rdquo", 0x201D }, { "deg", 0xB0 },
        { "times", 0xD7 }, { "eacute", 0xE9 }, { "egrave", 0xE8 } };
    std::u32string out;
    for (size_t i = 0; i < s.size();) {
        // &#?[0-9A-Za-z]{1,24};
        size_t j = i + 1;
        const bool numeric = s[i] == '&' && j < s.size() && s[j] == '#';
        if (numeric)
            ++j;
        const size_t nameBegin = j;
        while (s[i] == '&' && j < s.size() && j - nameBegin < 24 && s[j] < 0x80 && std::isalnum(int(s[j])))
            ++j;
        if (s[i] != '&' || j == nameBegin || j >= s.size() || s[j] != ';') {
            out.push_back(s[i++]);
            continue;
        }
        const std::string name(s.begin() + long(nameBegin), s.begin() + long(j));
        char32_t c = 0;
        if (numeric) {
            const bool hex = name[0] == 'x' || name[0] == 'X';
            char* end = nullptr;
            const unsigned long v = std::strtoul(name.c_str() + (hex ? 1 : 0), &end, hex ? 16 : 10);
            if (end && *end == 0 && name.size() > (hex ? 1u : 0u))
                c = (v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) ? 0xFFFD : char32_t(v);
        } else {
            for (const auto& [n, v] : named)
                if (name == n)
                    c = v;
        }
        if (c == 0) {
            out.push_back(s[i++]);
            continue;
        }
        out.push_back(c);
        i = j + 1;
    }
    s.swap(out);
}

// fix_c1_controls: U+0080..U+009F read as the Windows-1252 bytes they came from ("sloppy": the five
// undefined ones stay).
char32_t fixC1(char32_t c)
{
    static const char32_t cp1252[32] = { 0x20AC, 0x81, 0x201A, 0x192, 0x201E, 0x2026, 0x2020, 0x2021, 0x2C6,
        0x2030, 0x160, 0x2039, 0x152, 0x8D, 0x17D, 0x8F, 0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013,
        0x2014, 0x2DC, 0x2122, 0x161, 0x203A, 0x153, 0x9D, 0x17E, 0x178 };
    return c >= 0x80 && c <= 0x9F ? cp1252[c - 0x80] : c;
}

const char32_t* ligature(char32_t c)
{
    switch (c) {
    case 0x132:
        return U"IJ";
    case 0x133:
        return U"ij";
    case 0x149:
        return U"\u02BCn";
    case 0x1C4:
        return U"D\u017D";
    case 0x1C5:
        return U"D\u017E";
    case 0x1C6:
        return U"d\u017E";
    case 0x1C7:
        return U"LJ";
    case 0x1C8:
        return U"Lj";
    case 0x1C9:
        return U"lj";
    case 0x1CA:
        return U"NJ";
    case 0x1CB:
        return U"Nj";
    case 0x1CC:
        return U"nj";
    case 0x1F1:
        return U"DZ";
    case 0x1F2:
        return U"Dz";
    case 0x1F3:
        return U"dz";
    case 0xFB00:
        return U"ff";
    case 0xFB01:
        return U"fi";
    case 0xFB02:
        return U"fl";
    case 0xFB03:
        return U"ffi";
    case 0xFB04:
        return U"ffl";
    case 0xFB05:
        return U"\u017Ft";
    case 0xFB06:
        return U"st";
    default:
        return nullptr;
    }
}

// ftfy's CONTROL_CHARS: removed outright.
bool isFtfyControl(char32_t c)
{
    return c <= 0x08 || c == 0x0B || (c >= 0x0E && c <= 0x1F) || c == 0x7F || (c >= 0x206A && c <= 0x206F)
        || c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFC);
}

std::u32string nfkc(char32_t c)
{
    std::string utf8;
    appendUtf8(utf8, int32_t(c));
    uint8_t* n = utf8proc_NFKC(reinterpret_cast<const uint8_t*>(utf8.c_str()));
    std::u32string out = n ? decodeUtf8(reinterpret_cast<const char*>(n)) : std::u32string(1, c);
    std::free(n);
    return out;
}

} // namespace

std::u32string fixText(std::string_view text)
{
    std::u32string s = decodeUtf8(text);
    unescapeHtml(s);
    std::u32string t;
    t.reserve(s.size());
    for (size_t i = 0; i < s.size(); ++i) {
        // remove_terminal_escapes: ESC [ (digits|;)* letter
        if (s[i] == 0x1B && i + 1 < s.size() && s[i + 1] == '[') {
            size_t j = i + 2;
            while (j < s.size() && ((s[j] >= '0' && s[j] <= '9') || s[j] == ';'))
                ++j;
            if (j < s.size() && s[j] < 0x80 && std::isalpha(int(s[j]))) {
                i = j;
                continue;
            }
        }
        char32_t c = fixC1(s[i]);
        if (const char32_t* lig = ligature(c)) {
            t += lig;
            continue;
        }
        if (c == 0x3000) {
            c = ' '; // fix_character_width: ideographic space
        } else if (c >= 0xFF01 && c <= 0xFFEF) {
            t += nfkc(c); // fix_character_width: fullwidth / halfwidth forms
            continue;
        }
        if (c == 0x2BC || (c >= 0x2018 && c <= 0x201B))
            c = '\''; // uncurl_quotes
        else if (c >= 0x201C && c <= 0x201F)
            c = '"';
        if (c == '\r' || c == 0x2028 || c == 0x2029 || c == 0x85)
            c = '\n'; // fix_line_breaks
        if (isFtfyControl(c) || (c >= 0xD800 && c <= 0xDFFF) || c == 0xFFFD)
            continue; // remove_control_chars (and what stands for invalid UTF-8)
        t.push_back(c);
    }
    const std::string utf8 = encodeUtf8(t);
    uint8_t* nfc = utf8proc_NFC(reinterpret_cast<const uint8_t*>(utf8.c_str()));
    std::u32string out = nfc ? decodeUtf8(reinterpret_cast<const char*>(nfc)) : t;
    std::free(nfc);
    return out;
}

// transformers' CLIPTokenizer._tokenize with ftfy installed (as openai/CLIP always does; this is
// what produced tokenizer_cases.json): whitespace_clean(fix_text(text)).lower().
std::u32string cleanText(std::string_view text)
{
    const std::u32string fixed = fixText(text);
    std::u32string collapsed;
    collapsed.reserve(fixed.size());
    for (char32_t c : fixed) {
        if (isRegexSpace(c)) {
            if (!collapsed.empty() && collapsed.back() != ' ')
                collapsed.push_back(' ');
        } else {
            collapsed.push_back(c);
        }
    }
    while (!collapsed.empty() && isPySpace(collapsed.back()))
        collapsed.pop_back();
    std::u32string out;
    out.reserve(collapsed.size());
    pyLowerInto(collapsed, out);
    return out;
}

} // namespace text

} // namespace qd
