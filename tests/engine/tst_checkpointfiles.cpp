#include <fstream>

#include <QtTest/QtTest>
#include <torch/torch.h>

#include "TestUtil.h"
#include "core/engine/io/Checkpoint.h"
#include "core/engine/io/SafeTensors.h"
#include "core/engine/io/TorchCheckpoint.h"
#include "core/engine/models/TinyModels.h"

// The one entry point: recognises the form by content, skips EMA copies, describes files without
// loading them, and turns anything it cannot read into a clear EngineError.
class TestCheckpointFiles : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

    std::string path(const std::string& name)
    {
        return m_dir.filePath(QString::fromStdString(name)).toStdString();
    }

    static QString loadError(const std::string& p)
    {
        try {
            qd::loadCheckpoint(p);
        } catch (const qd::EngineError& e) {
            return QString::fromUtf8(e.what());
        }
        return {};
    }

    std::string rawFile(const std::string& name, const std::string& bytes)
    {
        const std::string p = path(name);
        std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes;
        return p;
    }

private slots:
    void recognisesContentNotExtension()
    {
        const auto sd = qd::tinyStateDict("sd1", qdtest::conformance("tiny_layouts.json"));
        // a safetensors file named .ckpt and a zip archive named .safetensors
        const std::string st = path("really-safetensors.ckpt");
        qd::saveSafetensors(st, sd);
        const std::string zip = path("really-zip.safetensors");
        qd::saveTorchCheckpoint(zip, sd);
        QCOMPARE(qd::detectCheckpointFormat(st), qd::CheckpointFormat::SafeTensors);
        QCOMPARE(qd::detectCheckpointFormat(zip), qd::CheckpointFormat::TorchZip);
        for (const auto& p : { st, zip }) {
            const qd::Checkpoint c = qd::readCheckpoint(p);
            QCOMPARE(c.tensors.size(), sd.size());
            QCOMPARE(c.family, std::string("sd1"));
            QVERIFY(torch::equal(c.tensors.at("model.diffusion_model.out.2.weight"),
                sd.at("model.diffusion_model.out.2.weight")));
        }
    }

    void skipsEmaCopiesUnlessAsked()
    {
        qd::StateDict sd { { "model.diffusion_model.out.2.bias", torch::ones({ 4 }) },
            { "model_ema.diffusion_modelout2bias", torch::ones({ 4 }) },
            { "model_ema.num_updates", torch::tensor(12, torch::kInt32) } };
        const std::string p = path("ema.ckpt");
        qd::saveTorchCheckpoint(p, sd, {});
        QCOMPARE(qd::loadCheckpoint(p).size(), size_t(1));
        qd::CheckpointLoadOptions all;
        all.skipEma = false;
        QCOMPARE(qd::loadCheckpoint(p, all).size(), size_t(3));
    }

    void convertsOnLoad()
    {
        const std::string p = path("half.safetensors");
        qd::saveSafetensors(
            p, { { "w", torch::randn({ 8, 8 }).to(torch::kFloat16) }, { "ids", torch::arange(3) } });
        qd::CheckpointLoadOptions o;
        o.floatDtype = torch::kFloat32;
        const auto sd = qd::loadCheckpoint(p, o);
        QCOMPARE(sd.at("w").scalar_type(), torch::kFloat32);
        QCOMPARE(sd.at("ids").scalar_type(), torch::kInt64);
    }

    void inspectsEveryFormat_data()
    {
        QTest::addColumn<QString>("model");
        QTest::addColumn<QString>("family");
        QTest::newRow("sd1") << "sd1"
                             << "sd1";
        QTest::newRow("sd2") << "sd2"
                             << "sd2";
        QTest::newRow("sdxl") << "sdxl"
                              << "sdxl";
        QTest::newRow("sd1 inpainting") << "sd1inp"
                                        << "sd1-inpaint";
    }

    void inspectsEveryFormat()
    {
        QFETCH(QString, model);
        QFETCH(QString, family);
        const auto sd = qd::tinyStateDict(model.toStdString(), qdtest::conformance("tiny_layouts.json"));
        uint64_t bytes = 0;
        for (const auto& [k, t] : sd)
            bytes += uint64_t(t.numel()) * 2;
        qd::StateDict half;
        for (const auto& [k, t] : sd)
            half[k] = t.to(torch::kFloat16);
        const std::string st = path(model.toStdString() + ".safetensors");
        const std::string ck = path(model.toStdString() + ".ckpt");
        qd::saveSafetensors(st, half);
        qd::saveTorchCheckpoint(ck, half, {});
        for (const auto& p : { st, ck }) {
            const qd::CheckpointInfo info = qd::inspectCheckpoint(p);
            QCOMPARE(info.tensors.size(), sd.size());
            QCOMPARE(info.dtypeCounts.at("F16"), sd.size());
            QCOMPARE(info.tensorBytes, bytes);
            QCOMPARE(QString::fromStdString(info.family), family);
            QVERIFY(info.fileBytes > bytes);
        }
    }

    void unreadableFiles_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("expected");
        // torch.save(..., _use_new_zipfile_serialization=False): the magic number as a LONG1 first
        QTest::newRow("legacy pickle .ckpt") << QByteArray("\x80\x02\x8a\x0a"
                                                           "l\xfc\x9c"
                                                           "F\xf9 j\xa8P\x19.",
            15) << "old.ckpt"
                                             << "legacy PyTorch checkpoint";
        QTest::newRow("bare pickle") << QByteArray("\x80\x04}.", 4) << "x.pkl"
                                     << "bare Python pickle";
        QTest::newRow("GGUF") << QByteArray("GGUF\x03\x00\x00\x00", 8) << "x.gguf"
                              << "GGUF";
        QTest::newRow("text") << QByteArray("model:\n  target: ldm\n") << "v1-inference.yaml"
                              << "not a checkpoint QDiffusion can read";
        QTest::newRow("empty") << QByteArray() << "empty.ckpt"
                               << "empty file";
        QTest::newRow("truncated safetensors") << QByteArray("\x10\x00", 2) << "cut.safetensors"
                                               << "shorter than the 8-byte header length";
        QTest::newRow("safetensors header past the end")
            << QByteArray("\xff\x00\x00\x00\x00\x00\x00\x00{}", 10) << "x.bin"
            << "runs past the end of the file";
        QTest::newRow("zip without data.pkl")
            << QByteArray("PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 22) << "empty-zip.ckpt"
            << "without data.pkl";
    }

    void unreadableFiles()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(QString, name);
        QFETCH(QString, expected);
        const std::string p = rawFile(name.toStdString(), bytes.toStdString());
        const QString msg = loadError(p);
        QVERIFY2(msg.contains(expected), qPrintable(msg));
        QVERIFY2(msg.contains(name), qPrintable(msg));
    }

    void safetensorsWhoseLengthLooksLikeAPickle()
    {
        // A header of 0x380 bytes: the file starts 0x80 0x03, as a protocol-3 pickle would.
        std::string header = R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";
        header.append(0x380 - header.size(), ' ');
        const std::string p
            = rawFile("x.ckpt", std::string("\x80\x03\0\0\0\0\0\0", 8) + header + std::string(4, '\0'));
        QCOMPARE(qd::detectCheckpointFormat(p), qd::CheckpointFormat::SafeTensors);
        QCOMPARE(qd::loadCheckpoint(p).at("w").item<float>(), 0.0f);
    }

    void foldersThatAreNotPipelines()
    {
        QVERIFY(QDir().mkpath(m_dir.filePath("just-a-folder")));
        QVERIFY(loadError(path("just-a-folder")).contains("not a diffusers pipeline"));
        QVERIFY(loadError(path("does-not-exist")).contains("no such file"));
    }

    void libzipIsBuiltIn() { QVERIFY(qd::haveTorchCheckpointSupport()); }
};

QTEST_APPLESS_MAIN(TestCheckpointFiles)
#include "tst_checkpointfiles.moc"
