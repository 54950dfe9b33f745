// Infotext writing and parsing against AUTOMATIC1111's layout (docs/reference.md §1). Every expected
// string here is written by hand from A1111's rules, not produced by the code under test.
#include <QtTest/QtTest>

#include "core/metadata/ForeignMetadata.h"
#include "core/metadata/Infotext.h"
#include "core/metadata/ParamsJson.h"

#include <QJsonArray>
#include <QJsonDocument>

using qd::GenerationParams;

namespace
{

GenerationParams typical()
{
    GenerationParams p;
    p.prompt = "a cat";
    p.negativePrompt = "blurry";
    p.steps = 20;
    p.sampler = "DPM++ 2M";
    p.scheduler = "Karras";
    p.cfgScale = 7;
    p.seed = 123;
    p.width = 512;
    p.height = 768;
    p.modelHash = "6ce0161689";
    p.modelName = "v1-5-pruned-emaonly";
    p.clipSkip = 2;
    return p;
}

QString s(const std::string& v)
{
    return QString::fromStdString(v);
}

void compareParams(const GenerationParams& a, const GenerationParams& b)
{
    QCOMPARE(s(a.prompt), s(b.prompt));
    QCOMPARE(s(a.negativePrompt), s(b.negativePrompt));
    QCOMPARE(s(a.sampler), s(b.sampler));
    QCOMPARE(s(a.scheduler), s(b.scheduler));
    QCOMPARE(a.steps, b.steps);
    QCOMPARE(a.cfgScale, b.cfgScale);
    QCOMPARE(a.seed, b.seed);
    QCOMPARE(a.width, b.width);
    QCOMPARE(a.height, b.height);
    QCOMPARE(a.clipSkip, b.clipSkip);
    QCOMPARE(s(a.modelName), s(b.modelName));
    QCOMPARE(s(a.modelHash), s(b.modelHash));
    QCOMPARE(a.subseedStrength, b.subseedStrength);
    if (a.subseedStrength != 0)
        QCOMPARE(a.subseed, b.subseed);
    QCOMPARE(a.extra, b.extra);
}

} // namespace

class TestInfotext : public QObject
{
    Q_OBJECT
private slots:
    void writesA1111Layout()
    {
        QCOMPARE(qd::toInfotext(typical(), "v1.10.1"),
            QStringLiteral("a cat\nNegative prompt: blurry\n"
                           "Steps: 20, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 7, Seed: 123, "
                           "Size: 512x768, Model hash: 6ce0161689, Model: v1-5-pruned-emaonly, Clip skip: 2, "
                           "Version: v1.10.1"));
    }

    void omitsEmptyNegativeAndClipSkipOne()
    {
        GenerationParams p = typical();
        p.negativePrompt.clear();
        p.clipSkip = 1;
        p.cfgScale = 7.5;
        p.modelHash.clear();
        p.modelName.clear();
        QCOMPARE(qd::toInfotext(p),
            QStringLiteral("a cat\nSteps: 20, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 7.5, "
                           "Seed: 123, Size: 512x768"));
    }

    void denoisingStrengthOnlyForImg2img()
    {
        GenerationParams p = typical();
        p.denoisingStrength = 0.75;
        QVERIFY(!qd::toInfotext(p).contains("Denoising strength"));
        p.initImage = "/tmp/in.png";
        QVERIFY(
            qd::toInfotext(p).contains("Model: v1-5-pruned-emaonly, Denoising strength: 0.75, Clip skip: 2"));
    }

    void variationSeedAndEta()
    {
        GenerationParams p = typical();
        p.subseed = 42;
        p.subseedStrength = 0.3;
        p.eta = 0.5;
        p.clipSkip = 1;
        QCOMPARE(qd::toInfotext(p, "v1"),
            QStringLiteral("a cat\nNegative prompt: blurry\n"
                           "Steps: 20, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 7, Seed: 123, "
                           "Size: 512x768, Model hash: 6ce0161689, Model: v1-5-pruned-emaonly, "
                           "Variation seed: 42, Variation seed strength: 0.3, Eta: 0.5, Version: v1"));
    }

