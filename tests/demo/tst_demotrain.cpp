#include <torch/torch.h>

#include <QtTest/QtTest>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/demo/train/DemoNets.h"
#include "core/demo/train/DemoTrainer.h"
#include "core/engine/io/SafeTensors.h"
#include "core/engine/pipeline/SdModel.h"

// The demo model's trainer (issue 15, docs/demo-model.md): the networks it trains compute what the
// engine computes from the same weights (so what it learns is what users get), a run is
// deterministic for a seed, an interrupted run resumes to the same weights, and its export loads
// and generates like any SD 1.x checkpoint.
namespace fs = std::filesystem;
using qd::demo::DemoNetConfig;

namespace
{

// Every parameter set to a random value (the trainer zero-initialises output layers, which would make
// the comparison trivial).
void randomise(torch::nn::Module& m, uint64_t seed)
{
    torch::manual_seed(seed);
    torch::NoGradGuard g;
    for (auto& p : m.parameters())
        p.normal_(
            0, 0.3 / std::sqrt(double(std::max<int64_t>(1, p.numel() / std::max<int64_t>(1, p.size(0))))));
}

std::string readFile(const fs::path& p)
{
    std::ifstream f(p, std::ios::binary);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

qd::demo::DemoTrainOptions tinyRun(const std::string& dir)
{
    qd::demo::DemoTrainOptions o;
    o.outDir = dir;
    o.vaeSteps = 3;
    o.vaeBatch = 2;
    o.vaeCrop = 32;
    o.vaeFullSteps = 1;
    o.vaeFullBatch = 1;
    o.vaeShapeWeight = 5;
    o.sampleEvery = 0;
    o.latentScenes = 8;
    o.unetSteps = 4;
    o.unetBatch = 3;
    o.warmupSteps = 2;
    o.logEvery = 1;
    o.saveEvery = 2;
    o.threads = 1;
    o.imageSize = 64;
    return o;
}

} // namespace

class TestDemoTrain : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase() { torch::set_num_threads(1); }

    void trainerNetworksComputeWhatTheEngineComputes()
    {
        const DemoNetConfig c;
        qd::demo::DemoUNet unet(c);
        qd::demo::DemoVae vae(c);
        qd::demo::DemoTextEncoder text(c);
        randomise(*unet, 1);
        randomise(*vae, 2);
        randomise(*text, 3);
        QTemporaryDir dir;
        const std::string model = dir.filePath("m.safetensors").toStdString();
        const std::string yaml = dir.filePath("m.yaml").toStdString();
        qd::saveSafetensors(model, qd::demo::checkpointWeights(*unet, *vae, *text));
        std::ofstream(yaml) << qd::demo::ldmYaml(c, 0.5);
        auto engine = qd::SdModel::fromFile(model, yaml);
        QCOMPARE(engine->config().scaleFactor, 0.5);
        QCOMPARE(engine->unetConfig().contextDim, int64_t(c.contextDim()));

        torch::NoGradGuard g;
        // text: the engine's SD 1.x conditioning of a plain prompt is the last hidden state
        const std::string prompt = "a large red star on the left, blue background";
        const auto ids = qd::ClipTokenizer::shared().encodePadded(prompt);
        const torch::Tensor idTensor
            = torch::tensor(std::vector<int64_t>(ids.begin(), ids.end())).view({ 1, -1 });
        const torch::Tensor ours = text->forward(idTensor);
        const torch::Tensor theirs = engine->conditioner().encode(prompt).context;
        QCOMPARE(theirs.sizes(), ours.sizes());
        QVERIFY2(torch::allclose(ours, theirs, 1e-4, 1e-4),
            qPrintable(QString("text max diff %1").arg((ours - theirs).abs().max().item<double>())));

        // UNet at two timesteps, batch 2
        torch::manual_seed(5);
        const torch::Tensor x = torch::randn({ 2, 4, 16, 16 });
        const torch::Tensor t = torch::tensor({ 17.0f, 901.0f });
        const torch::Tensor ctx = torch::randn({ 2, 77, c.contextDim() });
        const torch::Tensor eo = unet->forward(x, t, ctx);
        const torch::Tensor ee = engine->unet().forward(x, t, ctx);
        QVERIFY(eo.abs().max().item<double>() > 1e-2); // not a trivially zero output
        QVERIFY2(torch::allclose(eo, ee, 1e-3, 1e-4),
            qPrintable(QString("unet max diff %1").arg((eo - ee).abs().max().item<double>())));

        // VAE: decode of an unscaled latent, encoder's mean
        const torch::Tensor z = torch::randn({ 1, 4, 8, 8 });
        const torch::Tensor d0 = vae->decode(z);
        const torch::Tensor d1 = engine->vae().decode(z);
        QVERIFY2(torch::allclose(d0, d1, 1e-3, 1e-4),
            qPrintable(QString("decode max diff %1").arg((d0 - d1).abs().max().item<double>())));
        const torch::Tensor img = torch::rand({ 1, 3, 64, 64 }) * 2 - 1;
        const torch::Tensor m0 = vae->encode(img).first;
        const torch::Tensor m1 = engine->vae().encode(img).mean;
        QVERIFY2(torch::allclose(m0, m1, 1e-3, 1e-4),
            qPrintable(QString("encode max diff %1").arg((m0 - m1).abs().max().item<double>())));
    }

