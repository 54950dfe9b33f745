#include <QtTest/QtTest>
#include <torch/torch.h>

#include "TestUtil.h"
#include "core/engine/Pipeline.h"
#include "core/engine/io/SafeTensors.h"
#include "core/engine/lora/Lora.h"
#include "core/engine/models/TinyModels.h"
#include "core/engine/pipeline/SdModel.h"

// LoRA files as artists have them (kohya lora_down / lora_up / alpha, diffusers / PEFT lora_A /
// lora_B) merged into the tiny models: each layer lands on the right weight with
// W + m * alpha / r * up @ down, weight 0 changes nothing, removing restores the checkpoint bit for
// bit, and a LoRA for another architecture is refused naming the file and a layer. (That the merged
// model generates what diffusers generates is the conformance_extra test.)
class TestLora : public QObject
{
    Q_OBJECT
    QTemporaryDir m_dir;
    std::shared_ptr<const qd::LoraFile> m_tiny; // the conformance kohya file

    static qd::SdModel& model(const std::string& name) { return qdtest::tinyModel(name); }

    static std::map<std::string, torch::Tensor> snapshot(qd::SdModel& m)
    {
        std::map<std::string, torch::Tensor> out;
        for (const auto& [k, t] : m.loraView().weights)
            out[k] = t.clone();
        return out;
    }

    // Keys whose tensors differ (bitwise) between the model now and `before`.
    static std::vector<std::string> changed(
        qd::SdModel& m, const std::map<std::string, torch::Tensor>& before)
    {
        std::vector<std::string> out;
        for (const auto& [k, t] : m.loraView().weights)
            if (!torch::equal(t, before.at(k)))
                out.push_back(k);
        return out;
    }

    // The merge formula computed here in float64, independently of the engine.
    static torch::Tensor expected(const torch::Tensor& w0, const torch::Tensor& down, const torch::Tensor& up,
        double alpha, double weight)
    {
        const auto d = down.to(torch::kFloat64).flatten(1), u = up.to(torch::kFloat64).flatten(1);
        return w0.to(torch::kFloat64)
            + weight * alpha / double(down.size(0)) * at::mm(u, d).reshape(w0.sizes());
    }

    std::string writeFile(const QString& name, const qd::StateDict& tensors)
    {
        const std::string path = m_dir.filePath(name).toStdString();
        qd::saveSafetensors(path, tensors);
        return path;
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_tiny = std::make_shared<const qd::LoraFile>(
            qd::LoraFile::read(qdtest::conformance("tiny-sd1-lora.safetensors")));
    }

    void readsTheKohyaFile()
    {
        // README: 195 layers, r = 4, alpha = 2
        QCOMPARE(int(m_tiny->layers.size()), 195);
        QCOMPARE(m_tiny->name, std::string("tiny-sd1-lora"));
        QCOMPARE(m_tiny->metadata.at("ss_network_dim"), std::string("4"));
        for (const auto& l : m_tiny->layers) {
            QCOMPARE(l.down.size(0), int64_t(4));
            QCOMPARE(l.alpha, 2.0);
        }
    }

    // Every kohya layer changes exactly one weight, with the formula, convolutions included.
    void kohyaLayersMergeWithTheFormula()
    {
        qd::SdModel& m = model("sd1");
        const auto before = snapshot(m);
        m.setLoras({ { m_tiny, 1.0, 1.0 } });
        const auto diff = changed(m, before);
        QCOMPARE(int(diff.size()), 195);
        const auto view = m.loraView();
        // a 3x3 LoCon convolution, a 1x1 proj_in, an attention projection, a feed-forward layer
        const std::map<std::string, std::string> samples {
            { "lora_unet_down_blocks_0_resnets_0_conv1",
                "model.diffusion_model.input_blocks.1.0.in_layers.2.weight" },
            { "lora_unet_up_blocks_3_resnets_1_conv2",
                "model.diffusion_model.output_blocks.10.0.out_layers.3.weight" },
            { "lora_unet_mid_block_resnets_0_conv1",
                "model.diffusion_model.middle_block.0.in_layers.2.weight" },
            { "lora_unet_down_blocks_1_attentions_1_proj_in",
                "model.diffusion_model.input_blocks.5.1.proj_in.weight" },
            { "lora_unet_up_blocks_2_attentions_0_transformer_blocks_0_attn2_to_k",
                "model.diffusion_model.output_blocks.6.1.transformer_blocks.0.attn2.to_k.weight" },
            { "lora_unet_mid_block_attentions_0_transformer_blocks_0_ff_net_0_proj",
                "model.diffusion_model.middle_block.1.transformer_blocks.0.ff.net.0.proj.weight" },
            { "lora_unet_up_blocks_1_attentions_2_transformer_blocks_0_attn1_to_out_0",
                "model.diffusion_model.output_blocks.5.1.transformer_blocks.0.attn1.to_out.0.weight" },
        };
        for (const auto& [layerName, key] : samples) {
            const auto it = std::find_if(m_tiny->layers.begin(), m_tiny->layers.end(),
                [&](const qd::LoraLayer& l) { return l.name == layerName; });
            QVERIFY2(it != m_tiny->layers.end(), layerName.c_str());
            const auto want = expected(before.at(key), it->down, it->up, it->alpha, 1.0);
            QVERIFY2((view.weights.at(key).to(torch::kFloat64) - want).abs().max().item<double>() < 1e-6,
                key.c_str());
        }
        m.setLoras({});
    }

