#include <fstream>

#include <QtTest/QtTest>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "TestUtil.h"
#include "core/engine/models/TinyModels.h"
#include "core/engine/text/ClipTextModel.h"
#include "core/engine/text/Conditioner.h"

// CLIP text encoders and the Conditioner against diffusers' prompt embeddings (goldens), the
// full-size key/shape tables, and A1111's weighting / chunking behaviour.
class TestClipText : public QObject
{
    Q_OBJECT

    static constexpr const char* Prompt = "a fantasy landscape, epic mountains and sunset";
    static constexpr const char* Negative = "blurry, low quality";
    static constexpr double Tol = 1e-4; // README: unit goldens

    static const qd::StateDict& tiny(const std::string& model)
    {
        static std::map<std::string, qd::StateDict> cache;
        auto it = cache.find(model);
        if (it == cache.end())
            it = cache.emplace(model, qd::tinyStateDict(model, qdtest::conformance("tiny_layouts.json")))
                     .first;
        return it->second;
    }
    static const qd::Conditioner& conditioner(const std::string& model)
    {
        static std::map<std::string, std::unique_ptr<qd::Conditioner>> cache;
        auto& c = cache[model];
        if (!c)
            c = std::make_unique<qd::Conditioner>(
                qd::Conditioner::fromStateDict(tiny(model), model + "-tiny.safetensors"));
        return *c;
    }

    // Every parameter of `m` as prefix + name -> shape.
    static std::map<std::string, std::vector<int64_t>> shapes(
        const torch::nn::Module& m, const std::string& prefix)
    {
        std::map<std::string, std::vector<int64_t>> out;
        for (const auto& p : m.named_parameters())
            out[prefix + p.key()] = p.value().sizes().vec();
        return out;
    }

private slots:
    void initTestCase() { torch::set_num_threads(2); }

    void sd1Goldens()
    {
        const auto& c = conditioner("sd1");
        QCOMPARE(c.family(), qd::TextFamily::SD1);
        QD_VERIFY_CLOSE(c.encode(Prompt).context, qdtest::golden("sd1/prompt_embeds"), Tol);
        QD_VERIFY_CLOSE(c.encode(Negative).context, qdtest::golden("sd1/negative_prompt_embeds"), Tol);
        qd::ConditionerOptions skip2;
        skip2.clipSkip = 2; // A1111 "Clip skip: 2" = diffusers clip_skip=1
        QD_VERIFY_CLOSE(c.encode(Prompt, skip2).context, qdtest::golden("sd1/prompt_embeds_clip_skip1"), Tol);
        // the last layer and the penultimate one really differ (the test can fail)
        QVERIFY(qdtest::closeTo(c.encode(Prompt).context, qdtest::golden("sd1/prompt_embeds_clip_skip1"), Tol)
                    .size()
            > 0);
    }

    void sd2Goldens()
    {
        const auto& c = conditioner("sd2");
        QCOMPARE(c.family(), qd::TextFamily::SD2);
        QCOMPARE(c.encoders()[0].model->config().layers, 3); // the third is the unused one
        QD_VERIFY_CLOSE(c.encode(Prompt).context, qdtest::golden("sd2/prompt_embeds"), Tol);
        QD_VERIFY_CLOSE(c.encode(Negative).context, qdtest::golden("sd2/negative_prompt_embeds"), Tol);
    }

    void sdxlGoldens()
    {
        const auto& c = conditioner("sdxl");
        QCOMPARE(c.family(), qd::TextFamily::SDXL);
        QCOMPARE(c.contextDim(), 320);
        QCOMPARE(c.pooledDim(), 192);
        const auto pos = c.encode(Prompt);
        QD_VERIFY_CLOSE(pos.context, qdtest::golden("sdxl/prompt_embeds"), Tol);
        QD_VERIFY_CLOSE(pos.pooled, qdtest::golden("sdxl/pooled_prompt_embeds"), Tol);
        const auto neg = c.encode(Negative);
        QD_VERIFY_CLOSE(neg.context, qdtest::golden("sdxl/negative_prompt_embeds"), Tol);
        QD_VERIFY_CLOSE(neg.pooled, qdtest::golden("sdxl/negative_pooled_prompt_embeds"), Tol);
    }

