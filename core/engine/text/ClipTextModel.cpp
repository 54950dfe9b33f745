#include "text/ClipTextModel.h"

#include <cmath>
#include <limits>

#include <torch/torch.h>

namespace qd
{

namespace
{

// A parameter-only module: registers uninitialised tensors under the given names ("weight", "bias").
struct Params : torch::nn::Module {
    torch::Tensor add(const std::string& name, at::IntArrayRef shape, const torch::TensorOptions& options)
    {
        return register_parameter(name, torch::empty(shape, options), /*requires_grad=*/false);
    }
};

struct Affine {
    torch::Tensor weight, bias;
    torch::Tensor operator()(const torch::Tensor& x) const { return at::linear(x, weight, bias); }
};

Affine addLinear(torch::nn::Module& parent, const std::string& name, int64_t in, int64_t out,
    const torch::TensorOptions& options)
{
    auto p = parent.register_module(name, std::make_shared<Params>());
    return { p->add("weight", { out, in }, options), p->add("bias", { out }, options) };
}

Affine addNorm(
    torch::nn::Module& parent, const std::string& name, int64_t width, const torch::TensorOptions& options)
{
    auto p = parent.register_module(name, std::make_shared<Params>());
    return { p->add("weight", { width }, options), p->add("bias", { width }, options) };
}

torch::Tensor layerNorm(const torch::Tensor& x, const Affine& n, double eps)
{
    return at::layer_norm(x, { x.size(-1) }, n.weight, n.bias, eps);
}

// Causal multi-head attention over [B, T, C] projections; `mask` [T, T] is 0 on and below the
// diagonal, -inf above (each token sees itself and the tokens before it).
torch::Tensor attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, int64_t heads,
    const torch::Tensor& mask)
{
    const int64_t B = q.size(0), T = q.size(1), C = q.size(2), D = C / heads;
    // [B, T, C] -> [B*H, T, D]
    auto split = [&](const torch::Tensor& t) {
        return t.reshape({ B, T, heads, D }).transpose(1, 2).reshape({ B * heads, T, D });
    };
    // scores = mask + (q k^T) / sqrt(D), one batched matmul for every head
    torch::Tensor scores = at::baddbmm(mask.expand({ B * heads, T, T }), split(q), split(k).transpose(1, 2),
        1.0, 1.0 / std::sqrt(double(D)));
    torch::Tensor probs = scores.scalar_type() == torch::kFloat
        ? at::softmax(scores, -1)
        : at::softmax(scores, -1, torch::kFloat).to(scores.scalar_type());
    // [B*H, T, D] -> [B, T, C]
    return at::bmm(probs, split(v)).view({ B, heads, T, D }).transpose(1, 2).reshape({ B, T, C });
}

torch::Tensor activate(torch::Tensor h, ClipActivation a)
{
    if (a == ClipActivation::Gelu)
        return at::gelu(h);
    return h.mul_(at::sigmoid(h * 1.702)); // quick_gelu
}

} // namespace

