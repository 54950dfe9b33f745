#include <QtTest/QtTest>
#include <torch/torch.h>

#include "core/engine/Pipeline.h"
#include "core/engine/sampling/BrownianTree.h"
#include "core/engine/sampling/RandomSource.h"

// AUTOMATIC1111's random numbers through the app's generation path (docs/reference.md §8): image i
// of a batch equals the same image made alone, for the ancestral and SDE samplers and every random
// source; the sources and the variation settings each change the picture.
class TestRandomSources : public QObject
{
    Q_OBJECT
    std::unique_ptr<qd::Pipeline> m_pipe;

    std::vector<qd::GeneratedImage> run(const qd::GenerationParams& p)
    {
        const qd::PreviewOptions none { qd::PreviewMethod::None, 1, {} };
        return m_pipe->generate(p, {}, none, {}, nullptr);
    }

    static qd::GenerationParams small(const char* sampler, const char* source)
    {
        qd::GenerationParams p;
        p.prompt = "a red lighthouse on a cliff";
        p.negativePrompt = "blurry";
        p.sampler = sampler;
        p.rngSource = source;
        p.steps = 4;
        p.width = 64;
        p.height = 48;
        p.seed = 4000000000; // above 2^31: the generators take 64-bit seeds
        return p;
    }

    // Largest difference of two 8-bit images (255 when the sizes differ).
    static int maxDiff(const qd::Image& a, const qd::Image& b)
    {
        if (a.width != b.width || a.height != b.height || a.pixels.size() != b.pixels.size())
            return 255;
        int d = 0;
        for (size_t i = 0; i < a.pixels.size(); ++i)
            d = std::max(d, std::abs(int(a.pixels[i]) - int(b.pixels[i])));
        return d;
    }

private slots:
    void initTestCase()
    {
        at::set_num_threads(2);
        m_pipe = qd::Pipeline::open(qd::ModelSpec {}); // the demo model
    }

    void batchEqualsSingles_data()
    {
        QTest::addColumn<QString>("sampler");
        QTest::addColumn<QString>("source");
        for (const char* sampler : { "Euler a", "DPM++ SDE", "DPM++ 2M SDE" })
            for (const char* source : { "CPU", "GPU", "NV" })
                QTest::addRow("%s %s", sampler, source) << sampler << source;
    }

    void batchEqualsSingles()
    {
        QFETCH(QString, sampler);
        QFETCH(QString, source);
        qd::GenerationParams p = small(sampler.toUtf8().constData(), source.toUtf8().constData());
        p.batchSize = 3;
        const auto batch = run(p);
        QCOMPARE(int(batch.size()), 3);
        for (int i = 0; i < 3; ++i) {
            qd::GenerationParams one = p;
            one.batchSize = 1;
            one.seed = p.seed + i;
            const auto single = run(one);
            QCOMPARE(batch[size_t(i)].params.seed, one.seed);
            QCOMPARE(single[0].params.rngSource, source.toStdString());
            // the same numbers; a batched UNet call may round differently in the last float bits
            const int d = maxDiff(batch[size_t(i)].image, single[0].image);
            QVERIFY2(d <= 1, qPrintable(QString("image %1 differs from its single run by %2").arg(i).arg(d)));
        }
        QVERIFY(maxDiff(batch[0].image, batch[1].image) > 8); // three different pictures
    }

    // GPU off CUDA draws NV's numbers; CPU's are others. A variation seed and seed resize each move
    // the picture, and the variation seeds of a batch count up from the one given.
    void sourcesAndVariationsChangeThePicture()
    {
        const auto nv = run(small("Euler a", "NV"));
        const auto gpu = run(small("Euler a", "GPU"));
        const auto cpu = run(small("Euler a", "CPU"));
        QCOMPARE(maxDiff(nv[0].image, gpu[0].image), 0);
        QVERIFY(maxDiff(nv[0].image, cpu[0].image) > 8);

        // (Euler: the initial noise is all there is, so its changes show)
        const auto plain = run(small("Euler", "NV"));
        qd::GenerationParams v = small("Euler", "NV");
        v.subseed = 1234;
        v.subseedStrength = 0.5;
        v.batchSize = 2;
        const auto varied = run(v);
        QVERIFY2(maxDiff(varied[0].image, plain[0].image) > 8,
            qPrintable(QString::number(maxDiff(varied[0].image, plain[0].image))));
        QCOMPARE(varied[0].params.seed, v.seed); // A1111: every image keeps the seed ...
        QCOMPARE(varied[1].params.seed, v.seed);
        QCOMPARE(varied[1].params.subseed, int64_t(1235)); // ... and counts up the variation seed

        qd::GenerationParams r = small("Euler", "NV");
        r.seedResizeFromW = 128;
        r.seedResizeFromH = 96;
        QVERIFY(maxDiff(run(r)[0].image, plain[0].image) > 8);

        // ENSD reseeds the draws after the first: Euler a changes, Euler has none and keeps it unwritten
        qd::GenerationParams e = small("Euler a", "NV");
        e.ensd = 31337;
        const auto withEnsd = run(e);
        QVERIFY(maxDiff(withEnsd[0].image, nv[0].image) > 0);
        QCOMPARE(withEnsd[0].params.ensd, int64_t(31337));
        e.sampler = "Euler";
        QCOMPARE(run(e)[0].params.ensd, int64_t(0));

        qd::GenerationParams bad = small("Euler a", "quantum");
        QVERIFY_EXCEPTION_THROWN(run(bad), qd::EngineError);
    }

    // The SDE samplers' noise comes from a Brownian tree spanning the whole schedule: the noise a
    // step gets depends on its sigmas, not on how many steps came before (unlike a generator).
    void brownianNoiseDependsOnTheIntervalOnly()
    {
        qd::BrownianNoise a({ 7 }, { 4, 6, 8 }, 0.03, 14.6, qd::RngSource::Nv);
        qd::BrownianNoise b({ 7 }, { 4, 6, 8 }, 0.03, 14.6, qd::RngSource::Nv);
        a(14.6, 7.0); // a has answered another query first
        const auto na = a(3.0, 1.5), nb = b(3.0, 1.5);
        QVERIFY(torch::equal(na, nb));
        const double std = nb.std().item<double>();
        QVERIFY2(std > 0.7 && std < 1.3, qPrintable(QString::number(std))); // standard normal
        // the increments over two halves add up to the whole
        qd::BrownianTree t(7, 0.03, 14.6, { 4, 6, 8 }, qd::RngSource::Cpu);
        const auto whole = t.increment(1.0, 3.0), sum = t.increment(1.0, 2.0) + t.increment(2.0, 3.0);
        QVERIFY(torch::allclose(whole, sum, 1e-5, 1e-5));
    }
};

QTEST_APPLESS_MAIN(TestRandomSources)
#include "tst_randomsources.moc"