    void sdxlEmptyNegative()
    {
        const auto& c = conditioner("sdxl");
        const auto encoded = c.encode(""); // diffusers with negative_prompt="" encodes it
        QVERIFY(encoded.context.abs().max().item<double>() > 0.1);
        qd::ConditionerOptions zero;
        zero.zeroEmptyPrompt = true; // A1111 / diffusers with no negative prompt at all
        const auto zeroed = c.encode("<lora:x:1>", zero);
        QVERIFY(zeroed.zeroed);
        QCOMPARE(zeroed.context.sizes(), encoded.context.sizes());
        QCOMPARE(zeroed.context.abs().max().item<double>(), 0.0);
        QCOMPARE(zeroed.pooled.abs().max().item<double>(), 0.0);
        QVERIFY(!c.encode("x", zero).zeroed);
    }

    void extraNetworkTagsAreRemoved()
    {
        const auto r = conditioner("sd1").encode(std::string(Prompt) + " <lora:styleA:0.7>");
        QD_VERIFY_CLOSE(r.context, qdtest::golden("sd1/prompt_embeds"), Tol);
        QCOMPARE(r.extraNetworks.size(), size_t(1));
        QCOMPARE(r.extraNetworks[0].name, std::string("styleA"));
        QCOMPARE(r.extraNetworks[0].teMultiplier, 0.7);
    }

    void weightsKeepTheMean()
    {
        // "(fantasy:1.5)": A1111 multiplies that token's vectors by 1.5, then rescales the chunk so
        // its mean is the unweighted mean, for each encoder on its own (SDXL: 128 + 192 channels).
        for (const char* model : { "sd1", "sd2", "sdxl" }) {
            const auto& c = conditioner(model);
            const torch::Tensor plainAll = c.encode("a fantasy landscape").context[0]; // [77, C]
            const torch::Tensor weightedAll = c.encode("a (fantasy:1.5) landscape").context[0];
            int64_t offset = 0;
            for (const auto& slot : c.encoders()) {
                const int64_t width = slot.model->config().width;
                const torch::Tensor plain = plainAll.slice(1, offset, offset + width);
                const torch::Tensor weighted = weightedAll.slice(1, offset, offset + width);
                offset += width;
                QVERIFY(std::abs(weighted.mean().item<double>() - plain.mean().item<double>()) < 1e-6);
                // tokens: 0 start, 1 "a", 2 "fantasy", 3 "landscape": one common factor f on the
                // others (least squares over the start token), 1.5 f on "fantasy"
                const double f = (weighted[0] * plain[0]).sum().item<double>()
                    / (plain[0] * plain[0]).sum().item<double>();
                QVERIFY2(std::abs(f - 1.0) > 1e-4, model); // the rescale is real
                QD_VERIFY_CLOSE(weighted[1], plain[1] * f, 1e-5);
                QD_VERIFY_CLOSE(weighted[3], plain[3] * f, 1e-5);
                QD_VERIFY_CLOSE(weighted[2], plain[2] * (1.5 * f), 1e-5);
            }
        }
    }

