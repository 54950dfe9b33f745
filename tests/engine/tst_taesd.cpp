#include <QtTest/QtTest>
#include <torch/torch.h>

#include <QTemporaryDir>

#include "TestUtil.h"
#include "core/engine/EngineError.h"
#include "core/engine/Pipeline.h"
#include "core/engine/io/SafeTensors.h"
#include "core/engine/io/TorchCheckpoint.h"
#include "core/engine/models/LatentPreview.h"

// TAESD, the tiny preview decoder users download (madebyollin/taesd: taesd_decoder, taesdxl_decoder):
// files with the published key names load, in every form they come in, and decode exactly as
// taesd.py's Decoder does, written out here independently from the functional ops; broken or wrong
// files are refused naming the file.
namespace
{

namespace F = torch::nn::functional;

// taesd.py's Decoder(): Clamp, conv(4, 64), ReLU, then three times (Block x3, Upsample x2,
// conv(64, 64, bias=False)), then Block, conv(64, 3). The state dict keys are the Sequential's
// indices; a Block's own Sequential is "conv" (conv, ReLU, conv, ReLU, conv).
struct Layer {
    enum Kind { Conv, ConvNoBias, Block, Upsample, Relu, Clamp } kind;
    int inChannels = 64, outChannels = 64;
};
std::vector<Layer> decoderLayers()
{
    std::vector<Layer> l { { Layer::Clamp }, { Layer::Conv, 4, 64 }, { Layer::Relu } };
    for (int stage = 0; stage < 3; ++stage) {
        for (int b = 0; b < 3; ++b)
            l.push_back({ Layer::Block });
        l.push_back({ Layer::Upsample });
        l.push_back({ Layer::ConvNoBias });
    }
    l.push_back({ Layer::Block });
    l.push_back({ Layer::Conv, 64, 3 });
    return l;
}

// The published file's tensors with random weights (scaled so activations stay in a sane range
// through the ten residual blocks) and the last bias at 0.5, so the output sits around [0, 1].
qd::StateDict randomDecoder(uint64_t seed)
{
    torch::manual_seed(seed);
    qd::StateDict sd;
    const auto layers = decoderLayers();
    auto conv = [&](const std::string& prefix, int in, int out, bool bias, double gain) {
        sd[prefix + "weight"] = torch::randn({ out, in, 3, 3 }) * (gain / std::sqrt(in * 9.0));
        if (bias)
            sd[prefix + "bias"] = torch::randn({ out }) * 0.05;
    };
    for (size_t i = 0; i < layers.size(); ++i) {
        const std::string p = std::to_string(i) + ".";
        switch (layers[i].kind) {
        case Layer::Conv:
            conv(p, layers[i].inChannels, layers[i].outChannels, true, 1.0);
            break;
        case Layer::ConvNoBias:
            conv(p, 64, 64, false, 1.0);
            break;
        case Layer::Block:
            for (int c : { 0, 2, 4 })
                conv(p + "conv." + std::to_string(c) + ".", 64, 64, true, c == 4 ? 0.3 : 1.2);
            break;
        default:
            break;
        }
    }
    sd["19.bias"] = torch::full({ 3 }, 0.5) + torch::randn({ 3 }) * 0.05;
    return sd;
}

// taesd.py's forward, in float64 from the functional ops.
torch::Tensor referenceDecode(const qd::StateDict& w, torch::Tensor x)
{
    x = x.to(torch::kFloat64);
    auto conv = [&](const torch::Tensor& in, const std::string& p) {
        auto opts = F::Conv2dFuncOptions().padding(1);
        if (w.count(p + "bias"))
            opts = opts.bias(w.at(p + "bias").to(torch::kFloat64));
        return F::conv2d(in, w.at(p + "weight").to(torch::kFloat64), opts);
    };
    const auto layers = decoderLayers();
    for (size_t i = 0; i < layers.size(); ++i) {
        const std::string p = std::to_string(i) + ".";
        switch (layers[i].kind) {
        case Layer::Clamp:
            x = torch::tanh(x / 3) * 3;
            break;
        case Layer::Conv:
        case Layer::ConvNoBias:
            x = conv(x, p);
            break;
        case Layer::Relu:
            x = torch::relu(x);
            break;
        case Layer::Upsample:
            x = x.repeat_interleave(2, 2).repeat_interleave(2, 3);
            break; // nearest, x2
        case Layer::Block: {
            // Block(64, 64): fuse(conv(x) + skip(x)), skip = Identity when n_in == n_out
            auto y
                = conv(torch::relu(conv(torch::relu(conv(x, p + "conv.0.")), p + "conv.2.")), p + "conv.4.");
            x = torch::relu(y + x);
            break;
        }
        }
    }
    return x;
}

// diffusers' AutoencoderTiny names: the clamp is outside its Sequential, so index i is
// "decoder.layers.(i-1)".
qd::StateDict diffusersNames(const qd::StateDict& sd)
{
    qd::StateDict out;
    for (const auto& [k, t] : sd) {
        const size_t dot = k.find('.');
        out["decoder.layers." + std::to_string(std::stoi(k.substr(0, dot)) - 1) + k.substr(dot)] = t;
    }
    out["encoder.layers.0.weight"] = torch::randn({ 64, 3, 3, 3 }); // a full AutoencoderTiny file has both
    return out;
}

std::string errorOf(const std::function<void()>& f)
{
    try {
        f();
    } catch (const qd::EngineError& e) {
        return e.what();
    } catch (const std::exception& e) {
        return std::string("not an EngineError: ") + e.what();
    }
    return "no error";
}

} // namespace

