#include <QtTest/QtTest>
#include <torch/torch.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "TestUtil.h"
#include "core/engine/sampling/Denoiser.h"
#include "core/engine/sampling/NoiseSchedule.h"
#include "core/engine/sampling/Samplers.h"
#include "core/engine/sampling/SamplingPlan.h"
#include "core/engine/sampling/Schedules.h"

namespace
{

// Max relative error |a - b| / |b| (|b| >= 1e-3) elementwise; shape mismatch -> message.
QString relClose(const std::vector<double>& actual, const torch::Tensor& expected, double tol)
{
    const torch::Tensor e = expected.to(torch::kFloat64).flatten();
    if (static_cast<int64_t>(actual.size()) != e.numel())
        return QString("%1 values, expected %2").arg(actual.size()).arg(e.numel());
    for (int64_t i = 0; i < e.numel(); ++i) {
        const double b = e[i].item<double>(), a = actual[i];
        if (std::abs(a - b) > tol * std::max(std::abs(b), 1e-3))
            return QString("[%1] = %2, expected %3").arg(i).arg(a, 0, 'g', 9).arg(b, 0, 'g', 9);
    }
    return {};
}

} // namespace

// The noise schedule and every sigma / timestep list a sampler walks, against diffusers.
class TestSchedules : public QObject
{
    Q_OBJECT

    const qd::NoiseSchedule sd { qd::NoiseScheduleConfig {} };

private slots:
    void sdTableMatchesDiffusers()
    {
        // SD's scaled_linear table: sigma_min / sigma_max are the numbers every SD tool prints.
        QVERIFY(std::abs(sd.sigmaMin() - 0.0291675) < 1e-6);
        QVERIFY(std::abs(sd.sigmaMax() - 14.6146) < 1e-4);
        QCOMPARE(sd.sigmas().size(), size_t(1000));
        // sigma <-> timestep round trip through the log-sigma interpolation.
        for (double t : { 0.0, 1.0, 250.5, 831.0, 998.25, 999.0 })
            QVERIFY2(std::abs(sd.sigmaToTimestep(sd.timestepToSigma(t)) - t) < 1e-6,
                qPrintable(QString::number(t)));
        QCOMPARE(sd.sigmaToTimestep(1e-6), 0.0); // below the table: clamped
        QCOMPARE(sd.sigmaToTimestep(100.0), 999.0);
    }

    void zeroTerminalSnrEndsAtLargeSigma()
    {
        qd::NoiseScheduleConfig c;
        c.rescaleZeroTerminalSnr = true;
        const qd::NoiseSchedule z(c);
        QVERIFY(std::abs(z.sigmaMin() - sd.sigmaMin()) < 1e-6); // first alpha_cumprod unchanged
        QVERIFY(z.sigmaMax() > 4000); // 2^-24 terminal alpha_cumprod: sigma ~ 4096
    }

    void spacingsLikeDiffusers()
    {
        auto grid = [&](const char* spacing, int offset, qd::TimestepGrid g, int n) {
            qd::NoiseScheduleConfig c;
            c.timestepSpacing = spacing;
            c.stepsOffset = offset;
            return qd::NoiseSchedule(c).inferenceTimesteps(n, g);
        };
        using G = qd::TimestepGrid;
        QCOMPARE(grid("leading", 1, G::Integer, 6), (std::vector<double> { 831, 665, 499, 333, 167, 1 }));
        QCOMPARE(grid("leading", 1, G::SkipLast, 6), (std::vector<double> { 853, 711, 569, 427, 285, 143 }));
        QCOMPARE(grid("trailing", 1, G::Integer, 6), (std::vector<double> { 999, 832, 666, 499, 332, 166 }));
        // np.round halves to even: 1000 - 62.5k gives 937.5 -> 938, 812.5 -> 812.
        const std::vector<double> t16 = grid("trailing", 0, G::Integer, 16);
        QCOMPARE(t16[1], 937.0);
        QCOMPARE(t16[3], 811.0);
        QCOMPARE(grid("linspace", 0, G::Integer, 6), (std::vector<double> { 999, 799, 599, 400, 200, 0 }));
        QCOMPARE(grid("linspace", 0, G::SkipLast, 4), (std::vector<double> { 999, 749, 500, 250 }));
        QVERIFY(std::abs(grid("linspace", 0, G::Fractional, 6)[1] - 799.2) < 1e-4);
    }

