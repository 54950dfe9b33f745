// JobBuilder and prepareInputs: what a job means, decided once for the GUI, the CLI and the server.
// The model by library title, name, hash or path (or a file without a library), the VAE as A1111
// resolves sd_vae, device and dtype from "auto", the TAESD decoder and the default size by the family
// read from the checkpoint's keys, the LoRA and embedding folders; errors name what was unknown.
// prepareInputs draws the seed and reads, converts and resizes the init image and mask.
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtEndian>
#include <QtTest/QtTest>

#include <functional>

#include "TestFiles.h"
#include "core/engine/EngineError.h"
#include "core/engine/EngineInfo.h"
#include "core/generation/JobBuilder.h"
#include "core/library/ModelLibrary.h"
#include "core/metadata/Infotext.h"

using namespace qd;

namespace
{

using qdtest::writeFile;
using qdtest::writeSafetensorsKeys;

const QStringList kSdxlKeys { "conditioner.embedders.0.transformer.text_model.final_layer_norm.weight",
    "conditioner.embedders.1.model.ln_final.weight", "model.diffusion_model.out.2.bias" };
const QStringList kSd1Keys { "cond_stage_model.transformer.text_model.final_layer_norm.weight",
    "model.diffusion_model.out.2.bias" };

} // namespace

class TestJobBuilder : public QObject
{
    Q_OBJECT
    QTemporaryDir m_dir;

