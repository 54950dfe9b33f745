#include <fstream>

#include <QtTest/QtTest>
#include <nlohmann/json.hpp>

#include "core/engine/io/StateDict.h"
#include "core/engine/text/ClipTokenizer.h"
#include "core/engine/text/PromptParser.h"

// AUTOMATIC1111's prompt syntax and chunking (prompt_chunks_cases.json), plus extra-network tags.
class TestPrompts : public QObject
{
    Q_OBJECT

    static nlohmann::json cases()
    {
        std::ifstream in(std::string(QD_TEST_DATA) + "/conformance/prompt_chunks_cases.json");
        return nlohmann::json::parse(in);
    }

    static QString parsedText(const std::vector<qd::PromptFragment>& p)
    {
        QStringList s;
        for (const auto& f : p)
            s << QString("[%1, %2]").arg(QString::fromStdString(f.text)).arg(f.weight, 0, 'g', 17);
        return s.join(' ');
    }

private slots:
    void conformanceCases_data()
    {
        QTest::addColumn<int>("index");
        const auto c = cases();
        QVERIFY(c.size() >= 11);
        for (size_t i = 0; i < c.size(); ++i)
            QTest::newRow(qPrintable(QString::number(i) + ": "
                + QString::fromStdString(c[i]["prompt"].get<std::string>()).left(40)))
                << int(i);
    }

    void conformanceCases()
    {
        QFETCH(int, index);
        const auto c = cases()[size_t(index)];
        const auto r = qd::chunkPrompt(c["prompt"].get<std::string>(), qd::ClipTokenizer::shared());

        // parsed: texts and weights exactly (A1111's float products, in its order)
        std::vector<qd::PromptFragment> expected;
        for (const auto& p : c["parsed"])
            expected.push_back({ p[0].get<std::string>(), p[1].get<double>() });
        bool same = expected.size() == r.parsed.size();
        for (size_t i = 0; same && i < expected.size(); ++i)
            same = expected[i].text == r.parsed[i].text && expected[i].weight == r.parsed[i].weight;
        QVERIFY2(same, qPrintable(parsedText(r.parsed) + "\n   expected " + parsedText(expected)));

        QCOMPARE(r.tokenCount, c["token_count"].get<int>());
        QCOMPARE(r.chunks.size(), c["chunks"].size());
        for (size_t k = 0; k < r.chunks.size(); ++k) {
            const auto tokens = c["chunks"][k]["tokens"].get<std::vector<int>>();
            const auto mults = c["chunks"][k]["multipliers"].get<std::vector<double>>();
            QCOMPARE(r.chunks[k].tokens.size(), size_t(77));
            QCOMPARE(r.chunks[k].tokens, tokens);
            QCOMPARE(r.chunks[k].multipliers, mults);
        }
    }

    void a1111Doctests()
    {
        // the examples of parse_prompt_attention's docstring
        auto p = qd::parsePromptAttention("normal text");
        QCOMPARE(p.size(), size_t(1));
        p = qd::parsePromptAttention("an (important) word");
        QCOMPARE(p.size(), size_t(3));
        QCOMPARE(p[1].text, std::string("important"));
        QCOMPARE(p[1].weight, 1.1);
        p = qd::parsePromptAttention("(unbalanced");
        QCOMPARE(p.size(), size_t(1));
        QCOMPARE(p[0].weight, 1.1);
        p = qd::parsePromptAttention("\\(literal\\]");
        QCOMPARE(p.size(), size_t(1));
        QCOMPARE(p[0].text, std::string("(literal]"));
        QCOMPARE(p[0].weight, 1.0);
        p = qd::parsePromptAttention("(unnecessary)(parens)");
        QCOMPARE(p.size(), size_t(1));
        QCOMPARE(p[0].text, std::string("unnecessaryparens"));
    }

