#include <QtTest/QtTest>
#include <torch/torch.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "DiffusersReference.h"
#include "TestUtil.h"
#include "core/engine/sampling/Denoiser.h"
#include "core/engine/sampling/Noise.h"
#include "core/engine/sampling/Samplers.h"
#include "core/engine/sampling/SamplingPlan.h"
#include "core/engine/sampling/Schedules.h"

namespace
{

std::shared_ptr<qd::NoiseSchedule> sdSchedule(qd::Prediction p = qd::Prediction::Epsilon)
{
    qd::NoiseScheduleConfig c;
    c.prediction = p;
    return std::make_shared<qd::NoiseSchedule>(c);
}

// A smooth, nonlinear stand-in for the UNet: eps(x_vp, t).
torch::Tensor fakeEps(const torch::Tensor& xVp, double t)
{
    return 0.6 * torch::tanh(xVp) + 0.05 * std::sin(t / 90.0) + 0.02 * xVp * (t / 1000.0);
}

double maxRelDiff(const torch::Tensor& a, const torch::Tensor& b)
{
    return ((a - b).abs().max() / b.abs().max().clamp_min(1e-12)).item<double>();
}

} // namespace

// Samplers: random draws, exactness on analytic denoisers, diffusers step for step, registry.
class TestSamplers : public QObject
{
    Q_OBJECT

private slots:
    // (a) LibTorch's CPU generator reproduces every recorded draw of every case bit for bit, and the
    // samplers draw exactly as often as diffusers did (tst_schedules checks the count per case).
    void generatorDrawsEqualGoldens_data()
    {
        QTest::addColumn<QString>("name");
        for (auto it = qdtest::conformanceCases().begin(); it != qdtest::conformanceCases().end(); ++it)
            QTest::newRow(it.key().c_str()) << QString::fromStdString(it.key());
    }

    void generatorDrawsEqualGoldens()
    {
        QFETCH(QString, name);
        const std::string key = name.toStdString();
        const auto& c = qdtest::conformanceCases()[key];
        QCOMPARE(c["seed"].get<int>(), 1234);
        QVERIFY(torch::equal(
            qd::randnLike(qdtest::golden(key + "/noise.0").sizes(), 1234), qdtest::golden(key + "/noise.0")));
        qd::NoiseSource noise = qd::NoiseSource::single(1234);
        for (int i = 0; i < c["randn_calls"].get<int>(); ++i) {
            const torch::Tensor expected = qdtest::golden(key + "/noise." + std::to_string(i));
            QVERIFY2(
                torch::equal(noise.next(expected.sizes()), expected), qPrintable(QString("noise.%1").arg(i)));
        }
    }

    // (b) A point mass at c: D(x, sigma) = c. Every sampler must land on c at sigma = 0.
    void pointMassEndsAtTheData_data()
    {
        QTest::addColumn<QString>("label");
        for (const std::string& l : qd::samplerLabels())
            QTest::newRow(l.c_str()) << QString::fromStdString(l);
    }

    void pointMassEndsAtTheData()
    {
        QFETCH(QString, label);
        const torch::Tensor c
            = torch::linspace(-1, 1, 2 * 4 * 4 * 4, torch::kFloat64).reshape({ 2, 4, 4, 4 });
        const qd::DenoiseFn model = [&](const torch::Tensor&, double) { return c.clone(); };
        for (int steps : { 1, 2, 5, 12 }) {
            qd::SamplerArgs args;
            // LCM's boundary condition makes its output x itself as t -> 0: give it its own grid
            // (lowest timestep 19 or more), where the consistency function is D.
            args.sigmas = label == "LCM" ? qd::makePlan("LCM", "", steps, {}).sigmas
                                         : qd::karrasSigmas(steps, 0.03, 14.6);
            qd::NoiseSource noise = qd::NoiseSource::single(7);
            args.noise = &noise;
            static const auto schedule = sdSchedule();
            args.timestepOf = [](double s) { return schedule->sigmaToTimestep(s); };
            const torch::Tensor x0 = qd::randnLike({ 2, 4, 4, 4 }, 3).to(torch::kFloat64) * args.sigmas[0];
            const torch::Tensor x = qd::runSampler(label.toStdString(), model, x0, args);
            QVERIFY2((x - c).abs().max().item<double>() < 1e-4,
                qPrintable(
                    QString("%1 steps: max error %2").arg(steps).arg((x - c).abs().max().item<double>())));
        }
    }

