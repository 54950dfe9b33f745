#include <QtTest/QtTest>
#include <torch/torch.h>

#include "TestUtil.h"
#include "core/engine/Pipeline.h"
#include "core/engine/io/SafeTensors.h"
#include "core/engine/models/TinyModels.h"
#include "core/engine/pipeline/Generation.h"
#include "core/engine/pipeline/SdModel.h"

// Inpainting pieces the end-to-end conformance cases (conformance_extra) do not isolate: the
// 9-channel UNet against its unit golden, diffusers' mask preparation, and the app path through
// Pipeline (a mask needs an init image; a 9-channel checkpoint also runs txt2img).
class TestInpaint : public QObject
{
    Q_OBJECT
    QTemporaryDir m_dir;
    qd::StateDict m_extra;
    std::unique_ptr<qd::SdModel> m_sd1inp;

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
