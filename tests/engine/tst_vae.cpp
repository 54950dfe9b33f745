#include <QtTest/QtTest>
#include <fstream>
#include <torch/torch.h>

#include "TestUtil.h"
#include "YamlJson.h"
#include "core/engine/models/AutoencoderKL.h"
#include "core/engine/models/TinyModels.h"

using nlohmann::json;
using qd::AutoencoderKL;
using qd::VaeConfig;
using qdtest::conformance;
using qdtest::errorOf;
using qdtest::golden;

namespace
{

const qd::StateDict& tiny(const std::string& model)
{
    static std::map<std::string, qd::StateDict> cache;
    auto it = cache.find(model);
    if (it == cache.end())
        it = cache.emplace(model, qd::tinyStateDict(model, conformance("tiny_layouts.json"))).first;
    return it->second;
}

VaeConfig yamlConfig(const std::string& model)
{
    return VaeConfig::fromLdmYaml(qdtest::yamlFileToJson(conformance((model + "-tiny.yaml").c_str())));
}

std::unique_ptr<AutoencoderKL> tinyVae(const std::string& model)
{
    auto vae = std::make_unique<AutoencoderKL>(yamlConfig(model));
    vae->load(tiny(model), "tiny " + model);
    return vae;
}

double maxAbsDiff(const torch::Tensor& a, const torch::Tensor& b)
{
    return (a - b).abs().max().item<double>();
}

} // namespace