    // (b) Data ~ N(c, s^2) per element: D(x, sigma) = (s^2 x + sigma^2 c) / (s^2 + sigma^2), and the
    // probability-flow ODE ends exactly at c + (x_T - c) s / sqrt(s^2 + sigma_T^2). The ODE samplers
    // must approach it, faster with more steps at roughly their order.
    void gaussianDataConvergesWithSteps_data()
    {
        QTest::addColumn<QString>("label");
        QTest::addColumn<int>("order");
        for (const char* first : { "Euler", "DDIM" })
            QTest::newRow(first) << first << 1;
        for (const char* second : { "Heun", "DPM2", "LMS", "DPM++ 2M", "UniPC", "DEIS", "PLMS" })
            QTest::newRow(second) << second << 2;
    }

    void gaussianDataConvergesWithSteps()
    {
        QFETCH(QString, label);
        QFETCH(int, order);
        // Doubling the steps divides the error by about 2^order (first-order: 2, second-order: 4).
        const double minRatio = order == 1 ? 1.6 : 2.5, maxError = order == 1 ? 0.1 : 0.01;
        const double s = 0.5;
        const torch::Tensor c = torch::linspace(-1, 1, 64, torch::kFloat64).reshape({ 1, 4, 4, 4 });
        const qd::DenoiseFn model = [&](const torch::Tensor& x, double sigma) {
            return (s * s * x + sigma * sigma * c) / (s * s + sigma * sigma);
        };
        const torch::Tensor noise = qd::randnLike({ 1, 4, 4, 4 }, 11).to(torch::kFloat64);
        std::vector<double> errors;
        for (int steps : { 8, 16, 32 }) {
            qd::SamplerArgs args;
            args.sigmas = qd::karrasSigmas(steps, 0.03, 14.6);
            const double top = args.sigmas[0];
            const torch::Tensor exact = c + (noise * top - c) * (s / std::sqrt(s * s + top * top));
            const torch::Tensor x = qd::runSampler(label.toStdString(), model, noise * top, args);
            errors.push_back((x - exact).abs().max().item<double>() / (exact - c).abs().max().item<double>());
        }
        const QString msg
            = QString("relative errors 8/16/32 steps: %1 %2 %3").arg(errors[0]).arg(errors[1]).arg(errors[2]);
        QVERIFY2(errors[1] < errors[0] && errors[2] < errors[1], qPrintable(msg));
        QVERIFY2(errors[1] / errors[2] >= minRatio, qPrintable(msg));
        QVERIFY2(errors[2] < maxError, qPrintable(msg));
    }

    // The samplers diffusers runs in VP scaling, against test-side ports of diffusers' step code on a
    // nonlinear fake model: every step's latents agree to float64 rounding.
    void vpSamplersMatchDiffusersStepByStep_data()
    {
        QTest::addColumn<QString>("cls");
        QTest::addColumn<QString>("algorithm");
        QTest::addColumn<int>("steps");
        QTest::addColumn<double>("strength"); // < 1: img2img from a noised image
        const struct {
            const char *name, *cls, *algorithm;
            int steps;
            double strength;
        } rows[] = {
            { "DDIM", "DDIMScheduler", "", 7, 1.0 },
            { "DDIM img2img", "DDIMScheduler", "", 10, 0.45 },
            { "PLMS", "PNDMScheduler", "", 7, 1.0 },
            { "DPM++ 2M", "DPMSolverMultistepScheduler", "dpmsolver++", 7, 1.0 },
            { "DPM++ 2M Karras", "DPMSolverMultistepScheduler", "karras", 7, 1.0 },
            { "DPM++ 2M img2img", "DPMSolverMultistepScheduler", "dpmsolver++", 20, 0.5 },
            { "DPM++ 2M SDE", "DPMSolverMultistepScheduler", "sde-dpmsolver++", 7, 1.0 },
            { "UniPC", "UniPCMultistepScheduler", "", 7, 1.0 },
            { "UniPC img2img", "UniPCMultistepScheduler", "", 12, 0.75 },
            { "DEIS", "DEISMultistepScheduler", "", 7, 1.0 },
            { "DEIS img2img 20 steps", "DEISMultistepScheduler", "", 20, 0.5 },
            { "DDPM", "DDPMScheduler", "", 7, 1.0 },
            { "LCM", "LCMScheduler", "", 7, 1.0 },
            { "LCM img2img", "LCMScheduler", "", 8, 0.5 },
        };
        for (const auto& r : rows)
            QTest::newRow(r.name) << QString(r.cls) << QString(r.algorithm) << r.steps << r.strength;
    }