// One pre-norm transformer layer: x + attn(ln1(x)), then + mlp(ln2(x)). The two forms differ only
// in names and in q/k/v being three linears or one fused in_proj.
class ClipLayer : public torch::nn::Module
{
public:
    ClipLayer(const ClipTextConfig& c, const torch::TensorOptions& o)
        : m_heads(c.heads)
        , m_eps(c.layerNormEps)
        , m_act(c.activation)
    {
        const int64_t w = c.width, m = c.mlpWidth;
        if (c.form == ClipTextForm::OpenAi) {
            auto attn = register_module("self_attn", std::make_shared<torch::nn::Module>());
            m_q = addLinear(*attn, "q_proj", w, w, o);
            m_k = addLinear(*attn, "k_proj", w, w, o);
            m_v = addLinear(*attn, "v_proj", w, w, o);
            m_out = addLinear(*attn, "out_proj", w, w, o);
            m_norm1 = addNorm(*this, "layer_norm1", w, o);
            auto mlp = register_module("mlp", std::make_shared<torch::nn::Module>());
            m_fc1 = addLinear(*mlp, "fc1", w, m, o);
            m_fc2 = addLinear(*mlp, "fc2", m, w, o);
            m_norm2 = addNorm(*this, "layer_norm2", w, o);
        } else {
            m_norm1 = addNorm(*this, "ln_1", w, o);
            auto attn = register_module("attn", std::make_shared<Params>());
            // nn.MultiheadAttention: q, k, v stacked in one [3C, C] projection
            m_qkv = { attn->add("in_proj_weight", { 3 * w, w }, o), attn->add("in_proj_bias", { 3 * w }, o) };
            m_out = addLinear(*attn, "out_proj", w, w, o);
            m_norm2 = addNorm(*this, "ln_2", w, o);
            auto mlp = register_module("mlp", std::make_shared<torch::nn::Module>());
            m_fc1 = addLinear(*mlp, "c_fc", w, m, o);
            m_fc2 = addLinear(*mlp, "c_proj", m, w, o);
        }
    }

    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask) const
    {
        const torch::Tensor h = layerNorm(x, m_norm1, m_eps);
        torch::Tensor a;
        if (m_qkv.weight.defined()) {
            const auto qkv = m_qkv(h).chunk(3, -1); // [B, T, 3C] -> 3 x [B, T, C]
            a = attention(qkv[0], qkv[1], qkv[2], m_heads, mask);
        } else {
            a = attention(m_q(h), m_k(h), m_v(h), m_heads, mask);
        }
        torch::Tensor y = x + m_out(a);
        y.add_(m_fc2(activate(m_fc1(layerNorm(y, m_norm2, m_eps)), m_act)));
        return y;
    }

private:
    int64_t m_heads;
    double m_eps;
    ClipActivation m_act;
    Affine m_q, m_k, m_v, m_qkv, m_out, m_norm1, m_norm2, m_fc1, m_fc2;
};

ClipTextConfig ClipTextConfig::clipL()
{
    return {}; // the defaults
}

ClipTextConfig ClipTextConfig::openClipH()
{
    ClipTextConfig c;
    c.form = ClipTextForm::OpenClip;
    c.width = 1024;
    c.layers = 24;
    c.heads = 16;
    c.mlpWidth = 4096;
    c.activation = ClipActivation::Gelu;
    return c;
}

ClipTextConfig ClipTextConfig::openClipBigG()
{
    ClipTextConfig c = openClipH();
    c.width = 1280;
    c.layers = 32;
    c.heads = 20;
    c.mlpWidth = 5120;
    c.projectionDim = 1280;
    return c;
}

ClipTextConfig ClipTextConfig::detectFromWeights(
    const StateDict& sd, const std::string& prefix, const std::string& source)
{
    auto shapeOf = [&](const std::string& key) -> std::vector<int64_t> {
        auto it = sd.find(key);
        if (it == sd.end())
            return {};
        return it->second.sizes().vec();
    };
    auto require = [&](const std::string& key, size_t dims) {
        auto s = shapeOf(key);
        if (s.empty())
            throw EngineError(source + ": text encoder tensor '" + key + "' is missing");
        if (s.size() != dims)
            throw EngineError(source + ": text encoder tensor '" + key + "' has shape " + shapeString(s)
                + ", expected " + std::to_string(dims) + " dimensions");
        return s;
    };

    ClipTextConfig c;
    std::string tokenKey, positionKey, layerKey, fcKey;
    if (sd.count(prefix + "text_model.embeddings.token_embedding.weight")) {
        c.form = ClipTextForm::OpenAi;
        c.activation = ClipActivation::QuickGelu;
        tokenKey = prefix + "text_model.embeddings.token_embedding.weight";
        positionKey = prefix + "text_model.embeddings.position_embedding.weight";
        layerKey = prefix + "text_model.encoder.layers.";
        fcKey = ".mlp.fc1.weight";
    } else if (sd.count(prefix + "token_embedding.weight")) {
        c.form = ClipTextForm::OpenClip;
        c.activation = ClipActivation::Gelu;
        tokenKey = prefix + "token_embedding.weight";
        positionKey = prefix + "positional_embedding";
        layerKey = prefix + "transformer.resblocks.";
        fcKey = ".mlp.c_fc.weight";
    } else {
        throw EngineError(source + ": no CLIP text encoder under '" + prefix + "' (expected '" + prefix
            + "text_model.embeddings.token_embedding.weight' or '" + prefix + "token_embedding.weight')");
    }
    const auto token = require(tokenKey, 2);
    c.vocab = int(token[0]);
    c.width = int(token[1]);
    c.positions = int(require(positionKey, 2)[0]);
    c.heads = std::max(1, c.width / 64); // 64 channels per head in every SD text encoder (one below 64)
    c.layers = 0;
    while (sd.count(layerKey + std::to_string(c.layers) + fcKey))
        ++c.layers;
    if (c.layers == 0)
        throw EngineError(source + ": text encoder under '" + prefix + "' has no layers (expected '"
            + layerKey + "0" + fcKey + "')");
    c.mlpWidth = int(require(layerKey + "0" + fcKey, 2)[0]);
    if (c.form == ClipTextForm::OpenClip) {
        const auto proj = shapeOf(prefix + "text_projection");
        if (proj.size() == 2)
            c.projectionDim = int(proj[1]);
        else if (!proj.empty())
            throw EngineError(source + ": tensor '" + prefix + "text_projection' has shape "
                + shapeString(proj) + ", expected [" + std::to_string(c.width) + ", projection]");
    }
    return c;
}

