#include <QtTest/QtTest>
#include <fstream>
#include <torch/torch.h>

#include "TestUtil.h"
#include "YamlJson.h"
#include "core/engine/io/SafeTensors.h"
#include "core/engine/models/CpuKernels.h"
#include "core/engine/models/TinyModels.h"
#include "core/engine/models/UNetModel.h"

using nlohmann::json;
using qd::UNetConfig;
using qd::UNetModel;
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

std::string yamlName(const std::string& model)
{
    return model == "sd1inp" ? "sd1-inpaint-tiny.yaml" : model + "-tiny.yaml";
}

UNetConfig yamlConfig(const std::string& model)
{
    return UNetConfig::fromLdmYaml(qdtest::yamlFileToJson(conformance(yamlName(model).c_str())));
}

json diffusersConfigs()
{
    std::ifstream in(conformance("tiny_diffusers_configs.json"));
    return json::parse(in);
}

std::unique_ptr<UNetModel> tinyUNet(const std::string& model)
{
    auto unet = std::make_unique<UNetModel>(yamlConfig(model));
    unet->load(tiny(model), "tiny " + model);
    return unet;
}

} // namespace

// The UNet computes what diffusers' UNet2DConditionModel computes, at any latent size.
class TestUNet : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase() { torch::manual_seed(0); }

    void matchesGoldens_data()
    {
        QTest::addColumn<QString>("model");
        QTest::newRow("sd1") << "sd1";
        QTest::newRow("sd2") << "sd2"; // linear proj_in / proj_out, 16 channels per head
        QTest::newRow("sdxl") << "sdxl"; // label embedding of pooled text + size / crop numbers
    }
    void matchesGoldens()
    {
        QFETCH(QString, model);
        const std::string m = model.toStdString();
        auto unet = tinyUNet(m);
        torch::Tensor y;
        if (m == "sdxl")
            y = unet->admVector(golden("sdxl/unet.text_embeds"), golden("sdxl/unet.time_ids"));
        const auto out
            = unet->forward(golden(m + "/unet.x"), golden(m + "/unet.t"), golden(m + "/unet.context"), y);
        QD_VERIFY_CLOSE(out, golden(m + "/unet.out"), 1e-4);
    }

    void inpaintingUNetTakesNineChannels()
    {
        const auto extra = qd::loadSafetensors(conformance("goldens_extra.safetensors"));
        auto unet = tinyUNet("sd1inp");
        QCOMPARE(unet->config().inChannels, int64_t(9));
        const auto out = unet->forward(
            extra.at("sd1inp/unet.x"), extra.at("sd1inp/unet.t"), extra.at("sd1inp/unet.context"));
        QD_VERIFY_CLOSE(out, extra.at("sd1inp/unet.out"), 1e-4);
    }

    // Image sizes that are multiples of 8 but not of 64 give odd feature maps on the way down:
    // 520 x 776 pixels -> 65 x 97 -> 33 x 49 -> 17 x 25 (SDXL); 264 x 392 -> 33 x 49 -> 17 x 25
    // -> 9 x 13 -> 5 x 7 (SD1, whose tiny attention at full resolution is slow at the larger size).
    void oddLatentSizeRuns_data()
    {
        QTest::addColumn<QString>("model");
        QTest::addColumn<int>("h");
        QTest::addColumn<int>("w");
        QTest::newRow("sd1 264x392") << "sd1" << 33 << 49;
        QTest::newRow("sdxl 520x776") << "sdxl" << 65 << 97;
    }
    void oddLatentSizeRuns()
    {
        QFETCH(QString, model);
        QFETCH(int, h);
        QFETCH(int, w);
        const std::string m = model.toStdString();
        auto unet = tinyUNet(m);
        const int64_t ctx = unet->config().contextDim;
        const auto x = torch::randn({ 1, 4, h, w });
        torch::Tensor y;
        if (m == "sdxl")
            y = unet->admVector(torch::randn({ 1, 192 }),
                torch::tensor({ { 8.f * h, 8.f * w, 0.f, 0.f, 8.f * h, 8.f * w } }));
        const auto context = torch::randn({ 1, 77, ctx });
        const auto out = unet->forward(x, torch::tensor({ 500.f }), context, y);
        QCOMPARE(out.sizes().vec(), (std::vector<int64_t> { 1, 4, h, w }));
        QVERIFY(torch::isfinite(out).all().item<bool>());
        // The prediction must depend on the input everywhere, edges included (a wrong crop or
        // pad would leave a border that ignores x).
        const auto out2 = unet->forward(x + 0.5, torch::tensor({ 500.f }), context, y);
        QVERIFY((out2 - out).abs().amax({ 0, 1 }).min().item<float>() > 0);
    }

    void batchOfOneContextIsBroadcast()
    {
        auto unet = tinyUNet("sd1");
        const auto ctx = golden("sd1/unet.context").narrow(0, 0, 1);
        const auto both = unet->forward(golden("sd1/unet.x"), golden("sd1/unet.t"), ctx);
        const auto first
            = unet->forward(golden("sd1/unet.x").narrow(0, 0, 1), golden("sd1/unet.t").narrow(0, 0, 1), ctx);
        QD_VERIFY_CLOSE(both.narrow(0, 0, 1), first, 1e-5);
    }

    // The vectorised softmax and GEGLU agree with ATen's at every row length (vector tails) and
    // over the score range attention produces (large negatives underflow to ~0, not NaN).
    void cpuKernelsMatchATen_data()
    {
        QTest::addColumn<int>("n");
        QTest::newRow("1") << 1;
        QTest::newRow("15") << 15;
        QTest::newRow("16") << 16;
        QTest::newRow("77") << 77;
        QTest::newRow("4099") << 4099;
    }
    void cpuKernelsMatchATen()
    {
        QFETCH(int, n);
        auto scores = torch::randn({ 7, n }) * 30;
        scores[0].fill_(-200); // a row of equal, very negative scores: uniform
        if (n > 2)
            scores[1][n - 1] = 150; // one dominant score in the vector tail
        auto mine = scores.clone();
        qd::kernels::softmaxRows(mine.data_ptr<float>(), 7, n);
        QD_VERIFY_CLOSE(mine, at::_softmax(scores, -1, false), 1e-6);
        QVERIFY(torch::allclose(mine.sum(-1), torch::ones({ 7 }), 1e-5, 1e-5));
        const auto proj = torch::randn({ 3, 5, 2 * n }) * 4;
        const auto halves = proj.chunk(2, -1);
        QD_VERIFY_CLOSE(qd::kernels::geglu(proj), at::gelu(halves[1]) * halves[0], 1e-6);
    }

    void timestepEmbeddingIsCosThenSin()
    {
        // diffusers Timesteps(flip_sin_to_cos=True, freq_shift=0): [cos(t f_i), sin(t f_i)],
        // f_i = 10000^(-i / half). Computed here in double from the definition.
        const auto e = qd::timestepEmbedding(torch::tensor({ 0.f, 321.f }), 8);
        QCOMPARE(e.sizes().vec(), (std::vector<int64_t> { 2, 8 }));
        for (int i = 0; i < 4; ++i) {
            const double f = std::pow(10000.0, -i / 4.0);
            QVERIFY(std::abs(e[1][i].item<double>() - std::cos(321.0 * f)) < 1e-4);
            QVERIFY(std::abs(e[1][4 + i].item<double>() - std::sin(321.0 * f)) < 1e-4);
            QCOMPARE(e[0][i].item<float>(), 1.0f);
        }
    }

    // The three ways to learn the architecture agree: the YAML, the diffusers config.json, and
    // the shapes of the weights (heads are not in the weights: the YAML supplies them).
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
        const UNetConfig fromYaml = yamlConfig(m);
        const UNetConfig fromDiffusers = UNetConfig::fromDiffusersConfig(diffusersConfigs().at(m + ".unet"));
        UNetConfig detected = UNetConfig::detectFromWeights(tiny(m));
        QVERIFY2(fromYaml == fromDiffusers,
            (fromYaml.toJson().dump() + " vs " + fromDiffusers.toJson().dump()).c_str());
        detected.numHeads = fromYaml.numHeads;
        detected.numHeadChannels = fromYaml.numHeadChannels;
        QVERIFY2(
            fromYaml == detected, (fromYaml.toJson().dump() + " vs " + detected.toJson().dump()).c_str());
        QCOMPARE(fromYaml.contextDim, m == "sdxl" ? int64_t(320) : int64_t(128));
        QCOMPARE(fromYaml.useLinearInTransformer, m != "sd1");
        if (m == "sdxl") {
            QCOMPARE(fromYaml.admInChannels, int64_t(240));
            QCOMPARE(fromYaml.admTimeEmbedDim, int64_t(8)); // the conditioner's outdim
            QCOMPARE(fromYaml.transformerDepthMiddle, int64_t(2));
        }
    }

    void detectionDefaultsToReleasedHeads()
    {
        // SD1: convolution proj_in -> 8 heads, whatever the width.
        const auto sd1 = UNetConfig::detectFromWeights(tiny("sd1"));
        QCOMPARE(sd1.numHeads, int64_t(8));
        QCOMPARE(sd1.inChannels, int64_t(4));
        QCOMPARE(UNetConfig::detectFromWeights(tiny("sd1inp")).inChannels, int64_t(9));
        // SD2 / SDXL: linear proj_in -> 64 channels per head (the tiny models use 16: the YAML says so).
        const auto sd2 = UNetConfig::detectFromWeights(tiny("sd2"));
        QCOMPARE(sd2.numHeadChannels, int64_t(64));
        QVERIFY(sd2 != yamlConfig("sd2"));
        QVERIFY_THROWS_EXCEPTION(
            qd::EngineError, UNetConfig::detectFromWeights(tiny("sd1"), "model.nothing."));
    }

    void badConfigNamesTheField_data()
    {
        QTest::addColumn<QString>("yaml");
        QTest::addColumn<QString>("field");
        QTest::newRow("width") << "{model_channels: 48, num_heads: 8, context_dim: 64}"
                               << "model_channels";
        QTest::newRow("heads") << "{model_channels: 64, num_heads: 7, context_dim: 64}"
                               << "num_heads";
        QTest::newRow("no heads") << "{model_channels: 64, context_dim: 64}"
                                  << "num_head";
        QTest::newRow("head width") << "{model_channels: 64, num_head_channels: 24, context_dim: 64}"
                                    << "num_head_channels";
        QTest::newRow("depth list")
            << "{model_channels: 64, num_heads: 8, context_dim: 64, channel_mult: [1, 2], "
               "transformer_depth: [1, 2, 3]}"
            << "transformer_depth";
        QTest::newRow("attention")
            << "{model_channels: 64, num_heads: 8, context_dim: 64, channel_mult: [1, 2], "
               "attention_resolutions: [8]}"
            << "attention_resolutions";
        QTest::newRow("text") << "{model_channels: 64, num_heads: 8, context_dim: 64, channel_mult: [one, 2]}"
                              << "channel_mult";
        QTest::newRow("adm") << "{model_channels: 64, num_heads: 8, context_dim: 64, num_classes: sequential}"
                             << "adm_in_channels";
        QTest::newRow("classes") << "{model_channels: 64, num_heads: 8, context_dim: 64, num_classes: 1000}"
                                 << "num_classes";
        QTest::newRow("scale shift")
            << "{model_channels: 64, num_heads: 8, context_dim: 64, use_scale_shift_norm: true}"
            << "use_scale_shift_norm";
    }
    void badConfigNamesTheField()
    {
        QFETCH(QString, yaml);
        QFETCH(QString, field);
        const json params = qdtest::yamlToJson(YAML::Load(yaml.toStdString()));
        const QString msg = errorOf([&] {
            UNetModel unet(UNetConfig::fromLdmParams(params), torch::TensorOptions().device(torch::kMeta));
        });
        QVERIFY2(msg.contains("'" + field), qPrintable("message: " + msg));
    }

    void badDiffusersConfigNamesTheField()
    {
        json cfg = diffusersConfigs().at("sd2.unet");
        cfg["norm_num_groups"] = 16;
        QVERIFY(errorOf([&] { UNetConfig::fromDiffusersConfig(cfg); }).contains("'norm_num_groups'"));
        cfg = diffusersConfigs().at("sd2.unet");
        cfg["attention_head_dim"] = json::array({ 2, 3, 4, 8 }); // neither constant heads nor constant width
        QVERIFY(errorOf([&] { UNetConfig::fromDiffusersConfig(cfg); }).contains("'attention_head_dim'"));
        cfg = diffusersConfigs().at("sd1.unet");
        cfg["down_block_types"] = json::array({ "CrossAttnDownBlock2D", "DownBlock2D" });
        QVERIFY(errorOf([&] { UNetConfig::fromDiffusersConfig(cfg); }).contains("'down_block_types'"));
    }

    void wrongInputsAreClearErrors()
    {
        auto unet = tinyUNet("sdxl");
        const auto x = golden("sdxl/unet.x"), t = golden("sdxl/unet.t"), ctx = golden("sdxl/unet.context");
        // SDXL without y
        QVERIFY(errorOf([&] { unet->forward(x, t, ctx); }).contains("y of shape [2, 240]"));
        // the SD1 context width (128) on the SDXL model (320)
        QVERIFY(errorOf([&] {
            unet->forward(x, t, golden("sd1/unet.context"), torch::zeros({ 2, 240 }));
        }).contains("320"));
        QVERIFY(errorOf([&] {
            unet->forward(torch::zeros({ 2, 9, 8, 8 }), t, ctx, torch::zeros({ 2, 240 }));
        }).contains("[2, 9, 8, 8]"));
        // 5 size numbers instead of 6
        QVERIFY(errorOf([&] {
            unet->admVector(torch::zeros({ 2, 192 }), torch::zeros({ 2, 5 }));
        }).contains("adm_in_channels"));
    }

    void loadingNamesMisshapenKey()
    {
        UNetModel unet(yamlConfig("sd2"));
        // SD2's linear proj_in ([C, C]) where SD1 has a convolution ([C, C, 1, 1]).
        const QString msg = errorOf([&] { unet.load(tiny("sd1"), "sd1.safetensors"); });
        QVERIFY2(msg.contains("sd1.safetensors") && msg.contains("proj_in.weight")
                && msg.contains("[32, 32, 1, 1]"),
            qPrintable(msg));
    }
};

QTEST_APPLESS_MAIN(TestUNet)
#include "tst_unet.moc"