    QString models() const { return m_dir.filePath("models"); }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        writeSafetensorsKeys(models() + "/big-one.safetensors", kSdxlKeys); // SDXL, no "xl" in its name
        writeSafetensorsKeys(models() + "/xl-not-really.safetensors", kSd1Keys); // SD 1.x named "xl-..."
        writeFile(models() + "/xl-not-really.vae.safetensors", "its own VAE");
        writeFile(models() + "/VAE/shared-vae.safetensors", "a shared VAE");
        writeFile(models() + "/VAE-approx/taesdxl_decoder.pth", "not read here");
        writeFile(models() + "/taesd_decoder.safetensors", "not read here");
    }

    void familyFromTheKeys()
    {
        QCOMPARE(detectModelFamily((models() + "/big-one.safetensors").toStdString()), ModelFamily::SDXL);
        QCOMPARE(
            detectModelFamily((models() + "/xl-not-really.safetensors").toStdString()), ModelFamily::SD1);
        QCOMPARE(detectModelFamily(""), ModelFamily::SD1); // the demo model
        QCOMPARE(detectModelFamily((models() + "/VAE/shared-vae.safetensors").toStdString()),
            ModelFamily::Unknown); // not a checkpoint
        QCOMPARE(detectModelFamily("/no/such/file.safetensors"), ModelFamily::Unknown);
        QCOMPARE(nativeSize(ModelFamily::SDXL), 1024);
        QCOMPARE(nativeSize(ModelFamily::SD1), 512);
        QCOMPARE(nativeSize(ModelFamily::SD1, true), 256);
        for (ModelFamily f : { ModelFamily::Unknown, ModelFamily::SD1, ModelFamily::SD2, ModelFamily::SDXL })
            QCOMPARE(familyFromName(familyName(f)), f);
        QCOMPARE(familyFromName("sdxl-refiner"), ModelFamily::SDXL);
        QCOMPARE(familyFromName("sd1-inpaint"), ModelFamily::SD1);
        QCOMPARE(familyFromName("flux"), ModelFamily::Unknown);
    }

    void modelSpecEqualityCoversEveryField()
    {
        ModelSpec base;
        base.checkpoint = "/m/a.safetensors";
        base.config = "/m/a.yaml";
        base.vae = "/m/a.vae.pt";
        base.device = "cuda";
        base.dtype = "fp16";
        base.prediction = "v";
        base.hash = "0123456789";
        QVERIFY(base == ModelSpec(base));
        const std::vector<std::function<void(ModelSpec&)>> changes { [](ModelSpec& s) {
                                                                        s.checkpoint = "/m/b.safetensors";
                                                                    },
            [](ModelSpec& s) { s.config.clear(); }, [](ModelSpec& s) { s.vae.clear(); },
            [](ModelSpec& s) { s.device = "cpu"; }, [](ModelSpec& s) { s.dtype = "fp32"; },
            [](ModelSpec& s) { s.prediction = "epsilon"; }, [](ModelSpec& s) { s.hash.clear(); } };
        for (size_t i = 0; i < changes.size(); ++i) {
            ModelSpec other = base;
            changes[i](other);
            QVERIFY2(!(other == base) && other != base, qPrintable(QString("field %1").arg(i)));
        }
        AssetFolders a, b;
        a.loraDirs = { "/m/Lora" };
        QVERIFY(a != b);
        b.loraDirs = { "/m/Lora" };
        b.embeddingDirs = { "/m/embeddings" };
        QVERIFY(a != b);
        a.embeddingDirs = b.embeddingDirs;
        QVERIFY(a == b);
    }

    void deviceAndDtypeFromAuto()
    {
        Settings s;
        s.device = "auto";
        s.precision = "auto";
        const auto [device, dtype] = JobBuilder(s, nullptr).deviceAndDtype();
        if (cudaAvailable()) {
            QCOMPARE(device, std::string("cuda"));
            QCOMPARE(dtype, std::string("fp16"));
        } else {
            QCOMPARE(device, std::string("cpu"));
            QCOMPARE(dtype, std::string("fp32"));
        }
        s.device = "cpu";
        s.precision = "bf16";
        QCOMPARE(
            JobBuilder(s, nullptr).deviceAndDtype(), std::make_pair(std::string("cpu"), std::string("bf16")));
        s.precision = "auto";
        QCOMPARE(
            JobBuilder(s, nullptr).deviceAndDtype(), std::make_pair(std::string("cpu"), std::string("fp32")));
        s.device = "tpu"; // told in the error, not queued
        QString error;
        QVERIFY(!JobBuilder(s, nullptr).build(JobRequest(), &error));
        QVERIFY2(error.contains("tpu"), qPrintable(error));
    }

    void modelAndVaeFromTheLibrary()
    {
        ModelLibrary library;
        library.setCacheFile(m_dir.filePath("hashes.json"));
        library.setFolders({ models() });
        QCOMPARE(library.entries().size(), 2);
        Settings s;
        s.device = "cpu";
        s.previewMethod = "taesd";
        s.outputFolder = m_dir.filePath("out");
        const JobBuilder builder(s, &library);
        QString error;

        // by name, the family from its keys: SDXL, the SDXL decoder (VAE-approx/*.pth), "Automatic"
        // finds no VAE of its name
        JobRequest r;
        r.model = "big-one";
        std::optional<GenerationJob> job = builder.build(r, &error);
        QVERIFY2(job, qPrintable(error));
        QCOMPARE(QString::fromStdString(job->model.checkpoint),
            QFileInfo(models() + "/big-one.safetensors").absoluteFilePath());
        QCOMPARE(job->family, ModelFamily::SDXL);
        QCOMPARE(job->nativeSize(), 1024);
        QCOMPARE(
            QString::fromStdString(job->preview.taesdPath), models() + "/VAE-approx/taesdxl_decoder.pth");
        QVERIFY(job->model.vae.empty());
        QCOMPARE(job->model.device, std::string("cpu"));
        QCOMPARE(job->outputDir, m_dir.filePath("out"));
        QVERIFY(std::find(job->assets.loraDirs.begin(), job->assets.loraDirs.end(),
                    (models() + "/Lora").toStdString())
            != job->assets.loraDirs.end());
        QVERIFY(std::find(job->assets.embeddingDirs.begin(), job->assets.embeddingDirs.end(),
                    (models() + "/embeddings").toStdString())
            != job->assets.embeddingDirs.end());

        // by path: SD 1.x whatever its name says; "Automatic" = its NAME.vae.* file
        r.model = models() + "/xl-not-really.safetensors";
        job = builder.build(r, &error);
        QVERIFY2(job, qPrintable(error));
        QCOMPARE(job->family, ModelFamily::SD1);
        QCOMPARE(job->nativeSize(), 512);
        QCOMPARE(QString::fromStdString(job->preview.taesdPath), models() + "/taesd_decoder.safetensors");
        QCOMPARE(QString::fromStdString(job->model.vae), models() + "/xl-not-really.vae.safetensors");
        QCOMPARE(job->params.vaeName, std::string("xl-not-really.vae.safetensors"));
        // "None": the checkpoint's own VAE, nothing in the infotext
        r.vae = "None";
        job = builder.build(r, &error);
        QVERIFY(job->model.vae.empty());
        QVERIFY(job->params.vaeName.empty());
        // a VAE by name
        r.vae = "shared-vae.safetensors";
        job = builder.build(r, &error);
        QVERIFY2(job, qPrintable(error));
        QCOMPARE(QString::fromStdString(job->model.vae), models() + "/VAE/shared-vae.safetensors");
        QCOMPARE(job->params.vaeName, std::string("shared-vae.safetensors"));

        // unknown names: an error naming them, no job
        r.vae = "no-such-vae.pt";
        QVERIFY(!builder.build(r, &error));
        QVERIFY2(error.contains("no-such-vae.pt"), qPrintable(error));
        r.vae = "Automatic";
        r.model = "no-such-model";
        QVERIFY(!builder.build(r, &error));
        QVERIFY2(error.contains("no-such-model"), qPrintable(error));
        // "" = the first checkpoint; a bad value is named too
        r.model.clear();
        r.params.steps = 0;
        QVERIFY(!builder.build(r, &error));
        QVERIFY2(error.contains("steps"), qPrintable(error));
        r.params.steps = 20;
        QCOMPARE(QString::fromStdString(builder.build(r, &error)->model.checkpoint),
            library.entries().first().path);
    }

    void withoutLibraryAFileOrTheDemo()
    {
        Settings s;
        s.device = "cpu";
        const JobBuilder builder(s, nullptr);
        QString error;
        JobRequest r;
        std::optional<GenerationJob> job = builder.build(r, &error);
        QVERIFY2(job, qPrintable(error));
        QVERIFY(job->isDemo());
        QCOMPARE(job->nativeSize(), 256);
        // random numbers: the settings' source and ENSD unless the job (a pasted infotext) has its own
        QCOMPARE(job->params.rngSource, std::string("GPU"));
        QCOMPARE(job->params.ensd, int64_t(0));
        {
            Settings cpu = s;
            cpu.randomSource = "CPU";
            cpu.etaNoiseSeedDelta = 31337;
            JobRequest own = r;
            std::optional<GenerationJob> j = JobBuilder(cpu, nullptr).build(own, &error);
            QVERIFY2(j, qPrintable(error));
            QCOMPARE(j->params.rngSource, std::string("CPU"));
            QCOMPARE(j->params.ensd, int64_t(31337));
            own.params.rngSource = "NV";
            own.params.ensd = 7;
            j = JobBuilder(cpu, nullptr).build(own, &error);
            QCOMPARE(j->params.rngSource, std::string("NV"));
            QCOMPARE(j->params.ensd, int64_t(7));
        }
        r.model = models() + "/big-one.safetensors";
        job = builder.build(r, &error);
        QVERIFY2(job, qPrintable(error));
        QCOMPARE(job->family, ModelFamily::SDXL);
        r.model = m_dir.filePath("missing.safetensors");
        QVERIFY(!builder.build(r, &error));
        QVERIFY2(error.contains("missing.safetensors"), qPrintable(error));
    }

    void prepareInputsSettlesSeedSizeAndImages()
    {
        GenerationJob job;
        job.params.seed = -1;
        job.params.width = 0;
        job.params.height = 0;
        GenerationInputs in = prepareInputs(job, 256);
        QVERIFY(job.params.seed >= 0); // drawn, and kept in the job's parameters
        QCOMPARE(job.params.width, 256);
        QCOMPARE(job.params.height, 256);
        QVERIFY(in.initImage.empty());

        // an init image file of another size: stretched to W x H, RGB; the mask nearest-neighbour
        const QString init = m_dir.filePath("init.png");
        QImage img(50, 30, QImage::Format_ARGB32);
        img.fill(QColor(10, 200, 30));
        QVERIFY(img.save(init));
        QImage mask(10, 10, QImage::Format_Grayscale8);
        mask.fill(0);
        for (int y = 0; y < 10; ++y)
            for (int x = 5; x < 10; ++x)
                mask.setPixelColor(x, y, Qt::white);
        job.params.initImage = init.toStdString();
        job.maskImage = mask; // in memory, as the API hands it over
        job.params.seed = 1234;
        job.params.width = 64;
        job.params.height = 48;
        job.assets.loraDirs = { "/m/Lora" };
        in = prepareInputs(job, 512);
        QCOMPARE(job.params.seed, int64_t(1234));
        QCOMPARE(in.initImage.width, 64);
        QCOMPARE(in.initImage.height, 48);
        QCOMPARE(in.initImage.pixels.size(), size_t(64 * 48 * 3));
        QCOMPARE(int(in.initImage.pixels[1]), 200);
        QCOMPARE(in.mask.width, 64);
        QCOMPARE(in.mask.height, 48);
        QCOMPARE(int(in.mask.pixels[0]), 0);
        QCOMPARE(int(in.mask.pixels[(64 - 1) * 3]), 255);
        QCOMPARE(in.assets.loraDirs, std::vector<std::string> { "/m/Lora" });

        // size 0: the init image's, rounded down to 8
        job.params.width = 0;
        job.params.height = 0;
        prepareInputs(job, 512);
        QCOMPARE(job.params.width, 48);
        QCOMPARE(job.params.height, 24);

        // a file that is not an image: named in the error
        job.params.initImage = m_dir.filePath("missing.png").toStdString();
        try {
            prepareInputs(job, 512);
            QFAIL("read a missing init image");
        } catch (const EngineError& e) {
            QVERIFY2(QString(e.what()).contains("missing.png"), e.what());
        }
        // a mask without an init image
        job.params.initImage.clear();
        QVERIFY_EXCEPTION_THROWN(prepareInputs(job, 512), EngineError);
    }

    void inMemoryInitImageKeepsItsStrengthInTheInfotext()
    {
        // An init image handed over in memory (API, pasted) has no file name; its infotext must
        // still say "Denoising strength", as one read from a file does.
        GenerationJob job;
        job.params.seed = 5;
        job.params.width = 64;
        job.params.height = 64;
        job.params.denoisingStrength = 0.35;
        QImage img(32, 32, QImage::Format_RGB32);
        img.fill(Qt::red);
        job.initImage = img;
        prepareInputs(job, 512);
        QVERIFY2(toInfotext(job.params, "test").contains("Denoising strength: 0.35"),
            qPrintable(toInfotext(job.params, "test")));
        // txt2img writes no strength
        GenerationJob txt;
        txt.params.seed = 5;
        prepareInputs(txt, 64);
        QVERIFY(!toInfotext(txt.params, "test").contains("Denoising strength"));
    }
};

QTEST_GUILESS_MAIN(TestJobBuilder)
#include "tst_jobbuilder.moc"