    // The same layers written in the diffusers / PEFT form (lora_A = down, lora_B = up, no alpha:
    // scale 1), text-encoder layers included, land on the same weights.
    void peftNamesMapToTheSameWeights()
    {
        qd::SdModel& m = model("sd1");
        const auto before = snapshot(m);
        torch::manual_seed(3);
        const std::map<std::string, std::pair<std::string, std::vector<int64_t>>> layers {
            { "unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q",
                { "model.diffusion_model.input_blocks.1.1.transformer_blocks.0.attn1.to_q.weight",
                    { 32, 32 } } },
            { "unet.up_blocks.1.attentions.0.transformer_blocks.0.attn1.to_out.0",
                { "model.diffusion_model.output_blocks.3.1.transformer_blocks.0.attn1.to_out.0.weight",
                    { 64, 64 } } },
            { "unet.down_blocks.1.downsamplers.0.conv",
                { "model.diffusion_model.input_blocks.6.0.op.weight", { 64, 64 * 9 } } },
            { "unet.up_blocks.0.upsamplers.0.conv",
                { "model.diffusion_model.output_blocks.2.1.conv.weight", { 128, 128 * 9 } } },
            { "text_encoder.text_model.encoder.layers.1.self_attn.v_proj",
                { "cond_stage_model.transformer.text_model.encoder.layers.1.self_attn.v_proj.weight",
                    { 128, 128 } } },
            { "text_encoder.text_model.encoder.layers.0.mlp.fc2",
                { "cond_stage_model.transformer.text_model.encoder.layers.0.mlp.fc2.weight", { 128, 512 } } },
        };
        qd::StateDict tensors;
        for (const auto& [name, target] : layers) {
            const auto& shape = target.second;
            tensors[name + ".lora_A.weight"] = torch::randn({ 2, shape[1] }) * 0.1;
            tensors[name + ".lora_B.weight"] = torch::randn({ shape[0], 2 }) * 0.1;
        }
        const auto file = std::make_shared<const qd::LoraFile>(
            qd::LoraFile::read(writeFile("peft.safetensors", tensors)));
        QCOMPARE(int(file->layers.size()), int(layers.size()));
        m.setLoras({ { file, 0.5, 0.75 } }); // te 0.5, unet 0.75
        QCOMPARE(int(changed(m, before).size()), int(layers.size()));
        const auto view = m.loraView();
        for (const auto& [name, target] : layers) {
            const auto& w = view.weights.at(target.first);
            const auto& a = tensors.at(name + ".lora_A.weight");
            const auto& b = tensors.at(name + ".lora_B.weight");
            const double weight = name.rfind("text_encoder", 0) == 0 ? 0.5 : 0.75;
            const auto want = expected(before.at(target.first), a.reshape({ 2, -1 }), b, 2.0, weight);
            QVERIFY2((w.to(torch::kFloat64) - want).abs().max().item<double>() < 1e-6, name.c_str());
        }
        m.setLoras({});
        QVERIFY(changed(m, before).empty());
    }