class TestTaesd : public QObject
{
    Q_OBJECT
    QTemporaryDir m_dir;
    std::string path(const char* name) const { return m_dir.filePath(name).toStdString(); }

    // Loads `file` and checks that it decodes as the reference does with `weights`.
    void decodesLikeReference(const std::string& file, const qd::StateDict& weights)
    {
        c10::InferenceMode guard;
        qd::TaesdDecoder dec;
        dec->loadFile(file);
        torch::manual_seed(7);
        const auto latent = torch::randn({ 2, 4, 5, 7 }) * 2.0; // two images, odd latent size
        const auto out = dec->forward(latent);
        QCOMPARE(out.sizes().vec(), (std::vector<int64_t> { 2, 3, 40, 56 })); // 8x the latent
        const auto ref = referenceDecode(weights, latent);
        QD_VERIFY_CLOSE(out, ref, 1e-4);
        // the weights make a non-trivial image about in [0, 1]: the comparison means something
        QVERIFY(ref.std().item<double>() > 0.02);
        QVERIFY(ref.min().item<double>() > -1.0 && ref.max().item<double>() < 2.0);
    }

private slots:
    // The cheap preview's fused 8-bit path gives the images of docs/reference.md §3's matrices: a pixel
    // holding only channel 0 = 1 becomes the first row mapped by clamp((x + 1) / 2) * 255 (computed
    // by hand: SD (172, 157, 169), SDXL with its bias (188, 179, 183)), and any latent matches the
    // float preview rounded to bytes within one level.
    void cheapPreviewImagesFollowTheMatrix()
    {
        for (const auto family : { qd::ModelFamily::SD1, qd::ModelFamily::SDXL }) {
            const torch::Tensor m = qd::cheapPreviewBytesMatrix(family);
            auto one = torch::zeros({ 1, 4, 1, 2 });
            one[0][0][0][1] = 1.0;
            const qd::Image px = qd::cheapPreviewImages(one, m).at(0);
            QCOMPARE(px.width, 2);
            QCOMPARE(px.height, 1);
            const std::vector<uint8_t> expected = family == qd::ModelFamily::SD1
                ? std::vector<uint8_t> { 172, 157, 169 }
                : std::vector<uint8_t> { 188, 179, 183 };
            QVERIFY(std::equal(expected.begin(), expected.end(), px.pixels.begin() + 3));

            const auto x0 = torch::randn({ 2, 4, 5, 7 }) * 2.0; // beyond [-1, 1]: clamping too
            const auto images = qd::cheapPreviewImages(x0, m);
            const auto reference = qd::cheapPreview(x0, family);
            QCOMPARE(images.size(), size_t(2));
            for (int i = 0; i < 2; ++i) {
                const qd::Image ref = qd::tensorToImage(reference[i]);
                QCOMPARE(images[size_t(i)].width, 7);
                QCOMPARE(images[size_t(i)].height, 5);
                QCOMPARE(images[size_t(i)].pixels.size(), ref.pixels.size());
                for (size_t k = 0; k < ref.pixels.size(); ++k)
                    QVERIFY(std::abs(int(images[size_t(i)].pixels[k]) - int(ref.pixels[k])) <= 1);
            }
        }
    }

