#include <fstream>

#include <QtTest/QtTest>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "TestUtil.h"
#include "core/engine/io/SafeTensors.h"
#include "core/engine/upscale/Rrdb.h"
#include "core/engine/upscale/UpscaleTiles.h"

// ESRGAN-family upscalers beyond the conformance cases (conformance_upscaler): the real files'
// layouts are recognised as spandrel recognises them, broken files are named, and A1111's tiled
// 8-bit path handles sizes the cases do not (several tiles, one tile, a tile larger than the image).
class TestUpscaler : public QObject
{
    Q_OBJECT

    static const nlohmann::json& layouts()
    {
        static const nlohmann::json j = [] {
            std::ifstream in(qdtest::conformance("upscaler/upscaler_layouts.json"));
            return nlohmann::json::parse(in);
        }();
        return j;
    }

    // A tiny x4 model (new layout) with small weights: output ~ nearest upscale of nothing in particular.
    static qd::StateDict tinyX4()
    {
        const auto& m = layouts().at("models").at("x4_nf16_nb2");
        qd::StateDict sd;
        for (const auto& [key, shape] : m.at("shapes").items())
            sd.emplace(key, torch::randn(shape.get<std::vector<int64_t>>()) * 0.05);
        return sd;
    }

private slots:
    void initTestCase() { torch::manual_seed(3); }

    // RealESRGAN_x4plus / x2plus / anime_6B and ESRGAN's old layout, at full size (shapes only):
    // the scale, width, depth and unshuffle spandrel reports.
    void fullSizeFilesAreRecognised()
    {
        for (const auto& [name, f] : layouts().at("full_size").items()) {
            qd::StateDict sd;
            for (const auto& [key, shape] : f.at("shapes").items())
                sd.emplace(key, torch::empty(shape.get<std::vector<int64_t>>()));
            const qd::RrdbConfig c = qd::detectRrdb(qd::rrdbToOldLayout(sd));
            const auto& d = f.at("spandrel_detect");
            const auto& hp = d.at("hyperparameters");
            QVERIFY2(c.scale() == d.at("scale").get<int>(), name.c_str());
            QCOMPARE(c.numFeat, hp.at("num_filters").get<int>());
            QCOMPARE(c.numBlock, hp.at("num_blocks").get<int>());
            QCOMPARE(c.inChannels, hp.at("in_nc").get<int>());
            QCOMPARE(c.unshuffle, hp.at("shuffle_factor").is_null() ? 1 : hp.at("shuffle_factor").get<int>());
            QCOMPARE(c.sizeMultiple(), d.at("size_requirements").at("multiple_of").get<int>());
        }
    }

    void brokenFilesAreNamed()
    {
        QTemporaryDir dir;
        // a Stable Diffusion checkpoint is not an upscaler
        qd::StateDict sd { { "model.diffusion_model.input_blocks.0.0.weight",
            torch::zeros({ 4, 4, 3, 3 }) } };
        try {
            qd::RrdbNet net(sd);
            QFAIL("an SD tensor loaded as an upscaler");
        } catch (const qd::EngineError& e) {
            QVERIFY2(QString(e.what()).contains("RRDBNet"), e.what());
        }
        // a block's convolution missing: named
        qd::StateDict cut = tinyX4();
        cut.erase("body.1.rdb2.conv3.weight");
        try {
            qd::RrdbNet net(cut);
            QFAIL("a model without a convolution loaded");
        } catch (const qd::EngineError& e) {
            QVERIFY2(QString(e.what()).contains("model.1.sub.1.RDB2.conv3"), e.what());
        }
        // a truncated file: its path in the message
        const std::string path = dir.filePath("cut.safetensors").toStdString();
        qd::saveSafetensors(path, tinyX4());
        std::filesystem::resize_file(path, std::filesystem::file_size(path) / 2);
        try {
            qd::RrdbNet::load(path);
            QFAIL("a truncated file loaded");
        } catch (const qd::EngineError& e) {
            QVERIFY2(QString(e.what()).contains("cut.safetensors"), e.what());
        }
        // wrong input channels
        const qd::RrdbNet net(tinyX4());
        QVERIFY_EXCEPTION_THROWN(net.forward(torch::zeros({ 1, 4, 8, 8 })), qd::EngineError);
    }

    // The 8-bit tiled path: every size comes out scaled, tiles join without seams larger than the
    // blend, and one tile (or a tile larger than the image) equals the untiled call.
    void tiledImagesCoverEveryPixel()
    {
        const qd::RrdbNet net(tinyX4());
        auto model = [&](const torch::Tensor& x) { return net.upscale(x); };
        const torch::Tensor image = torch::randint(0, 256, { 37, 53, 3 }, torch::kUInt8);
        const torch::Tensor whole = qd::upscaleImage8(model, image, 0, 8);
        QCOMPARE(whole.sizes().vec(), (std::vector<int64_t> { 148, 212, 3 }));
        QVERIFY(torch::equal(qd::upscaleImage8(model, image, 192, 8), whole)); // the tile is larger
        const torch::Tensor tiled = qd::upscaleImage8(model, image, 24, 8);
        QCOMPARE(tiled.sizes(), whole.sizes());
        // tiles see their own borders, so values differ near the seams, but stay images of the input
        const double meanDiff
            = (tiled.to(torch::kFloat32) - whole.to(torch::kFloat32)).abs().mean().item<double>();
        QVERIFY2(meanDiff < 20, qPrintable(QString::number(meanDiff)));
        QVERIFY_EXCEPTION_THROWN(qd::upscaleImage8(model, image, 24, 24), qd::EngineError);
    }
};

QTEST_APPLESS_MAIN(TestUpscaler)
#include "tst_upscaler.moc"
