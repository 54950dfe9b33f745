#include <torch/torch.h> // before Qt

#include "core/engine/io/SafeTensors.h"
#include "core/engine/io/TorchCheckpoint.h"
#include "core/engine/text/PromptParser.h"
#include "core/generation/PromptTokens.h"
#include "core/library/ExtraNetworks.h"

#include <QImage>
#include <QTemporaryDir>
#include <QtTest/QtTest>

// The extra networks browser's data: LoRA cards with the model they were made for (kohya's
// metadata, else their keys) and their preview image, embedding cards with their vector count,
// unreadable files listed with the reason, and the token counter counting an embedding's vectors.
class TestExtraNetworks : public QObject
{
    Q_OBJECT
    QTemporaryDir m_dir;

    std::string path(const QString& name) const { return m_dir.filePath(name).toStdString(); }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QDir(m_dir.path()).mkpath("Lora/styles");
        QDir(m_dir.path()).mkpath("embeddings");
        const auto w = torch::zeros({ 4, 8 });
        qd::saveSafetensors(path("Lora/styles/ink.safetensors"), { { "lora_unet_x.lora_down.weight", w } },
            { { "ss_base_model_version", "sdxl_base_v1-0" },
                { "ss_sd_model_name", "sd_xl_base_1.0.safetensors" } });
        qd::saveSafetensors(path("Lora/watercolor.safetensors"),
            { { "lora_te_text_model_encoder_layers_0_mlp_fc1.lora_down.weight", w } });
        QImage preview(32, 32, QImage::Format_RGB32);
        preview.fill(Qt::red);
        QVERIFY(preview.save(m_dir.filePath("Lora/watercolor.preview.png")));
        qdWriteBroken(m_dir.filePath("Lora/broken.safetensors"));

        qd::TorchSaveOptions nested;
        nested.wrapperKey = "string_to_param";
        qd::saveTorchCheckpoint(
            path("embeddings/bad-hands.pt"), { { "*", torch::zeros({ 6, 768 }) } }, nested);
        qd::saveSafetensors(path("embeddings/xl-style.safetensors"),
            { { "clip_l", torch::zeros({ 2, 768 }) }, { "clip_g", torch::zeros({ 2, 1280 }) } });
        qdWriteBroken(m_dir.filePath("embeddings/corrupt.pt"));
    }

    void lorasAsCards()
    {
        const auto loras = qd::scanLoras({ m_dir.filePath("Lora") });
        QCOMPARE(loras.size(), 3);
        QCOMPARE(loras[0].name, QString("broken"));
        QVERIFY(!loras[0].error.isEmpty());
        QCOMPARE(loras[1].name, QString("ink")); // found in a subfolder
        QCOMPARE(loras[1].baseModel, QString("SDXL"));
        QCOMPARE(loras[1].trainedOn, QString("sd_xl_base_1.0.safetensors"));
        QCOMPARE(loras[1].metadata.value("ss_base_model_version"), QString("sdxl_base_v1-0"));
        QVERIFY(loras[1].previewPath.isEmpty());
        QCOMPARE(loras[2].name, QString("watercolor"));
        QCOMPARE(loras[2].baseModel, QString("SD1")); // from its keys: one text encoder
        QCOMPARE(loras[2].previewPath, m_dir.filePath("Lora/watercolor.preview.png"));
        QCOMPARE(loras[2].promptText(), QString("<lora:watercolor:1>"));
    }

    void embeddingsAsCards()
    {
        const auto embeddings = qd::scanEmbeddings({ m_dir.filePath("embeddings") });
        QCOMPARE(embeddings.size(), 3);
        QCOMPARE(embeddings[0].name, QString("bad-hands"));
        QCOMPARE(embeddings[0].vectors, 6);
        QCOMPARE(embeddings[0].baseModel, QString("SD1"));
        QCOMPARE(embeddings[0].promptText(), QString("bad-hands"));
        QCOMPARE(embeddings[1].name, QString("corrupt"));
        QVERIFY2(embeddings[1].error.contains("corrupt.pt"), qPrintable(embeddings[1].error));
        QCOMPARE(embeddings[2].baseModel, QString("SDXL"));
        QCOMPARE(embeddings[2].width, qint64(2048));
    }

    // "bad-hands" costs 6 tokens under the prompt box, as in the encoder.
    void tokenCounterCountsVectors()
    {
        const auto embeddings = qd::scanEmbeddings({ m_dir.filePath("embeddings") });
        const auto vocabulary = qd::embeddingVocabulary(embeddings);
        const auto plain = qd::countPromptTokens("a cat, bad-hands");
        const auto counted = qd::countPromptTokens("a cat, bad-hands", vocabulary.get());
        QVERIFY(plain && counted);
        QCOMPARE(counted->total, 3 + 6);
        QVERIFY(plain->total != counted->total);
        QCOMPARE(qd::countPromptTokens("a cat, corrupt", vocabulary.get())->total,
            qd::countPromptTokens("a cat, corrupt")->total); // an unreadable file inserts nothing
    }

private:
    static void qdWriteBroken(const QString& file)
    {
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("this is not a model file at all");
    }
};

QTEST_GUILESS_MAIN(TestExtraNetworks)
#include "tst_extranetworks.moc"