    void vpSamplersMatchDiffusersStepByStep()
    {
        QFETCH(QString, cls);
        QFETCH(QString, algorithm);
        QFETCH(int, steps);
        QFETCH(double, strength);
        nlohmann::json config
            = qdtest::conformanceCases()["sd1/txt2img/ddim"]["scheduler_config"]; // the SD base config
        if (!algorithm.isEmpty() && algorithm != "karras")
            config["algorithm_type"] = algorithm.toStdString();
        if (algorithm == "karras")
            config["use_karras_sigmas"] = true;
        config["original_inference_steps"] = 50;
        const int n = steps;
        const qd::SamplingPlan full = qd::planFromDiffusers(cls.toStdString(), config, n);
        const qd::SamplingPlan plan = strength < 1.0 ? full.withStrength(strength) : full;
        auto schedule = sdSchedule();
        const std::vector<double>& ac = schedule->alphasCumprod();
        qd::Denoiser denoiser([](const torch::Tensor& xIn, const torch::Tensor& t,
                                  const qd::Conditioning&) { return fakeEps(xIn, t[0].item<double>()); },
            schedule);
        qd::Guidance g;
        g.scale = 1.0;
        denoiser.setGuidance(g);
        plan.applyTo(denoiser);
        const torch::Tensor noise = qd::randnLike({ 1, 4, 6, 6 }, 5).to(torch::kFloat64);
        const torch::Tensor image = torch::linspace(-1, 1, 144, torch::kFloat64).reshape({ 1, 4, 6, 6 });
        // img2img start: diffusers' add_noise in VP scaling, the plan's x0 + sigma * noise here.
        const double s0 = plan.sigmas[0], a0 = 1 / (1 + s0 * s0);
        const torch::Tensor startVp
            = strength < 1.0 ? std::sqrt(a0) * image + std::sqrt(1 - a0) * noise : noise;
        const torch::Tensor start
            = strength < 1.0 ? plan.noisedLatents(image, noise) : plan.initialLatents(noise);
        std::vector<torch::Tensor> mine;
        qd::NoiseSource mineNoise = qd::NoiseSource::single(9), refNoise = qd::NoiseSource::single(9);
        const torch::Tensor out = qd::runSampler(
            plan.sampler, denoiser, start, plan.sigmas,
            [&](const qd::StepInfo& info) { mine.push_back(plan.schedulerLatents(info.x, info.sigmaOfX)); },
            &mineNoise, nullptr, plan.options);
        const ref::Eps eps = fakeEps;
        ref::Latents expected;
        if (cls == "DDIMScheduler")
            expected = ref::ddim(eps, startVp, plan.timesteps, ac, n);
        else if (cls == "PNDMScheduler")
            expected = ref::plms(eps, startVp, plan.timesteps, ac, n);
        else if (cls == "DPMSolverMultistepScheduler")
            expected = ref::dpmpp2m(
                eps, startVp, plan.sigmas, plan.timesteps, algorithm == "sde-dpmsolver++", &refNoise);
        else if (cls == "UniPCMultistepScheduler")
            expected = ref::unipc(eps, startVp, plan.sigmas, plan.timesteps);
        else if (cls == "DEISMultistepScheduler")
            expected = ref::deis(eps, startVp, plan.sigmas, plan.timesteps, n);
        else if (cls == "DDPMScheduler")
            expected = ref::ddpm(eps, startVp, plan.timesteps, ac, refNoise);
        else
            expected = ref::lcm(eps, startVp, plan.timesteps, ac, refNoise);
        QCOMPARE(mine.size(), expected.size());
        for (size_t i = 0; i < mine.size(); ++i)
            QVERIFY2(maxRelDiff(mine[i], expected[i]) < 1e-9,
                qPrintable(
                    QString("step %1: relative difference %2").arg(i).arg(maxRelDiff(mine[i], expected[i]))));
        QVERIFY(maxRelDiff(plan.finalLatents(out), expected.back()) < 1e-9);
        QCOMPARE(mineNoise.draws(), refNoise.draws());
    }

