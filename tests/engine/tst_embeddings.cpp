#include <QtTest/QtTest>
#include <torch/torch.h>

#include "TestUtil.h"
#include "core/engine/Pipeline.h"
#include "core/engine/io/FileHash.h"
#include "core/engine/io/SafeTensors.h"
#include "core/engine/io/TorchCheckpoint.h"
#include "core/engine/models/TinyModels.h"
#include "core/engine/pipeline/SdModel.h"
#include "core/engine/text/Embeddings.h"

// Textual-inversion embeddings as artists have them (A1111 .pt, diffusers concept .bin,
// .safetensors, SDXL clip_l / clip_g): the name typed in a prompt puts the file's vectors where the
// name's tokens were. The decisive check: an embedding whose vectors are the token embeddings of
// "red cat" conditions the model exactly as typing "red cat" does.
class TestEmbeddings : public QObject
{
    Q_OBJECT
    QTemporaryDir m_dir;

    static qd::SdModel& model(const std::string& name) { return qdtest::tinyModel(name); }

    // The token embeddings (encoder `e` of `m`) of `words`' tokens: [n, width].
    static torch::Tensor wordVectors(qd::SdModel& m, size_t e, const std::string& words)
    {
        const std::vector<int> ids = qd::ClipTokenizer::shared().encode(words);
        const auto t = torch::tensor(std::vector<int64_t>(ids.begin(), ids.end())).unsqueeze(0);
        c10::InferenceMode guard;
        return m.conditioner().encoders()[e].model->tokenEmbeddings(t)[0].to(torch::kFloat32).clone();
    }

    static qd::TextConditioning encode(qd::SdModel& m, const std::string& prompt)
    {
        return m.conditioner().encode(prompt);
    }

    std::string path(const char* name) const { return m_dir.filePath(name).toStdString(); }

private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void readsEveryFormat()
    {
        const auto v = torch::randn({ 3, 768 });
        // A1111's own .pt: {"string_to_param": {"*": vec}, "step", "sd_checkpoint_name", ...}
        qd::TorchSaveOptions nested;
        nested.wrapperKey = "string_to_param";
        qd::saveTorchCheckpoint(path("a1111.pt"), { { "*", v } }, nested);
        // diffusers concept .bin: {"<token>": [768]}
        qd::TorchSaveOptions flat;
        flat.nestInStateDict = false;
        qd::saveTorchCheckpoint(path("concept.bin"), { { "<cat-toy>", v[0] } }, flat);
        qd::saveSafetensors(path("emb.safetensors"), { { "emb_params", v.to(torch::kFloat16) } });
        qd::saveSafetensors(path("xl.safetensors"),
            { { "clip_l", torch::randn({ 2, 768 }) }, { "clip_g", torch::randn({ 2, 1280 }) } });

        const auto a = qd::loadTextualInversion(path("a1111.pt"));
        QCOMPARE(a.info.name, std::string("a1111"));
        QCOMPARE(a.info.vectors, 3);
        QCOMPARE(a.info.family(), std::string("SD1"));
        QVERIFY(torch::equal(a.vectors.at(""), v));
        const auto c = qd::loadTextualInversion(path("concept.bin"));
        QCOMPARE(c.info.vectors, 1);
        QVERIFY(torch::equal(c.vectors.at("")[0], v[0]));
        const auto s = qd::loadTextualInversion(path("emb.safetensors"));
        QCOMPARE(s.vectors.at("").scalar_type(), torch::kFloat32);
        QVERIFY(torch::equal(s.vectors.at(""), v.to(torch::kFloat16).to(torch::kFloat32)));
        const auto x = qd::loadTextualInversion(path("xl.safetensors"));
        QCOMPARE(x.info.width, int64_t(2048));
        QCOMPARE(x.info.family(), std::string("SDXL"));
        QCOMPARE(x.info.vectors, 2);
    }

    void refusesWhatIsNotAnEmbedding()
    {
        qd::saveSafetensors(
            path("two.safetensors"), { { "a", torch::zeros({ 768 }) }, { "b", torch::zeros({ 768 }) } });
        qd::saveSafetensors(
            path("ints.safetensors"), { { "emb_params", torch::zeros({ 2, 4 }, torch::kInt32) } });
        for (const char* f : { "two.safetensors", "ints.safetensors" }) {
            try {
                qd::loadTextualInversion(path(f));
                QFAIL("loaded a file that is no embedding");
            } catch (const qd::EngineError& e) {
                QVERIFY2(QString(e.what()).contains(f), e.what());
            }
        }
    }

