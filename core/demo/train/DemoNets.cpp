#include "core/demo/train/DemoNets.h"

#include <cmath>
#include <sstream>

namespace qd::demo
{

namespace nn = torch::nn;
using torch::Tensor;

namespace
{

constexpr int kGroups = 32; // every GroupNorm of SD's UNet and VAE

nn::Conv2d conv(int in, int out, int k, int stride = 1, int pad = -1)
{
    return nn::Conv2d(nn::Conv2dOptions(in, out, k).stride(stride).padding(pad < 0 ? k / 2 : pad));
}
nn::GroupNorm groupNorm(int ch, double eps)
{
    return nn::GroupNorm(nn::GroupNormOptions(kGroups, ch).eps(eps));
}
nn::LayerNorm layerNorm(int dim)
{
    return nn::LayerNorm(nn::LayerNormOptions({ dim }).eps(1e-5));
}
// LDM's zero_module: output projections start at zero, so each residual branch starts as identity.
template <class M> M zeroed(M m)
{
    torch::NoGradGuard g;
    for (auto& p : m->parameters())
        p.zero_();
    return m;
}

// Scaled dot-product attention over heads: q [N, Lq, C], k, v [N, Lk, C] -> [N, Lq, C].
Tensor attend(const Tensor& q, const Tensor& k, const Tensor& v, int64_t heads, const Tensor& mask = {})
{
    const int64_t N = q.size(0), Lq = q.size(1), Lk = k.size(1), C = q.size(2), D = C / heads;
    auto split = [&](const Tensor& t, int64_t L) { return t.view({ N, L, heads, D }).transpose(1, 2); };
    Tensor s = torch::matmul(split(q, Lq), split(k, Lk).transpose(-1, -2)) * (1.0 / std::sqrt(double(D)));
    if (mask.defined())
        s = s + mask;
    return torch::matmul(s.softmax(-1), split(v, Lk)).transpose(1, 2).reshape({ N, Lq, C });
}

// One layer of a UNet block; what it reads depends on its kind.
struct UnetLayer : nn::Module {
    virtual Tensor run(const Tensor& x, const Tensor& emb, const Tensor& context) = 0;
};

struct ResBlock : UnetLayer {
    nn::Sequential inLayers, embLayers, outLayers;
    nn::Conv2d skip { nullptr };
    ResBlock(int in, int out, int embDim)
        : inLayers(groupNorm(in, 1e-5), nn::SiLU(), conv(in, out, 3))
        , embLayers(nn::SiLU(), nn::Linear(embDim, out))
        , outLayers(groupNorm(out, 1e-5), nn::SiLU(), nn::Identity(), zeroed(conv(out, out, 3)))
    {
        register_module("in_layers", inLayers);
        register_module("emb_layers", embLayers);
        register_module("out_layers", outLayers);
        if (in != out)
            skip = register_module("skip_connection", conv(in, out, 1));
    }
    Tensor run(const Tensor& x, const Tensor& emb, const Tensor&) override
    {
        Tensor h = inLayers->forward(x) + embLayers->forward(emb).unsqueeze(-1).unsqueeze(-1);
        h = outLayers->forward(h);
        return (skip ? skip->forward(x) : x) + h;
    }
};

struct CrossAttention : nn::Module {
    nn::Linear q { nullptr }, k { nullptr }, v { nullptr };
    nn::Sequential toOut;
    int64_t heads;
    CrossAttention(int dim, int contextDim, int heads_)
        : toOut(nn::Linear(dim, dim), nn::Identity())
        , heads(heads_)
    {
        q = register_module("to_q", nn::Linear(nn::LinearOptions(dim, dim).bias(false)));
        k = register_module("to_k", nn::Linear(nn::LinearOptions(contextDim, dim).bias(false)));
        v = register_module("to_v", nn::Linear(nn::LinearOptions(contextDim, dim).bias(false)));
        register_module("to_out", toOut);
    }
    Tensor forward(const Tensor& x, const Tensor& context)
    {
        const Tensor& c = context.defined() ? context : x;
        return toOut->forward(attend(q(x), k(c), v(c), heads));
    }
};

struct Geglu : nn::Module {
    nn::Linear proj { nullptr };
    Geglu(int dim, int inner) { proj = register_module("proj", nn::Linear(dim, 2 * inner)); }
    Tensor forward(const Tensor& x)
    {
        const auto parts = proj(x).chunk(2, -1);
        return parts[0] * torch::gelu(parts[1]);
    }
};

struct TransformerBlock : nn::Module {
    std::shared_ptr<CrossAttention> attn1, attn2;
    nn::Sequential ff;
    nn::LayerNorm norm1 { nullptr }, norm2 { nullptr }, norm3 { nullptr };
    TransformerBlock(int dim, int contextDim, int heads)
    {
        attn1 = register_module("attn1", std::make_shared<CrossAttention>(dim, dim, heads));
        ff = nn::Sequential(std::make_shared<Geglu>(dim, 4 * dim), nn::Identity(), nn::Linear(4 * dim, dim));
        register_module("ff", std::make_shared<nn::Module>())->register_module("net", ff);
        attn2 = register_module("attn2", std::make_shared<CrossAttention>(dim, contextDim, heads));
        norm1 = register_module("norm1", layerNorm(dim));
        norm2 = register_module("norm2", layerNorm(dim));
        norm3 = register_module("norm3", layerNorm(dim));
    }
    Tensor forward(Tensor x, const Tensor& context)
    {
        x = x + attn1->forward(norm1(x), {});
        x = x + attn2->forward(norm2(x), context);
        return x + ff->forward(norm3(x));
    }
};

struct SpatialTransformer : UnetLayer {
    nn::GroupNorm norm { nullptr };
    nn::Conv2d projIn { nullptr }, projOut { nullptr };
    std::shared_ptr<TransformerBlock> block;
    SpatialTransformer(int ch, int contextDim, int heads)
    {
        norm = register_module("norm", groupNorm(ch, 1e-6));
        projIn = register_module("proj_in", conv(ch, ch, 1));
        auto list = register_module("transformer_blocks", std::make_shared<nn::Module>());
        block = list->register_module("0", std::make_shared<TransformerBlock>(ch, contextDim, heads));
        projOut = register_module("proj_out", zeroed(conv(ch, ch, 1)));
    }
    Tensor run(const Tensor& x, const Tensor&, const Tensor& context) override
    {
        const int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
        Tensor h = projIn(norm(x)).flatten(2).transpose(1, 2); // [N, HW, C]
        h = block->forward(h, context).transpose(1, 2).reshape({ N, C, H, W });
        return x + projOut(h);
    }
};

struct Downsample : UnetLayer {
    nn::Conv2d op { nullptr };
    explicit Downsample(int ch) { op = register_module("op", conv(ch, ch, 3, 2, 1)); }
    Tensor run(const Tensor& x, const Tensor&, const Tensor&) override { return op(x); }
};

struct Upsample : UnetLayer {
    nn::Conv2d c { nullptr };
    explicit Upsample(int ch) { c = register_module("conv", conv(ch, ch, 3)); }
    Tensor run(const Tensor& x, const Tensor&, const Tensor&) override
    {
        return c(torch::nn::functional::interpolate(x,
            torch::nn::functional::InterpolateFuncOptions()
                .scale_factor(std::vector<double> { 2.0, 2.0 })
                .mode(torch::kNearest)));
    }
};

// input_blocks.0.0: a bare convolution (its weight and bias sit directly under the block's "0").
struct ConvIn : UnetLayer {
    Tensor weight, bias;
    ConvIn(int in, int out)
    {
        nn::Conv2d c = conv(in, out, 3);
        weight = register_parameter("weight", c->weight.detach().clone());
        bias = register_parameter("bias", c->bias.detach().clone());
    }
    Tensor run(const Tensor& x, const Tensor&, const Tensor&) override
    {
        return torch::conv2d(x, weight, bias, 1, 1);
    }
};

} // namespace

struct DemoUNetImpl::Block : nn::Module {
    std::vector<std::shared_ptr<UnetLayer>> layers;
    void add(std::shared_ptr<UnetLayer> layer)
    {
        layers.push_back(register_module(std::to_string(layers.size()), std::move(layer)));
    }
    Tensor run(Tensor x, const Tensor& emb, const Tensor& context)
    {
        for (auto& l : layers)
            x = l->run(x, emb, context);
        return x;
    }
};

Tensor sinusoidalEmbedding(const Tensor& t, int64_t dim)
{
    const int64_t half = dim / 2;
    const Tensor freqs = torch::exp(
        -std::log(10000.0) * torch::arange(half, t.options().dtype(torch::kFloat32)) / double(half));
    const Tensor args = t.to(torch::kFloat32).unsqueeze(1) * freqs.unsqueeze(0);
    return torch::cat({ torch::cos(args), torch::sin(args) }, 1);
}

DemoUNetImpl::DemoUNetImpl(const DemoNetConfig& c)
    : config(c)
{
    const int mc = c.modelChannels, embDim = 4 * mc;
    timeEmbed = register_module(
        "time_embed", nn::Sequential(nn::Linear(mc, embDim), nn::SiLU(), nn::Linear(embDim, embDim)));
    auto inputs = register_module("input_blocks", std::make_shared<nn::Module>());
    auto outputs = register_module("output_blocks", std::make_shared<nn::Module>());
    auto newBlock = [](const std::shared_ptr<nn::Module>& list, std::vector<std::shared_ptr<Block>>& v) {
        v.push_back(list->register_module(std::to_string(v.size()), std::make_shared<Block>()));
        return v.back();
    };
    auto attends = [&](int ds) {
        return std::find(c.attentionResolutions.begin(), c.attentionResolutions.end(), ds)
            != c.attentionResolutions.end();
    };
    auto transformer
        = [&](int ch) { return std::make_shared<SpatialTransformer>(ch, c.contextDim(), c.numHeads); };

    newBlock(inputs, input)->add(std::make_shared<ConvIn>(c.latentChannels, mc));
    std::vector<int> skips { mc };
    int ch = mc, ds = 1;
    for (size_t level = 0; level < c.channelMult.size(); ++level) {
        for (int i = 0; i < c.numResBlocks; ++i) {
            auto b = newBlock(inputs, input);
            b->add(std::make_shared<ResBlock>(ch, c.channelMult[level] * mc, embDim));
            ch = c.channelMult[level] * mc;
            if (attends(ds))
                b->add(transformer(ch));
            skips.push_back(ch);
        }
        if (level + 1 != c.channelMult.size()) {
            newBlock(inputs, input)->add(std::make_shared<Downsample>(ch));
            skips.push_back(ch);
            ds *= 2;
        }
    }
    middle = register_module("middle_block", std::make_shared<Block>());
    middle->add(std::make_shared<ResBlock>(ch, ch, embDim));
    middle->add(transformer(ch));
    middle->add(std::make_shared<ResBlock>(ch, ch, embDim));
    for (int level = int(c.channelMult.size()) - 1; level >= 0; --level) {
        for (int i = 0; i <= c.numResBlocks; ++i) {
            auto b = newBlock(outputs, output);
            const int skip = skips.back();
            skips.pop_back();
            b->add(std::make_shared<ResBlock>(ch + skip, c.channelMult[level] * mc, embDim));
            ch = c.channelMult[level] * mc;
            if (attends(ds))
                b->add(transformer(ch));
            if (level > 0 && i == c.numResBlocks) {
                b->add(std::make_shared<Upsample>(ch));
                ds /= 2;
            }
        }
    }
    out = register_module(
        "out", nn::Sequential(groupNorm(ch, 1e-5), nn::SiLU(), zeroed(conv(ch, c.latentChannels, 3))));
}

Tensor DemoUNetImpl::forward(const Tensor& x, const Tensor& t, const Tensor& context)
{
    const Tensor emb = timeEmbed->forward(sinusoidalEmbedding(t, config.modelChannels));
    std::vector<Tensor> skips;
    Tensor h = x;
    for (auto& b : input) {
        h = b->run(h, emb, context);
        skips.push_back(h);
    }
    h = middle->run(h, emb, context);
    for (auto& b : output) {
        h = b->run(torch::cat({ h, skips.back() }, 1), emb, context);
        skips.pop_back();
    }
    return out->forward(h);
}

// ---- VAE ----------------------------------------------------------------------------------------

namespace
{

struct ResnetBlock : nn::Module {
    nn::GroupNorm norm1 { nullptr }, norm2 { nullptr };
    nn::Conv2d conv1 { nullptr }, conv2 { nullptr }, shortcut { nullptr };
    ResnetBlock(int in, int out)
    {
        norm1 = register_module("norm1", groupNorm(in, 1e-6));
        conv1 = register_module("conv1", conv(in, out, 3));
        norm2 = register_module("norm2", groupNorm(out, 1e-6));
        conv2 = register_module("conv2", conv(out, out, 3));
        if (in != out)
            shortcut = register_module("nin_shortcut", conv(in, out, 1));
    }
    Tensor forward(const Tensor& x)
    {
        Tensor h = conv1(torch::silu(norm1(x)));
        h = conv2(torch::silu(norm2(h)));
        return (shortcut ? shortcut(x) : x) + h;
    }
};

struct AttnBlock : nn::Module {
    nn::GroupNorm norm { nullptr };
    nn::Conv2d q { nullptr }, k { nullptr }, v { nullptr }, proj { nullptr };
    explicit AttnBlock(int ch)
    {
        norm = register_module("norm", groupNorm(ch, 1e-6));
        q = register_module("q", conv(ch, ch, 1));
        k = register_module("k", conv(ch, ch, 1));
        v = register_module("v", conv(ch, ch, 1));
        proj = register_module("proj_out", conv(ch, ch, 1));
    }
    Tensor forward(const Tensor& x)
    {
        const int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
        const Tensor h = norm(x);
        auto tokens = [&](const Tensor& t) { return t.flatten(2).transpose(1, 2); };
        const Tensor a = attend(tokens(q(h)), tokens(k(h)), tokens(v(h)), 1);
        return x + proj(a.transpose(1, 2).reshape({ N, C, H, W }));
    }
};

struct Level : nn::Module {
    std::vector<std::shared_ptr<ResnetBlock>> blocks;
    nn::Conv2d resample { nullptr };
    Level(const std::vector<std::pair<int, int>>& io, int resampleCh, bool up)
    {
        auto list = register_module("block", std::make_shared<nn::Module>());
        for (const auto& [in, out] : io)
            blocks.push_back(
                list->register_module(std::to_string(blocks.size()), std::make_shared<ResnetBlock>(in, out)));
        if (resampleCh > 0) {
            auto m = register_module(up ? "upsample" : "downsample", std::make_shared<nn::Module>());
            resample = m->register_module("conv", conv(resampleCh, resampleCh, 3, up ? 1 : 2, up ? 1 : 0));
        }
        this->up = up;
    }
    bool up = false;
    Tensor forward(Tensor x)
    {
        for (auto& b : blocks)
            x = b->forward(x);
        if (!resample)
            return x;
        if (up)
            return resample(torch::nn::functional::interpolate(x,
                torch::nn::functional::InterpolateFuncOptions()
                    .scale_factor(std::vector<double> { 2.0, 2.0 })
                    .mode(torch::kNearest)));
        return resample(torch::constant_pad_nd(x, { 0, 1, 0, 1 }, 0)); // LDM pads right and bottom only
    }
};

struct Mid : nn::Module {
    std::shared_ptr<ResnetBlock> block1, block2;
    std::shared_ptr<AttnBlock> attn;
    explicit Mid(int ch)
    {
        block1 = register_module("block_1", std::make_shared<ResnetBlock>(ch, ch));
        attn = register_module("attn_1", std::make_shared<AttnBlock>(ch));
        block2 = register_module("block_2", std::make_shared<ResnetBlock>(ch, ch));
    }
    Tensor forward(const Tensor& x) { return block2->forward(attn->forward(block1->forward(x))); }
};

} // namespace

struct DemoVaeImpl::Coder : nn::Module {
    nn::Conv2d convIn { nullptr }, convOut { nullptr };
    nn::GroupNorm normOut { nullptr };
    std::vector<std::shared_ptr<Level>> levels; // in the order they run
    std::shared_ptr<Mid> mid;
    bool decoder;
    Coder(const DemoNetConfig& c, bool decoder_)
        : decoder(decoder_)
    {
        const int ch = c.vaeChannels, n = int(c.vaeMult.size());
        const std::string levelList = decoder ? "up" : "down";
        if (!decoder) {
            convIn = register_module("conv_in", conv(3, ch, 3));
            auto list = register_module(levelList, std::make_shared<nn::Module>());
            int in = ch;
            for (int i = 0; i < n; ++i) {
                const int out = ch * c.vaeMult[i];
                std::vector<std::pair<int, int>> io;
                for (int j = 0; j < c.vaeResBlocks; ++j, in = out)
                    io.emplace_back(in, out);
                levels.push_back(list->register_module(
                    std::to_string(i), std::make_shared<Level>(io, i + 1 < n ? out : 0, false)));
            }
            mid = register_module("mid", std::make_shared<Mid>(in));
            normOut = register_module("norm_out", groupNorm(in, 1e-6));
            convOut = register_module("conv_out", conv(in, 2 * c.latentChannels, 3));
        } else {
            int in = ch * c.vaeMult.back();
            convIn = register_module("conv_in", conv(c.latentChannels, in, 3));
            mid = register_module("mid", std::make_shared<Mid>(in));
            std::vector<std::shared_ptr<Level>> byIndex(n);
            for (int i = n - 1; i >= 0; --i) {
                const int out = ch * c.vaeMult[i];
                std::vector<std::pair<int, int>> io;
                for (int j = 0; j <= c.vaeResBlocks; ++j, in = out)
                    io.emplace_back(in, out);
                byIndex[i] = std::make_shared<Level>(io, i > 0 ? out : 0, true);
                levels.push_back(byIndex[i]);
            }
            auto list = register_module(levelList, std::make_shared<nn::Module>());
            for (int i = 0; i < n; ++i) // registered by level index, as LDM's up.insert(0, ...)
                list->register_module(std::to_string(i), byIndex[i]);
            normOut = register_module("norm_out", groupNorm(in, 1e-6));
            convOut = register_module("conv_out", conv(in, 3, 3));
        }
    }
    Tensor forward(const Tensor& x)
    {
        Tensor h = convIn(x);
        if (decoder)
            h = mid->forward(h);
        for (auto& l : levels)
            h = l->forward(h);
        if (!decoder)
            h = mid->forward(h);
        return convOut(torch::silu(normOut(h)));
    }
};

DemoVaeImpl::DemoVaeImpl(const DemoNetConfig& c)
    : config(c)
{
    encoder = register_module("encoder", std::make_shared<Coder>(c, false));
    decoder = register_module("decoder", std::make_shared<Coder>(c, true));
    quantConv = register_module("quant_conv", conv(2 * c.latentChannels, 2 * c.latentChannels, 1));
    postQuantConv = register_module("post_quant_conv", conv(c.latentChannels, c.latentChannels, 1));
}

std::pair<Tensor, Tensor> DemoVaeImpl::encode(const Tensor& image)
{
    const auto parts = quantConv(encoder->forward(image)).chunk(2, 1);
    return { parts[0], parts[1].clamp(-30.0, 20.0) };
}

Tensor DemoVaeImpl::decode(const Tensor& z)
{
    return decoder->forward(postQuantConv(z));
}

// ---- text encoder -------------------------------------------------------------------------------

struct DemoTextEncoderImpl::Layer : nn::Module {
    nn::Linear q { nullptr }, k { nullptr }, v { nullptr }, o { nullptr }, fc1 { nullptr }, fc2 { nullptr };
    nn::LayerNorm norm1 { nullptr }, norm2 { nullptr };
    int64_t heads;
    Layer(int width, int heads_)
        : heads(heads_)
    {
        auto attn = register_module("self_attn", std::make_shared<nn::Module>());
        k = attn->register_module("k_proj", nn::Linear(width, width));
        v = attn->register_module("v_proj", nn::Linear(width, width));
        q = attn->register_module("q_proj", nn::Linear(width, width));
        o = attn->register_module("out_proj", nn::Linear(width, width));
        norm1 = register_module("layer_norm1", layerNorm(width));
        auto mlp = register_module("mlp", std::make_shared<nn::Module>());
        fc1 = mlp->register_module("fc1", nn::Linear(width, 4 * width));
        fc2 = mlp->register_module("fc2", nn::Linear(4 * width, width));
        norm2 = register_module("layer_norm2", layerNorm(width));
    }
    Tensor forward(Tensor x, const Tensor& mask)
    {
        const Tensor h = norm1(x);
        x = x + o(attend(q(h), k(h), v(h), heads, mask));
        const Tensor m = fc1(norm2(x));
        return x + fc2(m * torch::sigmoid(1.702 * m)); // quick_gelu
    }
};

DemoTextEncoderImpl::DemoTextEncoderImpl(const DemoNetConfig& c)
    : config(c)
{
    auto textModel = register_module("text_model", std::make_shared<nn::Module>());
    auto embeddings = textModel->register_module("embeddings", std::make_shared<nn::Module>());
    tokenEmbedding = embeddings->register_module("token_embedding", nn::Embedding(c.vocab, c.textWidth));
    positionEmbedding
        = embeddings->register_module("position_embedding", nn::Embedding(c.positions, c.textWidth));
    {
        torch::NoGradGuard g; // CLIP's initialisation scale
        tokenEmbedding->weight.normal_(0, 0.02);
        positionEmbedding->weight.normal_(0, 0.01);
    }
    auto encoder = textModel->register_module("encoder", std::make_shared<nn::Module>());
    auto list = encoder->register_module("layers", std::make_shared<nn::Module>());
    const int heads = std::max(1, c.textWidth / 64);
    for (int i = 0; i < c.textLayers; ++i)
        layers.push_back(
            list->register_module(std::to_string(i), std::make_shared<Layer>(c.textWidth, heads)));
    finalNorm = textModel->register_module("final_layer_norm", layerNorm(c.textWidth));
}

Tensor DemoTextEncoderImpl::forward(const Tensor& ids)
{
    const int64_t T = ids.size(1);
    Tensor x = tokenEmbedding(ids) + positionEmbedding->weight.slice(0, 0, T).unsqueeze(0);
    const Tensor mask = torch::full({ T, T }, -std::numeric_limits<float>::infinity(), x.options()).triu(1);
    for (auto& l : layers)
        x = l->forward(x, mask);
    return finalNorm(x);
}

// ---- export -------------------------------------------------------------------------------------

StateDict checkpointWeights(const DemoUNetImpl& unet, const DemoVaeImpl& vae, const DemoTextEncoderImpl& text)
{
    StateDict out;
    for (const auto& [module, prefix] : std::initializer_list<std::pair<const nn::Module*, const char*>> {
             { &unet, kUNetPrefix }, { &vae, kVaePrefix }, { &text, kTextPrefix } })
        for (const auto& p : module->named_parameters(true))
            out[prefix + p.key()] = p.value().detach();
    return out;
}

std::string ldmYaml(const DemoNetConfig& c, double scaleFactor)
{
    auto list = [](const std::vector<int>& v) {
        std::string s = "[";
        for (size_t i = 0; i < v.size(); ++i)
            s += (i ? ", " : "") + std::to_string(v[i]);
        return s + "]";
    };
    std::ostringstream y;
    y.precision(8);
    y << "# QDiffusion's demo model (docs/demo-model.md): CompVis v1 layout, trained by train-demo.\n"
      << "model:\n  target: ldm.models.diffusion.ddpm.LatentDiffusion\n  params:\n"
      << "    linear_start: 0.00085\n    linear_end: 0.0120\n    timesteps: 1000\n"
      << "    channels: " << c.latentChannels << "\n    conditioning_key: crossattn\n"
      << "    scale_factor: " << scaleFactor << "\n"
      << "    unet_config:\n      target: ldm.modules.diffusionmodules.openaimodel.UNetModel\n      params:\n"
      << "        in_channels: " << c.latentChannels << "\n        out_channels: " << c.latentChannels << "\n"
      << "        model_channels: " << c.modelChannels << "\n"
      << "        attention_resolutions: " << list(c.attentionResolutions) << "\n"
      << "        num_res_blocks: " << c.numResBlocks << "\n"
      << "        channel_mult: " << list(c.channelMult) << "\n"
      << "        num_heads: " << c.numHeads << "\n        use_spatial_transformer: true\n"
      << "        transformer_depth: 1\n        context_dim: " << c.contextDim()
      << "\n        legacy: false\n"
      << "    first_stage_config:\n      target: ldm.models.autoencoder.AutoencoderKL\n      params:\n"
      << "        embed_dim: " << c.latentChannels << "\n        ddconfig:\n          double_z: true\n"
      << "          z_channels: " << c.latentChannels << "\n          resolution: 128\n"
      << "          in_channels: 3\n          out_ch: 3\n          ch: " << c.vaeChannels << "\n"
      << "          ch_mult: " << list(c.vaeMult) << "\n          num_res_blocks: " << c.vaeResBlocks << "\n"
      << "          attn_resolutions: []\n          dropout: 0.0\n"
      << "    cond_stage_config:\n      target: ldm.modules.encoders.modules.FrozenCLIPEmbedder\n";
    return y.str();
}

} // namespace qd::demo
