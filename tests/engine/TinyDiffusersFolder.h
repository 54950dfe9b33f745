#pragma once
// Writes a tiny conformance model as a diffusers folder, as diffusers' save_pretrained lays it out
// (UNet sharded with an index, text encoders as model.safetensors), from the conformance manifest.
#include <fstream>

#include <QDir>
#include <QString>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "TestUtil.h"
#include "core/engine/io/SafeTensors.h"
#include "core/engine/models/TinyModels.h"

namespace qdtest
{

inline void writeTestJson(const QString& p, const nlohmann::json& j)
{
    std::ofstream(p.toStdString()) << j.dump(1);
}

// The diffusers tensor for `dkey`, made from the single-file tensor it maps to, undoing what
// diffusers' convert_diffusers_to_original_*.py scripts do.
inline torch::Tensor diffusersTensor(
    const std::string& component, const std::string& dkey, const std::string& ldm, const qd::StateDict& sd)
{
    const torch::Tensor t = sd.at(ldm);
    auto endsWith = [](const std::string& s, const std::string& e) {
        return s.size() >= e.size() && s.compare(s.size() - e.size(), e.size(), e) == 0;
    };
    if (endsWith(ldm, "in_proj_weight") || endsWith(ldm, "in_proj_bias")) {
        const auto qkv = t.chunk(3, 0);
        const size_t at = dkey.find("_proj.") - 1;
        return qkv[dkey[at] == 'q' ? 0 : dkey[at] == 'k' ? 1 : 2].contiguous();
    }
    if (endsWith(ldm, "text_projection"))
        return t.t().contiguous();
    if (component == "vae" && t.dim() == 4 && ldm.find("mid.attn_1.") != std::string::npos)
        return t.reshape({ t.size(0), t.size(1) });
    return t;
}

// Writes `model` as a diffusers folder: the UNet in two shards with an index, the VAE as the
// fp16 variant only, text encoders as model.safetensors. Returns the single-file state dict.
inline qd::StateDict writeTinyDiffusersFolder(const std::string& model, const QString& dir,
    const nlohmann::json& layouts, const nlohmann::json& configs, bool vaeFp16)
{
    const auto sd = qd::tinyStateDict(model, qdtest::conformance("tiny_layouts.json"));
    const auto& manifest = layouts[model]["diffusers_to_ldm"];
    QDir().mkpath(dir);
    nlohmann::json index
        = { { "_class_name", model == "sdxl" ? "StableDiffusionXLPipeline" : "StableDiffusionPipeline" },
              { "_diffusers_version", "0.40.0" } };
    for (const auto& [component, keys] : manifest.items()) {
        const QString cdir = dir + "/" + QString::fromStdString(component);
        QDir().mkpath(cdir);
        writeTestJson(cdir + "/config.json", configs[model + "." + component]);
        index[component] = { component.rfind("text", 0) == 0 ? "transformers" : "diffusers", "x" };
        qd::StateDict tensors;
        for (const auto& [dkey, ldms] : keys.items())
            tensors[dkey] = diffusersTensor(component, dkey, ldms[0].get<std::string>(), sd);
        const std::string base = cdir.toStdString() + "/";
        if (component == "unet") {
            nlohmann::json map;
            qd::StateDict shards[2];
            int i = 0;
            for (const auto& [k, t] : tensors) {
                const int s = i++ < int(tensors.size()) / 2 ? 0 : 1;
                shards[s][k] = t;
                map[k] = "diffusion_pytorch_model-0000" + std::to_string(s + 1) + "-of-00002.safetensors";
            }
            for (int s = 0; s < 2; ++s)
                qd::saveSafetensors(
                    base + "diffusion_pytorch_model-0000" + std::to_string(s + 1) + "-of-00002.safetensors",
                    shards[s]);
            writeTestJson(cdir + "/diffusion_pytorch_model.safetensors.index.json",
                { { "metadata", { { "total_size", 0 } } }, { "weight_map", map } });
        } else if (component == "vae" && vaeFp16) {
            qd::StateDict half;
            for (const auto& [k, t] : tensors)
                half[k] = t.to(torch::kFloat16);
            qd::saveSafetensors(base + "diffusion_pytorch_model.fp16.safetensors", half);
        } else {
            tensors["text_model.embeddings.position_ids"] = torch::arange(77, torch::kInt64).unsqueeze(0);
            qd::saveSafetensors(base + "model.safetensors", tensors);
        }
    }
    QDir().mkpath(dir + "/tokenizer");
    writeTestJson(dir + "/tokenizer/tokenizer_config.json", { { "model_max_length", 77 } });
    writeTestJson(dir + "/model_index.json", index);
    return sd;
}

} // namespace qdtest