    void madebyollinSafetensors()
    {
        const auto w = randomDecoder(1);
        QCOMPARE(
            int(w.size()), 2 + 10 * 6 + 3 + 2); // conv in, 10 blocks x 3 convs, 3 bias-free convs, conv out
        int64_t params = 0;
        for (const auto& [k, t] : w)
            params += t.numel();
        QCOMPARE(params, int64_t(1222531)); // "about 1.2 M parameters"
        qd::saveSafetensors(path("taesd_decoder.safetensors"), w);
        decodesLikeReference(path("taesd_decoder.safetensors"), w);
    }

    void halfPrecisionFile()
    {
        // the published .safetensors files are fp16; the weights are widened on load
        qd::StateDict w = randomDecoder(2);
        for (auto& [k, t] : w)
            t = t.to(torch::kFloat16);
        qd::saveSafetensors(path("taesdxl_decoder.safetensors"), w);
        decodesLikeReference(path("taesdxl_decoder.safetensors"), w);
    }

    void diffusersAutoencoderTiny()
    {
        const auto w = randomDecoder(3);
        qd::saveSafetensors(path("diffusion_pytorch_model.safetensors"), diffusersNames(w));
        decodesLikeReference(path("diffusion_pytorch_model.safetensors"), w);
    }

    void pthAsA1111DownloadsIt()
    {
        if (!qd::haveTorchCheckpointSupport())
            QSKIP("this build reads no PyTorch zip checkpoints");
        const auto w = randomDecoder(4);
        qd::saveTorchCheckpoint(path("taesd_decoder.pth"), w);
        decodesLikeReference(path("taesd_decoder.pth"), w);
    }