    // Every conformance case: the plan built from its scheduler class + config gives diffusers'
    // scheduler sigmas, and running its sampler (on a model that predicts 0) evaluates the model at
    // diffusers' timesteps, calls back as often and draws as much noise as diffusers did.
    void everyCaseMatchesGoldens_data()
    {
        QTest::addColumn<QString>("name");
        for (auto it = qdtest::conformanceCases().begin(); it != qdtest::conformanceCases().end(); ++it)
            QTest::newRow(it.key().c_str()) << QString::fromStdString(it.key());
    }

    void everyCaseMatchesGoldens()
    {
        QFETCH(QString, name);
        const std::string key = name.toStdString();
        const nlohmann::json& c = qdtest::conformanceCases()[key];
        const auto& config = c["scheduler_config"];
        qd::SamplingPlan full = qd::planFromDiffusers(c["scheduler_class"], config, c["steps"].get<int>());
        const auto& goldens = qdtest::goldens();
        if (goldens.count(key + "/sigmas")) {
            const QString err = relClose(full.schedulerSigmas, qdtest::golden(key + "/sigmas"), 1e-4);
            QVERIFY2(err.isEmpty(), qPrintable("sigmas: " + err));
        }
        const bool img2img = c.contains("strength");
        const qd::SamplingPlan plan = img2img ? full.withStrength(c["strength"].get<double>()) : full;

        auto schedule = std::make_shared<qd::NoiseSchedule>(qd::NoiseScheduleConfig::fromDiffusers(config));
        std::vector<double> calledAt;
        qd::Denoiser denoiser(
            [&](const torch::Tensor& xIn, const torch::Tensor& t, const qd::Conditioning&) {
                calledAt.push_back(t[0].item<double>());
                return torch::zeros_like(xIn);
            },
            schedule);
        qd::Guidance g;
        g.cond.tensors["context"] = torch::zeros({ 1, 77, 8 });
        g.uncond.tensors["context"] = torch::zeros({ 1, 77, 8 });
        g.scale = c["guidance_scale"].get<double>();
        denoiser.setGuidance(g);
        plan.applyTo(denoiser);
        const torch::Tensor noise0 = qdtest::golden(key + "/noise.0");
        qd::NoiseSource noise = qd::NoiseSource::single(c["seed"].get<uint64_t>());
        const int preDraws = img2img ? 2 : 1; // img2img: the VAE sample, then the noise added at the strength
        for (int i = 0; i < preDraws; ++i)
            noise.next(noise0.sizes());
        int callbacks = 0;
        const torch::Tensor x = plan.initialLatents(noise0);
        qd::runSampler(
            plan.sampler, denoiser, x, plan.sigmas, [&](const qd::StepInfo&) { ++callbacks; }, &noise,
            nullptr, plan.options);

        const QString err = relClose(calledAt, qdtest::golden(key + "/timesteps"), 1e-4);
        QVERIFY2(err.isEmpty(), qPrintable("timesteps: " + err));
        QCOMPARE(callbacks, c["callback_steps"].get<int>());
        QCOMPARE(noise.draws(), c["randn_calls"].get<int64_t>());
    }

    void everyScheduleTypeHasTheRightShape_data()
    {
        QTest::addColumn<QString>("type");
        QTest::addColumn<int>("steps");
        for (const std::string& t : qd::scheduleTypes())
            if (t != "Automatic")
                for (int steps : { 1, 2, 6, 11, 20, 50 })
                    QTest::newRow((t + " " + std::to_string(steps)).c_str())
                        << QString::fromStdString(t) << steps;
    }