    void etaOnlyWhenNotTheSamplersDefault()
    {
        // A1111 writes "Eta DDIM" (default 0) for DDIM/PLMS/UniPC and "Eta" (default 1) for the
        // k-diffusion samplers, and only when the value differs from that default.
        GenerationParams p = typical();
        p.sampler = "DDIM";
        p.eta = 0;
        QVERIFY(!qd::toInfotext(p).contains("Eta"));
        p.eta = 0.3;
        QVERIFY(qd::toInfotext(p).contains(", Eta DDIM: 0.3"));
        QCOMPARE(qd::parseInfotext(qd::toInfotext(p)).eta, 0.3);
        p.sampler = "Euler a";
        p.eta = 1;
        QVERIFY(!qd::toInfotext(p).contains("Eta"));
        p.eta = 0.7;
        QVERIFY(qd::toInfotext(p).contains(", Eta: 0.7"));
        QVERIFY(!qd::toInfotext(p).contains("Eta DDIM"));
        const GenerationParams read = qd::parseInfotext(
            "x\nSteps: 20, Sampler: DDIM, CFG scale: 7, Seed: 1, Size: 512x512, Eta DDIM: 0.25");
        QCOMPARE(read.eta, 0.25);
        QVERIFY(read.extra.find("Eta DDIM") == read.extra.end()); // modelled, not an unknown extra
    }

    void quotesValuesWithCommaColonNewlineAndQuotes()
    {
        GenerationParams p = typical();
        p.modelName = "my, model";
        p.extra["Lora hashes"] = "add_detail: 7c6bad76eb54, more_details: 3b8aa1d351ef";
        p.extra["Note"] = "say \"hi\": now\nand \\ then";
        p.extra["Plain"] = "with \"quotes\" only";
        const QString text = qd::toInfotext(p);
        QVERIFY(text.contains("Model: \"my, model\""));
        QVERIFY(text.contains("Lora hashes: \"add_detail: 7c6bad76eb54, more_details: 3b8aa1d351ef\""));
        QVERIFY(text.contains("Note: \"say \\\"hi\\\": now\\nand \\\\ then\""));
        QVERIFY(text.contains("Plain: with \"quotes\" only")); // json.dumps only when , : or \n
        QCOMPARE(qd::quoteInfotextValue(QString("tab\there, \x01")), QString("\"tab\\there, \\u0001\""));
        compareParams(qd::parseInfotext(text), p);
    }

    void parsesA1111DocstringExample()
    {
        // the example in A1111's parse_generation_parameters docstring (an older infotext)
        const QString text
            = "girl with an artist's beret, determined, blue eyes, desert scene, computer monitors, heavy "
              "makeup, "
              "by Alphonse Mucha and Charlie Bowater, ((eyeshadow)), (coquettish), detailed, intricate\n"
              "Negative prompt: ugly, fat, obese, chubby, (((deformed))), [blurry], bad anatomy, disfigured, "
              "poorly "
              "drawn face, mutation, mutated, (extra_limb), (ugly), (poorly drawn hands), messy drawing\n"
              "Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 965400086, Size: 512x512, Model hash: "
              "45dee52b";
        QStringList warnings;
        const GenerationParams p = qd::parseInfotext(text, &warnings);
        QVERIFY(warnings.isEmpty());
        QVERIFY(s(p.prompt).startsWith("girl with an artist's beret"));
        QVERIFY(s(p.prompt).endsWith("detailed, intricate"));
        QVERIFY(s(p.negativePrompt).startsWith("ugly, fat"));
        QVERIFY(s(p.negativePrompt).endsWith("messy drawing"));
        QCOMPARE(p.steps, 20);
        QCOMPARE(s(p.sampler), QString("Euler a"));
        QCOMPARE(s(p.scheduler), QString("Automatic")); // missing: A1111's default
        QCOMPARE(p.cfgScale, 7.0);
        QCOMPARE(p.seed, 965400086);
        QCOMPARE(p.width, 512);
        QCOMPARE(p.height, 512);
        QCOMPARE(s(p.modelHash), QString("45dee52b"));
        QCOMPARE(p.clipSkip, 1);
        QVERIFY(p.extra.empty());
    }

