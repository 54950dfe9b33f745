// qdiffusion-cli tokenize "PROMPT" [--json] [--chunks]: how CLIP sees a prompt, and AUTOMATIC1111's
// token count ("12/75") that artists use to keep prompts inside a chunk.
#include <iostream>

#include <nlohmann/json.hpp>

#include "Commands.h"
#include "core/engine/io/StateDict.h"
#include "core/engine/text/ClipTokenizer.h"
#include "core/engine/text/PromptParser.h"

namespace qd::cli
{

namespace
{

struct TokenizeArgs {
    std::string prompt;
    bool json = false;
    bool chunks = false;
    bool noEmphasis = false;
    bool bang = false;
};

// Tokens in a chunk before its end padding (positions 1..75).
int realTokens(const PromptChunk& c)
{
    int n = int(c.tokens.size()) - 2;
    while (n > 0 && c.tokens[size_t(n)] == ClipTokenizer::EndId && c.multipliers[size_t(n)] == 1.0)
        --n;
    return n;
}

int runTokenize(const TokenizeArgs& a)
{
    PromptWithNetworks stripped;
    try {
        stripped = extractExtraNetworks(a.prompt);
    } catch (const EngineError& e) {
        std::cerr << "qdiffusion-cli tokenize: " << e.what() << "\n";
        return 2; // bad input, e.g. <lora:name:abc>
    }
    const ClipTokenizer& tok = ClipTokenizer::shared();
    const ClipTokenizer::Pad pad = a.bang ? ClipTokenizer::Pad::Bang : ClipTokenizer::Pad::EndOfText;
    ChunkOptions options;
    options.emphasis = !a.noEmphasis;
    options.pad = pad;
    const ChunkedPrompt chunked = chunkPrompt(stripped.prompt, tok, options);

    if (a.json && !a.chunks) {
        // the plain tokenizer view: what diffusers' tokenizer gives, unpadded
        const auto ids = tok.encodeWithSpecials(a.prompt, pad);
        nlohmann::json out;
        out["ids"] = ids;
        out["tokens"] = nlohmann::json::array();
        for (int id : ids)
            out["tokens"].push_back(tok.tokenText(id));
        std::cout << out.dump() << "\n";
        return 0;
    }
    if (a.json) {
        nlohmann::json out;
        out["parsed"] = nlohmann::json::array();
        for (const auto& f : chunked.parsed)
            if (f.isBreak())
                out["parsed"].push_back({ f.text, -1 }); // A1111 writes the marker with an int -1
            else
                out["parsed"].push_back({ f.text, f.weight });
        out["chunks"] = nlohmann::json::array();
        for (const auto& c : chunked.chunks)
            out["chunks"].push_back({ { "tokens", c.tokens }, { "multipliers", c.multipliers } });
        out["token_count"] = chunked.tokenCount;
        if (!stripped.networks.empty()) {
            out["extra_networks"] = nlohmann::json::array();
            for (const auto& n : stripped.networks)
                out["extra_networks"].push_back({ { "kind", n.kind }, { "name", n.name },
                    { "te", n.teMultiplier }, { "unet", n.unetMultiplier } });
        }
        std::cout << out.dump() << "\n";
        return 0;
    }

    // A1111's counter: tokens / (75 x chunks needed)
    const int target = ((std::max(chunked.tokenCount, 1) + 74) / 75) * 75;
    std::cout << chunked.tokenCount << "/" << target << " tokens, " << chunked.chunks.size()
              << (chunked.chunks.size() == 1 ? " chunk" : " chunks") << " (75 tokens per chunk)\n";
    for (const auto& n : stripped.networks)
        std::cout << "extra network: " << n.kind << " '" << n.name << "' te " << n.teMultiplier << " unet "
                  << n.unetMultiplier << "\n";
    for (size_t i = 0; i < chunked.chunks.size(); ++i) {
        const auto& c = chunked.chunks[i];
        const int n = realTokens(c);
        std::cout << "chunk " << i + 1 << ": " << n << "/75 tokens\n";
        if (a.chunks) {
            for (int t = 1; t <= n; ++t)
                std::cout << "  " << c.tokens[size_t(t)] << "\t" << tok.tokenText(c.tokens[size_t(t)]) << "\t"
                          << c.multipliers[size_t(t)] << "\n";
        } else {
            std::cout << "  " << tok.decode(std::vector<int>(c.tokens.begin() + 1, c.tokens.begin() + 1 + n))
                      << "\n";
        }
    }
    return 0;
}

} // namespace

Command addTokenizeCommand(CLI::App& app)
{
    auto args = std::make_shared<TokenizeArgs>();
    CLI::App* sub = app.add_subcommand(
        "tokenize", "Show how CLIP tokenizes a prompt and count its tokens (AUTOMATIC1111 chunks of 75)");
    sub->add_option("prompt", args->prompt,
           "The prompt (AUTOMATIC1111 syntax: (word:1.2), [word], BREAK, <lora:name:0.8>)")
        ->required();
    sub->add_flag("--json", args->json,
        "Print JSON: {\"ids\", \"tokens\"} (start and end included, unpadded); with --chunks "
        "{\"parsed\", \"chunks\", \"token_count\"}");
    sub->add_flag(
        "--chunks", args->chunks, "Show the parsed weights and the 77-token chunks the text encoder sees");
    sub->add_flag("--no-emphasis", args->noEmphasis, "Treat brackets and weights as plain text");
    sub->add_flag("--pad-bang", args->bang,
        "Tokenize as diffusers' SD2 / SDXL second tokenizer, whose pad token '!' is split off");
    return { sub, [args] {
                try {
                    return runTokenize(*args);
                } catch (const EngineError& e) {
                    std::cerr << "qdiffusion-cli tokenize: " << e.what() << "\n";
                    return 1;
                }
            } };
}

} // namespace qd::cli