    // The name stands for its vectors: exactly the conditioning of the words whose token
    // embeddings they are, on SD1, SD2 (OpenCLIP, "!" padding) and SDXL (both encoders).
    void vectorsReplaceTheNamesTokens_data()
    {
        QTest::addColumn<QString>("family");
        QTest::newRow("sd1") << "sd1";
        QTest::newRow("sd2") << "sd2";
        QTest::newRow("sdxl") << "sdxl";
    }
    void vectorsReplaceTheNamesTokens()
    {
        QFETCH(QString, family);
        qd::SdModel& m = model(family.toStdString());
        qd::TextualInversion ti;
        ti.info.name = "my-style";
        ti.info.path = path("my-style.pt");
        if (family == "sdxl") {
            ti.vectors["clip_l"] = wordVectors(m, 0, "red cat");
            ti.vectors["clip_g"] = wordVectors(m, 1, "red cat");
        } else {
            ti.vectors[""] = wordVectors(m, 0, "red cat");
        }
        ti.info.vectors = 2;
        m.conditioner().setEmbeddings(qd::EmbeddingSet::fromEmbeddings({ ti }, qd::ClipTokenizer::shared()));
        const auto typed = encode(m, "a photo of a (red cat:1.2) on a mat");
        const auto named = encode(m, "a photo of a (my-style:1.2) on a mat");
        const auto without = encode(m, "a photo of a (cat:1.2) on a mat");
        m.conditioner().setEmbeddings(nullptr);
        QVERIFY(torch::equal(named.context, typed.context));
        if (family == "sdxl")
            QVERIFY(torch::equal(named.pooled, typed.pooled));
        QVERIFY(!torch::equal(without.context, typed.context));
        QCOMPARE(named.embeddings, std::vector<int> { 0 });
        QVERIFY(typed.embeddings.empty());
        QCOMPARE(named.tokenCount, typed.tokenCount);
    }

    // A1111's tokenize_line: an embedding that does not fit the rest of a chunk moves whole into the
    // next one; the count counts its vectors.
    void chunkingCountsVectors()
    {
        qd::EmbeddingVocabulary vocab;
        vocab.add(qd::ClipTokenizer::shared().encode("big-emb"), 8, 0);
        const std::string filler
            = "cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat "
              "cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat "
              "cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat "
              "cat cat cat cat cat cat cat cat cat cat ";
        const auto chunked = qd::chunkPrompt(filler + "big-emb", qd::ClipTokenizer::shared(), {}, &vocab);
        QCOMPARE(int(chunked.chunks.size()), 2);
        QCOMPARE(chunked.tokenCount, 75 + 8);
        QVERIFY(chunked.chunks[0].fixes.empty());
        QCOMPARE(int(chunked.chunks[1].fixes.size()), 1);
        QCOMPARE(chunked.chunks[1].fixes[0].offset, 0);
        QCOMPARE(chunked.chunks[1].tokens[1], 0);
        const auto plain = qd::chunkPrompt("a big-emb", qd::ClipTokenizer::shared(), {}, &vocab);
        QCOMPARE(plain.tokenCount, 1 + 8);
        QCOMPARE(plain.embeddings, std::vector<int> { 0 });
    }

    // The app path: the embeddings folder of the job, the model's width only, "TI hashes" in the
    // infotext for names used in either prompt, and nothing recorded for a job that names none.
    void embeddingsFolderInThePipeline()
    {
        QDir(m_dir.path()).mkpath("embeddings/sub");
        auto pipe = qd::Pipeline::open(qd::ModelSpec {}); // the demo model: the tiny SD1 model
        qd::TorchSaveOptions nested;
        nested.wrapperKey = "string_to_param";
        qd::saveTorchCheckpoint(
            path("embeddings/sub/shiny-thing.pt"), { { "*", torch::randn({ 2, 128 }) } }, nested);
        // an SD 1.x embedding (width 768) beside the demo model (width 128): not loaded, not applied
        qd::saveSafetensors(
            path("embeddings/bigmodel.safetensors"), { { "emb_params", torch::randn({ 1, 768 }) } });

        qd::GenerationInputs inputs;
        inputs.assets.embeddingDirs = { path("embeddings") };
        qd::GenerationParams p;
        p.sampler = "Euler";
        p.steps = 3;
        p.width = 64;
        p.height = 64;
        p.seed = 11;
        auto run = [&](const std::string& prompt, const std::string& negative) {
            qd::GenerationParams q = p;
            q.prompt = prompt;
            q.negativePrompt = negative;
            return pipe
                ->generate(q, inputs, qd::PreviewOptions { qd::PreviewMethod::None, 1, {} }, {}, nullptr)
                .at(0);
        };
        const auto plain = run("a castle", "");
        const auto named = run("a castle, shiny-thing", "");
        const auto negative = run("a castle", "shiny-thing");
        const auto misfit = run("a castle", "bigmodel");
        QVERIFY(!plain.params.extra.count("TI hashes"));
        QVERIFY(named.image.pixels != plain.image.pixels);
        QVERIFY(negative.image.pixels != plain.image.pixels);
        // hashlib.sha256(file bytes).hexdigest()[:12], as A1111 names embeddings in the infotext
        const std::string hash
            = "shiny-thing: " + qd::fileSha256(path("embeddings/sub/shiny-thing.pt"), 0, 12);
        if (hash.size() > std::string("shiny-thing: ").size()) { // builds without OpenSSL have no hashes
            QCOMPARE(named.params.extra.at("TI hashes"), hash);
            QCOMPARE(negative.params.extra.at("TI hashes"), hash);
        }
        QVERIFY(!misfit.params.extra.count("TI hashes"));

        // a changed file is read again for the next job
        qd::saveTorchCheckpoint(
            path("embeddings/sub/shiny-thing.pt"), { { "*", torch::randn({ 2, 128 }) } }, nested);
        const auto changed = run("a castle, shiny-thing", "");
        QVERIFY(changed.image.pixels != named.image.pixels);
    }
};

QTEST_GUILESS_MAIN(TestEmbeddings)
#include "tst_embeddings.moc"