    void longPromptsChunkAndNegativesPad()
    {
        const auto& c = conditioner("sd1");
        std::string longPrompt;
        for (int i = 0; i < 12; ++i)
            longPrompt += "a detailed city street at night, ";
        auto pos = c.encode(longPrompt);
        QCOMPARE(pos.chunkCount, 2);
        QCOMPARE(pos.context.sizes(), (std::vector<int64_t> { 1, 154, 128 }));
        // a chunk is encoded on its own: the second chunk does not see the first
        const auto chunks = qd::chunkPrompt(longPrompt, qd::ClipTokenizer::shared()).chunks;
        const auto second
            = c.encoders()[0].model->forward(torch::tensor(chunks[1].tokens).view({ 1, 77 }), 2, true).hidden;
        QD_VERIFY_CLOSE(pos.context.slice(1, 77, 154), second, 1e-5);

        auto neg = c.encode(Negative);
        c.equaliseChunks(pos, neg);
        QCOMPARE(neg.chunkCount, 2);
        QCOMPARE(neg.context.sizes(), pos.context.sizes());
        QD_VERIFY_CLOSE(neg.context.slice(1, 0, 77), qdtest::golden("sd1/negative_prompt_embeds"), Tol);
        QD_VERIFY_CLOSE(neg.context.slice(1, 77, 154), c.encode("").context, 1e-6);

        // BREAK makes a new chunk too; SDXL keeps both encoders and its pooled vector
        const auto xl = conditioner("sdxl").encode("a cat BREAK a dog");
        QCOMPARE(xl.context.sizes(), (std::vector<int64_t> { 1, 154, 320 }));
        QCOMPARE(xl.pooled.sizes(), (std::vector<int64_t> { 1, 192 }));
        QD_VERIFY_CLOSE(xl.pooled, conditioner("sdxl").encode("a cat").pooled, 1e-6); // from chunk 1
    }

    void clipSkipLimits()
    {
        const auto& c = conditioner("sd1"); // 2 layers: skip 1, 2 and 3 (the embeddings) are valid
        qd::ConditionerOptions o;
        o.clipSkip = 3;
        QCOMPARE(c.encode("x", o).context.size(1), 77);
        o.clipSkip = 4;
        QVERIFY_EXCEPTION_THROWN(c.encode("x", o), qd::EngineError);
        o.clipSkip = 0;
        QVERIFY_EXCEPTION_THROWN(c.encode("x", o), qd::EngineError);
    }

    void detectAndValidate()
    {
        const auto sd2 = qd::ClipTextConfig::detectFromWeights(tiny("sd2"), "cond_stage_model.model.", "f");
        QCOMPARE(sd2.form, qd::ClipTextForm::OpenClip);
        QCOMPARE(sd2.width, 128);
        QCOMPARE(sd2.layers, 3);
        QCOMPARE(sd2.heads, 2);
        QCOMPARE(sd2.mlpWidth, 512);
        QCOMPARE(sd2.activation, qd::ClipActivation::Gelu);
        QCOMPARE(sd2.projectionDim, 0);
        const auto xl
            = qd::ClipTextConfig::detectFromWeights(tiny("sdxl"), "conditioner.embedders.1.model.", "f");
        QCOMPARE(xl.width, 192);
        QCOMPARE(xl.projectionDim, 192);
        const auto l
            = qd::ClipTextConfig::detectFromWeights(tiny("sd1"), "cond_stage_model.transformer.", "f");
        QCOMPARE(l.form, qd::ClipTextForm::OpenAi);
        QCOMPARE(l.activation, qd::ClipActivation::QuickGelu);
        QCOMPARE(l.layers, 2);

        qd::ClipTextConfig bad = qd::ClipTextConfig::clipL();
        bad.heads = 7;
        try {
            bad.validate();
            QFAIL("no error");
        } catch (const qd::EngineError& e) {
            QVERIFY2(QString(e.what()).contains("heads = 7"), e.what());
        }
        try {
            qd::ClipTextConfig::detectFromWeights(tiny("sd1"), "nowhere.", "model.ckpt");
            QFAIL("no error");
        } catch (const qd::EngineError& e) {
            QVERIFY2(
                QString(e.what()).contains("model.ckpt") && QString(e.what()).contains("nowhere."), e.what());
        }
        QVERIFY_EXCEPTION_THROWN(
            qd::Conditioner::fromStateDict(qd::StateDict {}, "empty.safetensors"), qd::EngineError);
    }