    void parsesAndRewritesModernInfotextByteForByte()
    {
        // a v1.10 txt2img infotext with hires fix, LoRA hashes (quoted) and the version at the end
        const QString text
            = "masterpiece, 1girl, <lora:add_detail:0.8>\n"
              "Negative prompt: lowres, bad hands\n"
              "Steps: 28, Sampler: DPM++ 2M SDE, Schedule type: Exponential, CFG scale: 6.5, Seed: "
              "3405691582, "
              "Size: 832x1216, Model hash: 31e35c80fc, Model: sd_xl_base_1.0, VAE hash: 235745af8d, VAE: "
              "sdxl_vae.safetensors, "
              "Denoising strength: 0.45, Clip skip: 2, RNG: CPU, Hires upscale: 1.5, Hires steps: 10, "
              "Hires upscaler: 4x-UltraSharp, Lora hashes: \"add_detail: 7c6bad76eb54\", Emphasis: No norm, "
              "Version: v1.10.1";
        QStringList warnings;
        const GenerationParams p = qd::parseInfotext(text, &warnings);
        QVERIFY2(warnings.isEmpty(), qPrintable(warnings.join('\n')));
        QCOMPARE(s(p.sampler), QString("DPM++ 2M SDE"));
        QCOMPARE(s(p.scheduler), QString("Exponential"));
        QCOMPARE(p.cfgScale, 6.5);
        QCOMPARE(p.seed, Q_INT64_C(3405691582));
        QCOMPARE(p.width, 832);
        QCOMPARE(p.height, 1216);
        QCOMPARE(s(p.vaeName), QString("sdxl_vae.safetensors"));
        QCOMPARE(p.clipSkip, 2);
        QCOMPARE(p.denoisingStrength, 0.45);
        QCOMPARE(s(p.extra.at("Lora hashes")), QString("add_detail: 7c6bad76eb54"));
        QVERIFY(p.enableHr); // a strength and hires keys: hires fix, as A1111's paste sets it
        QCOMPARE(s(p.hrUpscaler), QString("4x-UltraSharp"));
        QCOMPARE(p.hrScale, 1.5);
        QCOMPARE(p.hrSteps, 10);
        QCOMPARE(s(p.rngSource), QString("CPU"));
        QVERIFY(!p.extra.count("RNG"));
        QCOMPARE(qd::toInfotext(p), text);
    }

    // The random-source keys (docs/reference.md §8): read into fields, written back in A1111's
    // places; no "RNG" key means A1111's default, GPU, which is not written.
    void randomSourceKeysRoundTrip()
    {
        const QString text = "a lighthouse at dusk\nSteps: 20, Sampler: Euler a, Schedule type: Automatic, "
                             "CFG scale: 7, Seed: 42, Size: 512x768, Variation seed: 1234, "
                             "Variation seed strength: 0.3, Seed resize from: 512x512, ENSD: 31337, RNG: NV, "
                             "Version: v1.10.1";
        QStringList warnings;
        const GenerationParams p = qd::parseInfotext(text, &warnings);
        QVERIFY2(warnings.isEmpty(), qPrintable(warnings.join('\n')));
        QCOMPARE(p.subseed, Q_INT64_C(1234));
        QCOMPARE(p.subseedStrength, 0.3);
        QCOMPARE(p.seedResizeFromW, 512);
        QCOMPARE(p.seedResizeFromH, 512);
        QCOMPARE(p.ensd, Q_INT64_C(31337));
        QCOMPARE(s(p.rngSource), QString("NV"));
        for (const char* key : { "RNG", "ENSD", "Seed resize from" })
            QVERIFY(!p.extra.count(key)); // modelled, not kept verbatim
        QCOMPARE(qd::toInfotext(p), text);

        const GenerationParams gpu
            = qd::parseInfotext("a cat\nSteps: 20, Sampler: Euler, Seed: 1, Size: 64x64");
        QCOMPARE(s(gpu.rngSource), QString("GPU"));
        QVERIFY(!qd::toInfotext(gpu).contains("RNG"));
        QVERIFY(!qd::toInfotext(gpu).contains("Seed resize from"));
        QCOMPARE(qd::parseInfotext("just a prompt").rngSource, std::string()); // no parameters: the setting

        QStringList bad;
        qd::parseInfotext("a\nSteps: 20, Seed: 1, RNG: quantum, Seed resize from: big", &bad);
        QCOMPARE(bad.size(), 2);
    }