    void everyScheduleTypeHasTheRightShape()
    {
        QFETCH(QString, type);
        QFETCH(int, steps);
        const std::vector<double> s = qd::scheduleSigmas(type.toStdString(), steps, sd, false);
        // A1111's DDIM schedule takes every (T // steps)-th sigma from index 1: ceil(999 / k) of them.
        const size_t expected
            = type == "DDIM" ? size_t((999 + 1000 / steps - 1) / (1000 / steps)) + 1 : size_t(steps) + 1;
        QCOMPARE(s.size(), expected);
        for (size_t i = 0; i + 1 < s.size(); ++i)
            QVERIFY2(s[i] > s[i + 1],
                qPrintable(
                    QString("sigma[%1] = %2 <= sigma[%3] = %4").arg(i).arg(s[i]).arg(i + 1).arg(s[i + 1])));
        const double top = s.front(), bottom = s.back();
        if (type == "Align Your Steps") // one step: np.linspace(0, 1, 1) = [0] picks the table's last entry
            QCOMPARE(top, steps == 1 ? 0.029 : 14.615);
        else if (type == "DDIM")
            QCOMPARE(top, sd.sigmas()[1 + (1000 / steps) * (expected - 2)]);
        else if (type == "Simple")
            QCOMPARE(top, sd.sigmaMax());
        else
            QVERIFY2(std::abs(top - sd.sigmaMax()) < 1e-3, qPrintable(QString::number(top)));
        if (type == "KL Optimal") // A1111 ends KL Optimal at sigma_min, without a 0
            QVERIFY(std::abs(bottom - sd.sigmaMin()) < 1e-9);
        else
            QCOMPARE(bottom, 0.0);
        // The lowest nonzero sigma is the model's sigma_min for the schedules that span the range.
        if (steps > 1
            && (type == "Karras" || type == "Exponential" || type == "Polyexponential" || type == "Beta"))
            QVERIFY(std::abs(s[s.size() - 2] - sd.sigmaMin()) < 1e-6);
    }

    void karrasFormula()
    {
        // sigma_i = (max^(1/7) + i/(n-1) (min^(1/7) - max^(1/7)))^7: the middle of 3 steps.
        const std::vector<double> s = qd::karrasSigmas(3, 0.1, 10.0);
        const double mid = std::pow(0.5 * (std::pow(0.1, 1 / 7.0) + std::pow(10.0, 1 / 7.0)), 7.0);
        QCOMPARE(s.size(), size_t(4));
        QVERIFY(std::abs(s[1] - mid) < 1e-12);
        // diffusers' DPMSolverMultistep Karras sigmas for SD (golden) are this over the whole table.
        const std::vector<double> k = qd::karrasSigmas(6, sd.sigmaMin(), sd.sigmaMax());
        const QString err = relClose(k, qdtest::golden("sd1/txt2img/dpmpp_2m_karras/sigmas"), 1e-4);
        QVERIFY2(err.isEmpty(), qPrintable(err));
    }

    void alignYourStepsInterpolatesLogLinearly()
    {
        const std::vector<double> same = qd::alignYourStepsSigmas(11, true);
        QCOMPARE(same[5], 0.862); // 11 steps: the SDXL table itself
        const std::vector<double> s = qd::alignYourStepsSigmas(21, false);
        // 21 points over 11: every other one is a table entry, the ones between are geometric means.
        QVERIFY(std::abs(s[2] - 6.475) < 1e-9);
        QVERIFY(std::abs(s[1] - std::sqrt(14.615 * 6.475)) < 1e-9);
    }

    void betaDistributionInverse()
    {
        // Beta(1/2, 1/2) is the arcsine law: I_x = (2/pi) asin(sqrt(x)).
        for (double x : { 0.01, 0.2, 0.5, 0.77, 0.999 }) {
            QVERIFY(std::abs(qd::incompleteBeta(x, 0.5, 0.5) - 2 / M_PI * std::asin(std::sqrt(x))) < 1e-12);
            QVERIFY(std::abs(qd::incompleteBetaInverse(2 / M_PI * std::asin(std::sqrt(x)), 0.5, 0.5) - x)
                < 1e-12);
        }
        QVERIFY(std::abs(qd::incompleteBetaInverse(0.5, 0.6, 0.6) - 0.5) < 1e-15); // symmetric
        QVERIFY(std::abs(qd::incompleteBeta(0.3, 2, 3) - (1 - std::pow(0.7, 4) - 4 * 0.3 * std::pow(0.7, 3)))
            < 1e-12);
    }

