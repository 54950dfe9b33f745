#include "models/LatentPreview.h"

#include <torch/torch.h>

#include "io/Checkpoint.h"
#include "io/StateDict.h"

namespace qd
{

namespace
{
// Rows = latent channels, columns = R, G, B (docs/reference.md §3).
const float kSdFactors[4][3] = { { 0.3512f, 0.2297f, 0.3227f }, { 0.3250f, 0.4974f, 0.2350f },
    { -0.2829f, 0.1762f, 0.2721f }, { -0.2120f, -0.2616f, -0.7177f } };
const float kXlFactors[4][3] = { { 0.3651f, 0.4232f, 0.4341f }, { -0.2533f, -0.0042f, 0.1068f },
    { 0.1076f, 0.1111f, -0.0362f }, { -0.3165f, -0.2492f, -0.2188f } };
const float kXlBias[3] = { 0.1084f, -0.0175f, -0.0011f };
} // namespace

torch::Tensor cheapPreview(const torch::Tensor& x0, ModelFamily family)
{
    const bool isXl = family == ModelFamily::SDXL;
    const auto opts = torch::TensorOptions().dtype(torch::kFloat32);
    auto m = torch::from_blob(const_cast<float*>(&(isXl ? kXlFactors : kSdFactors)[0][0]), { 4, 3 }, opts)
                 .to(x0.device());
    // [N, 4, h, w] x [4, 3] -> [N, h, w, 3] -> [N, 3, h, w]
    auto rgb = torch::einsum("nchw,cd->ndhw", { x0.to(torch::kFloat32), m });
    if (isXl)
        rgb = rgb + torch::from_blob(const_cast<float*>(kXlBias), { 1, 3, 1, 1 }, opts).to(x0.device());
    return ((rgb + 1.0) / 2.0).clamp(0.0, 1.0);
}

torch::Tensor cheapPreviewBytesMatrix(ModelFamily family)
{
    // rows 0-3: the factors * 127.5; row 4: (bias + 1) * 127.5 + 0.5, so that
    // x @ rows + row4 = ((x @ factors + bias + 1) / 2) * 255 + 0.5, truncated as tensorToImage does
    const bool isXl = family == ModelFamily::SDXL;
    const auto& f = isXl ? kXlFactors : kSdFactors;
    auto m = torch::empty({ 5, 3 }, torch::kFloat32);
    auto a = m.accessor<float, 2>();
    for (int c = 0; c < 3; ++c) {
        for (int r = 0; r < 4; ++r)
            a[r][c] = f[r][c] * 127.5f;
        a[4][c] = ((isXl ? kXlBias[c] : 0.0f) + 1.0f) * 127.5f + 0.5f;
    }
    return m;
}

std::vector<Image> cheapPreviewImages(const torch::Tensor& x0, const torch::Tensor& bytesMatrix)
{
    const int64_t n = x0.size(0), h = x0.size(2), w = x0.size(3);
    // [N, 4, h, w] -> [N*h*w, 4] @ [4, 3] + [3] -> [N, h, w, 3] bytes
    const auto x = x0.to(torch::kFloat32).permute({ 0, 2, 3, 1 }).reshape({ -1, 4 });
    const auto bytes = at::addmm(bytesMatrix[4], x, bytesMatrix.narrow(0, 0, 4))
                           .clamp_(0.5, 255.5)
                           .to(torch::kUInt8)
                           .view({ n, h, w, 3 })
                           .to(torch::kCPU);
    std::vector<Image> out(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
        out[size_t(i)].width = int(w);
        out[size_t(i)].height = int(h);
        const uint8_t* p = bytes[i].data_ptr<uint8_t>();
        out[size_t(i)].pixels.assign(p, p + h * w * 3);
    }
    return out;
}

Image tensorToImage(const torch::Tensor& rgb01)
{
    auto t = rgb01.dim() == 4 ? rgb01[0] : rgb01;
    // [3, H, W] -> [H, W, 3] bytes, rounding as PIL / A1111 do (x * 255, round half to even is
    // avoided: + 0.5 then truncate)
    t = (t.to(torch::kCPU, torch::kFloat32).clamp(0, 1) * 255.0 + 0.5)
            .to(torch::kUInt8)
            .permute({ 1, 2, 0 })
            .contiguous();
    Image img;
    img.height = int(t.size(0));
    img.width = int(t.size(1));
    img.pixels.assign(t.data_ptr<uint8_t>(), t.data_ptr<uint8_t>() + t.numel());
    return img;
}

torch::Tensor imageToTensor(const Image& image)
{
    if (image.empty() || image.pixels.size() != size_t(image.width) * image.height * 3)
        throw EngineError("image has " + std::to_string(image.pixels.size()) + " bytes, expected "
            + std::to_string(size_t(image.width) * image.height * 3) + " for " + std::to_string(image.width)
            + "x" + std::to_string(image.height) + " RGB");
    auto t = torch::from_blob(
        const_cast<uint8_t*>(image.pixels.data()), { image.height, image.width, 3 }, torch::kUInt8);
    // [H, W, 3] -> [1, 3, H, W] in [-1, 1]
    return t.permute({ 2, 0, 1 }).unsqueeze(0).to(torch::kFloat32).div(127.5).sub(1.0).contiguous();
}

namespace
{

torch::nn::Conv2d conv3(int in, int out, bool bias = true)
{
    return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).padding(1).bias(bias));
}

