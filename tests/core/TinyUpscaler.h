#pragma once
// A tiny ESRGAN-family upscaler file for the tests: the x4 RRDBNet of the upscaler conformance data
// (tests/data/conformance/upscaler), its weights by the fill rule. Include after <torch/torch.h>.
#include <QDir>
#include <QFileInfo>
#include <QString>

#include <fstream>

#include <nlohmann/json.hpp>

#include "core/engine/io/SafeTensors.h"
#include "core/engine/models/FillRule.h"

namespace qdtest
{

// Writes `path` (a .safetensors; its folder is made).
inline void writeTinyUpscaler(const QString& path)
{
    QDir().mkpath(QFileInfo(path).path());
    std::ifstream in(
        QStringLiteral(QD_TEST_DATA "/conformance/upscaler/upscaler_layouts.json").toStdString());
    const auto layouts = nlohmann::json::parse(in);
    qd::StateDict sd;
    for (const auto& [key, shape] : layouts.at("models").at("x4_nf16_nb2").at("shapes").items())
        sd.emplace(key, qd::fillRuleTensor(key, shape.get<std::vector<int64_t>>()));
    qd::saveSafetensors(path.toStdString(), sd);
}

} // namespace qdtest
