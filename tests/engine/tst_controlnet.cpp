#include <filesystem>
#include <fstream>

#include <QTemporaryDir>
#include <QtTest/QtTest>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "TestUtil.h"
#include "core/engine/Annotators.h"
#include "core/engine/Pipeline.h"
#include "core/engine/conformance/Conformance.h"
#include "core/engine/conformance/ConformanceControlNet.h"
#include "core/engine/controlnet/ControlNet.h"
#include "core/engine/io/SafeTensors.h"
#include "core/engine/io/TorchCheckpoint.h"
#include "core/engine/pipeline/ControlNetRun.h"

// ControlNet (tests/data/conformance/controlnet): the tiny ControlNet in every file form reproduces
// diffusers' unit goldens, the four end-to-end cases pass, a ControlNet for another model is refused,
// and the extension's rules (guidance steps, control modes, resize modes, infotext) hold.
class TestControlNet : public QObject
{
    Q_OBJECT

    static std::string data(const char* file)
    {
        return qdtest::conformance((std::string("controlnet/") + file).c_str());
    }
    static const qd::StateDict& goldens()
    {
        static const qd::StateDict g = qd::loadSafetensors(data("controlnet_goldens.safetensors"));
        return g;
    }
    static torch::Tensor g(const std::string& key) { return goldens().at(key); }
    static nlohmann::json layout()
    {
        std::ifstream in(data("controlnet_layout.json"));
        return nlohmann::json::parse(in);
    }

    // The unit goldens (batch 1 and 2) for a loaded ControlNet: residuals and the UNet's output.
    static void checkUnit(qd::ControlNetModel& cn)
    {
        qd::SdModel& sd = qdtest::tinyModel("sd1");
        for (const std::string p : { "sd1/controlnet.", "sd1/controlnet_b2." }) {
            const auto res = cn.forward(g(p + "x"), g(p + "cond"), g(p + "t"), g(p + "context"));
            QCOMPARE(int(res.down.size()), 12);
            for (int i = 0; i < 12; ++i)
                QD_VERIFY_CLOSE(res.down[size_t(i)], g(p + "down." + std::to_string(i)), 1e-4);
            QD_VERIFY_CLOSE(res.mid, g(p + "mid"), 1e-4);
            QD_VERIFY_CLOSE(sd.unet().forward(g(p + "x"), g(p + "t"), g(p + "context"), {}, &res),
                g(p + "unet_out"), 1e-4);
            QD_VERIFY_CLOSE(sd.unet().forward(g(p + "x"), g(p + "t"), g(p + "context")),
                g(p + "unet_out_nocontrol"), 1e-4);
        }
    }