    void aRunIsDeterministicAndResumes()
    {
        QTemporaryDir a, b;
        std::ostringstream logA, logB;
        const auto ra = qd::demo::trainDemoModel(tinyRun(a.path().toStdString()), logA);
        QVERIFY2(QString::fromStdString(logA.str()).contains("unet step 4/4  loss"), logA.str().c_str());
        QVERIFY(QString::fromStdString(logA.str()).contains("ETA"));
        QVERIFY(fs::file_size(ra.modelPath) > 1000000);

        // the same run, stopped twice (in the VAE stage and in the UNet stage), then resumed
        for (int64_t stop : { 2, 3 }) {
            auto part = tinyRun(b.path().toStdString());
            part.stopAfter = stop;
            const auto r = qd::demo::trainDemoModel(part, logB);
            QVERIFY(r.modelPath.empty());
        }
        QVERIFY2(QString::fromStdString(logB.str()).contains("resuming"), logB.str().c_str());
        const auto rb = qd::demo::trainDemoModel(tinyRun(b.path().toStdString()), logB);
        QCOMPARE(readFile(rb.modelPath), readFile(ra.modelPath));
        QCOMPARE(rb.scaleFactor, ra.scaleFactor);
    }

    void theExportGeneratesAnImage()
    {
        QTemporaryDir dir;
        std::ostringstream log;
        const auto r = qd::demo::trainDemoModel(tinyRun(dir.path().toStdString()), log);
        QVERIFY(fs::exists(r.yamlPath));
        const auto meta = qd::safetensorsMetadata(r.modelPath);
        QVERIFY(meta.count("qdiffusion.demo"));
        auto model = qd::SdModel::fromFile(r.modelPath, "");
        QCOMPARE(model->family(), qd::ModelFamily::SD1);
        torch::NoGradGuard g;
        const torch::Tensor out = model->decodeLatent(torch::zeros({ 1, 4, 8, 8 }));
        QCOMPARE(out.size(2), int64_t(64));
        QVERIFY(torch::isfinite(out).all().item<bool>());
    }

    void aFinishedVaeStageCanBeLengthened()
    {
        QTemporaryDir dir;
        std::ostringstream log;
        auto o = tinyRun(dir.path().toStdString());
        o.vaeOnly = true;
        QVERIFY(qd::demo::trainDemoModel(o, log).modelPath.empty());
        QVERIFY2(QString::fromStdString(log.str()).contains("VAE stage done (4 steps)"), log.str().c_str());
        o.vaeOnly = false;
        o.vaeFullSteps = 3; // two more, on whole images, before the UNet stage
        std::ostringstream more;
        const auto r = qd::demo::trainDemoModel(o, more);
        QVERIFY2(QString::fromStdString(more.str()).contains("continuing the VAE from step 4 to 6"),
            more.str().c_str());
        QVERIFY(!r.modelPath.empty());
        QCOMPARE(qd::safetensorsMetadata(r.modelPath).at("vae_steps"), std::string("6"));
    }

    void anExportedRunCanTrainOn()
    {
        QTemporaryDir dir;
        std::ostringstream log, more;
        auto o = tinyRun(dir.path().toStdString());
        o.unetSteps = 2;
        qd::demo::trainDemoModel(o, log);
        const std::string first = readFile(fs::path(dir.path().toStdString()) / "qd-shapes.safetensors");
        o.unetSteps = 3;
        const auto r = qd::demo::trainDemoModel(o, more);
        QVERIFY2(QString::fromStdString(more.str()).contains("continuing the UNet from step 2 to 3"),
            more.str().c_str());
        QVERIFY(readFile(r.modelPath) != first); // one more step changed the weights
    }

    void aStateFromOtherSizesIsRefused()
    {
        QTemporaryDir dir;
        std::ostringstream log;
        auto o = tinyRun(dir.path().toStdString());
        o.unetSteps = 1;
        qd::demo::trainDemoModel(o, log);
        o.net.modelChannels = 64;
        try {
            qd::demo::trainDemoModel(o, log);
            QFAIL("a state written with other sizes was used");
        } catch (const std::exception& e) {
            QVERIFY2(QString(e.what()).contains("other network sizes"), e.what());
        }
    }
};

QTEST_APPLESS_MAIN(TestDemoTrain)
#include "tst_demotrain.moc"
