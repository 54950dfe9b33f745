#include <QtTest/QtTest>
#include <torch/torch.h>

#include "TestUtil.h"
#include "core/engine/sampling/Denoiser.h"
#include "core/engine/sampling/Noise.h"
#include "core/engine/sampling/SamplingPlan.h"

namespace
{

std::shared_ptr<qd::NoiseSchedule> schedule(qd::Prediction p)
{
    qd::NoiseScheduleConfig c;
    c.prediction = p;
    return std::make_shared<qd::NoiseSchedule>(c);
}

qd::Conditioning context(double value, int64_t batch = 1, int64_t tokens = 77)
{
    qd::Conditioning c;
    c.tensors["context"] = torch::full({ batch, tokens, 8 }, value);
    return c;
}

} // namespace

// The k-diffusion denoiser around a model call (eps / v, CFG, guidance rescale) and the seeded noise.
class TestDenoiser : public QObject
{
    Q_OBJECT

    struct Recorder {
        std::vector<int64_t> batches;
        std::vector<torch::Tensor> inputs, contexts, timesteps;
        // Output depends on the row's conditioning: eps = 0.1 * xIn + context value.
        qd::ModelFn fn()
        {
            return [this](const torch::Tensor& xIn, const torch::Tensor& t, const qd::Conditioning& cond) {
                batches.push_back(xIn.size(0));
                inputs.push_back(xIn);
                timesteps.push_back(t);
                const torch::Tensor ctx = cond.tensors.at("context");
                contexts.push_back(ctx);
                return 0.1 * xIn + ctx.mean({ 1, 2 }).view({ -1, 1, 1, 1 });
            };
        }
    };

private slots:
    void cfgIsOneBatchedForward()
    {
        Recorder rec;
        qd::Denoiser d(rec.fn(), schedule(qd::Prediction::Epsilon));
        d.setGuidance({ context(2.0), context(-1.0), 7.5, 0.0 });
        const torch::Tensor x = torch::randn({ 3, 4, 8, 8 });
        const double sigma = 2.5;
        const torch::Tensor out = d(x, sigma);
        QCOMPARE(rec.batches, std::vector<int64_t> { 6 }); // [uncond x3; cond x3] in one call
        QCOMPARE(rec.contexts[0][0][0][0].item<float>(), -1.0f);
        QCOMPARE(rec.contexts[0][5][0][0].item<float>(), 2.0f);
        const torch::Tensor xIn = x / std::sqrt(sigma * sigma + 1);
        QVERIFY(torch::allclose(rec.inputs[0].slice(0, 0, 3), xIn));
        QCOMPARE(rec.timesteps[0].size(0), int64_t(6));
        const torch::Tensor eps = 0.1 * xIn + (-1.0 + 7.5 * (2.0 - -1.0));
        QVERIFY(torch::allclose(out, x - sigma * eps, 1e-5, 1e-5));
    }

    void cfgScaleOneSkipsTheUnconditionalPass()
    {
        Recorder rec;
        qd::Denoiser d(rec.fn(), schedule(qd::Prediction::Epsilon));
        d.setGuidance({ context(2.0), context(-1.0), 1.0, 0.0 });
        const torch::Tensor x = torch::randn({ 2, 4, 8, 8 });
        const torch::Tensor out = d(x, 1.0);
        QCOMPARE(rec.batches, std::vector<int64_t> { 2 });
        QVERIFY(torch::allclose(out, x - 1.0 * (0.1 * x / std::sqrt(2.0) + 2.0), 1e-5, 1e-5));
    }

    void vPredictionUsesSkipAndOutScalings()
    {
        // SD 2.x v-prediction: D = x / (s^2 + 1) - s / sqrt(s^2 + 1) * v (k-diffusion CompVisVDenoiser).
        qd::Denoiser d([](const torch::Tensor& xIn, const torch::Tensor&,
                           const qd::Conditioning&) { return xIn * 0 + 0.5; },
            schedule(qd::Prediction::V));
        d.setGuidance({ {}, {}, 1.0, 0.0 });
        const torch::Tensor x = torch::randn({ 1, 4, 4, 4 });
        const double s = 3.0;
        QVERIFY(torch::allclose(d(x, s), x / (s * s + 1) - s / std::sqrt(s * s + 1) * 0.5, 1e-6, 1e-6));
    }