    // SD2's OpenCLIP encoder stores q, k, v as one in_proj_weight: a kohya k_proj layer changes its
    // middle third only. kohya's SDXL files name UNet modules by their single-file path.
    void fusedQkvAndSingleFileNames()
    {
        torch::manual_seed(5);
        {
            qd::SdModel& m = model("sd2");
            const auto before = snapshot(m);
            qd::StateDict t;
            t["lora_te_text_model_encoder_layers_1_self_attn_k_proj.lora_down.weight"]
                = torch::randn({ 4, 128 });
            t["lora_te_text_model_encoder_layers_1_self_attn_k_proj.lora_up.weight"]
                = torch::randn({ 128, 4 });
            t["lora_te_text_model_encoder_layers_1_self_attn_k_proj.alpha"] = torch::tensor(8.0);
            const auto f
                = std::make_shared<const qd::LoraFile>(qd::LoraFile::read(writeFile("sd2te.safetensors", t)));
            m.setLoras({ { f, 1.0, 1.0 } });
            const std::string key = "cond_stage_model.model.transformer.resblocks.1.attn.in_proj_weight";
            QCOMPARE(changed(m, before), std::vector<std::string> { key });
            const auto w = m.loraView().weights.at(key);
            QVERIFY(torch::equal(w.narrow(0, 0, 128), before.at(key).narrow(0, 0, 128)));
            QVERIFY(torch::equal(w.narrow(0, 256, 128), before.at(key).narrow(0, 256, 128)));
            const auto want = expected(before.at(key).narrow(0, 128, 128),
                t.at("lora_te_text_model_encoder_layers_1_self_attn_k_proj.lora_down.weight"),
                t.at("lora_te_text_model_encoder_layers_1_self_attn_k_proj.lora_up.weight"), 8.0, 1.0);
            QVERIFY((w.narrow(0, 128, 128).to(torch::kFloat64) - want).abs().max().item<double>() < 1e-5);
            m.setLoras({});
        }
        {
            qd::SdModel& m = model("sdxl");
            const auto before = snapshot(m);
            qd::StateDict t;
            const std::string a
                = "lora_unet_input_blocks_4_1_transformer_blocks_0_attn1_to_q"; // single-file name
            const std::string b
                = "lora_unet_down_blocks_1_attentions_0_transformer_blocks_0_attn1_to_q"; // diffusers
            const std::string c = "lora_te2_text_model_encoder_layers_0_mlp_fc1"; // OpenCLIP c_fc
            for (const auto& n : { a, c }) {
                const bool te = n == c;
                t[n + ".lora_down.weight"] = torch::randn({ 2, te ? 192 : 64 });
                t[n + ".lora_up.weight"] = torch::randn({ te ? 768 : 64, 2 });
            }
            const auto fa
                = std::make_shared<const qd::LoraFile>(qd::LoraFile::read(writeFile("xl.safetensors", t)));
            m.setLoras({ { fa, 1.0, 1.0 } });
            auto diff = changed(m, before);
            std::sort(diff.begin(), diff.end());
            QCOMPARE(diff,
                (std::vector<std::string> {
                    "conditioner.embedders.1.model.transformer.resblocks.0.mlp.c_fc.weight",
                    "model.diffusion_model.input_blocks.4.1.transformer_blocks.0.attn1.to_q.weight" }));
            // the diffusers name of the same module lands on the same weight
            const auto view = m.loraView();
            QCOMPARE(qd::loraTarget(b, view, "x").key, qd::loraTarget(a, view, "x").key);
            m.setLoras({});
            QVERIFY(changed(m, before).empty());
        }
    }

    void weightZeroChangesNothing()
    {
        qd::SdModel& m = model("sd1");
        const auto before = snapshot(m);
        m.setLoras({ { m_tiny, 0.0, 0.0 } });
        QVERIFY(changed(m, before).empty());
        m.setLoras({});
    }

    // Merging, switching to another weight and removing: the checkpoint's weights come back bit for
    // bit, and a new set starts from them (no drift from add / subtract).
    void removingRestoresBitForBit()
    {
        qd::SdModel& m = model("sd1");
        const auto before = snapshot(m);
        m.setLoras({ { m_tiny, 1.0, 1.0 } });
        QVERIFY(!changed(m, before).empty());
        m.setLoras({ { m_tiny, 0.5, 0.5 } });
        const auto halfAfterSwitch = snapshot(m);
        m.setLoras({});
        QVERIFY(changed(m, before).empty());
        m.setLoras({ { m_tiny, 0.5, 0.5 } });
        QVERIFY(changed(m, halfAfterSwitch).empty());
        m.setLoras({});
        QVERIFY(changed(m, before).empty());
    }

    void anotherArchitectureIsRefused()
    {
        qd::SdModel& m = model("sdxl");
        const auto before = snapshot(m);
        try {
            m.setLoras({ { m_tiny, 1.0, 1.0 } });
            QFAIL("an SD1 LoRA merged into an SDXL model");
        } catch (const qd::EngineError& e) {
            const QString msg = e.what();
            QVERIFY2(msg.contains("tiny-sd1-lora.safetensors") && msg.contains("lora_unet_"), e.what());
        }
        QVERIFY(changed(m, before).empty()); // nothing half-merged
        QVERIFY(m.loras().empty());
    }