    void breakRules()
    {
        auto p = qd::parsePromptAttention("a  BREAK\nb BREAKfast");
        QCOMPARE(p.size(), size_t(3));
        QCOMPARE(p[0].text, std::string("a"));
        QVERIFY(p[1].isBreak());
        QCOMPARE(p[2].text, std::string("b BREAKfast"));
        // a BREAK inside brackets has its weight multiplied and is plain text then (as in A1111)
        p = qd::parsePromptAttention("(x BREAK y)");
        QCOMPARE(p.size(), size_t(3));
        QVERIFY(!p[1].isBreak());
        QCOMPARE(p[1].text, std::string("BREAK"));
        const auto r = qd::chunkPrompt("a BREAK BREAK b", qd::ClipTokenizer::shared());
        QCOMPARE(r.chunks.size(), size_t(3));
        QCOMPARE(r.tokenCount, 75 + 75 + 1);
    }

    void oddSyntaxIsText()
    {
        // a weight that Python's float() rejects, a stray colon, unmatched closers, a lone backslash
        auto p = qd::parsePromptAttention("(a:1.2.3) b: c) d] e\\");
        QString all;
        for (const auto& f : p)
            all += QString::fromStdString(f.text);
        QCOMPARE(all, QString("a:1.2.3 b: c) d] e"));
        p = qd::parsePromptAttention(":1.5) x");
        QCOMPARE(p.size(), size_t(1));
        QCOMPARE(p[0].text, std::string(":1.5) x"));
        p = qd::parsePromptAttention("");
        QCOMPARE(p.size(), size_t(1));
        QCOMPARE(p[0].text, std::string());
    }

    void emphasisOff()
    {
        qd::ChunkOptions o;
        o.emphasis = false;
        const auto r = qd::chunkPrompt("(cat:1.5)", qd::ClipTokenizer::shared(), o);
        QCOMPARE(r.parsed.size(), size_t(1));
        QCOMPARE(r.parsed[0].text, std::string("(cat:1.5)"));
        for (double m : r.chunks[0].multipliers)
            QCOMPARE(m, 1.0);
    }

    void extraNetworks()
    {
        const auto r = qd::extractExtraNetworks(
            "a cat <lora:myStyle:0.8>, <lora:detail:te=0.5:unet=1.2> <hypernet:h> x<y");
        QCOMPARE(r.prompt, std::string("a cat ,   x<y"));
        QCOMPARE(r.networks.size(), size_t(3));
        QCOMPARE(r.networks[0].kind, std::string("lora"));
        QCOMPARE(r.networks[0].name, std::string("myStyle"));
        QCOMPARE(r.networks[0].teMultiplier, 0.8);
        QCOMPARE(r.networks[0].unetMultiplier, 0.8);
        QCOMPARE(r.networks[1].teMultiplier, 0.5);
        QCOMPARE(r.networks[1].unetMultiplier, 1.2);
        QCOMPARE(r.networks[2].kind, std::string("hypernet"));
        QCOMPARE(r.networks[2].teMultiplier, 1.0);
        QVERIFY_EXCEPTION_THROWN(qd::extractExtraNetworks("<lora:x:abc>"), qd::EngineError);
        QCOMPARE(qd::extractExtraNetworks("<:x> <a b:c> <lora:>").networks.size(), size_t(0));
    }

    void chunkEdgeCases()
    {
        const auto& tok = qd::ClipTokenizer::shared();
        // a comma exactly at the chunk's end, then more text: nothing to move
        std::string p;
        for (int i = 0; i < 74; ++i)
            p += "word ";
        p += ", more";
        auto r = qd::chunkPrompt(p, tok);
        QCOMPARE(r.chunks.size(), size_t(2));
        QCOMPARE(r.chunks[0].tokens[75], int(qd::ClipTokenizer::CommaId));
        QCOMPARE(r.tokenCount, 76);
        // backtracking disabled: a hard cut at 75
        qd::ChunkOptions o;
        o.commaBacktrack = 0;
        r = qd::chunkPrompt("a, " + std::string(200, 'b'), tok, o);
        QVERIFY(r.chunks.size() >= 1);
        QVERIFY_EXCEPTION_THROWN(qd::chunkPrompt("x", tok, qd::ChunkOptions { 0 }), qd::EngineError);
    }
};

QTEST_APPLESS_MAIN(TestPrompts)
#include "tst_prompts.moc"