    // Hires fix keys (A1111's txt2img order) read into the fields and written back; without a
    // denoising strength they stay verbatim extras and hires fix stays off.
    void hiresFixKeysRoundTrip()
    {
        const QString text
            = "a castle\nNegative prompt: fog\nSteps: 20, Sampler: DPM++ 2M, Schedule type: Karras, "
              "CFG scale: 7, Seed: 5, Size: 512x512, Denoising strength: 0.5, Hires sampler: Euler, "
              "Hires prompt: \"a castle, detailed\", Hires resize: 1024x0, Hires steps: 8, "
              "Hires upscaler: Latent (bicubic), Lora hashes: \"a: 123\", Version: v1.10.1";
        QStringList warnings;
        const GenerationParams p = qd::parseInfotext(text, &warnings);
        QVERIFY2(warnings.isEmpty(), qPrintable(warnings.join('\n')));
        QVERIFY(p.enableHr);
        QCOMPARE(p.denoisingStrength, 0.5);
        QCOMPARE(s(p.hrSampler), QString("Euler"));
        QCOMPARE(s(p.hrPrompt), QString("a castle, detailed"));
        QCOMPARE(p.hrResizeX, 1024);
        QCOMPARE(p.hrResizeY, 0);
        QCOMPARE(p.hrSteps, 8);
        QCOMPARE(s(p.hrUpscaler), QString("Latent (bicubic)"));
        QVERIFY(!p.extra.count("Hires steps") && !p.extra.count("Denoising strength"));
        QCOMPARE(qd::toInfotext(p), text);

        const QString off
            = "x\nSteps: 20, Sampler: Euler, Seed: 5, Size: 64x64, Hires upscale: 2, Version: v1.10.1";
        const GenerationParams q = qd::parseInfotext(off);
        QVERIFY(!q.enableHr);
        QCOMPARE(s(q.extra.at("Hires upscale")), QString("2"));
        QVERIFY(qd::toInfotext(q).contains("Hires upscale: 2"));
    }

    void lastLineNeedsThreePairs()
    {
        const GenerationParams p = qd::parseInfotext("a cat\nSteps: 30, Seed: 5");
        QCOMPARE(s(p.prompt), QString("a cat\nSteps: 30, Seed: 5"));
        QCOMPARE(p.steps, 20);
        QCOMPARE(p.seed, -1);
    }

    void oldSamplerNamesCarryTheSchedule_data()
    {
        QTest::addColumn<QString>("sampler");
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("schedule");
        QTest::newRow("2M Karras") << "DPM++ 2M Karras"
                                   << "DPM++ 2M"
                                   << "Karras";
        QTest::newRow("SDE Karras") << "DPM++ SDE Karras"
                                    << "DPM++ SDE"
                                    << "Karras";
        QTest::newRow("DPM2 a Karras") << "DPM2 a Karras"
                                       << "DPM2 a"
                                       << "Karras";
        QTest::newRow("2M SDE Exponential") << "DPM++ 2M SDE Exponential"
                                            << "DPM++ 2M SDE"
                                            << "Exponential";
        QTest::newRow("Euler a") << "Euler a"
                                 << "Euler a"
                                 << "Automatic";
        QTest::newRow("DDIM") << "DDIM"
                              << "DDIM"
                              << "Automatic";
        QTest::newRow("SGMUniform alias") << "Euler SGMUniform"
                                          << "Euler"
                                          << "SGM Uniform";
    }
    void oldSamplerNamesCarryTheSchedule()
    {
        QFETCH(QString, sampler);
        QFETCH(QString, name);
        QFETCH(QString, schedule);
        const GenerationParams p = qd::parseInfotext(
            "a dog\nSteps: 20, Sampler: " + sampler + ", CFG scale: 7, Seed: 1, Size: 512x512");
        QCOMPARE(s(p.sampler), name);
        QCOMPARE(s(p.scheduler), schedule);
    }

