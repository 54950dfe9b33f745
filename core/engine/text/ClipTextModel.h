#pragma once
// The CLIP text transformer in both checkpoint layouts Stable Diffusion files use:
//  - OpenAI / transformers form (SD1 `cond_stage_model.transformer.`, SDXL `conditioner.embedders.0.
//    transformer.`): text_model.{embeddings.{token,position}_embedding, encoder.layers.N.{self_attn.
//    {q,k,v,out}_proj, layer_norm1, mlp.{fc1,fc2}, layer_norm2}, final_layer_norm}
//  - OpenCLIP form (SD2 `cond_stage_model.model.`, SDXL `conditioner.embedders.1.model.`):
//    token_embedding, positional_embedding, transformer.resblocks.N.{ln_1, attn.{in_proj_weight,
//    in_proj_bias, out_proj}, ln_2, mlp.{c_fc, c_proj}}, ln_final, text_projection ([in, out])
// Module names mirror those keys (docs/style.md §3), so loading is loadModule(model, sd, prefix, file).
#include <memory>
#include <string>
#include <vector>

#include <torch/nn/module.h>
#include <torch/types.h>

#include "io/StateDict.h"

namespace qd
{

enum class ClipTextForm { OpenAi, OpenClip };
enum class ClipActivation { QuickGelu, Gelu }; // x*sigmoid(1.702x) (OpenAI CLIP) / exact erf GELU (OpenCLIP)

struct ClipTextConfig {
    ClipTextForm form = ClipTextForm::OpenAi;
    int width = 768; // hidden size
    int layers = 12; // transformer layers in the checkpoint (SD2 files hold one unused last layer)
    int heads = 12; // width / 64 in every SD text encoder
    int mlpWidth = 3072; // 4 x width
    int vocab = 49408;
    int positions = 77;
    int projectionDim = 0; // OpenCLIP text_projection [width, projectionDim]; 0 = none
    ClipActivation activation = ClipActivation::QuickGelu;
    double layerNormEps = 1e-5;

    // Reference architectures: SD1 and SDXL's first encoder (OpenAI CLIP ViT-L/14), SD2
    // (OpenCLIP ViT-H/14, 24 layers of which SD uses 23), SDXL's second (OpenCLIP ViT-bigG/14).
    static ClipTextConfig clipL();
    static ClipTextConfig openClipH();
    static ClipTextConfig openClipBigG();

    // Reads the form and every size from the shapes under `prefix` (e.g. "cond_stage_model.model.");
    // the activation follows the form. Throws EngineError naming `source` and the key when absent.
    static ClipTextConfig detectFromWeights(
        const StateDict& sd, const std::string& prefix, const std::string& source);

    // Throws EngineError naming the first bad field, its value and what was expected.
    void validate() const;
};

class ClipLayer; // one transformer layer of either form (ClipTextModel.cpp)

class ClipTextModel : public torch::nn::Module
{
public:
    // Parameters are allocated uninitialised with `options` (dtype / device; kMeta builds the tree
    // without memory); fill them with loadModule.
    explicit ClipTextModel(const ClipTextConfig& config, const torch::TensorOptions& options = {});
    ~ClipTextModel() override;

    const ClipTextConfig& config() const { return m_config; }

    struct Output {
        torch::Tensor hidden; // [B, T, width]
        torch::Tensor pooled; // [B, projectionDim] when asked for, else undefined
    };
    // ids: [B, T] integer token ids, T <= positions. Returns the hidden state after `layer`
    // transformer layers (0 = the embeddings, `layers` = the last), through the final layer norm
    // when `finalNorm`. `pooled`: the final-normed last layer at each row's first highest id (the
    // first <|endoftext|>) times text_projection (needs projectionDim > 0). Call under
    // c10::InferenceMode. Softmax runs in float32 whatever the weights' dtype. `tokenEmbeds`
    // [B, T, width], when given, replaces the token embedding lookup (textual inversion puts its
    // vectors there; positions are still added).
    Output forward(const torch::Tensor& ids, int layer, bool finalNorm, bool pooled = false,
        const torch::Tensor& tokenEmbeds = {}) const;
    // The token embedding lookup of `ids` [B, T]: [B, T, width] in the model's dtype and device.
    torch::Tensor tokenEmbeddings(const torch::Tensor& ids) const;

private:
    ClipTextConfig m_config;
    std::vector<std::shared_ptr<ClipLayer>> m_layers;
    // Handles into the registered parameters (same storage), for the forward pass.
    torch::Tensor m_tokenEmbedding, m_positionEmbedding, m_finalNormWeight, m_finalNormBias, m_projection;
};

// detectFromWeights + validate + construct + loadModule. Keys under `prefix` that the model does
// not use (position_ids, logit_scale ...) are tolerated and, when `unexpected` is given, listed there.
std::shared_ptr<ClipTextModel> loadClipTextModel(const StateDict& sd, const std::string& prefix,
    const std::string& source, const torch::TensorOptions& options = {},
    std::vector<std::string>* unexpected = nullptr);

} // namespace qd