    void guidanceRescaleFollowsDiffusers()
    {
        // rescale_noise_cfg: guided * std(cond) / std(guided), blended by phi (unbiased std per sample).
        qd::Denoiser d(
            [](const torch::Tensor& xIn, const torch::Tensor&, const qd::Conditioning& cond) {
                return xIn * cond.tensors.at("context").mean({ 1, 2 }).view({ -1, 1, 1, 1 });
            },
            schedule(qd::Prediction::Epsilon));
        d.setGuidance({ context(2.0), context(0.5), 5.0, 0.7 });
        const torch::Tensor x = torch::randn({ 2, 4, 4, 4 });
        const double s = 1.5;
        const torch::Tensor xIn = x / std::sqrt(s * s + 1);
        const torch::Tensor cond = 2.0 * xIn, uncond = 0.5 * xIn, guided = uncond + 5.0 * (cond - uncond);
        const torch::Tensor sc = cond.view({ 2, -1 }).std(1).view({ 2, 1, 1, 1 }),
                            sg = guided.view({ 2, -1 }).std(1).view({ 2, 1, 1, 1 });
        const torch::Tensor eps = 0.7 * (guided * sc / sg) + 0.3 * guided;
        QVERIFY(torch::allclose(d(x, s), x - s * eps, 1e-5, 1e-5));
        QVERIFY_THROWS_EXCEPTION(qd::EngineError, d.setGuidance({ context(1), context(1), 5.0, 1.5 }));
        QVERIFY_THROWS_EXCEPTION(qd::EngineError, d.setGuidance({ context(1), context(1), NAN, 0.0 }));
    }

    void timestepsComeFromThePlan()
    {
        // DPMSolverMultistep + Karras rounds its timesteps: the model must see the rounded ones.
        qd::NoiseScheduleConfig model;
        const qd::SamplingPlan plan = qd::makePlan("DPM++ 2M", "Karras", 6, model);
        Recorder rec;
        qd::Denoiser d(rec.fn(), schedule(qd::Prediction::Epsilon));
        d.setGuidance({ context(1.0), context(0.0), 1.0, 0.0 });
        plan.applyTo(d);
        d(torch::zeros({ 1, 4, 2, 2 }), plan.sigmas[1]);
        QCOMPARE(rec.timesteps[0][0].item<double>(), plan.timesteps[1]);
        QCOMPARE(plan.timesteps[1], std::round(plan.timesteps[1]));
        QVERIFY(std::abs(d.timestep(plan.sigmas[1]) - d.schedule().sigmaToTimestep(plan.sigmas[1])) > 0.01);
        QCOMPARE(d.timestep(0.5), d.schedule().sigmaToTimestep(0.5)); // not in the plan: interpolated
    }

    void conditioningBatchesAndErrors()
    {
        qd::Conditioning c = context(1.0);
        c.tensors["y"] = torch::ones({ 1, 16 });
        QCOMPARE(c.batch(), int64_t(1));
        QCOMPARE(c.repeated(4).tensors.at("y").size(0), int64_t(4));
        QVERIFY_THROWS_EXCEPTION(qd::EngineError, context(1.0, 3).repeated(2));
        try {
            qd::Conditioning::cat(context(1.0, 1, 154), context(0.0, 1, 77));
            QFAIL("no error");
        } catch (const qd::EngineError& e) {
            QVERIFY2(QString(e.what()).contains("context") && QString(e.what()).contains("154"), e.what());
        }
        qd::Denoiser d([](const torch::Tensor& xIn, const torch::Tensor&,
                           const qd::Conditioning&) { return xIn.slice(1, 0, 3); },
            schedule(qd::Prediction::Epsilon));
        d.setGuidance({ context(1.0), context(0.0), 1.0, 0.0 });
        QVERIFY_THROWS_EXCEPTION(qd::EngineError, d(torch::zeros({ 1, 4, 2, 2 }), 1.0));
    }