    QTemporaryDir m_dir;
    std::string m_file; // the tiny ControlNet as control_model.* .safetensors

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_file = qd::writeTinyControlNet(data("controlnet_layout.json"), m_dir.path().toStdString(), false);
    }

    void unitGoldensSingleFile()
    {
        auto cn = qd::loadControlNet(m_file);
        QCOMPARE(cn->config().unet.contextDim, int64_t(128));
        QCOMPARE(cn->config().unet.modelChannels, int64_t(32));
        checkUnit(*cn);
    }

    // diffusers' ControlNetModel folder (config.json + diffusion_pytorch_model.safetensors): the
    // same tensors through the rename table give the same goldens.
    void unitGoldensDiffusersFolder()
    {
        const std::string folder
            = qd::writeTinyControlNet(data("controlnet_layout.json"), m_dir.path().toStdString(), true);
        auto cn = qd::loadControlNet(folder);
        checkUnit(*cn);
    }

    // The rename table maps every diffusers key to the layout's single-file key, and nothing else.
    void renameTableMatchesLayout()
    {
        const auto j = layout();
        qd::StateDict named;
        for (const auto& [key, targets] : j.at("diffusers_to_ldm").items())
            named.emplace(key, torch::empty({ 1 }));
        const qd::StateDict renamed = qd::controlNetFromDiffusersKeys(named);
        QCOMPARE(renamed.size(), j.at("ldm_shapes").size());
        for (const auto& [key, targets] : j.at("diffusers_to_ldm").items()) {
            const std::string ldm = targets.at(0).get<std::string>();
            QVERIFY2(renamed.count(ldm), (key + " -> " + ldm + " missing").c_str());
        }
    }

    // Files met in practice: no prefix, a v1.0 file with a whole SD model beside it, fp16, .pth.
    void otherFileForms()
    {
        const qd::StateDict sd = qd::tinyControlNetStateDict(data("controlnet_layout.json"));
        const std::string dir = m_dir.path().toStdString();
        qd::StateDict bare, full = qd::tinyStateDict("sd1", qdtest::conformance("tiny_layouts.json")), half;
        for (const auto& [k, v] : sd) {
            bare.emplace(k.substr(std::string("control_model.").size()), v);
            full.emplace(k, v);
            half.emplace(k, v.to(torch::kFloat16));
        }
        qd::saveSafetensors(dir + "/bare.safetensors", bare);
        qd::saveSafetensors(dir + "/v10.safetensors", full);
        qd::saveSafetensors(dir + "/half.safetensors", half);
        checkUnit(*qd::loadControlNet(dir + "/bare.safetensors"));
        checkUnit(*qd::loadControlNet(dir + "/v10.safetensors"));
        auto fromHalf = qd::loadControlNet(dir + "/half.safetensors");
        const auto res = fromHalf->forward(g("sd1/controlnet.x"), g("sd1/controlnet.cond"),
            g("sd1/controlnet.t"), g("sd1/controlnet.context"));
        QD_VERIFY_CLOSE(res.mid, g("sd1/controlnet.mid"), 1e-2); // fp16 weights, float32 compute
        QCOMPARE(res.mid.scalar_type(), torch::kFloat32);
        if (qd::haveTorchCheckpointSupport()) {
            qd::saveTorchCheckpoint(dir + "/cn.pth", sd);
            checkUnit(*qd::loadControlNet(dir + "/cn.pth"));
        }
        QVERIFY(
            qdtest::errorOf([&] { qd::loadControlNet(dir + "/missing.safetensors"); }).contains("no such"));
        QVERIFY(qdtest::errorOf([&] {
            qd::controlNetFromStateDict(qd::StateDict {}, "x.safetensors");
        }).contains("not a ControlNet"));
    }

    // Shapes of a real control_v11p_sd15_* file and the diffusers config read as the same architecture.
    void configDetection()
    {
        const auto j = layout();
        qd::StateDict full;
        for (const auto& [key, shape] : j.at("full_size_sd15_ldm_shapes").items())
            full.emplace(key,
                torch::empty(shape.get<std::vector<int64_t>>(), torch::TensorOptions().device(c10::kMeta)));
        const auto c = qd::ControlNetConfig::detectFromWeights(full, "control_model.");
        QCOMPARE(c.unet.contextDim, int64_t(768));
        QCOMPARE(c.unet.modelChannels, int64_t(320));
        QCOMPARE(c.unet.channelMult, (std::vector<int64_t> { 1, 2, 4, 4 }));
        QCOMPARE(c.hintWidths, (std::vector<int64_t> { 16, 16, 32, 32, 96, 96, 256 }));
        QCOMPARE(c.downResiduals(), int64_t(12));
        QCOMPARE(QString::fromStdString(c.describe()), QString("SD 1.x (context 768)"));
        const auto tiny = qd::ControlNetConfig::detectFromWeights(
            qd::tinyControlNetStateDict(data("controlnet_layout.json")), "control_model.");
        const auto fromJson = qd::ControlNetConfig::fromDiffusersConfig(j.at("diffusers_config"));
        QVERIFY(tiny.unet == fromJson.unet);
        QCOMPARE(tiny.hintWidths, fromJson.hintWidths);
    }

    // A ControlNet for another model is refused, naming both.
    void mismatchIsRefused()
    {
        const auto j = layout();
        qd::StateDict full;
        for (const auto& [key, shape] : j.at("full_size_sd15_ldm_shapes").items())
            full.emplace(key,
                torch::empty(shape.get<std::vector<int64_t>>(), torch::TensorOptions().device(c10::kMeta)));
        const auto sd15 = qd::ControlNetConfig::detectFromWeights(full, "control_model.");
        QCOMPARE(qdtest::errorOf([&] {
            qd::checkControlNetFits(sd15, qd::UNetConfig::sdxlBase(), "SDXL", "control_v11p_sd15_canny");
        }),
            QString(
                "control_v11p_sd15_canny: a ControlNet for SD 1.x (context 768) cannot guide an SDXL model "
                "(context 2048)"));
        qd::checkControlNetFits(sd15, qd::UNetConfig::sd15(), "SD 1.x", "ok"); // fits
        // through a pipeline job: the tiny SD1 ControlNet beside the tiny SDXL model
        qd::ControlNetCache cache;
        const QString e = qdtest::errorOf([&] { cache.get(m_file, qdtest::tinyModel("sdxl")); });
        QVERIFY2(e.contains("a ControlNet for SD 1.x (context 128) cannot guide an SDXL model (context 320)"),
            qPrintable(e));
    }

    // The extension tests start <= i/N <= end, diffusers i/N >= start and (i+1)/N <= end.
    void guidanceRules()
    {
        auto count = [](qd::ControlGuidanceRule rule, double start, double end) {
            int n = 0;
            for (int i = 0; i < 10; ++i)
                n += qd::controlGuides(rule, i, 10, start, end);
            return n;
        };
        QCOMPARE(count(qd::ControlGuidanceRule::Extension, 0.0, 0.6), 7);
        QCOMPARE(count(qd::ControlGuidanceRule::Diffusers, 0.0, 0.6), 6);
        QCOMPARE(count(qd::ControlGuidanceRule::Extension, 0.0, 1.0), 10);
        QCOMPARE(count(qd::ControlGuidanceRule::Diffusers, 0.2, 0.8), 6); // steps 2..7
        QCOMPARE(count(qd::ControlGuidanceRule::Extension, 0.2, 0.8), 7); // steps 2..8
        QVERIFY(!qd::controlGuides(qd::ControlGuidanceRule::Extension, 1, 10, 0.2, 1.0));
    }

    // The four end-to-end cases and the unit goldens, through the conformance runner.
    void endToEndCases()
    {
        qd::ConformanceOptions o;
        o.goldens = data("controlnet_goldens.safetensors");
        o.cases = data("controlnet_cases.json");
        o.dataDir = qdtest::conformance("");
        const auto results = qd::runConformance(o);
        QCOMPARE(int(results.size()), 6);
        for (const auto& r : results) {
            qInfo("%s: latents %.2e image %.2e %s", r.name.c_str(), r.latentError, r.imageError,
                r.detail.c_str());
            QVERIFY2(r.passed, (r.name + ": " + r.message).c_str());
        }
    }

    // Control modes: soft injection scales residual k by 0.825^(12 - k); "ControlNet is more
    // important" also leaves the unconditional rows alone.
    void controlModes()
    {
        auto cn = qd::loadControlNet(m_file);
        const std::string p = "sd1/controlnet_b2.";
        qd::Conditioning cond;
        cond.tensors["context"] = g(p + "context");
        qd::ControlNetUnit unit;
        unit.weight = 0.5;
        auto residuals = [&](qd::ControlMode mode) {
            unit.controlMode = mode;
            qd::ControlRun run;
            run.units.push_back(qd::controlUnitRun(unit, cn, g(p + "cond").slice(0, 0, 1), false));
            return qd::controlResiduals(run, 0, 10, g(p + "x"), g(p + "t"), cond, 1);
        };
        const auto plain = residuals(qd::ControlMode::Balanced);
        const auto soft = residuals(qd::ControlMode::PromptImportant);
        const auto cfg = residuals(qd::ControlMode::ControlNetImportant);
        QD_VERIFY_CLOSE(plain.down[3], g(p + "down.3") * 0.5, 1e-4);
        QD_VERIFY_CLOSE(soft.down[3], plain.down[3] * std::pow(0.825, 9), 1e-5);
        QD_VERIFY_CLOSE(soft.mid, plain.mid, 1e-5); // k = 12: 0.825^0
        QCOMPARE(cfg.down[0][0].abs().max().item<double>(), 0.0); // row 0 is the unconditional one
        QD_VERIFY_CLOSE(cfg.down[0][1], soft.down[0][1], 1e-6);
        // hires fix's second pass makes canny maps soft
        unit.controlMode = qd::ControlMode::Balanced;
        unit.module = "canny";
        QVERIFY(qd::controlUnitRun(unit, cn, {}, true).soft);
        QVERIFY(!qd::controlUnitRun(unit, cn, {}, false).soft);
    }

    void resizeModes()
    {
        // 4 x 2 image: left half red, right half blue, pixel (0, 0) green (three colours: the
        // extension resizes such maps with nearest neighbour; two-colour maps would be re-binarised)
        qd::Image img { 4, 2, std::vector<uint8_t>(4 * 2 * 3, 0) };
        for (int y = 0; y < 2; ++y)
            for (int x = 0; x < 4; ++x) {
                uint8_t* px = &img.pixels[size_t(y * 4 + x) * 3];
                px[x < 2 ? 0 : 2] = 255;
            }
        img.pixels[0] = 0;
        img.pixels[1] = 255;
        const auto just = qd::fitControlImage(img, qd::ControlResizeMode::JustResize, 8, 8);
        QCOMPARE(just.sizes(), (torch::IntArrayRef { 1, 3, 8, 8 }));
        const auto crop = qd::fitControlImage(img, qd::ControlResizeMode::CropAndResize, 8, 8);
        // cover: 16 x 8 -> centre 8 columns: 4 red, 4 blue
        QCOMPARE(crop[0][0][3][3].item<float>(), 1.0f);
        QCOMPARE(crop[0][2][3][4].item<float>(), 1.0f);
        const auto fill = qd::fitControlImage(img, qd::ControlResizeMode::ResizeAndFill, 8, 8);
        // fit: 8 x 4 in the middle rows 2..5, the rest the border's median colour
        QCOMPARE(fill[0][0][3][2].item<float>(), 1.0f); // red, scaled 2x into rows 2..5
        QCOMPARE(fill[0][1][3][0].item<float>(), 1.0f); // the green pixel
        QCOMPARE(fill.sizes(), (torch::IntArrayRef { 1, 3, 8, 8 }));
        QCOMPARE(qd::fitControlImage(img, qd::ControlResizeMode::JustResize, 4, 2)[0][2][0][3].item<float>(),
            1.0f);
    }

    void infotext()
    {
        qd::ControlNetUnit u;
        u.module = "canny";
        u.thresholdA = 100;
        u.thresholdB = 200;
        QCOMPARE(QString::fromStdString(qd::controlNetInfotext(u, "control_v11p_sd15_canny [d14c016b]")),
            QString(
                "Module: canny, Model: control_v11p_sd15_canny [d14c016b], Weight: 1, Resize Mode: Crop and "
                "Resize, Processor Res: 512, Threshold A: 100, Threshold B: 200, Guidance Start: 0, Guidance "
                "End: 1, Pixel Perfect: False, Control Mode: Balanced"));
        u.weight = 0.45;
        u.controlMode = qd::ControlMode::ControlNetImportant;
        QVERIFY(QString::fromStdString(qd::controlNetInfotext(u, "m")).contains("Weight: 0.45,"));
        QVERIFY(QString::fromStdString(qd::controlNetInfotext(u, "m"))
                    .endsWith("Control Mode: ControlNet is more important"));
    }

    // A whole job on the demo model (the tiny SD1 model): txt2img, hires fix and img2img take the
    // unit, the image changes, the infotext records it, the model is read once.
    void pipelineJobs()
    {
        auto pipeline = qd::Pipeline::open({});
        qd::PreviewOptions none;
        none.method = qd::PreviewMethod::None;
        qd::GenerationParams p;
        p.prompt = "a fantasy landscape";
        p.width = p.height = 64;
        p.steps = 4;
        p.seed = 5;
        p.sampler = "Euler";
        const auto plain = pipeline->generate(p, {}, none, {}, nullptr);
        qd::ControlNetUnit u;
        u.model = m_file;
        const auto& cond = g("sd1/controlnet.cond");
        const auto bytes = (cond[0].permute({ 1, 2, 0 }) * 255).round().to(torch::kUInt8).contiguous();
        u.image = { 128, 128,
            std::vector<uint8_t>(bytes.data_ptr<uint8_t>(), bytes.data_ptr<uint8_t>() + bytes.numel()) };
        p.controlNets = { u };
        const auto guided = pipeline->generate(p, {}, none, {}, nullptr);
        QCOMPARE(int(guided.size()), 1);
        QVERIFY(guided[0].image.pixels != plain[0].image.pixels);
        QVERIFY(QString::fromStdString(guided[0].params.extra.at("ControlNet 0"))
                    .startsWith("Module: none, Model: tiny_controlnet"));
        // weight 0 is no ControlNet; so is guidance end 0 under diffusers' rule (the extension's rule
        // still guides step 0 there: 0 <= 0 / N <= 0)
        auto maxDiff = [](const qd::Image& a, const qd::Image& b) {
            int d = 0;
            for (size_t i = 0; i < a.pixels.size(); ++i)
                d = std::max(d, std::abs(int(a.pixels[i]) - int(b.pixels[i])));
            return d;
        };
        p.controlNets[0].weight = 0;
        QCOMPARE(maxDiff(pipeline->generate(p, {}, none, {}, nullptr)[0].image, plain[0].image), 0);
        p.controlNets[0].weight = 1;
        p.controlNets[0].guidanceEnd = 0;
        p.controlGuidanceRule = qd::ControlGuidanceRule::Diffusers;
        QCOMPARE(maxDiff(pipeline->generate(p, {}, none, {}, nullptr)[0].image, plain[0].image), 0);
        p.controlGuidanceRule = qd::ControlGuidanceRule::Extension;
        QVERIFY(maxDiff(pipeline->generate(p, {}, none, {}, nullptr)[0].image, plain[0].image) > 0);
        p.controlNets[0].guidanceEnd = 1;
        // two units add: two halves make the whole
        p.controlNets = { u, u };
        p.controlNets[0].weight = p.controlNets[1].weight = 0.5;
        const auto halves = pipeline->generate(p, {}, none, {}, nullptr);
        QVERIFY(maxDiff(halves[0].image, guided[0].image) <= 1);
        QVERIFY(halves[0].params.extra.count("ControlNet 1"));
        p.controlNets = { u };
        p.enableHr = true;
        p.hrScale = 1.5;
        p.hrUpscaler = "Latent";
        p.denoisingStrength = 0.5;
        const auto hires = pipeline->generate(p, {}, none, {}, nullptr);
        QCOMPARE(hires[0].image.width, 96);
        p.enableHr = false;
        qd::GenerationInputs in;
        in.initImage = plain[0].image;
        const auto i2i = pipeline->generate(p, in, none, {}, nullptr);
        QCOMPARE(i2i[0].image.width, 64);
        p.controlNets[0].weight = -1;
        QVERIFY(qdtest::errorOf([&] { pipeline->generate(p, {}, none, {}, nullptr); }).contains("weight"));
    }

    // softedge_hed's network: a ControlNetHED.pth state dict loads by its own names; the map is the
    // sigmoid of the mean of the five side outputs (zero weights, side biases 1: sigmoid(1) * 255 =
    // 186 everywhere), grey, at the picture's size; random weights give a map that varies; a file of
    // another network is refused naming it.
    void hedAnnotator()
    {
        const int blocks[][3]
            = { { 3, 64, 2 }, { 64, 128, 2 }, { 128, 256, 3 }, { 256, 512, 3 }, { 512, 512, 3 } };
        auto stateDict = [&](bool random) {
            qd::StateDict sd;
            sd["norm"] = torch::zeros({ 1, 3, 1, 1 });
            for (int b = 0; b < 5; ++b) {
                const std::string block = "block" + std::to_string(b + 1);
                for (int i = 0; i < blocks[b][2]; ++i) {
                    const int in = i == 0 ? blocks[b][0] : blocks[b][1];
                    const std::string conv = block + ".convs." + std::to_string(i);
                    sd[conv + ".weight"] = random ? torch::randn({ blocks[b][1], in, 3, 3 }) * 0.01
                                                  : torch::zeros({ blocks[b][1], in, 3, 3 });
                    sd[conv + ".bias"] = torch::zeros({ blocks[b][1] });
                }
                sd[block + ".projection.weight"] = random ? torch::randn({ 1, blocks[b][1], 1, 1 }) * 0.1
                                                          : torch::zeros({ 1, blocks[b][1], 1, 1 });
                sd[block + ".projection.bias"] = torch::ones({ 1 });
            }
            return sd;
        };
        QTemporaryDir dir;
        const std::string file = dir.filePath("ControlNetHED.pth").toStdString();
        qd::saveTorchCheckpoint(file, stateDict(false));
        qd::Image square { 40, 24, std::vector<uint8_t>(40 * 24 * 3, 0) };
        for (int y = 6; y < 18; ++y)
            for (int x = 10; x < 30; ++x)
                std::fill_n(&square.pixels[3 * (y * 40 + x)], 3, uint8_t(255));
        const qd::Image flat = qd::runHedAnnotator(file, square);
        QCOMPARE(flat.width, 40);
        QCOMPARE(flat.height, 24);
        for (uint8_t v : flat.pixels)
            QCOMPARE(int(v), 186);
        torch::manual_seed(3);
        const std::string randomFile = dir.filePath("random.pth").toStdString();
        qd::saveTorchCheckpoint(randomFile, stateDict(true));
        const qd::Image varied = qd::runHedAnnotator(randomFile, square);
        QCOMPARE(varied.pixels[0], varied.pixels[2]); // grey
        QVERIFY(*std::max_element(varied.pixels.begin(), varied.pixels.end())
            > *std::min_element(varied.pixels.begin(), varied.pixels.end()));
        QCOMPARE(qd::runHedAnnotator(randomFile, square).pixels, varied.pixels);
        const QString error = qdtest::errorOf([&] { qd::runHedAnnotator(m_file, square); });
        QVERIFY2(error.contains(QString::fromStdString(m_file)), qPrintable(error));
    }
};

QTEST_GUILESS_MAIN(TestControlNet)
#include "tst_controlnet.moc"
