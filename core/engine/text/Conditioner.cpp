#include "text/Conditioner.h"

#include <algorithm>

#include <torch/torch.h>

namespace qd
{

namespace
{

constexpr const char* Sd1Key = "cond_stage_model.transformer.text_model.embeddings.token_embedding.weight";
constexpr const char* Sd2Key = "cond_stage_model.model.token_embedding.weight";
constexpr const char* SdxlKey0
    = "conditioner.embedders.0.transformer.text_model.embeddings.token_embedding.weight";
constexpr const char* SdxlKey1 = "conditioner.embedders.1.model.token_embedding.weight";

std::string familyName(TextFamily f)
{
    return f == TextFamily::SD1 ? "SD1" : f == TextFamily::SD2 ? "SD2" : "SDXL";
}

} // namespace

Conditioner::Conditioner(
    TextFamily family, std::vector<TextEncoderSlot> encoders, const ClipTokenizer& tokenizer)
    : m_family(family)
    , m_encoders(std::move(encoders))
    , m_tokenizer(&tokenizer)
{
    const size_t expected = family == TextFamily::SDXL ? 2 : 1;
    if (m_encoders.size() != expected)
        throw EngineError("Conditioner: " + familyName(family) + " takes " + std::to_string(expected)
            + " text encoder(s), got " + std::to_string(m_encoders.size()));
    for (const auto& slot : m_encoders) {
        if (!slot.model)
            throw EngineError("Conditioner: a " + familyName(family) + " text encoder slot has no model");
        if (slot.pooled && slot.model->config().projectionDim <= 0)
            throw EngineError("Conditioner: the pooled encoder has no text_projection");
    }
}

std::vector<TextEncoderSlot> Conditioner::familySlots(
    TextFamily family, std::vector<std::shared_ptr<ClipTextModel>> models)
{
    std::vector<TextEncoderSlot> slots;
    for (auto& m : models) {
        if (!m)
            throw EngineError("Conditioner::familySlots: null text encoder for " + familyName(family));
        slots.push_back({ m });
    }
    if (family == TextFamily::SD1 && slots.size() == 1) {
        // CompVis FrozenCLIPEmbedder: last_hidden_state (last layer + final_layer_norm)
        slots[0].layersFromEnd = 0;
    } else if (family == TextFamily::SD2 && slots.size() == 1) {
        // FrozenOpenCLIPEmbedder(layer="penultimate"): stop one block early, then ln_final; pad
        // after the end token with 0. Real SD2 files hold 24 blocks; a file converted back from
        // diffusers holds only the 23 used ones, and then the last one is the one to read.
        const auto& c = slots[0].model->config();
        slots[0].layersFromEnd = (c.width == 1024 && c.layers == 23) ? 0 : 1;
        slots[0].padId = 0;
    } else if (family == TextFamily::SDXL && slots.size() == 2) {
        // GeneralConditioner: CLIP-L hidden state of its penultimate layer (layer="hidden",
        // layer_idx=11), OpenCLIP-bigG penultimate, neither normed; pooled from bigG's last layer.
        slots[0].layersFromEnd = 1;
        slots[0].finalNorm = false;
        slots[1].layersFromEnd = 1;
        slots[1].finalNorm = false;
        slots[1].pooled = true;
        slots[1].padId = 0;
    } else {
        throw EngineError("Conditioner::familySlots: " + familyName(family) + " takes "
            + (family == TextFamily::SDXL ? "2" : "1") + " text encoder(s), got "
            + std::to_string(slots.size()));
    }
    return slots;
}

Conditioner Conditioner::fromStateDict(
    const StateDict& sd, const std::string& source, const torch::TensorOptions& options)
{
    if (sd.count(SdxlKey0) && sd.count(SdxlKey1)) {
        auto a = loadClipTextModel(sd, "conditioner.embedders.0.transformer.", source, options);
        auto b = loadClipTextModel(sd, "conditioner.embedders.1.model.", source, options);
        return Conditioner(TextFamily::SDXL, familySlots(TextFamily::SDXL, { a, b }));
    }
    if (sd.count(Sd2Key))
        return Conditioner(TextFamily::SD2,
            familySlots(
                TextFamily::SD2, { loadClipTextModel(sd, "cond_stage_model.model.", source, options) }));
    if (sd.count(Sd1Key))
        return Conditioner(TextFamily::SD1,
            familySlots(TextFamily::SD1,
                { loadClipTextModel(sd, "cond_stage_model.transformer.", source, options) }));
    throw EngineError(source + ": no text encoder found (expected '" + Sd1Key + "', '" + Sd2Key + "', or '"
        + SdxlKey0 + "' with '" + SdxlKey1 + "')");
}

int Conditioner::contextDim() const
{
    int c = 0;
    for (const auto& s : m_encoders)
        c += s.model->config().width;
    return c;
}

int Conditioner::pooledDim() const
{
    for (const auto& s : m_encoders)
        if (s.pooled)
            return s.model->config().projectionDim;
    return 0;
}

ChunkOptions Conditioner::chunkOptions(const TextEncoderSlot& slot, const ConditionerOptions& options) const
{
    ChunkOptions c;
    c.commaBacktrack = options.commaBacktrack;
    c.emphasis = options.emphasis;
    c.pad = slot.padId == 0 && options.bangSplitForOpenClip ? ClipTokenizer::Pad::Bang
                                                            : ClipTokenizer::Pad::EndOfText;
    return c;
}

torch::Tensor Conditioner::tokenEmbeddings(
    size_t encoder, const torch::Tensor& ids, const std::vector<PromptChunk>& chunks) const
{
    // A1111's EmbeddingsWithFixes: each embedding's vectors go after the start token at its offset,
    // cut where the chunk ends; SDXL's encoders take their own part (clip_l, clip_g).
    const TextEncoderSlot& slot = m_encoders[encoder];
    torch::Tensor embeds = slot.model->tokenEmbeddings(ids);
    const std::string key = m_family == TextFamily::SDXL ? (encoder == 0 ? "clip_l" : "clip_g") : "";
    const int64_t T = ids.size(1);
    for (size_t i = 0; i < chunks.size(); ++i)
        for (const EmbeddingFix& fix : chunks[i].fixes) {
            const TextualInversion& ti = m_embeddings->embeddings().at(size_t(fix.index));
            const auto it = ti.vectors.find(key);
            if (it == ti.vectors.end() || it->second.size(1) != embeds.size(2))
                throw EngineError("textual inversion '" + ti.info.name + "' (" + ti.info.path
                    + ") does not fit this model's text encoder (width " + std::to_string(ti.info.width)
                    + ", expected " + std::to_string(contextDim()) + ")");
            const int64_t n = std::min<int64_t>(T - fix.offset - 1, it->second.size(0));
            if (n > 0)
                embeds[int64_t(i)]
                    .slice(0, fix.offset + 1, fix.offset + 1 + n)
                    .copy_(it->second.slice(0, 0, n));
        }
    return embeds;
}

torch::Tensor Conditioner::encodeChunks(size_t encoder, const std::vector<PromptChunk>& chunks,
    const ConditionerOptions& options, torch::Tensor* pooled) const
{
    const TextEncoderSlot& slot = m_encoders[encoder];
    const auto& config = slot.model->config();
    if (options.clipSkip < 1)
        throw EngineError("Conditioner: clip skip " + std::to_string(options.clipSkip) + ", expected >= 1");
    const int layer = config.layers - slot.layersFromEnd - (options.clipSkip - 1);
    if (layer < 0)
        throw EngineError("Conditioner: clip skip " + std::to_string(options.clipSkip)
            + " is too large for a " + std::to_string(config.layers) + "-layer text encoder (at most "
            + std::to_string(config.layers - slot.layersFromEnd + 1) + ")");
    const int64_t k = int64_t(chunks.size()), T = int64_t(chunks.front().tokens.size());

    // 1. ids [k, T]; OpenCLIP encoders see `padId` after each chunk's first end token
    torch::Tensor ids = torch::empty({ k, T }, torch::kLong);
    auto acc = ids.accessor<int64_t, 2>();
    bool weighted = false;
    for (int64_t i = 0; i < k; ++i) {
        bool ended = false;
        for (int64_t t = 0; t < T; ++t) {
            const int id = chunks[size_t(i)].tokens[size_t(t)];
            acc[i][t] = ended ? slot.padId : id;
            ended = ended || id == ClipTokenizer::EndId;
        }
        for (double m : chunks[size_t(i)].multipliers)
            weighted = weighted || m != 1.0;
    }

    // 2. one batched forward for every chunk
    const bool wantPooled = slot.pooled && pooled;
    const bool fixed = m_embeddings
        && std::any_of(chunks.begin(), chunks.end(), [](const PromptChunk& c) { return !c.fixes.empty(); });
    ClipTextModel::Output out = slot.model->forward(ids, layer, slot.finalNorm, wantPooled,
        fixed ? tokenEmbeddings(encoder, ids, chunks) : torch::Tensor());
    torch::Tensor z = out.hidden; // [k, T, C]
    if (wantPooled)
        *pooled = out.pooled.slice(0, 0, 1); // A1111: the pooled vector of the first chunk

    // 3. A1111 "Original" emphasis per chunk: z * multiplier, then rescale to the unweighted mean
    if (weighted && options.emphasis) {
        for (int64_t i = 0; i < k; ++i) {
            const auto& m = chunks[size_t(i)].multipliers;
            if (std::all_of(m.begin(), m.end(), [](double v) { return v == 1.0; }))
                continue;
            std::vector<float> mf(m.begin(), m.end()); // torch.asarray(multipliers): float32
            const torch::Tensor mult
                = torch::from_blob(mf.data(), { T, 1 }, torch::kFloat).to(z.device(), z.scalar_type());
            torch::Tensor zi = z[i];
            const torch::Tensor originalMean = zi.mean();
            zi.mul_(mult);
            zi.mul_(originalMean / zi.mean());
        }
    }
    return z;
}

TextConditioning Conditioner::encode(const std::string& prompt, const ConditionerOptions& options) const
{
    c10::InferenceMode guard;
    TextConditioning result;
    PromptWithNetworks stripped = extractExtraNetworks(prompt);
    result.extraNetworks = std::move(stripped.networks);

    // 1. parse and chunk per encoder (their tokenizers may differ in how they treat "!")
    std::vector<ChunkedPrompt> chunked;
    size_t chunkCount = 0;
    for (size_t e = 0; e < m_encoders.size(); ++e) {
        const ChunkOptions co = chunkOptions(m_encoders[e], options);
        if (e > 0 && co.pad == chunkOptions(m_encoders[e - 1], options).pad)
            chunked.push_back(chunked.back());
        else
            chunked.push_back(chunkPrompt(
                stripped.prompt, *m_tokenizer, co, m_embeddings ? &m_embeddings->vocabulary() : nullptr));
        chunkCount = std::max(chunkCount, chunked.back().chunks.size());
        result.tokenCount = std::max(result.tokenCount, chunked.back().tokenCount);
        for (int index : chunked.back().embeddings)
            if (std::find(result.embeddings.begin(), result.embeddings.end(), index)
                == result.embeddings.end())
                result.embeddings.push_back(index);
    }
    // 2. encode; encoders' hidden states side by side along channels (SDXL: 768 + 1280)
    std::vector<torch::Tensor> parts;
    for (size_t e = 0; e < m_encoders.size(); ++e) {
        auto& chunks = chunked[e].chunks;
        while (chunks.size() < chunkCount)
            chunks.push_back(emptyChunk());
        parts.push_back(encodeChunks(e, chunks, options, &result.pooled));
    }
    torch::Tensor z = parts.size() == 1 ? parts[0] : torch::cat(parts, -1); // [k, 77, C]
    // 3. chunks one after another along the sequence: [k, 77, C] -> [1, 77k, C]
    result.context = z.reshape({ 1, z.size(0) * z.size(1), z.size(2) });
    result.chunkCount = int(chunkCount);
    if (options.zeroEmptyPrompt && m_family == TextFamily::SDXL && stripped.prompt.empty()) {
        result.context.zero_();
        if (result.pooled.defined())
            result.pooled = torch::zeros_like(result.pooled);
        result.zeroed = true;
    }
    return result;
}

void Conditioner::equaliseChunks(
    TextConditioning& a, TextConditioning& b, const ConditionerOptions& options) const
{
    if (a.chunkCount == b.chunkCount)
        return;
    c10::InferenceMode guard;
    TextConditioning& shorter = a.chunkCount < b.chunkCount ? a : b;
    const int missing = std::abs(a.chunkCount - b.chunkCount);
    // A1111 pads with the encoding of the empty prompt (cond_stage_model_empty_prompt).
    std::vector<torch::Tensor> parts;
    for (size_t e = 0; e < m_encoders.size(); ++e)
        parts.push_back(encodeChunks(e, { emptyChunk() }, options, nullptr));
    const torch::Tensor empty = parts.size() == 1 ? parts[0] : torch::cat(parts, -1); // [1, 77, C]
    shorter.context
        = torch::cat({ shorter.context, empty.to(shorter.context.options()).repeat({ 1, missing, 1 }) }, 1);
    shorter.chunkCount += missing;
}

torch::Tensor Conditioner::sdxlTimeIds(
    int originalHeight, int originalWidth, int cropTop, int cropLeft, int targetHeight, int targetWidth)
{
    return torch::tensor({ float(originalHeight), float(originalWidth), float(cropTop), float(cropLeft),
                             float(targetHeight), float(targetWidth) })
        .view({ 1, 6 });
}

} // namespace qd
