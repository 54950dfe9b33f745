#include <QtTest/QtTest>
#include <fstream>
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include "TestUtil.h"
#include "core/engine/models/AutoencoderKL.h"
#include "core/engine/models/UNetModel.h"

using nlohmann::json;

namespace
{

const json& fullSizeShapes()
{
    static const json j = [] {
        std::ifstream in(qdtest::conformance("full_size_ldm_shapes.json"));
        return json::parse(in);
    }();
    return j;
}

// Compares every parameter of `module` (named under `prefix`) with the reference keys under the
// same prefix: the same names, the same shapes. Returns "" or a description of the differences.
std::string compareWithReference(torch::nn::Module& module, const std::string& prefix, const json& reference)
{
    std::map<std::string, std::vector<int64_t>> ours, theirs;
    for (const auto& p : module.named_parameters())
        ours[prefix + p.key()] = p.value().sizes().vec();
    for (const auto& [key, shape] : reference.items())
        if (key.compare(0, prefix.size(), prefix) == 0)
            theirs[key] = shape.get<std::vector<int64_t>>();
    std::string diff;
    int shown = 0;
    auto note = [&](const std::string& s) {
        if (shown++ < 10)
            diff += s + "\n";
    };
    for (const auto& [key, shape] : theirs) {
        auto it = ours.find(key);
        if (it == ours.end())
            note("missing in our tree: " + key);
        else if (it->second != shape)
            note(key + ": ours " + qd::shapeString(it->second) + ", reference " + qd::shapeString(shape));
    }
    for (const auto& [key, shape] : ours)
        if (!theirs.count(key))
            note("not in the reference: " + key);
    if (theirs.empty())
        note("no reference keys under " + prefix);
    return diff;
}

// The reference layout as a state dict of meta tensors (shapes without data).
qd::StateDict metaStateDict(const json& reference)
{
    qd::StateDict sd;
    for (const auto& [key, shape] : reference.items())
        sd.emplace(key,
            torch::empty(shape.get<std::vector<int64_t>>(), torch::TensorOptions().device(torch::kMeta)));
    return sd;
}

} // namespace

// The full-size SD 1.5, SD 2.1 and SDXL UNet and VAE trees have exactly the real checkpoints'
// names and shapes, so real files load. Built on the meta device: no weights are allocated.
class TestModelShapes : public QObject
{
    Q_OBJECT

private slots:
    void fullSizeTreesMatchCheckpoints_data()
    {
        QTest::addColumn<QString>("model");
        QTest::newRow("sd15") << "sd15";
        QTest::newRow("sd21") << "sd21";
        QTest::newRow("sdxl") << "sdxl";
    }
    void fullSizeTreesMatchCheckpoints()
    {
        QFETCH(QString, model);
        const std::string m = model.toStdString();
        const auto meta = torch::TensorOptions().device(torch::kMeta);
        const qd::UNetConfig unetConfig = m == "sd15" ? qd::UNetConfig::sd15()
            : m == "sd21"                             ? qd::UNetConfig::sd21()
                                                      : qd::UNetConfig::sdxlBase();
        qd::UNetModel unet(unetConfig, meta);
        QVERIFY(unet.named_parameters()[0].value().device().is_meta());
        const std::string unetDiff
            = compareWithReference(unet, qd::UNetModel::kPrefix, fullSizeShapes().at(m));
        QVERIFY2(unetDiff.empty(), unetDiff.c_str());

        qd::AutoencoderKL vae(m == "sdxl" ? qd::VaeConfig::sdxl() : qd::VaeConfig::sd(), meta);
        const std::string vaeDiff
            = compareWithReference(vae, qd::AutoencoderKL::kPrefix, fullSizeShapes().at(m));
        QVERIFY2(vaeDiff.empty(), vaeDiff.c_str());
    }

    // Without a YAML, the architecture read from the real layouts is the released one.
    void detectionFromRealLayouts_data() { fullSizeTreesMatchCheckpoints_data(); }
    void detectionFromRealLayouts()
    {
        QFETCH(QString, model);
        const std::string m = model.toStdString();
        const qd::StateDict sd = metaStateDict(fullSizeShapes().at(m));
        const qd::UNetConfig expected = m == "sd15" ? qd::UNetConfig::sd15()
            : m == "sd21"                           ? qd::UNetConfig::sd21()
                                                    : qd::UNetConfig::sdxlBase();
        const auto detected = qd::UNetConfig::detectFromWeights(sd);
        QVERIFY2(
            detected == expected, (detected.toJson().dump() + " vs " + expected.toJson().dump()).c_str());
        const auto vae = qd::VaeConfig::detectFromWeights(sd);
        QVERIFY2(
            vae == (m == "sdxl" ? qd::VaeConfig::sdxl() : qd::VaeConfig::sd()), vae.toJson().dump().c_str());
    }
};

QTEST_APPLESS_MAIN(TestModelShapes)
#include "tst_model_shapes.moc"