// The VAE encodes and decodes like diffusers' AutoencoderKL, and large images tile without seams.
class TestVae : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase() { torch::manual_seed(0); }

    void matchesGoldens_data()
    {
        QTest::addColumn<QString>("model");
        QTest::newRow("sd1") << "sd1";
        QTest::newRow("sd2") << "sd2";
        QTest::newRow("sdxl") << "sdxl";
    }
    void matchesGoldens()
    {
        QFETCH(QString, model);
        const std::string m = model.toStdString();
        auto vae = tinyVae(m);
        QD_VERIFY_CLOSE(vae->decode(golden(m + "/vae.decode_in")), golden(m + "/vae.decode_out"), 1e-4);
        const auto moments = vae->encode(golden(m + "/vae.encode_in"));
        QD_VERIFY_CLOSE(moments.mean, golden(m + "/vae.encode_mean"), 1e-4);
        QD_VERIFY_CLOSE(moments.std, golden(m + "/vae.encode_std"), 1e-4);
        QCOMPARE(vae->config().scaleFactor, m == "sdxl" ? 0.13025 : 0.18215);
    }

    void samplingDrawsFromTheGivenGenerator()
    {
        auto vae = tinyVae("sd1");
        const auto moments = vae->encode(golden("sd1/vae.encode_in"));
        auto gen = at::detail::createCPUGenerator(1234);
        const auto z = AutoencoderKL::sample(moments, gen);
        // diffusers: mean + std * randn(shape, generator) on the CPU in float32
        auto ref = at::detail::createCPUGenerator(1234);
        const auto noise = at::randn(moments.mean.sizes(), ref, torch::kFloat32);
        QD_VERIFY_CLOSE(z, moments.mean + moments.std * noise, 1e-6);
        auto other = at::detail::createCPUGenerator(1235);
        QVERIFY(maxAbsDiff(AutoencoderKL::sample(moments, other), z) > 1e-3);
    }

    // A 320 x 448 image in 32-latent-pixel tiles overlapping by at least 16: 2 x 3 tiles.
    void tiledDecodeMatchesWhole()
    {
        auto vae = tinyVae("sd1");
        vae->setTiling({ qd::VaeTiling::Mode::Always, 32, 16, 0 });
        const auto latent = torch::randn({ 1, 4, 40, 56 });
        const auto whole = vae->decodeWhole(latent);
        const auto tiled = vae->decode(latent);
        QCOMPARE(tiled.sizes().vec(), (std::vector<int64_t> { 1, 3, 320, 448 }));
        const double err = maxAbsDiff(tiled, whole);
        qInfo("tiled decode: max |tiled - whole| = %.4g", err);
        QVERIFY2(err <= 2e-2, qPrintable(QString::number(err)));
    }

    void tiledEncodeMatchesWhole()
    {
        auto vae = tinyVae("sd1");
        vae->setTiling({ qd::VaeTiling::Mode::Always, 32, 16, 0 });
        // a smooth image, as real ones are: the tiny decoder's output for a random latent
        const auto image = vae->decodeWhole(torch::randn({ 1, 4, 40, 56 })).clamp(-1, 1);
        const auto whole = vae->encodeWhole(image);
        const auto tiled = vae->encode(image);
        QCOMPARE(tiled.mean.sizes().vec(), (std::vector<int64_t> { 1, 4, 40, 56 }));
        const double errMean = maxAbsDiff(tiled.mean, whole.mean), errStd = maxAbsDiff(tiled.std, whole.std);
        qInfo("tiled encode: max |tiled - whole| mean %.4g, std %.4g", errMean, errStd);
        QVERIFY2(errMean <= 2e-2 && errStd <= 2e-2, qPrintable(QString("%1 %2").arg(errMean).arg(errStd)));
    }

    // The low-memory fallback (each tile normalised on its own, one tile at a time) still gives a
    // whole, finite image of the right size.
    void independentTilesGiveTheWholeImage()
    {
        auto vae = tinyVae("sd1");
        qd::VaeTiling tiling { qd::VaeTiling::Mode::Always, 32, 16, 0 };
        tiling.wholeImageStatistics = false;
        vae->setTiling(tiling);
        const auto latent = torch::randn({ 1, 4, 40, 56 });
        const auto image = vae->decode(latent);
        QCOMPARE(image.sizes().vec(), (std::vector<int64_t> { 1, 3, 320, 448 }));
        QVERIFY(torch::isfinite(image).all().item<bool>());
        const auto moments = vae->encode(image.clamp(-1, 1));
        QCOMPARE(moments.mean.sizes().vec(), (std::vector<int64_t> { 1, 4, 40, 56 }));
        QVERIFY(torch::isfinite(moments.std).all().item<bool>());
    }

    void tilingFollowsTheMode()
    {
        auto vae = tinyVae("sd1");
        const auto latent = torch::randn({ 1, 4, 40, 40 });
        vae->setTiling({ qd::VaeTiling::Mode::Auto, 24, 8, 40 * 40 }); // not above the limit: whole
        QCOMPARE(maxAbsDiff(vae->decode(latent), vae->decodeWhole(latent)), 0.0);
        vae->setTiling({ qd::VaeTiling::Mode::Auto, 24, 8, 40 * 40 - 1 }); // above: tiles
        const auto autoTiled = vae->decode(latent);
        QCOMPARE(maxAbsDiff(autoTiled, vae->decodeTiled(latent)), 0.0);
        QVERIFY(maxAbsDiff(autoTiled, vae->decodeWhole(latent)) > 0); // tiles really were used
        vae->setTiling({ qd::VaeTiling::Mode::Never, 24, 8, 0 });
        QCOMPARE(maxAbsDiff(vae->decode(latent), vae->decodeWhole(latent)), 0.0);
    }

    // Some converted files store the middle attention's 1x1 convolutions as [C, C] linear weights.
    void linearAttentionWeightsLoad()
    {
        qd::StateDict sd = tiny("sd1");
        int reshaped = 0;
        for (auto& [key, t] : sd)
            if (key.find(".mid.attn_1.") != std::string::npos && t.dim() == 4) {
                t = t.reshape({ t.size(0), t.size(1) });
                ++reshaped;
            }
        QCOMPARE(reshaped, 8); // q, k, v, proj_out in the encoder and the decoder
        AutoencoderKL vae(yamlConfig("sd1"));
        vae.load(sd, "converted.safetensors");
        QD_VERIFY_CLOSE(vae.decode(golden("sd1/vae.decode_in")), golden("sd1/vae.decode_out"), 1e-4);
    }

    void configSourcesAgree_data()
    {
        QTest::addColumn<QString>("model");
        QTest::newRow("sd1") << "sd1";
        QTest::newRow("sd2") << "sd2";
        QTest::newRow("sdxl") << "sdxl";
    }
    void configSourcesAgree()
    {
        QFETCH(QString, model);
        const std::string m = model.toStdString();
        std::ifstream in(conformance("tiny_diffusers_configs.json"));
        const json diffusers = json::parse(in);
        const VaeConfig fromYaml = yamlConfig(m);
        const VaeConfig fromDiffusers = VaeConfig::fromDiffusersConfig(diffusers.at(m + ".vae"));
        const VaeConfig detected = VaeConfig::detectFromWeights(tiny(m));
        QVERIFY2(fromYaml == fromDiffusers,
            (fromYaml.toJson().dump() + " vs " + fromDiffusers.toJson().dump()).c_str());
        QVERIFY2(
            fromYaml == detected, (fromYaml.toJson().dump() + " vs " + detected.toJson().dump()).c_str());
        QCOMPARE(fromYaml.chMult, (std::vector<int64_t> { 1, 1, 2, 2 }));
    }

    void badConfigNamesTheField()
    {
        json params = qdtest::yamlFileToJson(
            conformance("sd1-tiny.yaml"))["model"]["params"]["first_stage_config"]["params"];
        json p = params;
        p["ddconfig"]["ch"] = 48;
        QVERIFY(errorOf([&] { VaeConfig::fromLdmParams(p).validate(); }).contains("'ch'"));
        p = params;
        p["ddconfig"]["double_z"] = false;
        QVERIFY(errorOf([&] { VaeConfig::fromLdmParams(p).validate(); }).contains("'double_z'"));
        p = params;
        p["ddconfig"]["ch_mult"] = "wide";
        QVERIFY(errorOf([&] { VaeConfig::fromLdmParams(p); }).contains("'ch_mult'"));
        QVERIFY(errorOf([&] { VaeConfig::fromLdmParams(json::object()); }).contains("ddconfig"));
        std::ifstream in(conformance("tiny_diffusers_configs.json"));
        json d = json::parse(in).at("sd1.vae");
        d["down_block_types"][1] = "AttnDownEncoderBlock2D";
        QVERIFY(errorOf([&] { VaeConfig::fromDiffusersConfig(d); }).contains("'down_block_types'"));
    }

    void wrongInputsAreClearErrors()
    {
        auto vae = tinyVae("sd1");
        QVERIFY(errorOf([&] { vae->decode(torch::zeros({ 1, 3, 8, 8 })); }).contains("[1, 3, 8, 8]"));
        QVERIFY(errorOf([&] { vae->encode(torch::zeros({ 1, 4, 64, 64 })); }).contains("[1, 4, 64, 64]"));
    }
};

QTEST_APPLESS_MAIN(TestVae)
#include "tst_vae.moc"