    void realFilesExtraKeysAndBadShapes()
    {
        qd::StateDict sd = tiny("sd2");
        // real SD2 / SDXL files carry these; they must not disturb loading
        sd["cond_stage_model.model.logit_scale"] = torch::tensor(4.6f);
        sd["cond_stage_model.model.position_ids"] = torch::arange(77, torch::kLong).view({ 1, 77 });
        std::vector<std::string> unexpected;
        auto m = qd::loadClipTextModel(sd, "cond_stage_model.model.", "sd2.safetensors", {}, &unexpected);
        QCOMPARE(unexpected,
            (std::vector<std::string> {
                "cond_stage_model.model.logit_scale", "cond_stage_model.model.position_ids" }));

        sd["cond_stage_model.model.ln_final.weight"] = torch::ones({ 64 });
        try {
            qd::loadClipTextModel(sd, "cond_stage_model.model.", "sd2.safetensors");
            QFAIL("no error");
        } catch (const qd::EngineError& e) {
            QVERIFY2(QString(e.what()).contains("ln_final.weight") && QString(e.what()).contains("[64]"),
                e.what());
        }
        sd = tiny("sd1");
        sd.erase("cond_stage_model.transformer.text_model.encoder.layers.1.self_attn.v_proj.bias");
        try {
            qd::loadClipTextModel(sd, "cond_stage_model.transformer.", "sd1.ckpt");
            QFAIL("no error");
        } catch (const qd::EngineError& e) {
            QVERIFY2(QString(e.what()).contains("layers.1.self_attn.v_proj.bias"), e.what());
        }
    }

    void badIdsAreRefused()
    {
        c10::InferenceMode guard;
        const auto& m = *conditioner("sd1").encoders()[0].model;
        QVERIFY_EXCEPTION_THROWN(m.forward(torch::zeros({ 1, 78 }, torch::kLong), 2, true), qd::EngineError);
        QVERIFY_EXCEPTION_THROWN(m.forward(torch::zeros({ 77 }, torch::kLong), 2, true), qd::EngineError);
        QVERIFY_EXCEPTION_THROWN(m.forward(torch::zeros({ 1, 77 }), 2, true), qd::EngineError);
        QVERIFY_EXCEPTION_THROWN(m.forward(torch::zeros({ 1, 77 }, torch::kLong), 3, true), qd::EngineError);
        QVERIFY_EXCEPTION_THROWN(
            m.forward(torch::zeros({ 1, 77 }, torch::kLong), 2, true, /*pooled=*/true), qd::EngineError);
    }

    void fullSizeTreesMatchTheKeyTable()
    {
        std::ifstream in(qdtest::conformance("full_size_ldm_shapes.json"));
        const auto table = nlohmann::json::parse(in);
        const auto meta = torch::TensorOptions().device(torch::kMeta);
        struct Case {
            const char* model;
            const char* prefix;
            qd::ClipTextConfig config;
        };
        const Case cases[] = {
            { "sd15", "cond_stage_model.transformer.", qd::ClipTextConfig::clipL() },
            { "sd21", "cond_stage_model.model.", qd::ClipTextConfig::openClipH() },
            { "sdxl", "conditioner.embedders.0.transformer.", qd::ClipTextConfig::clipL() },
            { "sdxl", "conditioner.embedders.1.model.", qd::ClipTextConfig::openClipBigG() },
        };
        for (const auto& c : cases) {
            qd::ClipTextModel model(c.config, meta); // no memory: meta tensors
            const auto got = shapes(model, c.prefix);
            std::map<std::string, std::vector<int64_t>> expected;
            for (const auto& [key, shape] : table[c.model].items())
                if (key.rfind(c.prefix, 0) == 0)
                    expected[key] = shape.get<std::vector<int64_t>>();
            QVERIFY2(!expected.empty(), c.prefix);
            for (const auto& [key, shape] : expected)
                QVERIFY2(got.count(key) && got.at(key) == shape,
                    qPrintable(QString::fromStdString(key) + " missing or mis-shaped"));
            for (const auto& [key, shape] : got)
                QVERIFY2(
                    expected.count(key), qPrintable(QString::fromStdString(key) + " is not in the table"));
            // and detection from those shapes gives the reference config back
            qd::StateDict sd;
            for (const auto& [key, shape] : expected)
                sd[key] = torch::empty(shape, meta);
            const auto d = qd::ClipTextConfig::detectFromWeights(sd, c.prefix, c.model);
            QCOMPARE(d.width, c.config.width);
            QCOMPARE(d.layers, c.config.layers);
            QCOMPARE(d.heads, c.config.heads);
            QCOMPARE(d.mlpWidth, c.config.mlpWidth);
            QCOMPARE(d.projectionDim, c.config.projectionDim);
            QCOMPARE(d.form, c.config.form);
        }
    }