    void roundTripsEverySamplerAndSchedule()
    {
        const QStringList samplers = { "Euler", "Euler a", "LMS", "Heun", "DPM2", "DPM2 a", "DPM++ 2M",
            "DPM++ 2M SDE", "DPM++ 2S a", "DPM++ SDE", "DPM++ 3M SDE", "DDIM", "PLMS", "UniPC", "LCM" };
        const QStringList schedules = { "Automatic", "Uniform", "Karras", "Exponential", "Polyexponential",
            "SGM Uniform", "KL Optimal", "Align Your Steps", "Simple", "Normal", "DDIM", "Beta" };
        QCOMPARE(qd::samplerLabels(), samplers);
        QCOMPARE(qd::scheduleLabels(), schedules);
        for (const QString& sampler : samplers)
            for (const QString& schedule : schedules) {
                GenerationParams p = typical();
                p.sampler = sampler.toStdString();
                p.scheduler = schedule.toStdString();
                const QString text = qd::toInfotext(p);
                QVERIFY(text.contains("Sampler: " + sampler + ", Schedule type: " + schedule + ","));
                const GenerationParams back = qd::parseInfotext(text);
                QCOMPARE(s(back.sampler), sampler);
                QCOMPARE(s(back.scheduler), schedule);
            }
    }

    void roundTripsUnicodeMultilineAndSpecialCharacters_data()
    {
        QTest::addColumn<QString>("prompt");
        QTest::addColumn<QString>("negative");
        QTest::newRow("chinese + emoji")
            << QString::fromUtf8("一只可爱的猫，坐在窗台上 🐱✨, 高清") << QString::fromUtf8("模糊, 低质量 😡");
        QTest::newRow("multi-line") << "a castle\non a hill\n\nat dusk"
                                    << "blurry\nwatermark";
        QTest::newRow("commas colons quotes") << "(masterpiece:1.2), \"quoted\", a\\b: c"
                                              << "bad: \"hands\", [ugly]";
        QTest::newRow("empty negative") << "just a prompt"
                                        << "";
        QTest::newRow("empty prompt") << ""
                                      << "only negative";
        QTest::newRow("key-like prompt line") << "Steps: many, Sampler: none\nreal prompt"
                                              << "";
    }
    void roundTripsUnicodeMultilineAndSpecialCharacters()
    {
        QFETCH(QString, prompt);
        QFETCH(QString, negative);
        GenerationParams p = typical();
        p.prompt = prompt.toStdString();
        p.negativePrompt = negative.toStdString();
        p.modelName = "模型: v2, 🐉";
        p.extra["Hires upscaler"] = "Latent (nearest-exact)";
        p.extra["Style"] = "水彩, 柔和";
        p.extraOrder = { "Hires upscaler", "Style" };
        const QString text = qd::toInfotext(p, "v1.10.1");
        QStringList warnings;
        GenerationParams back = qd::parseInfotext(text, &warnings);
        QVERIFY(warnings.isEmpty());
        QCOMPARE(s(back.extra.at("Version")), QString("v1.10.1"));
        back.extra.erase("Version");
        compareParams(back, p);
        back.extra["Version"] = "v1.10.1";
        QCOMPARE(qd::toInfotext(back, "v1.10.1"), text);
    }

    void readsQuotedValuesAndBadValues()
    {
        QStringList warnings;
        const GenerationParams p = qd::parseInfotext(
            "x\nSteps: many, Sampler: Euler, CFG scale: 7, Seed: 9, Size: big, Clip skip: 3, "
            "Model: \"a, \\\"b\\\"\", Broken: \"not json\\q\", Empty: , Hires upscale: 2",
            &warnings);
        QCOMPARE(p.steps, 20); // default kept
        QCOMPARE(p.width, 512); // default kept
        QCOMPARE(p.clipSkip, 3);
        QCOMPARE(s(p.modelName), QString("a, \"b\""));
        QCOMPARE(s(p.extra.at("Broken")), QString("\"not json\\q\"")); // invalid JSON: kept as written
        QVERIFY(!p.extra.count("Empty")); // A1111 drops empty values
        QCOMPARE(s(p.extra.at("Hires upscale")), QString("2"));
        QCOMPARE(warnings.size(), 2);
        QVERIFY(warnings[0].contains("Steps") && warnings[0].contains("many"));
        QVERIFY(warnings[1].contains("Size") && warnings[1].contains("big"));
    }

