#include <QtTest/QtTest>
#include <torch/torch.h>

#include <sys/resource.h>

#include "core/engine/EngineError.h"
#include "core/engine/Pipeline.h"
#include "core/engine/pipeline/MemoryBudget.h"
#include "core/engine/pipeline/SdModel.h"

// Out of memory (issue: reliability): a request too large for the machine fails before anything is
// allocated, with a message naming its size and the memory it needs; a decode that does not fit as a
// whole image is done in tiles instead, and the picture is the same one.
class TestMemoryBudget : public QObject
{
    Q_OBJECT
    std::unique_ptr<qd::Pipeline> m_pipe;
    std::unique_ptr<qd::SdModel> m_model; // the same demo model, for its configs

    std::vector<qd::GeneratedImage> run(const qd::GenerationParams& p)
    {
        const qd::PreviewOptions none { qd::PreviewMethod::None, 1, {} };
        return m_pipe->generate(p, {}, none, {}, nullptr);
    }

    static qd::GenerationParams params(int size, int batch)
    {
        qd::GenerationParams p;
        p.prompt = "a red lighthouse on a cliff";
        p.sampler = "Euler";
        p.steps = 2;
        p.width = size;
        p.height = size;
        p.batchSize = batch;
        p.seed = 77;
        return p;
    }

    qd::MemoryNeed need(int size, int batch, const qd::VaeTiling& tiling = {}) const
    {
        qd::MemoryRequest r;
        r.width = r.height = size;
        r.batch = batch;
        return qd::estimateMemory(m_model->unetConfig(), m_model->vae().config(), tiling, r);
    }

    static long peakRssKb()
    {
        rusage u {};
        getrusage(RUSAGE_SELF, &u);
        return u.ru_maxrss;
    }

    static double meanDiff(const qd::Image& a, const qd::Image& b)
    {
        if (a.pixels.size() != b.pixels.size())
            return 255;
        double sum = 0;
        for (size_t i = 0; i < a.pixels.size(); ++i)
            sum += std::abs(int(a.pixels[i]) - int(b.pixels[i]));
        return sum / double(a.pixels.size());
    }

private slots:
    void initTestCase()
    {
        at::set_num_threads(2);
        qunsetenv("QD_MEMORY_LIMIT_MB");
        m_pipe = qd::Pipeline::open(qd::ModelSpec {});
        m_model = qd::SdModel::demo();
    }

    void cleanup() { qunsetenv("QD_MEMORY_LIMIT_MB"); }

    // 8192x8192 with a batch of 64 needs terabytes: refused at once, naming the size, the batch and
    // both amounts, and the process has not grown.
    void oversizedRequestIsRefusedNamingWhatItNeeds()
    {
        const long before = peakRssKb();
        try {
            run(params(8192, 64));
            QFAIL("an 8192x8192 batch of 64 was not refused");
        } catch (const qd::EngineError& e) {
            const QString why = QString::fromUtf8(e.what());
            QVERIFY2(why.contains("8192x8192 with batch size 64 needs about "), qPrintable(why));
            QVERIFY2(why.contains(" GiB of working memory for the UNet; "), qPrintable(why));
            QVERIFY2(why.contains(" are available"), qPrintable(why));
        }
        QVERIFY2(peakRssKb() - before < 200 * 1024, "the refused request allocated memory first");
    }

    // The estimate grows with the size and the batch, and a cap of the memory (QD_MEMORY_LIMIT_MB)
    // below the UNet's need refuses even a small image.
    void limitBelowTheUNetRefuses()
    {
        const qd::MemoryNeed small = need(256, 1), large = need(512, 1), batch = need(256, 4);
        QVERIFY(large.unetStep > 3 * small.unetStep);
        QVERIFY(batch.unetStep > 3 * small.unetStep);
        QVERIFY(large.vaeWhole > 3 * small.vaeWhole);
        qputenv("QD_MEMORY_LIMIT_MB", QByteArray::number(std::max<int64_t>(1, small.unetStep / (2 << 20))));
        try {
            run(params(256, 1));
            QFAIL("a request over the memory cap was not refused");
        } catch (const qd::EngineError& e) {
            QVERIFY2(QString(e.what()).startsWith("256x256 needs about "), e.what());
        }
    }

    // Room for the UNet and a tile but not for the whole decode: the image is decoded in tiles and
    // is the picture made with room to spare (tiles normalised on their own differ slightly).
    // Less room than the smallest tile: refused, naming the decode.
    void tightMemoryDecodesInTiles()
    {
        const int size = 512;
        const auto roomy = run(params(size, 1));
        const qd::MemoryNeed n = need(size, 1);
        const int64_t limit = n.vaeWhole - (1 << 20);
        QVERIFY(limit > n.unetStep);
        const qd::VaeTiling planned = qd::planMemory(m_model->unetConfig(), m_model->vae().config(),
            qd::VaeTiling {}, qd::MemoryRequest { size, size }, limit);
        QCOMPARE(planned.mode, qd::VaeTiling::Mode::Always);
        QVERIFY(!planned.wholeImageStatistics);
        QVERIFY(planned.tileLatent < size / 8); // smaller than the image, or it would be the whole

        qputenv("QD_MEMORY_LIMIT_MB", QByteArray::number(limit >> 20));
        const auto tight = run(params(size, 1));
        QCOMPARE(tight.size(), size_t(1));
        QCOMPARE(tight[0].image.width, size);
        const double d = meanDiff(roomy[0].image, tight[0].image);
        qInfo("tiled decode: mean difference %.3f of 255", d);
        QVERIFY2(d < 4.0, qPrintable(QString("tiled decode differs by %1 on average").arg(d)));

        qd::VaeTiling smallest;
        smallest.tileLatent = 48; // 96 halved once: AutoencoderKL stops before 24
        smallest.overlapLatent = 16;
        const int64_t tooLittle = need(size, 1, smallest).vaeOneTile - (1 << 20);
        qputenv("QD_MEMORY_LIMIT_MB", QByteArray::number(tooLittle >> 20));
        try {
            run(params(size, 1));
            QFAIL("a decode that fits in no tile was not refused");
        } catch (const qd::EngineError& e) {
            QVERIFY2(QString(e.what()).contains("to decode the image even in tiles"), e.what());
        }
        // with the room back, the next image is the whole-image decode again
        qunsetenv("QD_MEMORY_LIMIT_MB");
        QCOMPARE(meanDiff(run(params(size, 1))[0].image, roomy[0].image), 0.0);
    }
};

QTEST_GUILESS_MAIN(TestMemoryBudget)
#include "tst_memorybudget.moc"
