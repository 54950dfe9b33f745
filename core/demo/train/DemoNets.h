#pragma once
// The demo model's three networks in a trainable form (issue 15): plain, differentiable LibTorch
// layers arranged exactly as CompVis' LDM code arranges them, so their parameter names are the
// single-file checkpoint keys the engine loads (model.diffusion_model.*, first_stage_model.*,
// cond_stage_model.transformer.*). The engine's own modules (core/engine/models) are built for
// inference (in-place updates, fused CPU kernels, InferenceMode) and cannot be trained; the test
// tst_demotrain checks that these and the engine's compute the same outputs from the same weights.
#include <cstdint>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "core/engine/io/StateDict.h"

namespace qd::demo
{

// Sizes of the three networks. Defaults: the shipped demo model (docs/demo-model.md).
struct DemoNetConfig {
    // UNet (openaimodel.UNetModel, SD 1.x form: spatial transformers with 1x1 conv projections).
    int modelChannels = 32;
    std::vector<int> channelMult { 1, 2, 2 };
    int numResBlocks = 1;
    std::vector<int> attentionResolutions { 2, 4 }; // downsampling factors that get a transformer
    int numHeads = 4;
    // VAE (AutoencoderKL, 2^(len(vaeMult)-1) downsampling; 8 as in SD).
    int vaeChannels = 32;
    std::vector<int> vaeMult { 1, 1, 1, 1 };
    int vaeResBlocks = 1;
    int latentChannels = 4;
    // Text encoder (OpenAI CLIP form); heads = max(1, width / 64) as the engine reads it.
    int textWidth = 32;
    int textLayers = 2;
    int vocab = 49408;
    int positions = 77;

    int contextDim() const { return textWidth; }
    int downFactor() const { return 1 << (int(vaeMult.size()) - 1); }
};

// LDM's timestep_embedding: [N] -> [N, dim], cos half first.
torch::Tensor sinusoidalEmbedding(const torch::Tensor& t, int64_t dim);

struct DemoUNetImpl : torch::nn::Module {
    explicit DemoUNetImpl(const DemoNetConfig& config);
    // x [N, 4, h, w], t [N] float timesteps, context [N, 77, textWidth] -> eps [N, 4, h, w].
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& context);

    struct Block; // one input / middle / output block: a sequence of layers
    DemoNetConfig config;
    torch::nn::Sequential timeEmbed { nullptr };
    std::vector<std::shared_ptr<Block>> input, output;
    std::shared_ptr<Block> middle;
    torch::nn::Sequential out { nullptr };
};
TORCH_MODULE(DemoUNet);

struct DemoVaeImpl : torch::nn::Module {
    explicit DemoVaeImpl(const DemoNetConfig& config);
    // image [N, 3, H, W] in [-1, 1] -> mean and log-variance [N, 4, H/8, W/8] each (unscaled).
    std::pair<torch::Tensor, torch::Tensor> encode(const torch::Tensor& image);
    // unscaled latent -> image in about [-1, 1]
    torch::Tensor decode(const torch::Tensor& z);

    struct Coder;
    DemoNetConfig config;
    std::shared_ptr<Coder> encoder, decoder;
    torch::nn::Conv2d quantConv { nullptr }, postQuantConv { nullptr };
};
TORCH_MODULE(DemoVae);

struct DemoTextEncoderImpl : torch::nn::Module {
    explicit DemoTextEncoderImpl(const DemoNetConfig& config);
    // ids [N, 77] -> last hidden state after the final layer norm [N, 77, width] (SD 1.x context).
    torch::Tensor forward(const torch::Tensor& ids);

    struct Layer;
    DemoNetConfig config;
    torch::nn::Embedding tokenEmbedding { nullptr }, positionEmbedding { nullptr };
    std::vector<std::shared_ptr<Layer>> layers;
    torch::nn::LayerNorm finalNorm { nullptr };
};
TORCH_MODULE(DemoTextEncoder);

// The single-file keys of each network's parameters: prefix + the module path.
inline const char* kUNetPrefix = "model.diffusion_model.";
inline const char* kVaePrefix = "first_stage_model.";
inline const char* kTextPrefix = "cond_stage_model.transformer.";

// Every parameter of the three networks under its single-file checkpoint key: detached views that
// share the parameters' storage (copy_ into them loads weights).
StateDict checkpointWeights(
    const DemoUNetImpl& unet, const DemoVaeImpl& vae, const DemoTextEncoderImpl& text);

// The LDM YAML that describes these networks to the engine (CompVis v1 layout), with `scaleFactor`.
std::string ldmYaml(const DemoNetConfig& config, double scaleFactor);

} // namespace qd::demo
