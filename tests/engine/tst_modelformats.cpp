#include <QtTest/QtTest>
#include <torch/torch.h>

#include "TestUtil.h"
#include "TinyDiffusersFolder.h"
#include "core/engine/io/TorchCheckpoint.h"
#include "core/engine/pipeline/SdModel.h"

// Issue 3's bar: every unit golden (UNet, VAE, prompt embeddings) matches diffusers when the tiny
// model is loaded through the public loading path from each file form artists have: a
// .safetensors with its YAML beside it, a .ckpt archive with its YAML, and a diffusers folder.
class TestModelFormats : public QObject
{
    Q_OBJECT
    QTemporaryDir m_dir;
    nlohmann::json m_layouts, m_configs;

    static nlohmann::json readJson(const std::string& p)
    {
        std::ifstream in(p);
        return nlohmann::json::parse(in);
    }

    std::string write(const std::string& model, const QString& form)
    {
        const QString base = m_dir.filePath(QString::fromStdString(model) + "-" + form);
        if (form == "diffusers") {
            qdtest::writeTinyDiffusersFolder(model, base, m_layouts, m_configs, /*vaeFp16=*/false);
            return base.toStdString();
        }
        const auto sd = qd::tinyStateDict(model, qdtest::conformance("tiny_layouts.json"));
        const std::string file = base.toStdString() + (form == "ckpt" ? ".ckpt" : ".safetensors");
        if (form == "ckpt")
            qd::saveTorchCheckpoint(file, sd);
        else
            qd::saveSafetensors(file, sd);
        QFile::copy(
            QString::fromStdString(qdtest::conformance((model + "-tiny.yaml").c_str())), base + ".yaml");
        return file;
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_layouts = readJson(qdtest::conformance("tiny_layouts.json"));
        m_configs = readJson(qdtest::conformance("tiny_diffusers_configs.json"));
    }

    void goldensFromEveryForm_data()
    {
        QTest::addColumn<QString>("model");
        QTest::addColumn<QString>("form");
        for (const char* model : { "sd1", "sd2", "sdxl" })
            for (const char* form : { "safetensors", "ckpt", "diffusers" })
                QTest::newRow(qPrintable(QString("%1 %2").arg(model, form))) << model << form;
    }

    void goldensFromEveryForm()
    {
        QFETCH(QString, model);
        QFETCH(QString, form);
        const std::string m = model.toStdString();
        const std::string path = write(m, form);
        auto sd = qd::SdModel::fromFile(path, "");
        c10::InferenceMode guard;
        QCOMPARE(QString(qd::familyName(sd->family())), model.toUpper());

        // UNet: one forward
        const std::string p = m + "/";
        torch::Tensor y;
        if (m == "sdxl")
            y = sd->unet().admVector(
                qdtest::golden(p + "unet.text_embeds"), qdtest::golden(p + "unet.time_ids"));
        const auto out = sd->unet().forward(qdtest::golden(p + "unet.x"), qdtest::golden(p + "unet.t"),
            qdtest::golden(p + "unet.context"), y);
        QD_VERIFY_CLOSE(out, qdtest::golden(p + "unet.out"), 1e-4);

        // VAE: decode and encode
        QD_VERIFY_CLOSE(sd->vae().decode(qdtest::golden(p + "vae.decode_in")),
            qdtest::golden(p + "vae.decode_out"), 1e-4);
        const auto moments = sd->encodeImage(qdtest::golden(p + "vae.encode_in"));
        QD_VERIFY_CLOSE(moments.mean, qdtest::golden(p + "vae.encode_mean"), 1e-4);
        QD_VERIFY_CLOSE(moments.std, qdtest::golden(p + "vae.encode_std"), 1e-4);

        // text: diffusers' prompt and negative prompt embeddings (and SDXL's pooled vectors)
        const auto cond = sd->conditioner().encode("a fantasy landscape, epic mountains and sunset");
        const auto uncond = sd->conditioner().encode("blurry, low quality");
        QD_VERIFY_CLOSE(cond.context, qdtest::golden(p + "prompt_embeds"), 1e-4);
        QD_VERIFY_CLOSE(uncond.context, qdtest::golden(p + "negative_prompt_embeds"), 1e-4);
        if (m == "sdxl") {
            QD_VERIFY_CLOSE(cond.pooled, qdtest::golden(p + "pooled_prompt_embeds"), 1e-4);
            QD_VERIFY_CLOSE(uncond.pooled, qdtest::golden(p + "negative_pooled_prompt_embeds"), 1e-4);
        }
    }

    void configAndWeightsMustAgree()
    {
        // an SD1 checkpoint with an SDXL config beside it: a clear error, not garbage
        const std::string file = write("sd1", "safetensors");
        const QString yaml = QString::fromStdString(file).replace(".safetensors", ".yaml");
        QFile::remove(yaml);
        QVERIFY(QFile::copy(QString::fromStdString(qdtest::conformance("sdxl-tiny.yaml")), yaml));
        try {
            qd::SdModel::fromFile(file, "");
            QFAIL("no error");
        } catch (const qd::EngineError& e) {
            QVERIFY2(QString(e.what()).contains("SDXL") && QString(e.what()).contains("SD1"), e.what());
        }
    }
};

QTEST_APPLESS_MAIN(TestModelFormats)
#include "tst_modelformats.moc"
