// qdiffusion-cli inspect: what a checkpoint holds (format, family, tensors, dtypes, size), read
// from its headers only.
#include <iomanip>
#include <iostream>

#include <nlohmann/json.hpp>

#include "Commands.h"
#include "core/engine/io/Checkpoint.h"

namespace qd::cli
{

namespace
{

std::string shapeText(const std::vector<int64_t>& s)
{
    std::string out = "[";
    for (size_t i = 0; i < s.size(); ++i)
        out += (i ? ", " : "") + std::to_string(s[i]);
    return out + "]";
}

int inspect(const std::string& path, bool keys, bool json)
{
    const CheckpointInfo info = inspectCheckpoint(path);
    if (json) {
        nlohmann::ordered_json j = { { "path", path }, { "format", formatName(info.format) },
            { "family", info.family }, { "tensors", info.tensors.size() }, { "dtypes", info.dtypeCounts },
            { "tensor_bytes", info.tensorBytes }, { "file_bytes", info.fileBytes },
            { "metadata", info.metadata } };
        if (keys) {
            nlohmann::ordered_json list = nlohmann::ordered_json::array();
            for (const auto& t : info.tensors)
                list.push_back({ { "key", t.key }, { "dtype", t.dtype }, { "shape", t.shape } });
            j["keys"] = list;
        }
        std::cout << j.dump(1) << "\n";
        return 0;
    }
    std::cout << "file:     " << path << "\n"
              << "format:   " << formatName(info.format) << "\n"
              << "family:   " << info.family << "\n"
              << "tensors:  " << info.tensors.size() << "\n"
              << "dtypes:  ";
    for (const auto& [d, n] : info.dtypeCounts)
        std::cout << " " << d << " x" << n;
    std::cout << "\n"
              << std::fixed << std::setprecision(3) << "size:     " << double(info.tensorBytes) / 1e9
              << " GB of tensors, " << double(info.fileBytes) / 1e9 << " GB on disk\n";
    for (const auto& [k, v] : info.metadata)
        std::cout << "metadata: " << k << " = " << (v.size() > 200 ? v.substr(0, 200) + "..." : v) << "\n";
    if (keys)
        for (const auto& t : info.tensors)
            std::cout << t.key << "  " << t.dtype << " " << shapeText(t.shape) << "\n";
    return 0;
}

} // namespace

Command addInspectCommand(CLI::App& app)
{
    struct Options {
        std::string path;
        bool keys = false;
        bool json = false;
    };
    auto o = std::make_shared<Options>();
    CLI::App* sub = app.add_subcommand("inspect",
        "Describe a checkpoint (.safetensors, .ckpt or diffusers folder) "
        "without loading it");
    sub->add_option("FILE", o->path, "Checkpoint file or diffusers folder")->required();
    sub->add_flag("--keys", o->keys, "Also list every tensor with its dtype and shape");
    sub->add_flag("--json", o->json, "Print JSON");
    return { sub, [o] {
                try {
                    return inspect(o->path, o->keys, o->json);
                } catch (const std::exception& e) {
                    std::cerr << "error: " << e.what() << "\n";
                    return 1;
                }
            } };
}

} // namespace qd::cli
