#include "models/UNetModel.h"

#include <cmath>

#include <torch/torch.h>

#include "models/CpuKernels.h"

namespace qd
{

using layers::Conv2d;
using layers::GroupNorm;
using layers::LayerNorm;
using layers::Linear;
using torch::Tensor;

namespace
{

// GroupNorm epsilons as in openaimodel / diffusers: 1e-5 in ResBlocks and the output norm,
// 1e-6 in front of the spatial transformers; LayerNorms in the transformer blocks use 1e-5.
constexpr double kResEps = 1e-5;
constexpr double kTransformerNormEps = 1e-6;
constexpr double kLayerNormEps = 1e-5;
constexpr int64_t kGroups = 32;

std::shared_ptr<torch::nn::Module> container(torch::nn::Module& parent, const std::string& name)
{
    return parent.register_module(name, std::make_shared<torch::nn::Module>());
}

} // namespace

namespace unet
{

// One element of an input / middle / output block (LDM's TimestepEmbedSequential). `embAct` is
// SiLU(time embedding), which every ResBlock's emb_layers starts with; `outSize` is the spatial
// size an Upsample must produce (the matching skip connection's).
struct Layer : torch::nn::Module {
    virtual Tensor run(const Tensor& x, const Tensor& embAct, const Tensor& context, at::IntArrayRef outSize)
        = 0;
};

// input_blocks.0.0: the first 3x3 convolution, holding its weight directly.
struct InputConv : Layer {
    InputConv(int64_t in, int64_t out, const torch::TensorOptions& o)
    {
        weight = register_parameter("weight", torch::empty({ out, in, 3, 3 }, o), false);
        bias = register_parameter("bias", torch::empty({ out }, o), false);
    }
    Tensor run(const Tensor& x, const Tensor&, const Tensor&, at::IntArrayRef) override
    {
        return at::conv2d(x, weight, bias, { 1, 1 }, { 1, 1 });
    }
    Tensor weight, bias;
};

struct ResBlock : Layer {
    ResBlock(int64_t in, int64_t out, int64_t embDim, const torch::TensorOptions& o)
    {
        auto inLayers = container(*this, "in_layers"); // in_layers.1 is SiLU
        norm1 = inLayers->register_module("0", std::make_shared<GroupNorm>(kGroups, in, kResEps, o));
        conv1 = inLayers->register_module("2", std::make_shared<Conv2d>(in, out, 3, 1, 1, o));
        auto embLayers = container(*this, "emb_layers"); // emb_layers.0 is SiLU
        embProj = embLayers->register_module("1", std::make_shared<Linear>(embDim, out, true, o));
        auto outLayers = container(*this, "out_layers"); // out_layers.1 is SiLU, .2 Dropout
        norm2 = outLayers->register_module("0", std::make_shared<GroupNorm>(kGroups, out, kResEps, o));
        conv2 = outLayers->register_module("3", std::make_shared<Conv2d>(out, out, 3, 1, 1, o));
        if (in != out) // else the skip connection is the identity
            skip = register_module("skip_connection", std::make_shared<Conv2d>(in, out, 1, 1, 0, o));
    }
    Tensor run(const Tensor& x, const Tensor& embAct, const Tensor&, at::IntArrayRef) override
    {
        Tensor h = conv1->forward(layers::silu(norm1->forward(x)));
        h.add_(embProj->forward(embAct).unsqueeze(-1).unsqueeze(-1)); // [N, C] -> [N, C, 1, 1]
        h = conv2->forward(layers::silu(norm2->forward(h)));
        return h.add_(skip ? skip->forward(x) : x);
    }
    std::shared_ptr<GroupNorm> norm1, norm2;
    std::shared_ptr<Conv2d> conv1, conv2, skip;
    std::shared_ptr<Linear> embProj;
};

// Multi-head attention: attn1 (self) or attn2 (cross, keys from the text context).
struct Attention : torch::nn::Module {
    Attention(int64_t dim, int64_t contextDim, int64_t heads_, const torch::TensorOptions& o)
        : heads(heads_)
    {
        toQ = register_module("to_q", std::make_shared<Linear>(dim, dim, false, o));
        toK = register_module("to_k", std::make_shared<Linear>(contextDim, dim, false, o));
        toV = register_module("to_v", std::make_shared<Linear>(contextDim, dim, false, o));
        toOut = container(*this, "to_out")->register_module("0", std::make_shared<Linear>(dim, dim, true, o));
        // to_out.1 is Dropout
    }
    Tensor forward(const Tensor& x, const Tensor& context) const
    {
        const Tensor& src = context.defined() ? context : x;
        return toOut->forward(
            layers::attention(toQ->forward(x), toK->forward(src), toV->forward(src), heads));
    }
    std::shared_ptr<Linear> toQ, toK, toV, toOut;
    int64_t heads;
};

// BasicTransformerBlock: self-attention, cross-attention, GEGLU feed-forward, each pre-normed
// and residual.
struct TransformerBlock : torch::nn::Module {
    TransformerBlock(int64_t dim, int64_t heads, int64_t contextDim, const torch::TensorOptions& o)
    {
        attn1 = register_module("attn1", std::make_shared<Attention>(dim, dim, heads, o));
        attn2 = register_module("attn2", std::make_shared<Attention>(dim, contextDim, heads, o));
        norm1 = register_module("norm1", std::make_shared<LayerNorm>(dim, kLayerNormEps, o));
        norm2 = register_module("norm2", std::make_shared<LayerNorm>(dim, kLayerNormEps, o));
        norm3 = register_module("norm3", std::make_shared<LayerNorm>(dim, kLayerNormEps, o));
        auto net = container(*container(*this, "ff"), "net"); // ff.net.1 is Dropout
        const int64_t inner = dim * 4;
        geglu = container(*net, "0")->register_module(
            "proj", std::make_shared<Linear>(dim, inner * 2, true, o));
        ffOut = net->register_module("2", std::make_shared<Linear>(inner, dim, true, o));
    }
    // tokens [N, L, C] is updated in place and returned.
    Tensor forward(Tensor tokens, const Tensor& context) const
    {
        tokens.add_(attn1->forward(norm1->forward(tokens), {}));
        tokens.add_(attn2->forward(norm2->forward(tokens), context));
        // GEGLU: the projection's first half gated by GELU (erf form) of the second.
        const Tensor proj = geglu->forward(norm3->forward(tokens)); // [N, L, 2 * inner]
        return tokens.add_(ffOut->forward(kernels::geglu(proj))); // [N, L, inner] -> [N, L, C]
    }
    std::shared_ptr<Attention> attn1, attn2;
    std::shared_ptr<LayerNorm> norm1, norm2, norm3;
    std::shared_ptr<Linear> geglu, ffOut;
};

// SpatialTransformer: GroupNorm, proj_in (1x1 conv in SD1, linear in SD2 / SDXL), transformer
// blocks over the h*w tokens, proj_out, residual.
struct SpatialTransformer : Layer {
    SpatialTransformer(int64_t ch, int64_t heads, int64_t depth, int64_t contextDim, bool linear,
        const torch::TensorOptions& o)
    {
        norm = register_module("norm", std::make_shared<GroupNorm>(kGroups, ch, kTransformerNormEps, o));
        if (linear) {
            projInLinear = register_module("proj_in", std::make_shared<Linear>(ch, ch, true, o));
        } else {
            projInConv = register_module("proj_in", std::make_shared<Conv2d>(ch, ch, 1, 1, 0, o));
        }
        auto blocksContainer = container(*this, "transformer_blocks");
        for (int64_t i = 0; i < depth; ++i)
            blocks.push_back(blocksContainer->register_module(
                std::to_string(i), std::make_shared<TransformerBlock>(ch, heads, contextDim, o)));
        if (linear)
            projOutLinear = register_module("proj_out", std::make_shared<Linear>(ch, ch, true, o));
        else
            projOutConv = register_module("proj_out", std::make_shared<Conv2d>(ch, ch, 1, 1, 0, o));
    }
    Tensor run(const Tensor& x, const Tensor&, const Tensor& context, at::IntArrayRef) override
    {
        const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
        // A 1x1 convolution is the linear map on channels-last tokens, so both variants work on
        // tokens: one layout change in, one out.
        Tensor tokens
            = norm->forward(x).permute({ 0, 2, 3, 1 }).reshape({ n, h * w, c }); // [N,C,H,W] -> [N,HW,C]
        tokens = projInLinear ? projInLinear->forward(tokens) : projInConv->forwardTokens(tokens);
        for (const auto& b : blocks)
            tokens = b->forward(tokens, context);
        tokens = projOutLinear ? projOutLinear->forward(tokens) : projOutConv->forwardTokens(tokens);
        return x + tokens.view({ n, h, w, c }).permute({ 0, 3, 1, 2 }); // [N,HW,C] -> [N,C,H,W]
    }
    std::shared_ptr<GroupNorm> norm;
    std::shared_ptr<Linear> projInLinear, projOutLinear;
    std::shared_ptr<Conv2d> projInConv, projOutConv;
    std::vector<std::shared_ptr<TransformerBlock>> blocks;
};

struct Downsample : Layer {
    Downsample(int64_t ch, const torch::TensorOptions& o)
    {
        op = register_module("op", std::make_shared<Conv2d>(ch, ch, 3, 2, 1, o));
    }
    Tensor run(const Tensor& x, const Tensor&, const Tensor&, at::IntArrayRef) override
    {
        return op->forward(x);
    }
    std::shared_ptr<Conv2d> op;
};

struct Upsample : Layer {
    Upsample(int64_t ch, const torch::TensorOptions& o)
    {
        conv = register_module("conv", std::make_shared<Conv2d>(ch, ch, 3, 1, 1, o));
    }
    // Nearest-neighbour to the skip connection's size: 2x for even sizes, and what diffusers
    // does for odd ones (e.g. 13 -> 25 on the way back from 25 -> 13).
    Tensor run(const Tensor& x, const Tensor&, const Tensor&, at::IntArrayRef outSize) override
    {
        std::vector<int64_t> size { x.size(2) * 2, x.size(3) * 2 };
        if (outSize.size() == 2)
            size.assign(outSize.begin(), outSize.end());
        namespace F = torch::nn::functional;
        return conv->forward(F::interpolate(x, F::InterpolateFuncOptions().size(size).mode(torch::kNearest)));
    }
    std::shared_ptr<Conv2d> conv;
};

inline std::shared_ptr<SpatialTransformer> transformer(
    const UNetConfig& c, int64_t ch, int64_t depth, const torch::TensorOptions& o)
{
    return std::make_shared<SpatialTransformer>(
        ch, c.headsFor(ch), depth, c.contextDim, c.useLinearInTransformer, o);
}

struct Block : torch::nn::Module {
    template <typename T> void add(std::shared_ptr<T> layer)
    {
        layers.push_back(register_module(std::to_string(layers.size()), std::move(layer)));
    }
    Tensor run(Tensor x, const Tensor& embAct, const Tensor& context, at::IntArrayRef outSize) const
    {
        for (const auto& l : layers)
            x = l->run(x, embAct, context, outSize);
        return x;
    }
    std::vector<std::shared_ptr<Layer>> layers;
};

} // namespace unet

Tensor timestepEmbedding(const Tensor& t, int64_t dim)
{
    // diffusers' get_timestep_embedding, same operations in the same float32 order:
    // exponent = -ln(10000) * arange(half) / half; args = t * exp(exponent); [cos, sin].
    const int64_t half = dim / 2;
    const auto opts = t.options().dtype(torch::kFloat32);
    const Tensor freqs = at::exp(torch::arange(half, opts).mul(-std::log(10000.0)).div(double(half)));
    const Tensor args = t.to(torch::kFloat32).reshape({ -1, 1 }) * freqs.unsqueeze(0); // [N, half]
    Tensor emb = torch::cat({ at::cos(args), at::sin(args) }, -1);
    if (dim % 2)
        emb = at::constant_pad_nd(emb, { 0, 1 });
    return emb;
}

UNetEncoder::UNetEncoder(torch::nn::Module& owner, const UNetConfig& config, const torch::TensorOptions& o)
    : m_config(config)
{
    using namespace unet;
    config.validate();
    const auto& c = m_config;
    const int64_t mc = c.modelChannels, embDim = c.timeEmbedDim();
    auto timeEmbed = container(owner, "time_embed");
    m_timeEmbed0 = timeEmbed->register_module("0", std::make_shared<Linear>(mc, embDim, true, o));
    m_timeEmbed2 = timeEmbed->register_module("2", std::make_shared<Linear>(embDim, embDim, true, o));
    if (c.numClasses == "sequential") {
        auto label = container(*container(owner, "label_emb"), "0");
        m_label0 = label->register_module("0", std::make_shared<Linear>(c.admInChannels, embDim, true, o));
        m_label2 = label->register_module("2", std::make_shared<Linear>(embDim, embDim, true, o));
    }
    // 1. input_blocks: per level num_res_blocks ResBlocks (+ transformer), then a Downsample.
    auto inputs = container(owner, "input_blocks");
    auto addInput = [&](std::shared_ptr<Block> b, int64_t channels) {
        m_input.push_back(inputs->register_module(std::to_string(m_input.size()), std::move(b)));
        m_skipChannels.push_back(channels);
    };
    auto first = std::make_shared<Block>();
    first->add(std::make_shared<InputConv>(c.inChannels, mc, o));
    addInput(first, mc);
    int64_t ch = mc;
    for (int64_t level = 0; level < c.levels(); ++level) {
        for (int64_t r = 0; r < c.numResBlocks; ++r) {
            auto b = std::make_shared<Block>();
            b->add(std::make_shared<ResBlock>(ch, mc * c.channelMult[level], embDim, o));
            ch = mc * c.channelMult[level];
            if (c.hasAttentionAt(level))
                b->add(transformer(c, ch, c.transformerDepth[level], o));
            addInput(b, ch);
        }
        if (level + 1 < c.levels()) {
            auto b = std::make_shared<Block>();
            b->add(std::make_shared<Downsample>(ch, o));
            addInput(b, ch);
        }
    }
    // 2. middle_block: ResBlock, transformer, ResBlock.
    m_middle = owner.register_module("middle_block", std::make_shared<Block>());
    m_middle->add(std::make_shared<ResBlock>(ch, ch, embDim, o));
    m_middle->add(transformer(c, ch, c.transformerDepthMiddle, o));
    m_middle->add(std::make_shared<ResBlock>(ch, ch, embDim, o));
}

torch::Device UNetEncoder::device() const
{
    return m_timeEmbed0->weight.device();
}

torch::ScalarType UNetEncoder::dtype() const
{
    return m_timeEmbed0->weight.scalar_type();
}

UNetEncoder::Inputs UNetEncoder::prepare(
    const Tensor& xIn, const Tensor& tIn, const Tensor& contextIn, const Tensor& yIn, const char* what) const
{
    const auto& c = m_config;
    const std::string name = what;
    if (xIn.dim() != 4 || xIn.size(1) != c.inChannels)
        throw EngineError(name + " input x has shape " + shapeString(xIn.sizes()) + ", expected [N, "
            + std::to_string(c.inChannels) + ", h, w]");
    const int64_t n = xIn.size(0);
    if (!contextIn.defined() || contextIn.dim() != 3 || contextIn.size(2) != c.contextDim
        || (contextIn.size(0) != n && contextIn.size(0) != 1))
        throw EngineError(name + " context has shape "
            + (contextIn.defined() ? shapeString(contextIn.sizes()) : "(none)") + ", expected ["
            + std::to_string(n) + ", L, " + std::to_string(c.contextDim) + "]");
    if (tIn.numel() != n && tIn.numel() != 1)
        throw EngineError(name + " timesteps have shape " + shapeString(tIn.sizes()) + ", expected ["
            + std::to_string(n) + "]");
    const auto dev = device();
    const auto type = dtype();
    Inputs in;
    in.x = xIn.to(dev, type);
    in.context = contextIn.to(dev, type).expand({ n, contextIn.size(1), c.contextDim });
    const Tensor t = tIn.to(dev).reshape({ -1 }).expand({ n });
    // Time (and SDXL label) embedding; every ResBlock starts with SiLU of it.
    Tensor emb = m_timeEmbed2->forward(
        layers::silu(m_timeEmbed0->forward(timestepEmbedding(t, c.modelChannels).to(type))));
    if (m_label0) {
        if (!yIn.defined() || yIn.dim() != 2 || yIn.size(0) != n || yIn.size(1) != c.admInChannels)
            throw EngineError("SDXL " + name + " needs y of shape [" + std::to_string(n) + ", "
                + std::to_string(c.admInChannels) + "] (pooled text embedding + size / crop embeddings), got "
                + (yIn.defined() ? shapeString(yIn.sizes()) : "none"));
        emb.add_(m_label2->forward(layers::silu(m_label0->forward(yIn.to(dev, type)))));
    }
    in.embAct = at::silu(emb);
    return in;
}

Tensor UNetEncoder::runInput(size_t i, const Tensor& h, const Inputs& in) const
{
    return m_input.at(i)->run(h, in.embAct, in.context, {});
}

Tensor UNetEncoder::runMiddle(const Tensor& h, const Inputs& in) const
{
    return m_middle->run(h, in.embAct, in.context, {});
}

UNetModel::UNetModel(const UNetConfig& config, const torch::TensorOptions& options)
    : m_config(config)
    , m_options(options)
{
    using namespace unet;
    const auto& c = m_config;
    const auto& o = m_options;
    const int64_t mc = c.modelChannels, embDim = c.timeEmbedDim();
    // 1.-2. time embedding, input_blocks, middle_block
    m_encoder = std::make_unique<UNetEncoder>(*this, c, o);
    std::vector<int64_t> skipChannels = m_encoder->skipChannels();
    int64_t ch = skipChannels.back();
    // 3. output_blocks: per level (deepest first) num_res_blocks + 1 ResBlocks over the
    // concatenated skip connection (+ transformer), the last one followed by an Upsample.
    auto outputs = container(*this, "output_blocks");
    for (int64_t level = c.levels() - 1; level >= 0; --level) {
        for (int64_t r = 0; r <= c.numResBlocks; ++r) {
            auto b = std::make_shared<Block>();
            const int64_t skip = skipChannels.back();
            skipChannels.pop_back();
            b->add(std::make_shared<ResBlock>(ch + skip, mc * c.channelMult[level], embDim, o));
            ch = mc * c.channelMult[level];
            if (c.hasAttentionAt(level))
                b->add(transformer(c, ch, c.transformerDepth[level], o));
            if (level > 0 && r == c.numResBlocks)
                b->add(std::make_shared<Upsample>(ch, o));
            m_output.push_back(outputs->register_module(std::to_string(m_output.size()), b));
        }
    }
    auto out = container(*this, "out");
    m_outNorm = out->register_module("0", std::make_shared<GroupNorm>(kGroups, ch, kResEps, o));
    m_outConv = out->register_module("2", std::make_shared<Conv2d>(ch, c.outChannels, 3, 1, 1, o));
}

int UNetModel::load(const StateDict& sd, const std::string& source, const std::string& prefix,
    std::vector<std::string>* unexpected)
{
    LoadOptions opt;
    opt.unexpected = unexpected;
    return loadModule(*this, sd, prefix, source, opt);
}

Tensor UNetModel::admVector(const Tensor& pooled, const Tensor& timeIds) const
{
    c10::InferenceMode guard;
    if (m_config.numClasses != "sequential")
        throw EngineError(
            "this UNet takes no pooled / size conditioning (num_classes is not \"sequential\")");
    if (pooled.dim() != 2 || timeIds.dim() != 2 || pooled.size(0) != timeIds.size(0))
        throw EngineError("SDXL conditioning: pooled " + shapeString(pooled.sizes()) + " and time ids "
            + shapeString(timeIds.sizes()) + ", expected [N, P] and [N, K]");
    const int64_t n = pooled.size(0), dim = m_config.admTimeEmbedDim;
    const Tensor emb = timestepEmbedding(timeIds.flatten(), dim).reshape({ n, -1 }); // [N*K, D] -> [N, K*D]
    Tensor y = torch::cat({ pooled.to(torch::kFloat32), emb.to(pooled.device()) }, 1);
    if (y.size(1) != m_config.admInChannels)
        throw EngineError("SDXL conditioning: pooled " + shapeString(pooled.sizes()) + " + "
            + std::to_string(timeIds.size(1)) + " numbers x " + std::to_string(dim) + " = "
            + std::to_string(y.size(1))
            + " values, expected adm_in_channels = " + std::to_string(m_config.admInChannels));
    return y;
}

Tensor UNetModel::forward(const Tensor& xIn, const Tensor& tIn, const Tensor& contextIn, const Tensor& yIn,
    const UNetResiduals* residuals)
{
    c10::InferenceMode guard;
    // 1. Inputs and the time (and SDXL label) embedding.
    const UNetEncoder::Inputs in = m_encoder->prepare(xIn, tIn, contextIn, yIn, "UNet");
    const size_t blocks = m_encoder->inputBlocks();
    const bool control = residuals && !residuals->empty();
    if (control && (residuals->down.size() != blocks || !residuals->mid.defined()))
        throw EngineError("ControlNet residuals: " + std::to_string(residuals->down.size())
            + " down tensors and " + (residuals->mid.defined() ? "a" : "no") + " middle tensor, expected "
            + std::to_string(blocks) + " and one");

    // 2. Down, keeping every block's output for the skip connections.
    std::vector<Tensor> skips;
    skips.reserve(blocks);
    Tensor h = in.x;
    for (size_t i = 0; i < blocks; ++i) {
        h = m_encoder->runInput(i, h, in);
        skips.push_back(h);
    }
    h = m_encoder->runMiddle(h, in);
    // ControlNet: the middle residual on the middle block's output, down residual i on skip i
    // (cldm's ControlledUnetModel: h += control.pop(); cat([h, hs.pop() + control.pop()])).
    if (control) {
        h = h + residuals->mid.to(h.device(), h.scalar_type());
        for (size_t i = 0; i < blocks; ++i)
            skips[i] = skips[i] + residuals->down[i].to(h.device(), h.scalar_type());
    }
    // 3. Up: concatenate the matching skip; an Upsample targets the next skip's size.
    for (const auto& b : m_output) {
        h = torch::cat({ h, skips.back() }, 1);
        skips.pop_back();
        const at::IntArrayRef target = skips.empty() ? at::IntArrayRef {} : skips.back().sizes().slice(2);
        h = b->run(h, in.embAct, in.context, target);
    }
    return m_outConv->forward(layers::silu(m_outNorm->forward(h)));
}

} // namespace qd