    // DPM2 a and Heun against ports of diffusers' interleaved-array schedulers (k-diffusion scaling).
    void interleavedSamplersMatchDiffusersStepByStep_data()
    {
        QTest::addColumn<QString>("cls");
        QTest::newRow("DPM2 a") << "KDPM2AncestralDiscreteScheduler";
        QTest::newRow("Heun") << "HeunDiscreteScheduler";
    }

    void interleavedSamplersMatchDiffusersStepByStep()
    {
        QFETCH(QString, cls);
        const nlohmann::json config = qdtest::conformanceCases()["sd1/txt2img/dpm2"]["scheduler_config"];
        const qd::SamplingPlan plan = qd::planFromDiffusers(cls.toStdString(), config, 7);
        auto schedule = sdSchedule();
        qd::Denoiser denoiser([](const torch::Tensor& xIn, const torch::Tensor& t,
                                  const qd::Conditioning&) { return fakeEps(xIn, t[0].item<double>()); },
            schedule);
        qd::Guidance g;
        g.scale = 1.0;
        denoiser.setGuidance(g);
        plan.applyTo(denoiser);
        const torch::Tensor x = plan.initialLatents(qd::randnLike({ 1, 4, 6, 6 }, 5).to(torch::kFloat64));
        std::vector<torch::Tensor> mine;
        qd::NoiseSource mineNoise = qd::NoiseSource::single(9), refNoise = qd::NoiseSource::single(9);
        qd::runSampler(
            plan.sampler, denoiser, x, plan.sigmas, [&](const qd::StepInfo& info) { mine.push_back(info.x); },
            &mineNoise);
        const ref::Model model = [](const torch::Tensor& xIn, double t) { return fakeEps(xIn, t); };
        const auto tOf = [&](double s) { return denoiser.timestep(s); };
        const ref::Latents expected = cls == "HeunDiscreteScheduler"
            ? ref::heun(model, tOf, x, plan.sigmas)
            : ref::kdpm2Ancestral(model, tOf, x, plan.sigmas, refNoise);
        QCOMPARE(mine.size(), expected.size());
        for (size_t i = 0; i < mine.size(); ++i)
            QVERIFY2(maxRelDiff(mine[i], expected[i]) < 1e-9,
                qPrintable(
                    QString("call %1: relative difference %2").arg(i).arg(maxRelDiff(mine[i], expected[i]))));
        QCOMPARE(mineNoise.draws(), refNoise.draws());
    }

    // (c) An unknown name lists the valid ones; (d) old combined names and aliases resolve.
    void unknownSamplerListsValidNames()
    {
        try {
            qd::findSampler("Euler b");
            QFAIL("no error");
        } catch (const qd::EngineError& e) {
            const QString msg = e.what();
            for (const std::string& label : qd::samplerLabels())
                QVERIFY2(msg.contains(QString::fromStdString(label)), qPrintable(msg));
            QVERIFY(msg.contains("Euler b"));
        }
        QVERIFY_THROWS_EXCEPTION(qd::EngineError, qd::findSampler(""));
        QVERIFY_THROWS_EXCEPTION(qd::EngineError, qd::findSampler("Karras"));
        QVERIFY_THROWS_EXCEPTION(qd::EngineError,
            qd::runSampler("nope", qd::DenoiseFn([](const torch::Tensor& x, double) { return x; }),
                torch::zeros({ 1, 4, 2, 2 }), qd::SamplerArgs {}));
    }

    void aliasesResolve()
    {
        auto check = [](const char* name, const char* label, const char* schedule) {
            const qd::SamplerChoice c = qd::findSampler(name);
            QCOMPARE(c.info->label, std::string(label));
            QCOMPARE(c.scheduleType, std::string(schedule));
        };
        check("DPM++ 2M Karras", "DPM++ 2M", "Karras");
        check("dpm++ 2m karras", "DPM++ 2M", "Karras");
        check("DPM++ 2M SDE Exponential", "DPM++ 2M SDE", "Exponential");
        check("DPM++ 2M SDE", "DPM++ 2M SDE", "");
        check("DPM2 a Karras", "DPM2 a", "Karras");
        check("k_euler_a", "Euler a", "");
        check("k_dpmpp_2m_ka", "DPM++ 2M", "Karras");
        check("euler_a", "Euler a", "");
        check("dpmpp_2m_sde_karras", "DPM++ 2M SDE", "Karras");
        check("lms_karras", "LMS", "Karras");
        check("KDPM2AncestralDiscreteScheduler", "DPM2 a", "");
        check("PNDMScheduler", "PLMS", "");
        check("DDIM", "DDIM", "");
        QCOMPARE(qd::samplers().size(), size_t(17));
    }