    // Figures, not a timed test: QD_BENCH=1 prints the encode time of full-size encoders (random
    // weights; values do not matter for speed).
    void benchmarkFullSize()
    {
        if (qgetenv("QD_BENCH") != "1")
            QSKIP("set QD_BENCH=1 to print full-size encode timings");
        c10::InferenceMode guard;
        for (const auto& [name, config] : { std::pair { "CLIP-L", qd::ClipTextConfig::clipL() },
                 std::pair { "OpenCLIP-H", qd::ClipTextConfig::openClipH() },
                 std::pair { "OpenCLIP-bigG", qd::ClipTextConfig::openClipBigG() } }) {
            auto model = std::make_shared<qd::ClipTextModel>(config);
            for (auto& p : model->parameters())
                p.normal_(0, 0.02);
            const bool xl = config.projectionDim > 0;
            std::vector<qd::TextEncoderSlot> encoders { { model, 1, !xl, xl,
                xl ? 0 : qd::ClipTokenizer::EndId } };
            qd::Conditioner c(qd::TextFamily::SD1, encoders);
            c.encode(Prompt); // warm-up
            for (int chunks : { 1, 2 }) {
                std::string p = Prompt;
                if (chunks == 2)
                    p += " BREAK " + p;
                QElapsedTimer t;
                t.start();
                const int runs = 3;
                for (int i = 0; i < runs; ++i)
                    c.encode(p);
                qInfo("%s (%d x %d layers): %d chunk(s) %.0f ms per prompt (%d threads)", name, config.width,
                    config.layers, chunks, double(t.elapsed()) / runs, torch::get_num_threads());
            }
        }
    }

    void sd2FilesWithoutTheUnusedLayer()
    {
        // OpenCLIP-H converted back from diffusers keeps only the 23 used blocks: read the last one
        const auto meta = torch::TensorOptions().device(torch::kMeta);
        auto h = qd::ClipTextConfig::openClipH();
        auto full = std::make_shared<qd::ClipTextModel>(h, meta);
        QCOMPARE(qd::Conditioner::familySlots(qd::TextFamily::SD2, { full })[0].layersFromEnd, 1);
        h.layers = 23;
        auto cut = std::make_shared<qd::ClipTextModel>(h, meta);
        QCOMPARE(qd::Conditioner::familySlots(qd::TextFamily::SD2, { cut })[0].layersFromEnd, 0);
        QVERIFY_EXCEPTION_THROWN(
            qd::Conditioner::familySlots(qd::TextFamily::SDXL, { full }), qd::EngineError);
    }

    void bfloat16Weights()
    {
        // --dtype bf16 on a CPU: same embeddings to bf16 precision (softmax stays float32)
        const auto c = qd::Conditioner::fromStateDict(
            tiny("sdxl"), "sdxl-tiny", torch::TensorOptions().dtype(torch::kBFloat16));
        const auto r = c.encode(Prompt);
        QCOMPARE(r.context.scalar_type(), torch::kBFloat16);
        QD_VERIFY_CLOSE(r.context.to(torch::kFloat), qdtest::golden("sdxl/prompt_embeds"), 5e-2);
        QD_VERIFY_CLOSE(r.pooled.to(torch::kFloat), qdtest::golden("sdxl/pooled_prompt_embeds"), 5e-2);
    }

    void sdxlTimeIds()
    {
        const auto t = qd::Conditioner::sdxlTimeIds(1024, 768, 0, 16, 1024, 768);
        QCOMPARE(t.sizes(), (std::vector<int64_t> { 1, 6 }));
        QCOMPARE(t[0][1].item<float>(), 768.0f);
        QCOMPARE(t[0][3].item<float>(), 16.0f);
    }
};

QTEST_APPLESS_MAIN(TestClipText)
#include "tst_cliptext.moc"
