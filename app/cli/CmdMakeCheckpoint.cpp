// qdiffusion-cli make-checkpoint: a full-size SD 1.5 / 2.1 / XL checkpoint whose every weight follows
// the conformance fill rule, for load benchmarks and memory tests without downloading weights.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "Commands.h"
#include "core/engine/io/SafeTensors.h"
#include "core/engine/io/TorchCheckpoint.h"
#include "core/engine/models/FillRule.h"
#include "core/engine/pipeline/Resources.h"

namespace qd::cli
{

namespace
{

torch::ScalarType parseDtype(const std::string& s)
{
    if (s == "fp16")
        return torch::kFloat16;
    if (s == "bf16")
        return torch::kBFloat16;
    return torch::kFloat32;
}

int makeCheckpoint(const std::string& arch, const std::string& dtypeName, const std::string& out)
{
    const auto start = std::chrono::steady_clock::now();
    if (const auto dir = std::filesystem::path(out).parent_path(); !dir.empty()) {
        std::error_code ec; // a models/ControlNet folder that is not there yet
        std::filesystem::create_directories(dir, ec);
    }
    std::ifstream in(resourcePath("full_size_ldm_shapes.json"));
    const nlohmann::json all = nlohmann::json::parse(in);
    if (!all.contains(arch))
        throw EngineError("full_size_ldm_shapes.json has no architecture '" + arch + "'");
    const torch::ScalarType dtype = parseDtype(dtypeName);
    std::vector<SafetensorsWriter::Entry> entries;
    for (const auto& [key, shape] : all[arch].items()) // sorted by key
        entries.push_back({ key, dtype, shape.get<std::vector<int64_t>>() });

    const bool ckpt
        = out.size() > 5 && (out.substr(out.size() - 5) == ".ckpt" || out.substr(out.size() - 3) == ".pt");
    uint64_t bytes = 0;
    if (ckpt) {
        // The zip writer reads every storage at close: the model is held once, at the target dtype.
        StateDict sd;
        for (const auto& e : entries)
            sd.emplace(e.key, fillRuleTensor(e.key, e.shape).to(dtype));
        saveTorchCheckpoint(out, sd, {});
        for (const auto& [k, t] : sd)
            bytes += uint64_t(t.numel()) * t.element_size();
    } else {
        // One tensor at a time: filled in float32, converted, written, released.
        SafetensorsWriter writer(out, entries, { { "format", "pt" }, { "qdiffusion", "fill rule " + arch } });
        for (const auto& e : entries)
            writer.write(e.key, fillRuleTensor(e.key, e.shape).to(dtype));
        writer.finish();
        bytes = writer.bytesWritten();
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::cout << "wrote " << out << ": " << arch << ", " << entries.size() << " tensors, " << dtypeName
              << ", " << bytes << " bytes, " << seconds << " s\n";
    return 0;
}

} // namespace

Command addMakeCheckpointCommand(CLI::App& app)
{
    struct Options {
        std::string arch;
        std::string dtype = "fp16";
        std::string out;
    };
    auto o = std::make_shared<Options>();
    CLI::App* sub = app.add_subcommand("make-checkpoint",
        "Write a full-size checkpoint whose weights follow the conformance fill rule (.safetensors, "
        "or .ckpt by extension)");
    sub->add_option("--arch", o->arch,
           "sd15, sd21, sdxl, controlnet-sd15 (an SD 1.5 ControlNet) or controlnet-tiny (one for the demo "
           "model)")
        ->required()
        ->check(CLI::IsMember({ "sd15", "sd21", "sdxl", "controlnet-sd15", "controlnet-tiny" }));
    sub->add_option("--dtype", o->dtype, "fp16, fp32 or bf16")
        ->check(CLI::IsMember({ "fp16", "fp32", "bf16" }));
    sub->add_option("--out", o->out, "Output file")->required();
    return { sub, [o] {
                try {
                    return makeCheckpoint(o->arch, o->dtype, o->out);
                } catch (const std::exception& e) {
                    std::cerr << "error: " << e.what() << "\n";
                    return 1;
                }
            } };
}

} // namespace qd::cli