struct ClampImpl : torch::nn::Module {
    torch::Tensor forward(torch::Tensor x) { return torch::tanh(x / 3) * 3; }
};
TORCH_MODULE(Clamp);

// out = ReLU(conv(x) + x); every TAESD block has 64 -> 64 channels, so the skip is the identity.
struct BlockImpl : torch::nn::Module {
    BlockImpl()
    {
        // conv.1 and conv.3 are ReLU
        conv = register_module("conv",
            torch::nn::Sequential(
                conv3(64, 64), torch::nn::ReLU(), conv3(64, 64), torch::nn::ReLU(), conv3(64, 64)));
    }
    torch::Tensor forward(torch::Tensor x) { return torch::relu(conv->forward(x) + x); }
    torch::nn::Sequential conv { nullptr };
};
TORCH_MODULE(Block);

} // namespace

TaesdDecoderImpl::TaesdDecoderImpl()
{
    auto up = [] {
        return torch::nn::Upsample(torch::nn::UpsampleOptions()
                                       .scale_factor(std::vector<double> { 2.0, 2.0 })
                                       .mode(torch::kNearest));
    };
    layers = register_module("layers",
        torch::nn::Sequential(Clamp(), conv3(4, 64), torch::nn::ReLU(), // 0-2
            Block(), Block(), Block(), up(), conv3(64, 64, false), // 3-7
            Block(), Block(), Block(), up(), conv3(64, 64, false), // 8-12
            Block(), Block(), Block(), up(), conv3(64, 64, false), // 13-17
            Block(), conv3(64, 3))); // 18-19
}

torch::Tensor TaesdDecoderImpl::forward(torch::Tensor latent)
{
    return layers->forward(latent);
}

void TaesdDecoderImpl::loadFile(const std::string& path)
{
    // .safetensors (ComfyUI, diffusers) or a PyTorch .pth (what A1111 downloads), told by content.
    if (detectCheckpointFormat(path) == CheckpointFormat::Diffusers)
        throw EngineError(
            path + ": a folder; expected a TAESD decoder file (taesd_decoder.safetensors or .pth)");
    const StateDict raw = loadCheckpoint(path);
    // madebyollin's files name the Sequential's children: "1.weight" (index 0 is the Clamp).
    // diffusers' AutoencoderTiny applies the clamp outside its Sequential, so its
    // "decoder.layers.0.weight" is our index 1; its encoder ("encoder.*") is not needed here.
    StateDict sd;
    for (const auto& [key, t] : raw) {
        std::string k = key;
        if (k.rfind("decoder.layers.", 0) == 0) {
            k = k.substr(15);
            const size_t dot = k.find('.');
            const std::string index = k.substr(0, dot);
            if (dot == std::string::npos || index.empty()
                || index.find_first_not_of("0123456789") != std::string::npos)
                throw EngineError(
                    path + ": tensor '" + key + "' is not a decoder layer (expected decoder.layers.N.*)");
            k = std::to_string(std::stoi(index) + 1) + k.substr(dot);
        } else if (k.rfind("decoder.", 0) == 0) {
            k = k.substr(8);
        } else if (k.rfind("encoder.", 0) == 0) {
            continue;
        }
        sd.emplace(k, t);
    }
    // The Sequential itself, so that errors name the file's own keys ("1.weight").
    loadModule(*layers, sd, "", path);
}

} // namespace qd
