#include "conformance/ConformanceUpscaler.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>
#include <torch/torch.h>
#include <unistd.h>

#include "conformance/ConformanceCase.h"
#include "io/SafeTensors.h"
#include "io/TorchCheckpoint.h"
#include "models/FillRule.h"
#include "upscale/Rrdb.h"
#include "upscale/UpscaleTiles.h"

namespace qd
{

namespace
{

using json = nlohmann::json;
namespace fs = std::filesystem;
using conformance::maxAbs;

constexpr double kFloatTol = 1e-4, kByteTol = 1.0; // the data's README

using conformance::golden;

void check(double error, double tol, ConformanceResult& r, const std::string& what)
{
    r.imageError = std::max(r.imageError, error);
    if (!(error <= tol) && r.message.empty())
        r.message = what + " off by " + std::to_string(error) + " (tol " + std::to_string(tol) + ")";
}

// The tiny model `name` as a file in `dir`, through the fill rule (fill_from: the values of another key).
std::string writeModel(const json& layouts, const std::string& name, const fs::path& dir)
{
    const json& m = layouts.at("models").at(name);
    StateDict sd;
    const json fillFrom = m.value("fill_from", json());
    for (const auto& [key, shape] : m.at("shapes").items()) {
        const std::string source
            = fillFrom.is_object() && fillFrom.contains(key) ? fillFrom[key].get<std::string>() : key;
        sd.emplace(key, fillRuleTensor(source, shape.get<std::vector<int64_t>>()));
    }
    // one layout travels as a Real-ESRGAN style .pth ({"params_ema": {...}}; when the engine reads
    // torch files), the rest as .safetensors
    if (m.value("layout", std::string()) == "trunk" && haveTorchCheckpointSupport()) {
        const std::string path = (dir / (name + ".pth")).string();
        TorchSaveOptions o;
        o.wrapperKey = "params_ema";
        saveTorchCheckpoint(path, sd, o);
        return path;
    }
    const std::string path = (dir / (name + ".safetensors")).string();
    saveSafetensors(path, sd);
    return path;
}

// [1, 3, H, W] float 0..255 -> [H, W, 3] uint8
torch::Tensor toImage8(const torch::Tensor& t)
{
    return t.squeeze(0).permute({ 1, 2, 0 }).round().clamp(0, 255).to(torch::kUInt8).contiguous();
}

void runCase(const StateDict& goldens, const json& c, const RrdbNet& net, ConformanceResult& r)
{
    const std::string kind = c.at("kind").get<std::string>();
    const torch::Tensor& input = golden(goldens, c.at("input").at("key").get<std::string>());
    auto key = [&](const char* part) { return c.at(part).at("key").get<std::string>(); };
    const int s = net.config().scale();
    if (kind == "forward") {
        check(
            maxAbs(net.forward(input), golden(goldens, key("output"))), kFloatTol, r, "the network's output");
    } else if (kind == "descriptor_pad") {
        check(
            maxAbs(net.forward(input), golden(goldens, key("output"))), kFloatTol, r, "the network's output");
        check(maxAbs(net.upscale(input), golden(goldens, key("output_descriptor"))), kFloatTol, r,
            "the descriptor's output");
        // unclamped: the network on the reflect-padded input, cropped
        const int64_t m = net.config().sizeMultiple(), h = input.size(2), w = input.size(3);
        const torch::Tensor padded = torch::nn::functional::pad(input,
            torch::nn::functional::PadFuncOptions({ 0, (m - w % m) % m, 0, (m - h % m) % m })
                .mode(torch::kReflect));
        check(maxAbs(net.forward(padded).slice(2, 0, h * s).slice(3, 0, w * s),
                  golden(goldens, key("output_descriptor_unclamped"))),
            kFloatTol, r, "the descriptor's unclamped output");
    } else if (kind == "tiled_tensor") {
        const int tile = c.at("tile_size").get<int>(), overlap = c.at("tile_overlap").get<int>();
        auto network = [&](const torch::Tensor& x) { return net.forward(x); };
        auto descriptor = [&](const torch::Tensor& x) { return net.upscale(x); };
        check(maxAbs(upscaleTiledTensor(network, input, 0, overlap, s), golden(goldens, key("whole"))),
            kFloatTol, r, "the whole-image output");
        check(maxAbs(upscaleTiledTensor(network, input, tile, overlap, s), golden(goldens, key("tiled"))),
            kFloatTol, r, "the tiled output");
        check(maxAbs(upscaleTiledTensor(descriptor, input, tile, overlap, s),
                  golden(goldens, key("tiled_descriptor"))),
            kFloatTol, r, "the tiled descriptor output");
    } else if (kind == "tiled_pil") {
        const int tile = c.at("tile_size").get<int>(), overlap = c.at("tile_overlap").get<int>();
        auto descriptor = [&](const torch::Tensor& x) { return net.upscale(x); };
        const torch::Tensor image = toImage8(golden(goldens, key("input_u8")));
        auto asFloat = [](const torch::Tensor& u8) {
            return u8.permute({ 2, 0, 1 }).unsqueeze(0).to(torch::kFloat32);
        };
        check(maxAbs(asFloat(upscaleImage8(descriptor, image, 0, overlap)), golden(goldens, key("whole_u8"))),
            kByteTol, r, "the whole 8-bit image");
        check(maxAbs(
                  asFloat(upscaleImage8(descriptor, image, tile, overlap)), golden(goldens, key("tiled_u8"))),
            kByteTol, r, "the tiled 8-bit image");
    } else {
        throw EngineError(
            "unknown case kind '" + kind + "' (expected forward, descriptor_pad, tiled_tensor or tiled_pil)");
    }
    const RrdbConfig& k = net.config();
    char line[200];
    std::snprintf(line, sizeof line, "%-14s x%d nf%d nb%d gc%d%s: max error %.1e (tol %s)", kind.c_str(), s,
        k.numFeat, k.numBlock, k.growChannels, k.unshuffle > 1 ? " unshuffle" : "", r.imageError,
        kind == "tiled_pil" ? "1/255" : "1e-4");
    r.detail = line;
}

} // namespace

std::vector<ConformanceResult> runUpscalerConformance(const ConformanceOptions& o, const json& file,
    const std::function<void(const ConformanceResult&)>& onResult)
{
    const StateDict goldens = loadSafetensors(o.goldens);
    fs::path dataDir = fs::path(o.cases).parent_path();
    if (!fs::exists(dataDir / "upscaler_layouts.json") && !o.dataDir.empty())
        dataDir = o.dataDir;
    std::ifstream in(dataDir / "upscaler_layouts.json");
    if (!in)
        throw EngineError(
            (dataDir / "upscaler_layouts.json").string() + ": cannot read the upscaler layouts");
    const json layouts = json::parse(in);
    const fs::path tmp = fs::temp_directory_path() / ("qd-upscaler-" + std::to_string(::getpid()));
    fs::create_directories(tmp);
    std::map<std::string, std::string> files;
    std::vector<ConformanceResult> results;
    for (const json& c : file.at("cases"))
        conformance::runCase(
            o, "upscaler/" + c.value("name", std::string("?")),
            [&](ConformanceResult& r) {
                const std::string model = c.at("model").get<std::string>();
                if (!files.count(model))
                    files[model] = writeModel(layouts, model, tmp);
                runCase(goldens, c, RrdbNet::load(files[model]), r);
            },
            results, onResult);
    std::error_code ignored;
    fs::remove_all(tmp, ignored);
    return results;
}

} // namespace qd