    void brokenOrWrongFilesNameTheFile()
    {
        const auto w = randomDecoder(5);
        const std::string good = path("good.safetensors");
        qd::saveSafetensors(good, w);
        auto load
            = [](const std::string& f) { return errorOf([&] { qd::TaesdDecoder().ptr()->loadFile(f); }); };

        // truncated download
        QFile in(QString::fromStdString(good));
        QVERIFY(in.open(QIODevice::ReadOnly));
        const QByteArray bytes = in.readAll();
        const std::string cut = path("truncated.safetensors");
        QFile out(QString::fromStdString(cut));
        QVERIFY(out.open(QIODevice::WriteOnly));
        out.write(bytes.left(bytes.size() / 2));
        out.close();
        std::string e = load(cut);
        QVERIFY2(e.find(cut) != std::string::npos && e != "no error", e.c_str());

        // missing file
        e = load(path("nowhere.safetensors"));
        QVERIFY2(e.find(path("nowhere.safetensors")) != std::string::npos, e.c_str());

        // the encoder instead of the decoder: names the file and a decoder key it lacks
        qd::StateDict enc;
        enc["0.weight"] = torch::zeros({ 64, 3, 3, 3 });
        enc["0.bias"] = torch::zeros({ 64 });
        enc["1.conv.0.weight"] = torch::zeros({ 64, 64, 3, 3 });
        qd::saveSafetensors(path("taesd_encoder.safetensors"), enc);
        e = load(path("taesd_encoder.safetensors"));
        QVERIFY2(e.find(path("taesd_encoder.safetensors")) != std::string::npos
                && e.find("1.weight") != std::string::npos,
            e.c_str());

        // a 16-channel (SD3 / Flux) decoder: the shape mismatch is named
        qd::StateDict sd3 = w;
        sd3["1.weight"] = torch::zeros({ 64, 16, 3, 3 });
        qd::saveSafetensors(path("taesd3_decoder.safetensors"), sd3);
        e = load(path("taesd3_decoder.safetensors"));
        QVERIFY2(e.find(path("taesd3_decoder.safetensors")) != std::string::npos
                && e.find("'1.weight'") != std::string::npos && e.find("[64, 16, 3, 3]") != std::string::npos
                && e.find("[64, 4, 3, 3]") != std::string::npos,
            e.c_str());

        // not a weights file at all
        QFile text(m_dir.filePath("notes.safetensors"));
        QVERIFY(text.open(QIODevice::WriteOnly));
        text.write("these are not weights\n");
        text.close();
        e = load(path("notes.safetensors"));
        QVERIFY2(e.find(path("notes.safetensors")) != std::string::npos, e.c_str());
    }

    // The live preview a user sees with "TAESD" chosen: full-size images every `interval` steps and
    // at the last one, on the demo model.
    void pipelinePreviewsAtFullSize()
    {
        const auto w = randomDecoder(6);
        qd::saveSafetensors(path("preview_taesd.safetensors"), w);
        auto pipeline = qd::Pipeline::open(qd::ModelSpec {});
        qd::GenerationParams p;
        p.prompt = "a lighthouse";
        p.sampler = "Euler";
        p.steps = 5;
        p.seed = 3;
        p.width = 96;
        p.height = 64;
        qd::PreviewOptions preview;
        preview.method = qd::PreviewMethod::Taesd;
        preview.interval = 2;
        preview.taesdPath = path("preview_taesd.safetensors");
        std::vector<int> steps;
        std::vector<qd::Image> images;
        pipeline->generate(
            p, {}, preview,
            [&](const qd::StepUpdate& u) {
                if (!u.previews.empty()) {
                    steps.push_back(u.step);
                    images.push_back(u.previews.front());
                }
            },
            nullptr);
        QCOMPARE(steps, (std::vector<int> { 2, 4, 5 }));
        for (const qd::Image& img : images) {
            QCOMPARE(img.width, 96);
            QCOMPARE(img.height, 64);
            const auto [lo, hi] = std::minmax_element(img.pixels.begin(), img.pixels.end());
            QVERIFY(*hi > *lo); // an image, not a flat colour
        }

        // A decoder file that is not there: the image is still made, with the cheap preview at every
        // step (latent size) and a warning naming the file.
        preview.taesdPath = path("missing_taesd.safetensors");
        std::vector<int> cheapSteps;
        const auto made = pipeline->generate(
            p, {}, preview,
            [&](const qd::StepUpdate& u) {
                if (!u.previews.empty()) {
                    cheapSteps.push_back(u.step);
                    QCOMPARE(u.previews.front().width, 96 / 8);
                }
            },
            nullptr);
        QCOMPARE(made.size(), size_t(1));
        QCOMPARE(cheapSteps, (std::vector<int> { 1, 2, 3, 4, 5 }));
        QCOMPARE(made[0].warnings.size(), size_t(1));
        QVERIFY2(
            made[0].warnings[0].find(preview.taesdPath) != std::string::npos, made[0].warnings[0].c_str());
    }
};

QTEST_APPLESS_MAIN(TestTaesd)
#include "tst_taesd.moc"