void ClipTextConfig::validate() const
{
    auto bad = [](const std::string& field, long long value, const std::string& expected) {
        throw EngineError(
            "CLIP text config: " + field + " = " + std::to_string(value) + ", expected " + expected);
    };
    if (width <= 0)
        bad("width", width, "> 0");
    if (heads <= 0 || width % heads != 0)
        bad("heads", heads, "a positive divisor of width " + std::to_string(width));
    if (layers <= 0)
        bad("layers", layers, "> 0");
    if (mlpWidth <= 0)
        bad("mlpWidth", mlpWidth, "> 0");
    if (vocab <= 49407)
        bad("vocab", vocab, ">= 49408 (the CLIP vocabulary)");
    if (positions < 2)
        bad("positions", positions, ">= 2");
    if (projectionDim < 0)
        bad("projectionDim", projectionDim, ">= 0");
    if (projectionDim > 0 && form != ClipTextForm::OpenClip)
        bad("projectionDim", projectionDim,
            "0 for the OpenAI form (only OpenCLIP checkpoints store text_projection)");
    if (!(layerNormEps > 0))
        throw EngineError(
            "CLIP text config: layerNormEps = " + std::to_string(layerNormEps) + ", expected > 0");
}

ClipTextModel::ClipTextModel(const ClipTextConfig& config, const torch::TensorOptions& options)
    : m_config(config)
{
    config.validate();
    const auto o = options.requires_grad(false);
    const int64_t w = config.width;
    auto layers = torch::nn::ModuleList();
    for (int i = 0; i < config.layers; ++i) {
        m_layers.push_back(std::make_shared<ClipLayer>(config, o));
        layers->push_back(m_layers.back());
    }
    if (config.form == ClipTextForm::OpenAi) {
        auto textModel = register_module("text_model", std::make_shared<torch::nn::Module>());
        auto embeddings = textModel->register_module("embeddings", std::make_shared<torch::nn::Module>());
        m_tokenEmbedding = embeddings->register_module("token_embedding", std::make_shared<Params>())
                               ->add("weight", { config.vocab, w }, o);
        m_positionEmbedding = embeddings->register_module("position_embedding", std::make_shared<Params>())
                                  ->add("weight", { config.positions, w }, o);
        textModel->register_module("encoder", std::make_shared<torch::nn::Module>())
            ->register_module("layers", layers);
        const Affine norm = addNorm(*textModel, "final_layer_norm", w, o);
        m_finalNormWeight = norm.weight;
        m_finalNormBias = norm.bias;
    } else {
        m_tokenEmbedding = register_module("token_embedding", std::make_shared<Params>())
                               ->add("weight", { config.vocab, w }, o);
        m_positionEmbedding
            = register_parameter("positional_embedding", torch::empty({ config.positions, w }, o), false);
        register_module("transformer", std::make_shared<torch::nn::Module>())
            ->register_module("resblocks", layers);
        const Affine norm = addNorm(*this, "ln_final", w, o);
        m_finalNormWeight = norm.weight;
        m_finalNormBias = norm.bias;
        if (config.projectionDim > 0)
            m_projection = register_parameter(
                "text_projection", torch::empty({ w, int64_t(config.projectionDim) }, o), false);
    }
}

