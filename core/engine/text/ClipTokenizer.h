#pragma once
// CLIP's byte-level BPE tokenizer over the shipped merge list (bpe_simple_vocab_16e6.txt.gz), giving
// exactly the ids of transformers' CLIPTokenizer as diffusers uses it (tests/data/conformance/
// tokenizer_cases.json): the text cleanup (text/TextCleanup.h) is the one transformers uses with ftfy
// installed (as openai/CLIP always does); then CLIP's regex and BPE.
// No torch here: the GUI counts tokens with it.
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "text/TextCleanup.h" // decodeUtf8

namespace qd
{

class ClipTokenizer
{
public:
    static constexpr int StartId = 49406; // <|startoftext|>
    static constexpr int EndId = 49407; // <|endoftext|>
    static constexpr int CommaId = 267; // ",</w>"
    static constexpr int MaxLength = 77; // model_max_length of every SD text encoder

    // What the tokenizer pads with. diffusers' SD2 / SDXL-second tokenizers use "!" (id 0) as their
    // pad token; as a registered special token, every "!" in the text is then split off as its own
    // token before BPE ("sunset!!!" -> ..., 0, 0, 0), which differs from the plain tokenizer's
    // "!!!" -> 995.
    enum class Pad { EndOfText, Bang };

    // Reads the gzip'ed merge list; throws EngineError naming the file when unreadable or short.
    explicit ClipTokenizer(const std::string& bpeGzPath);
    ~ClipTokenizer();

    // The shipped vocabulary (resourcePath("bpe_simple_vocab_16e6.txt.gz")), loaded once.
    static const ClipTokenizer& shared();

    // Token ids of `text` without start / end tokens (transformers' add_special_tokens=False).
    std::vector<int> encode(std::string_view text, Pad pad = Pad::EndOfText) const;
    // Start + ids + end, untruncated.
    std::vector<int> encodeWithSpecials(std::string_view text, Pad pad = Pad::EndOfText) const;
    // diffusers' tokenizer(padding="max_length", truncation=True): start, at most length-2 ids, end,
    // then the pad id (EndId or 0) up to `length`.
    std::vector<int> encodePadded(
        std::string_view text, int length = MaxLength, Pad pad = Pad::EndOfText) const;

    int vocabSize() const { return int(m_tokens.size()); }
    // The vocabulary entry of `id` in its byte-level form ("photograph</w>", "<|endoftext|>");
    // throws EngineError for an id outside the vocabulary.
    const std::string& tokenText(int id) const;
    // Readable text of ids (byte-level decoded, "</w>" as a space), specials included verbatim.
    std::string decode(const std::vector<int>& ids) const;
    // Id of a vocabulary entry, or -1.
    int idOf(const std::string& token) const;

private:
    void appendWordIds(const std::string& word, std::vector<int>& out) const;
    void appendSegmentIds(std::string_view segment, std::vector<int>& out) const;
    std::vector<int> bpe(const std::string& byteWord) const;

    std::vector<std::string> m_tokens; // id -> byte-level token
    std::unordered_map<std::string, int> m_ids; // byte-level token -> id
    std::unordered_map<std::string, int> m_mergeRanks; // "first second" -> rank
    std::string m_byteChars[256]; // byte -> its printable stand-in (UTF-8)
    std::unordered_map<std::string, unsigned char> m_charBytes; // inverse, for decode
    mutable std::mutex m_cacheMutex;
    mutable std::unordered_map<std::string, std::vector<int>> m_cache; // word -> ids
};

} // namespace qd
