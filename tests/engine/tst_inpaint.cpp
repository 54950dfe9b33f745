#include <QtTest/QtTest>
#include <torch/torch.h>

#include "TestUtil.h"
#include "core/engine/Pipeline.h"
#include "core/engine/io/SafeTensors.h"
#include "core/engine/models/TinyModels.h"
#include "core/engine/pipeline/Generation.h"
#include "core/engine/pipeline/SdModel.h"
#include "core/engine/sampling/NoiseSchedule.h"

// Inpainting pieces the end-to-end conformance cases (conformance_extra) do not isolate: the
// 9-channel UNet against its unit golden, diffusers' mask preparation, and the app path through
// Pipeline (a mask needs an init image; a 9-channel checkpoint also runs txt2img).
class TestInpaint : public QObject
{
    Q_OBJECT
    QTemporaryDir m_dir;
    qd::StateDict m_extra;
    std::unique_ptr<qd::SdModel> m_sd1inp;
    std::unique_ptr<qd::SdModel> m_sd1;

    const torch::Tensor& extra(const std::string& key)
    {
        auto it = m_extra.find(key);
        if (it == m_extra.end())
            qFatal("golden '%s' not found", key.c_str());
        return it->second;
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_extra = qd::loadSafetensors(qdtest::conformance("goldens_extra.safetensors"));
        m_sd1inp = qd::SdModel::fromStateDict(
            qd::tinyStateDict("sd1inp", qdtest::conformance("tiny_layouts.json")),
            qd::ModelConfig::fromYaml(qdtest::conformance("sd1-inpaint-tiny.yaml")), "tiny sd1inp");
        m_sd1 = qd::SdModel::fromStateDict(qd::tinyStateDict("sd1", qdtest::conformance("tiny_layouts.json")),
            qd::ModelConfig::fromYaml(qdtest::conformance("sd1-tiny.yaml")), "tiny sd1");
    }

    // An ordinary (4-channel) UNet inpainting with DDIM, written as diffusers'
    // StableDiffusionInpaintPipeline runs it in its own (VP) scaling: after every step the latents
    // outside the mask become the image latents noised to the next timestep, and after the last
    // step the clean image latents. DDIM's last sigma is not 0, so a blend "noised to the final
    // sigma" in k-diffusion scaling leaves noise and the wrong scale in the kept area.
    void ddimWithAnOrdinaryUnetMatchesDiffusersLoop()
    {
        c10::InferenceMode guard;
        qd::SdModel& m = *m_sd1;
        const int W = 64, H = 32, steps = 4;
        const uint64_t seed = 21;
        const auto image01 = torch::rand({ 1, 3, H, W }, torch::TensorOptions().dtype(torch::kFloat32));
        auto mask01 = torch::zeros({ 1, 1, H, W });
        mask01.index_put_({ torch::indexing::Slice(), torch::indexing::Slice(), torch::indexing::Slice(),
                              torch::indexing::Slice(W / 2, torch::indexing::None) },
            1.0);
        const qd::InpaintInputs in = qd::prepareInpaint(m, image01, mask01, W, H, 1.0);
        const qd::TextConditioning text = m.conditioner().encode("a red door", {});
        const qd::Conditioning cond = m.conditioning(text, W, H);
        const nlohmann::json config = qdtest::conformanceCases()["sd1/txt2img/ddim"]["scheduler_config"];
        qd::BatchRequest req;
        req.cond = req.uncond = cond;
        req.cfgScale = 1.0;
        req.plan = qd::planFromDiffusers("DDIMScheduler", config, steps);
        req.inpaint = &in;
        req.latentHeight = H / 8;
        req.latentWidth = W / 8;
        QVERIFY(req.plan.sigmas.back() > 0.01); // the case this test is about
        qd::NoiseSource noise = qd::NoiseSource::single(seed);
        const torch::Tensor got = qd::sampleBatch(m, req, noise);

        // diffusers: image latents (draw 1), start noise (draw 2), masked image (draw 3, unused)
        qd::NoiseSource refNoise = qd::NoiseSource::single(seed);
        const std::vector<int64_t> shape { 1, 4, H / 8, W / 8 };
        const double scale = m.config().scaleFactor;
        const torch::Tensor image = (in.image.mean + in.image.std * refNoise.next(shape)) * scale;
        const torch::Tensor eps0 = refNoise.next(shape);
        const torch::Tensor mask = in.mask;
        const qd::NoiseSchedule schedule(m.scheduleConfig());
        const std::vector<double>& ac = schedule.alphasCumprod();
        const std::vector<double>& ts = req.plan.timesteps;
        torch::Tensor x = eps0; // DDIM's init_noise_sigma is 1
        for (size_t i = 0; i < ts.size(); ++i) {
            const int t = int(ts[i]), prev = t - 1000 / steps;
            const double a = ac[size_t(t)], ap = prev >= 0 ? ac[size_t(prev)] : ac[0];
            const torch::Tensor e = m.unetCall(x, torch::full({ 1 }, double(t)), cond);
            const torch::Tensor x0 = (x - std::sqrt(1 - a) * e) / std::sqrt(a);
            x = std::sqrt(ap) * x0 + std::sqrt(1 - ap) * e;
            torch::Tensor proper = image;
            if (i + 1 < ts.size()) {
                const double an = ac[size_t(int(ts[i + 1]))];
                proper = std::sqrt(an) * image + std::sqrt(1 - an) * eps0;
            }
            x = (1 - mask) * proper + mask * x;
        }
        QD_VERIFY_CLOSE(got, x, 1e-4);
        // the kept half is the image's latents exactly as encoded
        const auto kept = torch::indexing::Slice(0, W / 16);
        QD_VERIFY_CLOSE(got.index({ "...", kept }), image.index({ "...", kept }), 1e-5);
    }