ClipTextModel::~ClipTextModel() = default;

torch::Tensor ClipTextModel::tokenEmbeddings(const torch::Tensor& ids) const
{
    return at::embedding(m_tokenEmbedding, ids.to(m_tokenEmbedding.device(), torch::kLong));
}

ClipTextModel::Output ClipTextModel::forward(
    const torch::Tensor& ids, int layer, bool finalNorm, bool pooled, const torch::Tensor& tokenEmbeds) const
{
    if (ids.dim() != 2 || ids.is_floating_point() || ids.size(1) > m_config.positions || ids.size(1) < 1)
        throw EngineError("CLIP text encoder: ids have shape " + shapeString(ids.sizes()) + " and type "
            + std::string(c10::toString(ids.scalar_type())) + ", expected integer [batch, 1.."
            + std::to_string(m_config.positions) + "]");
    if (layer < 0 || layer > m_config.layers)
        throw EngineError("CLIP text encoder: layer " + std::to_string(layer) + " requested, expected 0.."
            + std::to_string(m_config.layers));
    if (pooled && !m_projection.defined())
        throw EngineError(
            "CLIP text encoder: a pooled output needs text_projection, which this encoder has not");
    const int64_t T = ids.size(1);
    const torch::Tensor tokens = ids.to(m_tokenEmbedding.device(), torch::kLong);

    // 1. token + position embeddings: [B, T] -> [B, T, C]
    if (tokenEmbeds.defined()
        && (tokenEmbeds.dim() != 3 || tokenEmbeds.size(0) != ids.size(0) || tokenEmbeds.size(1) != T
            || tokenEmbeds.size(2) != m_tokenEmbedding.size(1)))
        throw EngineError("CLIP text encoder: token embeddings have shape " + shapeString(tokenEmbeds.sizes())
            + ", expected [" + std::to_string(ids.size(0)) + ", " + std::to_string(T) + ", "
            + std::to_string(m_tokenEmbedding.size(1)) + "]");
    torch::Tensor x = (tokenEmbeds.defined() ? tokenEmbeds.to(m_tokenEmbedding.options())
                                             : at::embedding(m_tokenEmbedding, tokens))
        + m_positionEmbedding.slice(0, 0, T);
    // 2. the causal mask, in the compute dtype
    const torch::Tensor mask
        = torch::full({ T, T }, -std::numeric_limits<double>::infinity(), x.options()).triu_(1);
    // 3. layers up to the one asked for (on to the last when the pooled output is wanted)
    Output out;
    const int runTo = pooled ? m_config.layers : layer;
    if (layer == 0)
        out.hidden = x;
    for (int i = 0; i < runTo; ++i) {
        x = m_layers[size_t(i)]->forward(x, mask); // out of place: `out.hidden` may hold an earlier x
        if (i + 1 == layer)
            out.hidden = x;
    }
    if (finalNorm)
        out.hidden = at::layer_norm(
            out.hidden, { out.hidden.size(-1) }, m_finalNormWeight, m_finalNormBias, m_config.layerNormEps);
    // 4. pooled: the final-normed last layer at the first end token (the highest id), projected
    if (pooled) {
        const torch::Tensor last
            = at::layer_norm(x, { x.size(-1) }, m_finalNormWeight, m_finalNormBias, m_config.layerNormEps);
        const torch::Tensor eos = tokens.argmax(-1); // [B]
        const torch::Tensor rows = last.index({ torch::arange(last.size(0), eos.options()), eos }); // [B, C]
        out.pooled = at::matmul(rows, m_projection); // [B, P]
    }
    return out;
}

std::shared_ptr<ClipTextModel> loadClipTextModel(const StateDict& sd, const std::string& prefix,
    const std::string& source, const torch::TensorOptions& options, std::vector<std::string>* unexpected)
{
    const ClipTextConfig config = ClipTextConfig::detectFromWeights(sd, prefix, source);
    try {
        config.validate();
    } catch (const EngineError& e) {
        throw EngineError(source + ": text encoder under '" + prefix + "': " + e.what());
    }
    auto model = std::make_shared<ClipTextModel>(config, options);
    LoadOptions lo;
    lo.unexpected = unexpected;
    loadModule(*model, sd, prefix, source, lo);
    return model;
}

} // namespace qd