    void formatsNumbersLikePython()
    {
        QCOMPARE(qd::formatInfotextNumber(7), QString("7"));
        QCOMPARE(qd::formatInfotextNumber(7.5), QString("7.5"));
        QCOMPARE(qd::formatInfotextNumber(0.1 + 0.2), QString("0.30000000000000004"));
        QCOMPARE(qd::formatInfotextNumber(0.0001), QString("0.0001"));
        QCOMPARE(qd::formatInfotextNumber(0.00001), QString("1e-05"));
        QCOMPARE(qd::formatInfotextNumber(1.5e20), QString("1.5e+20"));
        QCOMPARE(qd::formatInfotextNumber(-2.25), QString("-2.25"));
    }

    void stripsLikeA1111()
    {
        GenerationParams p = typical();
        p.prompt = "  padded prompt  ";
        p.negativePrompt.clear();
        // Python's str.strip() on the whole text: the prompt's own trailing spaces stay
        QVERIFY(qd::toInfotext(p).startsWith("padded prompt  \nSteps: 20"));
        p.prompt.clear();
        QVERIFY(qd::toInfotext(p).startsWith("Steps: 20, "));
    }

    void agreesWithPythonOnRandomCases()
    {
        // tests/data/core/make_infotext_cases.py: what Python's json.dumps / str.strip / re make of
        // 200 random parameter sets (control characters, Python-only whitespace, CJK, emoji)
        QFile f(QStringLiteral(QD_TEST_DATA "/core/infotext_cases.json"));
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonArray cases = QJsonDocument::fromJson(f.readAll()).array();
        QCOMPARE(cases.size(), 200);
        for (const QJsonValue& cv : cases) {
            const QJsonObject c = cv.toObject();
            const QString text = c["infotext"].toString();
            QCOMPARE(qd::toInfotext(qd::paramsFromJson(c["params"].toObject()), "v1.10.1"), text);
            const GenerationParams p = qd::parseInfotext(text);
            const QJsonObject parsed = c["parsed"].toObject();
            QCOMPARE(s(p.prompt), parsed["prompt"].toString());
            QCOMPARE(s(p.negativePrompt), parsed["negative"].toString());
            const QJsonObject values = parsed["values"].toObject();
            for (auto it = values.begin(); it != values.end(); ++it) {
                const QString key = it.key(), value = it.value().toString();
                if (key == "Steps")
                    QCOMPARE(QString::number(p.steps), value);
                else if (key == "Seed")
                    QCOMPARE(QString::number(p.seed), value);
                else if (key == "Model")
                    QCOMPARE(s(p.modelName), value);
                else if (key == "Size")
                    QCOMPARE(QString("%1x%2").arg(p.width).arg(p.height), value);
                else if (key == "CFG scale")
                    QCOMPARE(p.cfgScale, value.toDouble());
                else if (key == "Clip skip")
                    QCOMPARE(QString::number(p.clipSkip), value);
                else if (key == "Sampler")
                    QCOMPARE(s(p.sampler), value);
                else if (key == "Schedule type")
                    QCOMPARE(s(p.scheduler), value);
                else if (key != "Model hash")
                    QCOMPARE(s(p.extra.at(key.toStdString())), value);
            }
        }
    }

    // ---- other tools -----------------------------------------------------------------------