    // One forward of the 9-channel UNet (latents + mask + masked-image latents) against diffusers.
    void nineChannelUnetGolden()
    {
        QCOMPARE(m_sd1inp->unetInChannels(), int64_t(9));
        c10::InferenceMode guard;
        const auto out = m_sd1inp->unet().forward(
            extra("sd1inp/unet.x"), extra("sd1inp/unet.t"), extra("sd1inp/unet.context"));
        QD_VERIFY_CLOSE(out, extra("sd1inp/unet.out"), 1e-4); // README: unit goldens
    }

    // diffusers' VaeImageProcessor for tensors: nearest-neighbour resize, binarised at 0.5 (0.5 ->
    // repaint), then the latent-size mask picks the top-left pixel of each 8x8 cell.
    void maskPreparation()
    {
        // mask 8x16 -> pixels 32x64 (each mask pixel 4x4) -> latent 4x8: latent (y, x) reads mask (2y, 2x)
        auto mask = torch::zeros({ 1, 1, 8, 16 });
        mask.index_put_({ 0, 0, 0, 8 }, 0.5); // exactly 0.5: repaint -> latent (0, 4)
        mask.index_put_({ 0, 0, 4, 0 }, 0.49); // below 0.5: keep -> latent (2, 0) stays 0
        mask.index_put_({ 0, 0, 6, 14 }, 1.0); // -> latent (3, 7)
        mask.index_put_({ 0, 0, 4, 15 }, 1.0); // odd column: no latent cell reads it
        const auto image = torch::rand({ 1, 3, 8, 16 });
        const auto in = qd::prepareInpaint(*m_sd1inp, image, mask, 64, 32, 1.0);
        QCOMPARE(in.mask.sizes().vec(), (std::vector<int64_t> { 1, 1, 4, 8 }));
        auto want = torch::zeros({ 1, 1, 4, 8 });
        want.index_put_({ 0, 0, 0, 4 }, 1.0);
        want.index_put_({ 0, 0, 3, 7 }, 1.0);
        QVERIFY2(torch::equal(in.mask, want), qPrintable(QString::fromStdString(c10::str(in.mask))));
        QVERIFY(in.maskedImage.mean.defined()); // 9 channels: the masked image is encoded
        QVERIFY(!in.image.mean.defined()); // strength 1: the image latents are not needed
        const auto partial = qd::prepareInpaint(*m_sd1inp, image, mask, 64, 32, 0.6);
        QVERIFY(partial.image.mean.defined());
    }

    // Through the app's Pipeline: a 9-channel checkpoint file inpaints and also runs txt2img (A1111's
    // all-ones mask); a mask without an init image is refused.
    void pipelineWithAnInpaintingCheckpoint()
    {
        const QString base = m_dir.filePath("tiny-inpainting");
        qd::saveSafetensors((base + ".safetensors").toStdString(),
            qd::tinyStateDict("sd1inp", qdtest::conformance("tiny_layouts.json")));
        QVERIFY(QFile::copy(
            QString::fromStdString(qdtest::conformance("sd1-inpaint-tiny.yaml")), base + ".yaml"));
        qd::ModelSpec spec;
        spec.checkpoint = (base + ".safetensors").toStdString();
        auto pipe = qd::Pipeline::open(spec);
        qd::GenerationParams p;
        p.prompt = "a red door";
        p.sampler = "Euler";
        p.steps = 3;
        p.width = 64;
        p.height = 32;
        p.seed = 11;
        p.denoisingStrength = 1.0;
        const qd::PreviewOptions none { qd::PreviewMethod::None, 1, {} };
        const auto txt = pipe->generate(p, {}, none, {}, nullptr);
        QCOMPARE(int(txt.size()), 1);
        QCOMPARE(txt[0].image.width, 64);

        qd::GenerationInputs in;
        in.initImage = txt[0].image;
        in.mask.width = 32; // half the size: resized (nearest) to 64x32
        in.mask.height = 16;
        in.mask.pixels.assign(32 * 16 * 3, 0);
        for (int y = 0; y < 16; ++y)
            for (int x = 16; x < 32; ++x)
                for (int c = 0; c < 3; ++c)
                    in.mask.pixels[size_t(y * 32 + x) * 3 + c] = 255; // right half: repaint
        const auto a = pipe->generate(p, in, none, {}, nullptr);
        const auto b = pipe->generate(p, in, none, {}, nullptr);
        QVERIFY(a[0].image.pixels == b[0].image.pixels); // seeded: repeatable
        QVERIFY(a[0].image.pixels != txt[0].image.pixels);
        in.mask.pixels.assign(in.mask.pixels.size(), 0); // nothing to repaint: another result
        const auto keep = pipe->generate(p, in, none, {}, nullptr);
        QVERIFY(keep[0].image.pixels != a[0].image.pixels);

        qd::GenerationInputs maskOnly;
        maskOnly.mask = in.mask;
        QVERIFY_EXCEPTION_THROWN(pipe->generate(p, maskOnly, none, {}, nullptr), qd::EngineError);
    }
};

QTEST_APPLESS_MAIN(TestInpaint)
#include "tst_inpaint.moc"