    void singleGeneratorDrawsTheWholeBatch()
    {
        qd::NoiseSource n = qd::NoiseSource::single(1234);
        at::Generator g = at::detail::createCPUGenerator(1234);
        const torch::Tensor a = n.next({ 2, 4, 8, 16 }), b = n.next({ 2, 4, 8, 16 });
        QVERIFY(torch::equal(a, torch::randn({ 2, 4, 8, 16 }, g)));
        QVERIFY(torch::equal(b, torch::randn({ 2, 4, 8, 16 }, g)));
        QVERIFY(torch::equal(a, qdtest::golden("sd1/txt2img/euler_a_batch2/noise.0")));
        QCOMPARE(n.draws(), int64_t(2));
    }

    void perImageSeedsMakeEachImageReproducibleAlone()
    {
        qd::NoiseSource batch = qd::NoiseSource::perImage(qd::NoiseSource::consecutiveSeeds(41, 3));
        qd::NoiseSource alone = qd::NoiseSource::perImage({ 42 });
        const torch::Tensor b1 = batch.next({ 3, 4, 8, 8 }), a1 = alone.next({ 1, 4, 8, 8 });
        const torch::Tensor b2 = batch.next({ 3, 4, 8, 8 }), a2 = alone.next({ 1, 4, 8, 8 });
        QVERIFY(torch::equal(b1[1], a1[0])); // image 1 of a batch seeded 41 is image 0 seeded 42
        QVERIFY(torch::equal(b2[1], a2[0])); // and so are its later (ancestral) draws
        QVERIFY(torch::equal(b1[0], qd::randnLike({ 4, 8, 8 }, 41)));
        QVERIFY(!torch::equal(b1[0], b1[1]));
        QVERIFY_THROWS_EXCEPTION(qd::EngineError, batch.next({ 2, 4, 8, 8 }));
    }

    void variationSeedSlerps()
    {
        const std::vector<int64_t> shape = { 1, 4, 8, 8 };
        const torch::Tensor seedNoise = qd::randnLike({ 4, 8, 8 }, 7),
                            subNoise = qd::randnLike({ 4, 8, 8 }, 99);
        QVERIFY(torch::equal(qd::NoiseSource::perImage({ 7 }, { 99 }, 0.0).next(shape)[0], seedNoise));
        QVERIFY(torch::allclose(
            qd::NoiseSource::perImage({ 7 }, { 99 }, 1.0).next(shape)[0], subNoise, 1e-5, 1e-5));
        qd::NoiseSource half = qd::NoiseSource::perImage({ 7 }, { 99 }, 0.5);
        const torch::Tensor h = half.next(shape)[0];
        QVERIFY(!torch::allclose(h, seedNoise) && !torch::allclose(h, subNoise));
        // slerp keeps the per-column norm (over dim 1) of two equal-norm inputs, unlike a linear blend.
        const torch::Tensor n = torch::randn({ 4, 8, 8 });
        const torch::Tensor m = n.roll(1, 1) * -1;
        const torch::Tensor s = qd::slerp(0.3, n, m);
        QVERIFY(torch::allclose(s.norm(2, { 1 }), n.norm(2, { 1 }), 1e-4, 1e-4));
        QVERIFY(
            torch::equal(qd::slerp(0.3, n, n.clone()), n * 0.3 + n * 0.7)); // parallel: A1111's plain blend
        // Later draws are plain draws from the seed's generator.
        at::Generator g = at::detail::createCPUGenerator(7);
        torch::randn({ 4, 8, 8 }, g);
        QVERIFY(torch::equal(half.next(shape)[0], torch::randn({ 4, 8, 8 }, g)));
    }

    void etaNoiseSeedDeltaReseedsAfterTheFirstDraw()
    {
        qd::NoiseSource n = qd::NoiseSource::perImage({ 100 }, {}, 0.0, 31337);
        QVERIFY(torch::equal(n.next({ 1, 4, 4, 4 })[0], qd::randnLike({ 4, 4, 4 }, 100)));
        QVERIFY(torch::equal(n.next({ 1, 4, 4, 4 })[0], qd::randnLike({ 4, 4, 4 }, 100 + 31337)));
    }
};

QTEST_APPLESS_MAIN(TestDenoiser)
#include "tst_denoiser.moc"