    void parsesComfyUiPrompt()
    {
        // ComfyUI's default txt2img graph in API format, with CLIPSetLastLayer added
        const QString prompt = "{\n"
                               "          \"3\": {\"class_type\": \"KSampler\", \"inputs\": {\"seed\": "
                               "156680208700286, \"steps\": 20, \"cfg\": 8,\n"
                               "                \"sampler_name\": \"dpmpp_2m\", \"scheduler\": \"karras\", "
                               "\"denoise\": 1, \"model\": [\"4\", 0],\n"
                               "                \"positive\": [\"6\", 0], \"negative\": [\"7\", 0], "
                               "\"latent_image\": [\"5\", 0]}},\n"
                               "          \"4\": {\"class_type\": \"CheckpointLoaderSimple\", \"inputs\": "
                               "{\"ckpt_name\": \"SD1.5/v1-5-pruned-emaonly.safetensors\"}},\n"
                               "          \"5\": {\"class_type\": \"EmptyLatentImage\", \"inputs\": "
                               "{\"width\": 512, \"height\": 768, \"batch_size\": 1}},\n"
                               "          \"6\": {\"class_type\": \"CLIPTextEncode\", \"inputs\": {\"text\": "
                               "\"beautiful scenery nature glass bottle\", \"clip\": [\"10\", 0]}},\n"
                               "          \"7\": {\"class_type\": \"CLIPTextEncode\", \"inputs\": {\"text\": "
                               "\"text, watermark\", \"clip\": [\"10\", 0]}},\n"
                               "          \"10\": {\"class_type\": \"CLIPSetLastLayer\", \"inputs\": "
                               "{\"stop_at_clip_layer\": -2, \"clip\": [\"4\", 1]}},\n"
                               "          \"8\": {\"class_type\": \"VAEDecode\", \"inputs\": {\"samples\": "
                               "[\"3\", 0], \"vae\": [\"4\", 2]}},\n"
                               "          \"9\": {\"class_type\": \"SaveImage\", \"inputs\": "
                               "{\"filename_prefix\": \"ComfyUI\", \"images\": [\"8\", 0]}}\n"
                               "        }";
        GenerationParams p;
        QString error;
        QVERIFY2(qd::parseComfyUiPrompt(prompt, &p, &error), qPrintable(error));
        QCOMPARE(p.seed, Q_INT64_C(156680208700286));
        QCOMPARE(p.steps, 20);
        QCOMPARE(p.cfgScale, 8.0);
        QCOMPARE(s(p.sampler), QString("DPM++ 2M"));
        QCOMPARE(s(p.scheduler), QString("Karras"));
        QCOMPARE(s(p.prompt), QString("beautiful scenery nature glass bottle"));
        QCOMPARE(s(p.negativePrompt), QString("text, watermark"));
        QCOMPARE(p.width, 512);
        QCOMPARE(p.height, 768);
        QCOMPARE(s(p.modelName), QString("v1-5-pruned-emaonly"));
        QCOMPARE(p.clipSkip, 2);
    }

    void parsesComfyUiWorkflow()
    {
        // the UI graph: widget values by position, links as [id, from, slot, to, slot, type]
        const QString workflow
            = "{\"nodes\": [\n"
              "            {\"id\": 3, \"type\": \"KSampler\", \"widgets_values\": [42, \"fixed\", 25, 6.5, "
              "\"euler_ancestral\", \"normal\", 1],\n"
              "             \"inputs\": [{\"name\": \"model\", \"link\": 1}, {\"name\": \"positive\", "
              "\"link\": 4},\n"
              "                        {\"name\": \"negative\", \"link\": 6}, {\"name\": \"latent_image\", "
              "\"link\": 2}]},\n"
              "            {\"id\": 4, \"type\": \"CheckpointLoaderSimple\", \"widgets_values\": "
              "[\"dreamshaper_8.safetensors\"]},\n"
              "            {\"id\": 5, \"type\": \"EmptyLatentImage\", \"widgets_values\": [640, 448, 1]},\n"
              "            {\"id\": 6, \"type\": \"CLIPTextEncode\", \"widgets_values\": [\"a red fox, "
              "狐狸\"], \"inputs\": [{\"name\": \"clip\", \"link\": 3}]},\n"
              "            {\"id\": 7, \"type\": \"CLIPTextEncode\", \"widgets_values\": [\"ugly\"], "
              "\"inputs\": [{\"name\": \"clip\", \"link\": 5}]}\n"
              "          ],\n"
              "          \"links\": [[1, 4, 0, 3, 0, \"MODEL\"], [2, 5, 0, 3, 3, \"LATENT\"], [3, 4, 1, 6, "
              "0, \"CLIP\"],\n"
              "                    [4, 6, 0, 3, 1, \"CONDITIONING\"], [5, 4, 1, 7, 0, \"CLIP\"], [6, 7, 0, "
              "3, 2, \"CONDITIONING\"]]}";
        GenerationParams p;
        QString error;
        QVERIFY2(qd::parseComfyUiWorkflow(workflow, &p, &error), qPrintable(error));
        QCOMPARE(p.seed, 42);
        QCOMPARE(p.steps, 25);
        QCOMPARE(p.cfgScale, 6.5);
        QCOMPARE(s(p.sampler), QString("Euler a"));
        QCOMPARE(s(p.scheduler), QString("Normal"));
        QCOMPARE(s(p.prompt), QString::fromUtf8("a red fox, 狐狸"));
        QCOMPARE(s(p.negativePrompt), QString("ugly"));
        QCOMPARE(p.width, 640);
        QCOMPARE(p.height, 448);
        QCOMPARE(s(p.modelName), QString("dreamshaper_8"));
    }

