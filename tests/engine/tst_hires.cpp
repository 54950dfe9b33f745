#include <QtTest/QtTest>
#include <torch/torch.h>

#include "core/engine/Pipeline.h"
#include "core/engine/pipeline/Hires.h"

// Hires fix through the app's generation path on the demo model (docs/reference.md §10): the
// second pass's size for each way of asking, its steps and schedule, the image upscaler hook, and
// per-image seeds that still hold.
class TestHires : public QObject
{
    Q_OBJECT
    std::unique_ptr<qd::Pipeline> m_pipe;

    static qd::GenerationParams small()
    {
        qd::GenerationParams p;
        p.prompt = "a red lighthouse on a cliff";
        p.sampler = "Euler";
        p.steps = 3;
        p.width = 64;
        p.height = 48;
        p.seed = 12;
        p.enableHr = true;
        p.hrSteps = 2;
        p.denoisingStrength = 0.5;
        return p;
    }

    std::vector<qd::GeneratedImage> run(const qd::GenerationParams& p, const qd::GenerationInputs& in = {},
        std::vector<std::pair<int, int>>* steps = nullptr)
    {
        const qd::PreviewOptions none { qd::PreviewMethod::None, 1, {} };
        auto onStep = [steps](const qd::StepUpdate& u) {
            if (steps)
                steps->push_back({ u.pass, u.step });
        };
        return m_pipe->generate(p, in, none, onStep, nullptr);
    }

private slots:
    void initTestCase()
    {
        at::set_num_threads(2);
        m_pipe = qd::Pipeline::open(qd::ModelSpec {});
    }

    void targetSizes()
    {
        qd::GenerationParams p = small(); // 64x48
        auto target = [&] { return qd::hiresTarget(p); };
        QCOMPARE(target().width, 128); // hr_scale 2
        QCOMPARE(target().height, 96);
        p.hrScale = 1.5;
        QCOMPARE(target().width, 96);
        p.hrResizeX = 128; // width given: the aspect decides the height
        QCOMPARE(target().height, 96);
        p.hrResizeX = 0;
        p.hrResizeY = 144;
        QCOMPARE(target().width, 192);
        p.hrResizeX = 96; // both, another aspect: upscale to cover, then cut 4 latent columns
        p.hrResizeY = 96;
        QCOMPARE(target().width, 128);
        QCOMPARE(target().truncateX, 4);
        QCOMPARE(target().finalWidth(), 96);
        QCOMPARE(target().finalHeight(), 96);
    }

    // A1111's fixed-steps img2img: int(steps / strength) steps of which the last `steps` run.
    void secondPassSchedule()
    {
        QCOMPARE(qd::hiresScheduleSteps(10, 0.5), 20);
        QCOMPARE(qd::hiresScheduleSteps(10, 1.0), 10); // min(strength, 0.999): int(10.01)
        QVERIFY_EXCEPTION_THROWN(qd::hiresScheduleSteps(10, 0.0), qd::EngineError);
        const qd::SamplingPlan full = qd::makePlan("Euler", "Karras", 20, qd::NoiseScheduleConfig {}, false);
        const qd::SamplingPlan tail = full.lastSteps(10);
        QCOMPARE(tail.steps(), 10);
        QCOMPARE(tail.sigmas.front(), full.sigmas[10]);
        QCOMPARE(tail.options.scheduleSteps, 20);
    }

    void latentUpscaleRunsASecondPass()
    {
        std::vector<std::pair<int, int>> steps;
        const auto out = run(small(), {}, &steps);
        QCOMPARE(out[0].image.width, 128);
        QCOMPARE(out[0].image.height, 96);
        const std::vector<std::pair<int, int>> want { { 0, 1 }, { 0, 2 }, { 0, 3 }, { 1, 1 }, { 1, 2 } };
        QCOMPARE(steps, want);
        QCOMPARE(out[0].params.width, 64); // the infotext's Size is the first pass's, as A1111
        // every latent mode gives its own picture of the right size
        qd::GenerationParams p = small();
        for (const std::string& mode : qd::latentUpscalerNames()) {
            p.hrUpscaler = mode;
            const auto img = run(p);
            QCOMPARE(img[0].image.width, 128);
        }
        p.hrResizeX = 96;
        p.hrResizeY = 96;
        QCOMPARE(run(p)[0].image.width, 96);
        QCOMPARE(run(p)[0].image.height, 96);
    }

    // Image upscalers come from the front end: called with the first pass's images and the target.
    void imageUpscalerHook()
    {
        qd::GenerationParams p = small();
        p.hrUpscaler = "Nearest";
        QVERIFY_EXCEPTION_THROWN(run(p), qd::EngineError); // no upscaler given for that name
        std::vector<std::pair<int, int>> calls;
        qd::GenerationInputs in;
        in.hiresUpscaler = [&calls](const qd::Image& im, int w, int h) {
            calls.push_back({ im.width, w });
            qd::Image out;
            out.width = w;
            out.height = h;
            out.pixels.resize(size_t(w) * h * 3);
            for (int y = 0; y < h; ++y)
                for (int x = 0; x < w; ++x)
                    for (int c = 0; c < 3; ++c)
                        out.pixels[(size_t(y) * w + x) * 3 + c]
                            = im.pixels[(size_t(y * im.height / h) * im.width + x * im.width / w) * 3 + c];
            return out;
        };
        p.batchSize = 2;
        const auto out = run(p, in);
        QCOMPARE(int(calls.size()), 2);
        QCOMPARE(calls[0], std::make_pair(64, 128));
        QCOMPARE(out[1].image.width, 128);
    }

    // The second pass draws fresh noise from each image's seed: image 2 of a batch is image 2 alone.
    void batchEqualsSinglesWithBrownianNoise()
    {
        qd::GenerationParams p = small();
        p.sampler = "DPM++ 2M SDE";
        p.rngSource = "NV";
        p.batchSize = 2;
        const auto batch = run(p);
        p.batchSize = 1;
        p.seed += 1;
        const auto single = run(p);
        int d = 0;
        for (size_t i = 0; i < single[0].image.pixels.size(); ++i)
            d = std::max(d, std::abs(int(single[0].image.pixels[i]) - int(batch[1].image.pixels[i])));
        QVERIFY2(d <= 1, qPrintable(QString::number(d)));
    }
};

QTEST_APPLESS_MAIN(TestHires)
#include "tst_hires.moc"