    void badFilesAreRefused_data()
    {
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("expect");
        QTest::newRow("LoHa") << "lora_unet_mid_block_attentions_0_proj_in.hada_w1_a"
                              << "LoHa";
        QTest::newRow("not LoRA") << "model.diffusion_model.out.2.weight"
                                  << "not part of a LoRA layer";
        QTest::newRow("no up") << "lora_unet_mid_block_attentions_0_proj_in.lora_down.weight"
                               << "has no up matrix";
        QTest::newRow("DoRA") << "lora_unet_mid_block_attentions_0_proj_in.dora_scale"
                              << "DoRA";
    }

    void badFilesAreRefused()
    {
        QFETCH(QString, key);
        QFETCH(QString, expect);
        const std::string path
            = writeFile("bad.safetensors", { { key.toStdString(), torch::zeros({ 4, 32 }) } });
        try {
            qd::LoraFile::read(path);
            QFAIL("read a bad LoRA file");
        } catch (const qd::EngineError& e) {
            const QString msg = e.what();
            QVERIFY2(msg.contains("bad.safetensors") && msg.contains(expect), e.what());
        }
    }

    // The app path: `<lora:name:w>` in the prompt, found in the LoRA folder, merged for that job only,
    // with AUTOMATIC1111's "Lora hashes" in the infotext.
    void promptTagsInThePipeline()
    {
        qd::ModelSpec spec; // the demo model is the tiny SD1 model
        auto pipe = qd::Pipeline::open(spec);
        qd::GenerationInputs inputs; // the LoRA folders travel with each job
        inputs.assets.loraDirs = { QD_TEST_DATA "/conformance" };
        qd::GenerationParams p;
        p.prompt = "a fantasy landscape";
        p.sampler = "Euler";
        p.steps = 3;
        p.width = 64;
        p.height = 64;
        p.seed = 7;
        auto run = [&](const std::string& prompt) {
            qd::GenerationParams q = p;
            q.prompt = prompt;
            return pipe
                ->generate(q, inputs, qd::PreviewOptions { qd::PreviewMethod::None, 1, {} }, {}, nullptr)
                .at(0);
        };
        const auto plain = run(p.prompt);
        const auto tagged = run(p.prompt + " <lora:tiny-sd1-lora:0.8>");
        QVERIFY(plain.image.pixels != tagged.image.pixels);
        // hashlib.sha256 of the file's bytes after its safetensors header, first 12 digits (Python)
        QCOMPARE(tagged.params.extra.at("Lora hashes"), std::string("tiny-sd1-lora: 41df0a42fc63"));
        QVERIFY(!plain.params.extra.count("Lora hashes"));
        const auto again = run(p.prompt); // the next job without the tag: the checkpoint's weights
        QVERIFY(again.image.pixels == plain.image.pixels);
        QVERIFY(!again.params.extra.count("Lora hashes"));
        // a name with no file: the image is made without it (as A1111 does), with a warning
        const auto missing = run(p.prompt + " <lora:no-such-lora:1>");
        QVERIFY(missing.image.pixels == plain.image.pixels);
        QCOMPARE(missing.warnings.size(), size_t(1));
        QVERIFY2(QString::fromStdString(missing.warnings[0]).contains("no-such-lora"),
            missing.warnings[0].c_str());
        QVERIFY(!missing.params.extra.count("Lora hashes"));

        // A LoRA whose shapes don't fit this model, and a file that isn't a LoRA: made without
        // them too, each warning naming its file (the fitting one is still merged).
        writeFile("misfit.safetensors",
            { { "lora_unet_down_blocks_0_attentions_0_proj_in.lora_down.weight",
                  torch::zeros({ 4, 5, 1, 1 }) },
                { "lora_unet_down_blocks_0_attentions_0_proj_in.lora_up.weight",
                    torch::zeros({ 6, 4, 1, 1 }) } });
        writeFile(
            "notalora.safetensors", { { "model.diffusion_model.out.2.weight", torch::zeros({ 4, 4 }) } });
        inputs.assets.loraDirs = { QD_TEST_DATA "/conformance", m_dir.path().toStdString() };
        const auto mixed = run(p.prompt + " <lora:misfit:1> <lora:tiny-sd1-lora:0.8> <lora:notalora:1>");
        QVERIFY(mixed.image.pixels == tagged.image.pixels);
        QCOMPARE(mixed.warnings.size(), size_t(2));
        QVERIFY2(QString::fromStdString(mixed.warnings[0]).contains("misfit.safetensors"),
            mixed.warnings[0].c_str());
        QVERIFY2(QString::fromStdString(mixed.warnings[1]).contains("notalora.safetensors"),
            mixed.warnings[1].c_str());
        QCOMPARE(mixed.params.extra.at("Lora hashes"), std::string("tiny-sd1-lora: 41df0a42fc63"));
    }
};

QTEST_APPLESS_MAIN(TestLora)
#include "tst_lora.moc"