    // Callback: one per model evaluation, numbered 0..total-1, with the evaluation's sigma and timestep.
    void callbackReportsEveryEvaluation()
    {
        auto schedule = sdSchedule();
        qd::Denoiser denoiser(
            [](const torch::Tensor& xIn, const torch::Tensor&, const qd::Conditioning&) {
                if (!c10::InferenceMode::is_enabled())
                    throw std::runtime_error("model called outside inference mode");
                return 0.1 * xIn;
            },
            schedule);
        qd::Guidance g;
        g.scale = 1.0;
        denoiser.setGuidance(g);
        const std::vector<double> sigmas = qd::karrasSigmas(5, schedule->sigmaMin(), schedule->sigmaMax());
        std::vector<int> seen;
        int total = -1;
        qd::runSampler(
            "Heun", denoiser, torch::randn({ 1, 4, 4, 4 }) * sigmas[0], sigmas, [&](const qd::StepInfo& s) {
                seen.push_back(s.step);
                total = s.total;
                QVERIFY(s.denoised.defined() && s.x.sizes() == s.denoised.sizes());
                QVERIFY(std::abs(s.timestep - schedule->sigmaToTimestep(s.sigma)) < 1e-9);
            });
        QCOMPARE(total, 9); // 2 * 5 - 1: the last step to sigma 0 is Euler
        QCOMPARE(seen, (std::vector<int> { 0, 1, 2, 3, 4, 5, 6, 7, 8 }));
        QCOMPARE(denoiser.modelCalls(), int64_t(9));
    }

    void cancellationStopsAtTheNextModelCall()
    {
        std::atomic<bool> cancel { false };
        int calls = 0;
        const qd::DenoiseFn model = [&](const torch::Tensor& x, double) {
            if (++calls == 3)
                cancel = true;
            return x * 0.5;
        };
        qd::SamplerArgs args;
        args.sigmas = qd::karrasSigmas(10, 0.03, 14.6);
        QVERIFY_THROWS_EXCEPTION(
            qd::Cancelled, qd::runSampler("DPM++ 2M", model, torch::ones({ 1, 4, 2, 2 }), args, &cancel));
        QCOMPARE(calls, 3);
        // The Denoiser's own flag does the same for pipelines that hold one.
        qd::Denoiser d(
            [](const torch::Tensor& x, const torch::Tensor&, const qd::Conditioning&) { return x; },
            sdSchedule());
        qd::Guidance g;
        g.scale = 1.0;
        d.setGuidance(g);
        std::atomic<bool> stop { true };
        d.setCancelFlag(&stop);
        QVERIFY_THROWS_EXCEPTION(qd::Cancelled, d(torch::ones({ 1, 4, 2, 2 }), 1.0));
    }

    void samplersThatDrawNoiseNeedASource()
    {
        qd::SamplerArgs args;
        args.sigmas = qd::karrasSigmas(3, 0.03, 14.6);
        const qd::DenoiseFn model = [](const torch::Tensor& x, double) { return x * 0; };
        QVERIFY_THROWS_EXCEPTION(
            qd::EngineError, qd::runSampler("Euler a", model, torch::ones({ 1, 4, 2, 2 }), args));
        args.sigmas = { 14.6 };
        QVERIFY_THROWS_EXCEPTION(
            qd::EngineError, qd::runSampler("Euler", model, torch::ones({ 1, 4, 2, 2 }), args));
        args.sigmas = { 14.6, -1.0 };
        QVERIFY_THROWS_EXCEPTION(
            qd::EngineError, qd::runSampler("Euler", model, torch::ones({ 1, 4, 2, 2 }), args));
    }
};

QTEST_APPLESS_MAIN(TestSamplers)
#include "tst_samplers.moc"