    void scheduleTypeNamesAndErrors()
    {
        QCOMPARE(qd::canonicalScheduleType("karras"), std::string("Karras"));
        QCOMPARE(qd::canonicalScheduleType("sgm_uniform"), std::string("SGM Uniform"));
        QCOMPARE(qd::canonicalScheduleType("SGMUniform"), std::string("SGM Uniform"));
        QCOMPARE(qd::canonicalScheduleType("align_your_steps"), std::string("Align Your Steps"));
        try {
            qd::canonicalScheduleType("Karas");
            QFAIL("no error");
        } catch (const qd::EngineError& e) {
            QVERIFY2(
                QString(e.what()).contains("Karas") && QString(e.what()).contains("Exponential"), e.what());
        }
        QVERIFY_THROWS_EXCEPTION(qd::EngineError, qd::karrasSigmas(0, 0.1, 10));
        QVERIFY_THROWS_EXCEPTION(qd::EngineError, qd::exponentialSigmas(5, 10, 0.1));
    }

    void planForLabelsAndStrength()
    {
        const qd::NoiseScheduleConfig model;
        // "DPM++ 2M Karras" through the label path is diffusers' DPMSolverMultistep + Karras.
        const qd::SamplingPlan p = qd::makePlan("DPM++ 2M Karras", "Automatic", 6, model);
        QCOMPARE(p.sampler, std::string("DPM++ 2M"));
        QCOMPARE(p.scheduleType, std::string("Karras"));
        const QString err = relClose(p.sigmas, qdtest::golden("sd1/txt2img/dpmpp_2m_karras/sigmas"), 1e-4);
        QVERIFY2(err.isEmpty(), qPrintable(err));
        // Euler's "Automatic" is the model's default grid (leading + offset 1): diffusers' Euler.
        const qd::SamplingPlan e = qd::makePlan("Euler", "", 6, model);
        const QString err2 = relClose(e.sigmas, qdtest::golden("sd1/txt2img/euler/sigmas"), 1e-4);
        QVERIFY2(err2.isEmpty(), qPrintable(err2));
        QVERIFY(std::abs(e.initNoiseSigma - std::sqrt(e.sigmas[0] * e.sigmas[0] + 1)) < 1e-9);
        // A1111's DPM2 default: Karras for steps + 1, the second-to-last sigma dropped.
        const qd::SamplingPlan d = qd::makePlan("DPM2", "Automatic", 10, model);
        const std::vector<double> k
            = qd::karrasSigmas(11, qd::NoiseSchedule(model).sigmaMin(), qd::NoiseSchedule(model).sigmaMax());
        QCOMPARE(d.sigmas.size(), size_t(11));
        QCOMPARE(d.sigmas[9], k[9]);
        QCOMPARE(d.sigmas[10], 0.0);
        // img2img keeps the last int(steps * strength) steps.
        const qd::SamplingPlan half = e.withStrength(0.6);
        QCOMPARE(half.steps(), 3);
        QCOMPARE(half.sigmas.front(), e.sigmas[3]);
        QVERIFY_THROWS_EXCEPTION(qd::EngineError, e.withStrength(0.1));
        QVERIFY_THROWS_EXCEPTION(qd::EngineError, e.withStrength(1.5));
        QVERIFY_THROWS_EXCEPTION(qd::EngineError, qd::makePlan("Euler", "Karras-ish", 6, model));
    }

    void unsupportedDiffusersOptionsAreNamed()
    {
        nlohmann::json c = qdtest::conformanceCases()["sd1/txt2img/dpmpp_2m"]["scheduler_config"];
        c["thresholding"] = true;
        try {
            qd::planFromDiffusers("DPMSolverMultistepScheduler", c, 6);
            QFAIL("no error");
        } catch (const qd::EngineError& e) {
            QVERIFY2(QString(e.what()).contains("thresholding"), e.what());
        }
        QVERIFY_THROWS_EXCEPTION(
            qd::EngineError, qd::planFromDiffusers("FlowMatchEulerDiscreteScheduler", c, 6));
    }
};

QTEST_APPLESS_MAIN(TestSchedules)
#include "tst_schedules.moc"
