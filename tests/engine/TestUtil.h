#pragma once
// Shared helpers for engine tests: conformance paths and the README's tolerance rule.
#include <fstream>
#include <sstream>

#include <QString>
#include <QtTest/QtTest>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "core/engine/EngineError.h"
#include "core/engine/io/SafeTensors.h"
#include "core/engine/models/TinyModels.h"
#include "core/engine/pipeline/SdModel.h"
#include "core/engine/sampling/SamplingPlan.h"

namespace qdtest
{

inline std::string conformance(const char* file)
{
    return std::string(QD_TEST_DATA) + "/conformance/" + file;
}

inline const qd::StateDict& goldens()
{
    static const qd::StateDict g = qd::loadSafetensors(conformance("goldens.safetensors"));
    return g;
}

inline torch::Tensor golden(const std::string& key)
{
    auto it = goldens().find(key);
    if (it == goldens().end())
        qFatal("golden '%s' not found", key.c_str());
    return it->second;
}

// README tolerance: max|a-b| <= tol * max(1, max|b|). Returns an empty string when within, else a
// message with the error.
inline QString closeTo(const torch::Tensor& actual, const torch::Tensor& expected, double tol)
{
    if (actual.sizes() != expected.sizes())
        return QString("shape %1 != expected %2")
            .arg(QString::fromStdString(qd::shapeString(actual.sizes())),
                QString::fromStdString(qd::shapeString(expected.sizes())));
    const auto a = actual.to(torch::kFloat64), b = expected.to(torch::kFloat64);
    const double err = (a - b).abs().max().item<double>();
    const double scale = std::max(1.0, b.abs().max().item<double>());
    if (err <= tol * scale && std::isfinite(err))
        return {};
    return QString("max|a-b| = %1 > %2 (tol %3 x scale %4)").arg(err).arg(tol * scale).arg(tol).arg(scale);
}

// The "cases" object of the conformance cases.json, read once.
inline const nlohmann::json& conformanceCases()
{
    static const nlohmann::json c = [] {
        std::ifstream in(conformance("cases.json"));
        std::stringstream ss;
        ss << in.rdbuf();
        return qd::parsePythonJson(ss.str())["cases"];
    }();
    return c;
}

// The error message of `fn`, or "" when it does not throw EngineError.
template <typename Fn> QString errorOf(Fn fn)
{
    try {
        fn();
    } catch (const qd::EngineError& e) {
        return QString::fromUtf8(e.what());
    }
    return {};
}

// The tiny conformance model `name` ("sd1", "sd2", "sdxl"), built once per test process.
inline qd::SdModel& tinyModel(const std::string& name)
{
    static std::map<std::string, std::unique_ptr<qd::SdModel>> models;
    auto& slot = models[name];
    if (!slot)
        slot = qd::SdModel::fromStateDict(qd::tinyStateDict(name, conformance("tiny_layouts.json")),
            qd::ModelConfig::fromYaml(conformance((name + "-tiny.yaml").c_str())), "tiny " + name);
    return *slot;
}

} // namespace qdtest

#define QD_VERIFY_CLOSE(actual, expected, tol)                                                               \
    do {                                                                                                     \
        const QString qdMsg = qdtest::closeTo((actual), (expected), (tol));                                  \
        QVERIFY2(qdMsg.isEmpty(), qPrintable(qdMsg));                                                        \
    } while (0)
