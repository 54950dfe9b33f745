#include <fstream>

#include <QtTest/QtTest>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "TestUtil.h"
#include "TinyDiffusersFolder.h"
#include "core/engine/io/Checkpoint.h"
#include "core/engine/io/DiffusersFolder.h"
#include "core/engine/io/SafeTensors.h"
#include "core/engine/io/TorchCheckpoint.h"
#include "core/engine/models/TinyModels.h"

// diffusers folders load into the single-file key layout: the tiny SD1 / SD2 / SDXL models written
// in diffusers layout (from the conformance manifest, not from the loader's own table) come back
// with every single-file key and value.
class TestDiffusersFolder : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    nlohmann::json m_layouts;
    nlohmann::json m_configs;

    static nlohmann::json readJson(const std::string& p)
    {
        std::ifstream in(p);
        return nlohmann::json::parse(in);
    }

    qd::StateDict writeFolder(const std::string& model, const QString& dir)
    {
        return qdtest::writeTinyDiffusersFolder(model, dir, m_layouts, m_configs, /*vaeFp16=*/true);
    }

private slots:
    void initTestCase()
    {
        m_layouts = readJson(qdtest::conformance("tiny_layouts.json"));
        m_configs = readJson(qdtest::conformance("tiny_diffusers_configs.json"));
    }

    void renamesMatchTheManifest_data()
    {
        QTest::addColumn<QString>("model");
        QTest::newRow("sd1") << "sd1";
        QTest::newRow("sd2") << "sd2";
        QTest::newRow("sdxl") << "sdxl";
    }

    void renamesMatchTheManifest()
    {
        QFETCH(QString, model);
        const auto& manifest = m_layouts[model.toStdString()]["diffusers_to_ldm"];
        int checked = 0;
        for (const auto& [component, keys] : manifest.items()) {
            std::vector<std::string> names;
            for (const auto& kv : keys.items())
                names.push_back(kv.key());
            const auto layout = qd::DiffusersBlockLayout::fromKeys(names);
            for (const auto& [dkey, ldms] : keys.items()) {
                const auto r = qd::renameDiffusersKey(model.toStdString(), component, dkey, layout);
                QVERIFY2(r, dkey.c_str());
                QVERIFY2(r->ldmKey == ldms[0].get<std::string>(),
                    qPrintable(QString::fromStdString(component + "/" + dkey + " -> " + r->ldmKey
                        + ", expected " + ldms[0].get<std::string>())));
                ++checked;
            }
        }
        QVERIFY(checked > 900);
    }

    void renamesFullSizeAndOldNames()
    {
        // Full-size SDXL: 10 transformer blocks, attention in up_blocks 0 and 1 only.
        qd::DiffusersBlockLayout xl;
        xl.layersPerBlock = 2;
        xl.upBlockHasAttention = { true, true, false };
        auto ldm = [](const char* family, const char* component, const char* key,
                       const qd::DiffusersBlockLayout& l) {
            return qd::renameDiffusersKey(family, component, key, l)->ldmKey;
        };
        QCOMPARE(ldm("sdxl", "unet", "up_blocks.0.attentions.2.transformer_blocks.9.attn1.to_q.weight", xl),
            std::string("model.diffusion_model.output_blocks.2.1.transformer_blocks.9.attn1.to_q.weight"));
        QCOMPARE(ldm("sdxl", "unet", "up_blocks.0.upsamplers.0.conv.weight", xl),
            std::string("model.diffusion_model.output_blocks.2.2.conv.weight"));
        QCOMPARE(ldm("sdxl", "unet", "up_blocks.2.resnets.2.conv_shortcut.weight", xl),
            std::string("model.diffusion_model.output_blocks.8.0.skip_connection.weight"));
        QCOMPARE(ldm("sdxl", "unet", "down_blocks.2.attentions.1.proj_out.bias", xl),
            std::string("model.diffusion_model.input_blocks.8.1.proj_out.bias"));
        QCOMPARE(ldm("sdxl", "unet", "add_embedding.linear_2.weight", xl),
            std::string("model.diffusion_model.label_emb.0.2.weight"));
        // SD 1.5: up_blocks.0 has no attention, so its upsampler is output_blocks.2.1
        qd::DiffusersBlockLayout sd15;
        sd15.upBlockHasAttention = { false, true, true, true };
        QCOMPARE(ldm("sd1", "unet", "up_blocks.0.upsamplers.0.conv.weight", sd15),
            std::string("model.diffusion_model.output_blocks.2.1.conv.weight"));
        QCOMPARE(ldm("sd1", "unet", "up_blocks.1.upsamplers.0.conv.bias", sd15),
            std::string("model.diffusion_model.output_blocks.5.2.conv.bias"));
        QCOMPARE(ldm("sd1", "unet", "down_blocks.3.resnets.1.time_emb_proj.weight", sd15),
            std::string("model.diffusion_model.input_blocks.11.0.emb_layers.1.weight"));
        // VAE attention under diffusers' pre-0.14 names
        const auto q
            = qd::renameDiffusersKey("sd1", "vae", "decoder.mid_block.attentions.0.query.weight", sd15);
        QCOMPARE(q->ldmKey, std::string("first_stage_model.decoder.mid.attn_1.q.weight"));
        QCOMPARE(q->transform, qd::DiffusersRename::Transform::Conv1x1);
        QCOMPARE(ldm("sd1", "vae", "encoder.mid_block.attentions.0.proj_attn.bias", sd15),
            std::string("first_stage_model.encoder.mid.attn_1.proj_out.bias"));
        // SDXL refiner: its only (OpenCLIP) encoder is embedders.0
        QCOMPARE(ldm("sdxl-refiner", "text_encoder_2", "text_model.final_layer_norm.weight", xl),
            std::string("conditioner.embedders.0.model.ln_final.weight"));
        QVERIFY(!qd::renameDiffusersKey("sd2", "text_encoder", "text_model.embeddings.position_ids", xl));
    }

    void loadsTinyModels_data()
    {
        QTest::addColumn<QString>("model");
        QTest::newRow("sd1") << "sd1";
        QTest::newRow("sd2") << "sd2";
        QTest::newRow("sdxl") << "sdxl";
    }

    void loadsTinyModels()
    {
        QFETCH(QString, model);
        const std::string m = model.toStdString();
        const QString dir = m_dir.filePath(model + "-diffusers");
        const qd::StateDict expected = writeFolder(m, dir);

        qd::CheckpointLoadOptions o;
        o.floatDtype = torch::kFloat32;
        const qd::Checkpoint c = qd::readCheckpoint(dir.toStdString(), o);
        QCOMPARE(c.format, qd::CheckpointFormat::Diffusers);
        QCOMPARE(c.family, m);
        QCOMPARE(c.configs.at("unet"), m_configs[m + ".unet"]);
        QCOMPARE(c.configs.at("text_encoder"), m_configs[m + ".text_encoder"]);
        QVERIFY(c.configs.count("model_index") && c.configs.count("tokenizer"));

        int compared = 0;
        for (const auto& [key, value] : expected) {
            // diffusers keeps no copy of SD2's unused last text layer (tiny: resblocks.2)
            if (m == "sd2" && key.find("transformer.resblocks.2.") != std::string::npos) {
                QVERIFY2(!c.tensors.count(key), key.c_str());
                continue;
            }
            QVERIFY2(c.tensors.count(key), ("missing " + key).c_str());
            const auto& got = c.tensors.at(key);
            QVERIFY2(got.sizes() == value.sizes(), (key + " " + qd::shapeString(got.sizes())).c_str());
            // the VAE was written as the fp16 variant
            const auto want = key.rfind("first_stage_model.", 0) == 0
                ? value.to(torch::kFloat16).to(torch::kFloat32)
                : value;
            QVERIFY2(torch::equal(got, want), key.c_str());
            ++compared;
        }
        // nothing else but the position_ids CLIP-L files carry
        for (const auto& [key, value] : c.tensors)
            QVERIFY2(expected.count(key) || key.find("position_ids") != std::string::npos, key.c_str());
        QVERIFY(compared > 900);
    }

    void prefersTheRequestedVariant()
    {
        const QString dir = m_dir.filePath("variants");
        const auto sd = writeFolder("sd1", dir);
        // add a full-precision VAE beside the fp16 one, with different values to tell them apart
        qd::StateDict vae;
        for (const auto& [dkey, ldms] : m_layouts["sd1"]["diffusers_to_ldm"]["vae"].items())
            vae[dkey] = qdtest::diffusersTensor("vae", dkey, ldms[0].get<std::string>(), sd) * 2;
        qd::saveSafetensors((dir + "/vae/diffusion_pytorch_model.safetensors").toStdString(), vae);
        const std::string key = "first_stage_model.decoder.conv_out.weight";
        qd::CheckpointLoadOptions o;
        QVERIFY(torch::equal(qd::loadCheckpoint(dir.toStdString(), o).at(key), sd.at(key) * 2));
        o.variant = "fp16";
        const auto half = qd::loadCheckpoint(dir.toStdString(), o).at(key);
        QCOMPARE(half.scalar_type(), torch::kFloat16);
        QVERIFY(torch::equal(half, sd.at(key).to(torch::kFloat16)));
    }

    void readsPyTorchBinComponents()
    {
        // Older downloads: transformers' pytorch_model.bin and diffusers' diffusion_pytorch_model.bin
        const QString dir = m_dir.filePath("bins");
        const auto sd = writeFolder("sd1", dir);
        for (const char* c : { "text_encoder/model", "vae/diffusion_pytorch_model.fp16" }) {
            const std::string st = (dir + "/" + c + ".safetensors").toStdString();
            qd::StateDict tensors;
            for (const auto& [k, t] : qd::loadSafetensors(st))
                tensors[k] = t.clone();
            QVERIFY(QFile::remove(QString::fromStdString(st)));
            qd::TorchSaveOptions o;
            o.nestInStateDict = false;
            const std::string bin = std::string(c).find("text") == 0 ? "text_encoder/pytorch_model.bin"
                                                                     : "vae/diffusion_pytorch_model.fp16.bin";
            qd::saveTorchCheckpoint((dir + "/").toStdString() + bin, tensors, o);
        }
        qd::CheckpointLoadOptions o;
        o.floatDtype = torch::kFloat32;
        const auto got = qd::loadCheckpoint(dir.toStdString(), o);
        for (const auto& [key, value] : sd) {
            const auto want = key.rfind("first_stage_model.", 0) == 0
                ? value.to(torch::kFloat16).to(torch::kFloat32)
                : value;
            QVERIFY2(got.count(key) && torch::equal(got.at(key), want), key.c_str());
        }
    }

    void brokenFoldersAreNamed()
    {
        const QString dir = m_dir.filePath("broken");
        writeFolder("sdxl", dir);
        // a shard listed in the index but absent
        QFile::remove(dir + "/unet/diffusion_pytorch_model-00002-of-00002.safetensors");
        try {
            qd::loadCheckpoint(dir.toStdString());
            QFAIL("no error");
        } catch (const qd::EngineError& e) {
            QVERIFY2(QString(e.what()).contains(
                         "shard 'diffusion_pytorch_model-00002-of-00002.safetensors' is missing"),
                e.what());
        }
        // an encoder with k and v but no q
        const QString dir2 = m_dir.filePath("broken2");
        writeFolder("sd2", dir2);
        const std::string te = (dir2 + "/text_encoder/model.safetensors").toStdString();
        auto tensors = qd::loadSafetensors(te);
        qd::StateDict copy;
        for (const auto& [k, t] : tensors)
            if (k != "text_model.encoder.layers.1.self_attn.q_proj.weight")
                copy[k] = t.clone();
        tensors.clear();
        qd::saveSafetensors(te, copy);
        try {
            qd::loadCheckpoint(dir2.toStdString());
            QFAIL("no error");
        } catch (const qd::EngineError& e) {
            QVERIFY2(
                QString(e.what()).contains(
                    "q_proj part of 'cond_stage_model.model.transformer.resblocks.1.attn.in_proj_weight'"),
                e.what());
        }
    }
};

QTEST_APPLESS_MAIN(TestDiffusersFolder)
#include "tst_diffusersfolder.moc"
