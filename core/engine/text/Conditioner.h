#pragma once
// Prompt text -> the UNet's cross-attention context (and SDXL's pooled vector), as AUTOMATIC1111
// does it: extra-network tags removed, weights parsed, 75-token chunks each encoded as 77 tokens,
// multipliers applied with the mean restored ("Original" emphasis), chunks concatenated along the
// sequence. A plain prompt of at most 75 tokens gives exactly diffusers' prompt_embeds.
#include <memory>
#include <string>
#include <vector>

#include <torch/types.h>

#include "io/StateDict.h"
#include "text/ClipTextModel.h"
#include "text/ClipTokenizer.h"
#include "text/Embeddings.h"
#include "text/PromptParser.h"

namespace qd
{

enum class TextFamily { SD1, SD2, SDXL };

// One text encoder and how its output is read.
struct TextEncoderSlot {
    std::shared_ptr<ClipTextModel> model;
    int layersFromEnd = 0; // the family's layer before clip skip: 0 = last, 1 = penultimate
    bool finalNorm = true; // pass the chosen layer through the final layer norm
    bool pooled = false; // this encoder gives SDXL's pooled vector
    int padId = ClipTokenizer::EndId; // id for every position after a chunk's first end token
};

struct ConditionerOptions {
    // A1111 "Clip skip": 1 = the family's usual layer, 2 = one layer earlier (diffusers clip_skip=1),
    // and so on, for every encoder. (diffusers ignores clip_skip for the negative prompt: pass 1 there
    // to reproduce it.)
    int clipSkip = 1;
    bool emphasis = true; // false: brackets and weights are plain text (A1111 emphasis "None")
    int commaBacktrack = 20; // A1111 comma_padding_backtrack
    // diffusers' SD2 / SDXL-second tokenizers have pad token "!" and split every "!" off as a token
    // of its own; A1111's open_clip tokenizer does not. True reproduces diffusers.
    bool bangSplitForOpenClip = true;
    // SDXL: an empty prompt gives zeros for context and pooled (A1111 does this for an empty
    // negative prompt; diffusers only when no negative prompt is passed at all, not for "").
    bool zeroEmptyPrompt = false;
};

struct TextConditioning {
    torch::Tensor context; // [1, 77 * chunkCount, C]
    torch::Tensor pooled; // [1, P] (SDXL) or undefined
    int chunkCount = 0;
    int tokenCount = 0; // A1111's count (75 per full chunk + the last one's tokens)
    std::vector<ExtraNetwork> extraNetworks; // <lora:...> etc. found (and removed) in the prompt
    std::vector<int> embeddings; // textual inversions used (EmbeddingSet indices), in order of first use
    bool zeroed = false; // zeroEmptyPrompt applied
};

class Conditioner
{
public:
    Conditioner(TextFamily family, std::vector<TextEncoderSlot> encoders,
        const ClipTokenizer& tokenizer = ClipTokenizer::shared());

    // Finds the family from the checkpoint's key names (SDXL `conditioner.embedders.{0,1}.`, SD2
    // `cond_stage_model.model.`, SD1 `cond_stage_model.transformer.`), detects each encoder's size and
    // loads it with the family's reading rules. Throws EngineError naming `source` when none fits.
    static Conditioner fromStateDict(
        const StateDict& sd, const std::string& source, const torch::TensorOptions& options = {});
    // The reading rules of `family` for already-built encoders (SDXL: {CLIP-L, OpenCLIP-bigG}).
    static std::vector<TextEncoderSlot> familySlots(
        TextFamily family, std::vector<std::shared_ptr<ClipTextModel>> models);

    TextFamily family() const { return m_family; }
    const std::vector<TextEncoderSlot>& encoders() const { return m_encoders; }
    // Which layer an encoder is read at, counted from its last (0 = last). diffusers folders of SD 2.x
    // hold only the 23 used OpenCLIP layers (config num_hidden_layers), so their last one is read.
    void setLayersFromEnd(size_t encoder, int layersFromEnd)
    {
        m_encoders.at(encoder).layersFromEnd = layersFromEnd;
    }
    int contextDim() const; // C: the encoders' widths summed
    int pooledDim() const; // P, 0 without a pooled encoder

    TextConditioning encode(const std::string& prompt, const ConditionerOptions& options = {}) const;

    // Textual-inversion embeddings the prompts may name (nullptr: none). Their width must be
    // contextDim(); EmbeddingSet::load filters by it.
    void setEmbeddings(std::shared_ptr<const EmbeddingSet> embeddings)
    {
        m_embeddings = std::move(embeddings);
    }
    const std::shared_ptr<const EmbeddingSet>& embeddings() const { return m_embeddings; }

    // Gives `a` and `b` (typically prompt and negative prompt) the same chunk count by appending the
    // encoding of the empty prompt to the shorter, as A1111's pad_cond_uncond does (also after a
    // zeroed SDXL negative).
    void equaliseChunks(
        TextConditioning& a, TextConditioning& b, const ConditionerOptions& options = {}) const;

    // SDXL's size / crop conditioning [1, 6]: original size, crop top-left, target size (pixels), the
    // order the UNet's add_time_ids expects.
    static torch::Tensor sdxlTimeIds(
        int originalHeight, int originalWidth, int cropTop, int cropLeft, int targetHeight, int targetWidth);

private:
    // Encodes chunks through one encoder (number `encoder`): [k, 77] ids -> [k, 77, C] with the
    // chunks' embeddings in place and emphasis applied, and the pooled vector of chunk 0 when the
    // slot has one.
    torch::Tensor encodeChunks(size_t encoder, const std::vector<PromptChunk>& chunks,
        const ConditionerOptions& options, torch::Tensor* pooled) const;
    // The token embeddings of `ids` [k, T] with each chunk's textual-inversion vectors in place.
    torch::Tensor tokenEmbeddings(
        size_t encoder, const torch::Tensor& ids, const std::vector<PromptChunk>& chunks) const;
    ChunkOptions chunkOptions(const TextEncoderSlot& slot, const ConditionerOptions& options) const;

    TextFamily m_family;
    std::vector<TextEncoderSlot> m_encoders;
    const ClipTokenizer* m_tokenizer;
    std::shared_ptr<const EmbeddingSet> m_embeddings;
};

} // namespace qd
