// ControlNetHED_Apache2 as sd-webui-controlnet's annotator/hed/__init__.py defines and runs it.
#include "Annotators.h"

#include <filesystem>
#include <mutex>

#include <torch/torch.h>

#include "io/Checkpoint.h"
#include "io/StateDict.h"

namespace qd
{

namespace
{

// block N: `layers` 3x3 convs (ReLU after each) then a 1x1 projection to one side output; every block
// after the first starts with a 2x2 max pool.
struct DoubleConvBlockImpl : torch::nn::Module {
    torch::nn::Sequential convs;
    torch::nn::Conv2d projection { nullptr };
    DoubleConvBlockImpl(int in, int out, int layers)
    {
        convs = register_module("convs", torch::nn::Sequential());
        for (int i = 0; i < layers; ++i)
            convs->push_back(
                torch::nn::Conv2d(torch::nn::Conv2dOptions(i == 0 ? in : out, out, 3).padding(1)));
        projection = register_module("projection", torch::nn::Conv2d(torch::nn::Conv2dOptions(out, 1, 1)));
    }
    std::pair<torch::Tensor, torch::Tensor> forward(torch::Tensor h, bool down)
    {
        if (down)
            h = torch::max_pool2d(h, 2, 2);
        for (auto& conv : *convs)
            h = torch::relu(conv.forward(h));
        return { h, projection->forward(h) };
    }
};
TORCH_MODULE(DoubleConvBlock);

struct HedImpl : torch::nn::Module {
    torch::Tensor norm;
    std::vector<DoubleConvBlock> blocks;
    HedImpl()
    {
        norm = register_parameter("norm", torch::zeros({ 1, 3, 1, 1 }));
        const int channels[][3]
            = { { 3, 64, 2 }, { 64, 128, 2 }, { 128, 256, 3 }, { 256, 512, 3 }, { 512, 512, 3 } };
        for (int i = 0; i < 5; ++i)
            blocks.push_back(register_module("block" + std::to_string(i + 1),
                DoubleConvBlock(channels[i][0], channels[i][1], channels[i][2])));
    }
    // x [1, 3, H, W] in 0..255 -> the five side outputs
    std::vector<torch::Tensor> forward(torch::Tensor x)
    {
        std::vector<torch::Tensor> sides;
        torch::Tensor h = x - norm;
        for (size_t i = 0; i < blocks.size(); ++i) {
            auto [next, side] = blocks[i]->forward(h, i > 0);
            h = next;
            sides.push_back(side);
        }
        return sides;
    }
};
TORCH_MODULE(Hed);

struct Cached {
    std::string path, stamp;
    Hed net { nullptr };
};

} // namespace

Image runHedAnnotator(const std::string& weightsPath, const Image& rgb)
{
    if (rgb.width < 1 || rgb.height < 1 || rgb.pixels.size() != size_t(rgb.width) * rgb.height * 3)
        throw EngineError("HED annotator: the picture is not RGB");
    static std::mutex mutex;
    static Cached cache;
    std::lock_guard<std::mutex> lock(mutex);
    std::error_code ec;
    namespace fs = std::filesystem;
    const std::string stamp = std::to_string(fs::last_write_time(weightsPath, ec).time_since_epoch().count())
        + "/" + std::to_string(fs::file_size(weightsPath, ec));
    if (ec)
        throw EngineError("HED annotator: " + weightsPath + ": no such file");
    if (!cache.net || cache.path != weightsPath || cache.stamp != stamp) {
        Hed net;
        loadModule(*net, loadCheckpoint(weightsPath), "", weightsPath);
        net->eval();
        cache = { weightsPath, stamp, net };
    }
    c10::InferenceMode guard;
    const torch::Tensor x = torch::from_blob(
        const_cast<uint8_t*>(rgb.pixels.data()), { rgb.height, rgb.width, 3 }, torch::kUInt8)
                                .permute({ 2, 0, 1 })
                                .unsqueeze(0)
                                .to(torch::kFloat32); // [1, 3, H, W], 0..255 as the extension feeds it
    torch::Tensor sum;
    const std::vector<torch::Tensor> sides = cache.net->forward(x);
    namespace F = torch::nn::functional;
    for (const torch::Tensor& s :
        sides) { // cv2.resize INTER_LINEAR: half-pixel centres, as align_corners False
        const torch::Tensor r = F::interpolate(s,
            F::InterpolateFuncOptions()
                .size(std::vector<int64_t> { rgb.height, rgb.width })
                .mode(torch::kBilinear)
                .align_corners(false));
        sum = sum.defined() ? sum + r : r;
    }
    // 1 / (1 + exp(-mean)) in float64, * 255, clipped, truncated to uint8
    const torch::Tensor edge = torch::sigmoid((sum / double(sides.size())).to(torch::kFloat64)) * 255.0;
    const torch::Tensor grey = edge.clamp(0, 255).to(torch::kUInt8)[0][0].contiguous(); // [H, W]
    const torch::Tensor out = grey.unsqueeze(2).expand({ rgb.height, rgb.width, 3 }).contiguous();
    Image map;
    map.width = rgb.width;
    map.height = rgb.height;
    map.pixels.assign(out.data_ptr<uint8_t>(), out.data_ptr<uint8_t>() + out.numel());
    return map;
}

} // namespace qd