    void parsesInvokeAiAndNovelAi()
    {
        const QString invoke = "{\"generation_mode\": \"txt2img\", \"positive_prompt\": \"a lighthouse\",\n"
                               "            \"negative_prompt\": \"fog\", \"width\": 768, \"height\": 512, "
                               "\"seed\": 987654321, \"cfg_scale\": 7.5,\n"
                               "            \"steps\": 30, \"scheduler\": \"dpmpp_2m_k\", \"clip_skip\": 1,\n"
                               "            \"model\": {\"name\": \"stable-diffusion-v1-5\", \"base\": "
                               "\"sd-1\", \"hash\": \"blake3:abcd\"}}";
        GenerationParams p;
        QString error;
        QVERIFY2(qd::parseInvokeAiMetadata(invoke, &p, &error), qPrintable(error));
        QCOMPARE(s(p.prompt), QString("a lighthouse"));
        QCOMPARE(s(p.negativePrompt), QString("fog"));
        QCOMPARE(p.width, 768);
        QCOMPARE(p.seed, 987654321);
        QCOMPARE(p.cfgScale, 7.5);
        QCOMPARE(p.steps, 30);
        QCOMPARE(s(p.sampler), QString("DPM++ 2M"));
        QCOMPARE(s(p.scheduler), QString("Karras"));
        QCOMPARE(p.clipSkip, 2);
        QCOMPARE(s(p.modelName), QString("stable-diffusion-v1-5"));

        const QString nai = "{\"prompt\": \"1girl, solo\", \"steps\": 28, \"height\": 1216, \"width\": 832,\n"
                            "            \"scale\": 5.0, \"uncond_scale\": 1.0, \"cfg_rescale\": 0.2, "
                            "\"seed\": 2913567, \"n_samples\": 1,\n"
                            "            \"noise_schedule\": \"karras\", \"sampler\": "
                            "\"k_dpmpp_2s_ancestral\", \"uc\": \"lowres, bad anatomy\"}";
        GenerationParams n;
        QVERIFY2(qd::parseNovelAiComment(nai, "Stable Diffusion XL C1E1DE52", &n, &error), qPrintable(error));
        QCOMPARE(s(n.prompt), QString("1girl, solo"));
        QCOMPARE(s(n.negativePrompt), QString("lowres, bad anatomy"));
        QCOMPARE(n.steps, 28);
        QCOMPARE(n.width, 832);
        QCOMPARE(n.height, 1216);
        QCOMPARE(n.cfgScale, 5.0);
        QCOMPARE(n.guidanceRescale, 0.2);
        QCOMPARE(n.seed, 2913567);
        QCOMPARE(s(n.sampler), QString("DPM++ 2S a"));
        QCOMPARE(s(n.scheduler), QString("Karras"));
        QCOMPARE(s(n.modelName), QString("Stable Diffusion XL C1E1DE52"));
    }

    void picksTheBestSourceAndReportsBrokenJson()
    {
        const QList<QPair<QString, QString>> both
            = { { "prompt", "{\"1\": {\"class_type\": \"KSampler\", \"inputs\": {\"steps\": 5}}}" },
                  { "parameters", "a\nSteps: 9, Sampler: Euler, Seed: 3" } };
        qd::ParsedParams r = qd::paramsFromTexts(both);
        QVERIFY(r.found);
        QCOMPARE(r.source, QString("parameters"));
        QCOMPARE(r.params.steps, 9);

        r = qd::paramsFromTexts({ { "prompt", "{not json" },
            { "invokeai_metadata", "{\"positive_prompt\": \"p\", \"steps\": 4}" } });
        QVERIFY(r.found);
        QCOMPARE(r.source, QString("invokeai_metadata"));
        QCOMPARE(r.params.steps, 4);
        QCOMPARE(r.warnings.size(), 1);
        QVERIFY(r.warnings[0].contains("ComfyUI prompt: invalid JSON"));

        r = qd::paramsFromTexts({ { "Software", "GIMP" } });
        QVERIFY(!r.found);
    }
};

QTEST_APPLESS_MAIN(TestInfotext)
#include "tst_infotext.moc"
