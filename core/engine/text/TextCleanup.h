#pragma once
// The text clean-up before CLIP's tokenizer, as transformers' CLIPTokenizer does it with ftfy
// installed (as openai/CLIP always does; this is what produced tests/data/conformance/
// tokenizer_cases.json): ftfy.fix_text (ftfy 6 defaults, the parts that change ordinary prompts),
// whitespace collapsed, Python's str.lower(); plus the UTF-8 and Unicode-class helpers the
// tokenizer's pre-tokenizer and the prompt parser share. utf8proc supplies the Unicode tables.
// No torch here.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace qd
{

// UTF-8 -> code points; invalid bytes become U+FFFD (Python never sees such bytes).
std::u32string decodeUtf8(std::string_view s);

namespace text
{

// Code point -> UTF-8, appended to `out`.
void appendUtf8(std::string& out, int32_t cp);
// Code points [begin, end) of `s` as UTF-8.
std::string encodeUtf8(const std::u32string& s, size_t begin = 0, size_t end = std::u32string::npos);

// The Unicode classes of CLIP's pre-tokenizer regex: \p{L}, \p{N}; Python's str.isspace(); \s of the
// `regex` module (the White_Space property).
bool isLetter(char32_t c);
bool isNumber(char32_t c);
bool isPySpace(char32_t c);
bool isRegexSpace(char32_t c);

// ftfy.fix_text with ftfy 6's defaults, less fix_encoding (mojibake repair) and the full HTML5
// entity table: HTML entities (unless the text has '<'), terminal escapes, C1 controls read as
// Windows-1252, ligatures, full-width forms, curly quotes, line breaks, control characters; then NFC.
std::u32string fixText(std::string_view text);
// transformers' CLIPTokenizer._tokenize with ftfy: whitespace_clean(fix_text(text)).lower().
std::u32string cleanText(std::string_view text);

} // namespace text

} // namespace qd
