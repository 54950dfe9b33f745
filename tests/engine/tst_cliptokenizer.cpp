#include <fstream>

#include <QtTest/QtTest>
#include <nlohmann/json.hpp>

#include "core/engine/io/StateDict.h"
#include "core/engine/text/ClipTokenizer.h"

// The CLIP tokenizer gives the ids diffusers' tokenizers give (tokenizer_cases.json).
class TestClipTokenizer : public QObject
{
    Q_OBJECT

    static nlohmann::json cases()
    {
        std::ifstream in(std::string(QD_TEST_DATA) + "/conformance/tokenizer_cases.json");
        return nlohmann::json::parse(in);
    }

    static QString show(const std::vector<int>& ids)
    {
        QStringList s;
        for (int id : ids)
            s << QString::number(id);
        return s.join(',');
    }

private slots:
    void vocabulary()
    {
        const auto& tok = qd::ClipTokenizer::shared();
        QCOMPARE(tok.vocabSize(), 49408);
        QCOMPARE(tok.tokenText(qd::ClipTokenizer::StartId), std::string("<|startoftext|>"));
        QCOMPARE(tok.tokenText(qd::ClipTokenizer::EndId), std::string("<|endoftext|>"));
        QCOMPARE(tok.tokenText(0), std::string("!"));
        QCOMPARE(tok.idOf(",</w>"), int(qd::ClipTokenizer::CommaId));
    }

    void conformanceCases_data()
    {
        QTest::addColumn<QString>("prompt");
        QTest::addColumn<int>("index");
        const auto c = cases();
        QVERIFY(c.size() >= 10);
        for (size_t i = 0; i < c.size(); ++i)
            QTest::newRow(qPrintable(QString::number(i) + ": "
                + QString::fromStdString(c[i]["prompt"].get<std::string>()).left(40)))
                << QString::fromStdString(c[i]["prompt"].get<std::string>()) << int(i);
    }

    void conformanceCases()
    {
        QFETCH(int, index);
        const auto c = cases()[size_t(index)];
        const std::string prompt = c["prompt"];
        const auto& tok = qd::ClipTokenizer::shared();
        const auto unpadded = c["ids_unpadded"].get<std::vector<int>>();
        const auto padEot = c["ids_77_pad_eot"].get<std::vector<int>>();
        const auto padZero = c["ids_77_pad_zero"].get<std::vector<int>>();
        const auto got = tok.encodeWithSpecials(prompt);
        QVERIFY2(got == unpadded, qPrintable(show(got) + " != " + show(unpadded)));
        const auto gotEot = tok.encodePadded(prompt, 77, qd::ClipTokenizer::Pad::EndOfText);
        QVERIFY2(gotEot == padEot, qPrintable(show(gotEot) + " != " + show(padEot)));
        const auto gotZero = tok.encodePadded(prompt, 77, qd::ClipTokenizer::Pad::Bang);
        QVERIFY2(gotZero == padZero, qPrintable(show(gotZero) + " != " + show(padZero)));
    }

    void bangIsSplitOnlyForThePadZeroTokenizer()
    {
        const auto& tok = qd::ClipTokenizer::shared();
        QCOMPARE(tok.encode("wow!!!"), tok.encode("wow !!!"));
        const auto bang = tok.encode("wow!!!", qd::ClipTokenizer::Pad::Bang);
        QCOMPARE(bang.size(), tok.encode("wow").size() + 3);
        QCOMPARE(bang.back(), 0);
    }

    void decodeRoundTrips()
    {
        const auto& tok = qd::ClipTokenizer::shared();
        const std::string text = "a photograph of an astronaut riding a horse, café 日本";
        const auto ids = tok.encode(text);
        QCOMPARE(QString::fromStdString(tok.decode(ids)),
            QString("a photograph of an astronaut riding a horse , café 日本"));
    }

    void ftfyCleanup()
    {
        // ftfy.fix_text runs before CLIP's whitespace cleanup and lowercasing
        const auto& tok = qd::ClipTokenizer::shared();
        QCOMPARE(tok.encode("don\u2019t \u201cquote\u201d"), tok.encode("don't \"quote\""));
        QCOMPARE(tok.encode("\uFF21\uFF22\uFF23\u3000\uFF11"), tok.encode("abc 1")); // fullwidth
        QCOMPARE(tok.encode("\uFB01ne"), tok.encode("fine")); // ligature
        QCOMPARE(tok.encode("salt &amp; pepper &#233;"), tok.encode("salt & pepper \u00e9"));
        QCOMPARE(tok.encode("<b>&amp;</b>"), tok.encode("<b>&amp;</b>")); // '<': left alone
        QVERIFY(tok.encode("<b>&amp;</b>") != tok.encode("<b>&</b>"));
        QCOMPARE(tok.encode("\x1b[31mred\x1b[0m"), tok.encode("red")); // terminal colours
        QCOMPARE(tok.encode("cafe\u0301"), tok.encode("caf\u00e9")); // NFC
        QCOMPARE(
            tok.encode("\u039f\u0394\u039f\u03a3"), tok.encode("\u03bf\u03b4\u03bf\u03c2")); // final sigma
    }

    void badInputNeverCrashes()
    {
        const auto& tok = qd::ClipTokenizer::shared();
        // invalid UTF-8, NUL, control characters, a lone surrogate's bytes: dropped like Python drops U+FFFD
        const char raw[] = "a\xff\xfe b\x00 c\x01\xed\xa0\x80 d";
        const std::string junk(raw, sizeof raw - 1);
        const auto ids = tok.encode(junk);
        QCOMPARE(ids, tok.encode("a b c d"));
        QVERIFY(tok.encode(std::string(5000, 'x')).size() > 100); // long words are fine
        QVERIFY_EXCEPTION_THROWN(tok.tokenText(49408), qd::EngineError);
        QVERIFY_EXCEPTION_THROWN(tok.tokenText(-1), qd::EngineError);
        QVERIFY_EXCEPTION_THROWN(qd::ClipTokenizer("/nonexistent/bpe.txt.gz"), qd::EngineError);
    }
};

QTEST_APPLESS_MAIN(TestClipTokenizer)
#include "tst_cliptokenizer.moc"
