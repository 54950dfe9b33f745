#include "upscale/Rrdb.h"

#include <map>
#include <regex>
#include <set>

#include <torch/torch.h>

#include "io/Checkpoint.h"

namespace qd
{

namespace
{

namespace F = torch::nn::functional;

bool startsWith(const std::string& s, const std::string& prefix)
{
    return s.compare(0, prefix.size(), prefix) == 0;
}

// "module." (DataParallel) or "netG." (some GAN trainers) in front of every key.
StateDict stripCommonPrefix(const StateDict& w)
{
    for (const char* prefix : { "module.", "netG." }) {
        bool all = !w.empty();
        for (const auto& kv : w)
            all = all && startsWith(kv.first, prefix);
        if (all) {
            StateDict out;
            for (const auto& [k, v] : w)
                out.emplace(k.substr(std::string(prefix).size()), v);
            return out;
        }
    }
    return w;
}

// The old-layout name of a "new" (BasicSR) or "trunk" (ESRGAN repo) key; "" when it is neither.
std::string oldName(const std::string& key, int numBlock, int upsamples)
{
    static const std::regex body(R"(^(?:body|RRDB_trunk)\.(\d+)\.(?:rdb|RDB)(\d)\.conv(\d)\.(weight|bias)$)");
    static const std::regex up(R"(^(?:conv_up|upconv)(\d)\.(weight|bias)$)");
    static const std::regex plain(
        R"(^(conv_first|conv_body|trunk_conv|conv_hr|HRconv|conv_last)\.(weight|bias)$)");
    std::smatch m;
    if (std::regex_match(key, m, body))
        return "model.1.sub." + m[1].str() + ".RDB" + m[2].str() + ".conv" + m[3].str() + ".0." + m[4].str();
    if (std::regex_match(key, m, up))
        return "model." + std::to_string(3 * std::stoi(m[1].str())) + "." + m[2].str();
    if (std::regex_match(key, m, plain)) {
        const std::string n = m[1].str(), p = m[2].str();
        if (n == "conv_first")
            return "model.0." + p;
        if (n == "conv_body" || n == "trunk_conv")
            return "model.1.sub." + std::to_string(numBlock) + "." + p;
        if (n == "conv_hr" || n == "HRconv")
            return "model." + std::to_string(3 * upsamples + 2) + "." + p;
        return "model." + std::to_string(3 * upsamples + 4) + "." + p;
    }
    return {};
}

} // namespace

StateDict rrdbToOldLayout(const StateDict& weights)
{
    const StateDict w = stripCommonPrefix(weights);
    if (w.count("model.0.weight"))
        return w; // already old
    if (!w.count("conv_first.weight"))
        throw EngineError(
            "not an ESRGAN-family (RRDBNet) upscaler: no conv_first.weight or model.0.weight among "
            + std::to_string(w.size()) + " tensors");
    int numBlock = 0, upsamples = 0;
    static const std::regex block(R"(^(?:body|RRDB_trunk)\.(\d+)\.)");
    static const std::regex up(R"(^(?:conv_up|upconv)(\d)\.weight$)");
    for (const auto& kv : w) {
        std::smatch m;
        if (std::regex_search(kv.first, m, block))
            numBlock = std::max(numBlock, std::stoi(m[1].str()) + 1);
        if (std::regex_match(kv.first, m, up))
            upsamples = std::max(upsamples, std::stoi(m[1].str()));
    }
    StateDict out;
    for (const auto& [k, v] : w) {
        const std::string n = oldName(k, numBlock, upsamples);
        if (n.empty())
            throw EngineError("RRDBNet upscaler: unexpected tensor '" + k
                + "' (ESRGAN+ and other variants are not supported)");
        out.emplace(n, v);
    }
    return out;
}

RrdbConfig detectRrdb(const StateDict& w)
{
    auto need = [&](const std::string& key) -> const torch::Tensor& {
        const auto it = w.find(key);
        if (it == w.end() || it->second.dim() != 4)
            throw EngineError("RRDBNet upscaler: missing convolution '" + key + "'");
        return it->second;
    };
    RrdbConfig c;
    const torch::Tensor& first = need("model.0.weight");
    c.inChannels = int(first.size(1));
    c.numFeat = int(first.size(0));
    std::set<int> blocks;
    int length = 0;
    static const std::regex top(R"(^model\.(\d+)\.)");
    static const std::regex sub(R"(^model\.1\.sub\.(\d+)\.RDB)");
    for (const auto& kv : w) {
        std::smatch m;
        if (std::regex_search(kv.first, m, top))
            length = std::max(length, std::stoi(m[1].str()) + 1);
        if (std::regex_search(kv.first, m, sub))
            blocks.insert(std::stoi(m[1].str()));
    }
    c.numBlock = int(blocks.size());
    if (c.numBlock == 0)
        throw EngineError("RRDBNet upscaler: no RRDB blocks (model.1.sub.N.RDB*)");
    c.growChannels = int(need("model.1.sub.0.RDB1.conv1.0.weight").size(0));
    c.upsamples = (length - 5) / 3;
    if (c.upsamples < 1 || length != 3 * c.upsamples + 5)
        throw EngineError("RRDBNet upscaler: " + std::to_string(length)
            + " top-level layers do not describe x2 / x4 / x8 upsampling (scale-1 files are not supported)");
    need("model.1.sub." + std::to_string(c.numBlock) + ".weight");
    need("model." + std::to_string(length - 3) + ".weight");
    c.outChannels = int(need("model." + std::to_string(length - 1) + ".weight").size(0));
    if (c.inChannels == 4 * c.outChannels)
        c.unshuffle = 2;
    else if (c.inChannels == 16 * c.outChannels)
        c.unshuffle = 4;
    else if (c.inChannels != c.outChannels)
        throw EngineError("RRDBNet upscaler: " + std::to_string(c.inChannels) + " input and "
            + std::to_string(c.outChannels) + " output channels");
    return c;
}

RrdbNet::RrdbNet(const StateDict& weights, torch::Device device)
    : m_device(device)
{
    for (const auto& [k, v] : rrdbToOldLayout(weights))
        m_w.emplace(k, v.to(device, torch::kFloat32));
    m_config = detectRrdb(m_w);
    // every convolution the forward pass reads
    for (int n = 0; n < m_config.numBlock; ++n)
        for (int r = 1; r <= 3; ++r)
            for (int j = 1; j <= 5; ++j) {
                const std::string key = "model.1.sub." + std::to_string(n) + ".RDB" + std::to_string(r)
                    + ".conv" + std::to_string(j) + ".0.weight";
                if (!m_w.count(key))
                    throw EngineError("RRDBNet upscaler: missing convolution '" + key + "'");
            }
    for (int u = 0; u < m_config.upsamples; ++u)
        if (!m_w.count("model." + std::to_string(3 + 3 * u) + ".weight"))
            throw EngineError(
                "RRDBNet upscaler: missing upsampling convolution model." + std::to_string(3 + 3 * u));
}

RrdbNet RrdbNet::load(const std::string& path, torch::Device device)
{
    try {
        return RrdbNet(loadCheckpoint(path), device);
    } catch (const EngineError& e) {
        throw EngineError(path + ": " + e.what());
    }
}

torch::Tensor RrdbNet::conv(const torch::Tensor& x, const std::string& name) const
{
    const auto bias = m_w.find(name + ".bias");
    return torch::conv2d(
        x, m_w.at(name + ".weight"), bias == m_w.end() ? torch::Tensor() : bias->second, 1, 1);
}

torch::Tensor RrdbNet::rdb(const torch::Tensor& x, const std::string& prefix) const
{
    auto lrelu = [](const torch::Tensor& t) { return torch::leaky_relu(t, 0.2); };
    const torch::Tensor x1 = lrelu(conv(x, prefix + ".conv1.0"));
    const torch::Tensor x2 = lrelu(conv(torch::cat({ x, x1 }, 1), prefix + ".conv2.0"));
    const torch::Tensor x3 = lrelu(conv(torch::cat({ x, x1, x2 }, 1), prefix + ".conv3.0"));
    const torch::Tensor x4 = lrelu(conv(torch::cat({ x, x1, x2, x3 }, 1), prefix + ".conv4.0"));
    const torch::Tensor x5 = conv(torch::cat({ x, x1, x2, x3, x4 }, 1), prefix + ".conv5.0");
    return x5 * 0.2 + x;
}

torch::Tensor RrdbNet::forward(const torch::Tensor& input) const
{
    c10::InferenceMode guard;
    if (input.dim() != 4 || input.size(1) * m_config.unshuffle * m_config.unshuffle != m_config.inChannels)
        throw EngineError("RRDBNet upscaler: input " + shapeString(input.sizes()) + ", expected [N, "
            + std::to_string(m_config.inChannels / (m_config.unshuffle * m_config.unshuffle)) + ", H, W]");
    const int64_t h = input.size(2), w = input.size(3);
    torch::Tensor x = input.to(m_device, torch::kFloat32);
    if (m_config.unshuffle > 1) {
        const int64_t f = m_config.unshuffle, ph = (f - h % f) % f, pw = (f - w % f) % f;
        if (ph || pw)
            x = F::pad(x, F::PadFuncOptions({ 0, pw, 0, ph }).mode(torch::kReflect));
        x = torch::pixel_unshuffle(x, f);
    }
    torch::Tensor f = conv(x, "model.0");
    torch::Tensor t = f;
    for (int n = 0; n < m_config.numBlock; ++n) {
        const std::string b = "model.1.sub." + std::to_string(n);
        t = rdb(rdb(rdb(t, b + ".RDB1"), b + ".RDB2"), b + ".RDB3") * 0.2 + t;
    }
    f = f + conv(t, "model.1.sub." + std::to_string(m_config.numBlock));
    auto lrelu = [](const torch::Tensor& v) { return torch::leaky_relu(v, 0.2); };
    for (int u = 0; u < m_config.upsamples; ++u) {
        f = F::interpolate(f,
            F::InterpolateFuncOptions().scale_factor(std::vector<double> { 2.0, 2.0 }).mode(torch::kNearest));
        f = lrelu(conv(f, "model." + std::to_string(3 + 3 * u)));
    }
    const int last = 3 * m_config.upsamples + 4;
    torch::Tensor out
        = conv(lrelu(conv(f, "model." + std::to_string(last - 2))), "model." + std::to_string(last));
    const int64_t s = m_config.scale();
    return out.slice(2, 0, h * s).slice(3, 0, w * s);
}

torch::Tensor RrdbNet::upscale(const torch::Tensor& input) const
{
    c10::InferenceMode guard;
    const int64_t h = input.size(2), w = input.size(3), m = m_config.sizeMultiple();
    torch::Tensor x = input;
    const int64_t ph = (m - h % m) % m, pw = (m - w % m) % m;
    if (ph || pw)
        x = F::pad(
            x.to(m_device, torch::kFloat32), F::PadFuncOptions({ 0, pw, 0, ph }).mode(torch::kReflect));
    const int64_t s = m_config.scale();
    return forward(x).clamp(0.0, 1.0).slice(2, 0, h * s).slice(3, 0, w * s);
}

} // namespace qd
