// PromptEditor: A1111 syntax is coloured over the right characters, and the token counter counts
// chunks of 75 the way A1111 does (checked against A1111's own chunking in the conformance data).
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QTextBlock>
#include <QTextLayout>
#include <QtTest/QtTest>

#include "ui/PromptEditor.h"
#include "ui/PromptHighlighter.h"
#include "ui/TokenCounter.h"

using qd::PromptHighlighter;

class TestPromptEditor : public QObject
{
    Q_OBJECT

    // The colour the highlighter put on character `pos` of block `blockNo` (invalid when none).
    static QColor colorAt(const qd::PromptEditor& e, int blockNo, int pos)
    {
        const QTextBlock block = e.textEdit()->document()->findBlockByNumber(blockNo);
        for (const QTextLayout::FormatRange& r : block.layout()->formats())
            if (pos >= r.start && pos < r.start + r.length)
                return r.format.foreground().color();
        return QColor();
    }
    static QColor kindColor(const qd::PromptEditor& e, PromptHighlighter::Kind kind)
    {
        return e.highlighter()->format(kind).foreground().color();
    }

private slots:
    void highlightsEachSyntaxOverItsRange()
    {
        qd::PromptEditor e("Prompt", "p");
        const QString text = "a (red:1.2) [cat] BREAK <lora:film:0.6> \\(x\\) dog)";
        e.setText(text);
        auto at = [&](const QString& needle, int offset = 0) {
            return colorAt(e, 0, int(text.indexOf(needle)) + offset);
        };

        QVERIFY(!colorAt(e, 0, 0).isValid()); // plain words stay plain
        QCOMPARE(at("("), kindColor(e, PromptHighlighter::Emphasis));
        QCOMPARE(at("red"), kindColor(e, PromptHighlighter::Emphasis));
        for (int i = 0; i < 4; ++i) // ":1.2"
            QCOMPARE(at(":1.2", i), kindColor(e, PromptHighlighter::Weight));
        QCOMPARE(at("1.2)", 3), kindColor(e, PromptHighlighter::Emphasis)); // the closing parenthesis
        QCOMPARE(at("["), kindColor(e, PromptHighlighter::Deemphasis));
        QCOMPARE(at("cat"), kindColor(e, PromptHighlighter::Deemphasis));
        QVERIFY(e.highlighter()->format(PromptHighlighter::Deemphasis).fontItalic());
        for (int i = 0; i < 5; ++i)
            QCOMPARE(at("BREAK", i), kindColor(e, PromptHighlighter::Break));
        const QString lora = "<lora:film:0.6>";
        for (int i = 0; i < lora.size(); ++i)
            QCOMPARE(at(lora, i), kindColor(e, PromptHighlighter::ExtraNetwork));
        QVERIFY(!at("\\(x").isValid()); // escaped brackets are literal text
        QVERIFY(!at("x\\)").isValid());
        QCOMPARE(
            colorAt(e, 0, int(text.size()) - 1), kindColor(e, PromptHighlighter::Unbalanced)); // stray ')'
        QVERIFY(!at(" dog").isValid());

        // All six kinds look different from each other.
        QSet<QRgb> colors;
        for (int k = 0; k < PromptHighlighter::KindCount; ++k)
            colors.insert(kindColor(e, PromptHighlighter::Kind(k)).rgb());
        QCOMPARE(colors.size(), int(PromptHighlighter::KindCount));
    }

    void nestingCarriesAcrossLinesAndUnclosedIsFlagged()
    {
        qd::PromptEditor e("Prompt", "p");
        e.setText("(castle,\ntower) sky");
        QCOMPARE(colorAt(e, 1, 0), kindColor(e, PromptHighlighter::Emphasis)); // "t" of tower
        QVERIFY(!colorAt(e, 1, 7).isValid()); // "sky"

        e.setText("a (castle");
        QCOMPARE(colorAt(e, 0, 2), kindColor(e, PromptHighlighter::Unbalanced));
        e.textEdit()->moveCursor(QTextCursor::End);
        e.textEdit()->insertPlainText(")");
        QCOMPARE(colorAt(e, 0, 2), kindColor(e, PromptHighlighter::Emphasis));
    }

    void setTextIsUndoable()
    {
        qd::PromptEditor e("Prompt", "p");
        e.setText("first");
        e.setText("second");
        e.textEdit()->undo();
        QCOMPARE(e.text(), QString("first"));
        e.textEdit()->redo();
        QCOMPARE(e.text(), QString("second"));
    }

    void counterShowsTokensOverChunkCapacity()
    {
        qd::PromptEditor e("Prompt", "p");
        auto* label = e.findChild<QLabel*>("pTokenCount");
        QVERIFY(label);
        e.setText("a red cat");
        QCOMPARE(label->text(), QString("3/75"));
        QStringList words;
        for (int i = 0; i < 80; ++i)
            words << "cat";
        e.setText(words.join(' '));
        QCOMPARE(label->text(), QString("80/150")); // a second chunk opens at token 76
        QCOMPARE(e.tokenCount().perChunk, QList<int>({ 75, 5 }));
        e.setText("(cat:1.3) [dog] <lora:x:1>");
        QCOMPARE(label->text(), QString("2/75")); // weights and LoRA tags cost no tokens

        // Typing updates the counter (after the short debounce).
        e.setText(QString());
        QTest::keyClicks(e.textEdit(), "blue sky");
        QTRY_COMPARE(label->text(), QString("2/75"));
    }

    void counterIsSwappable()
    {
        qd::PromptEditor e("Prompt", "p");
        e.setText("anything");
        e.setTokenCounter([](const QString&) {
            qd::TokenCount c;
            c.total = 77;
            c.perChunk = { 75, 2 };
            c.estimated = false;
            return c;
        });
        QCOMPARE(e.tokenCountText(), QString("77/150"));
    }

    void chunkingMatchesA1111()
    {
        // A1111's own chunks of these prompts: the flat token sequence (comma = CLIP id 267) must be
        // cut into the same chunks and give the same token_count.
        QFile f(QD_TEST_DATA "/conformance/prompt_chunks_cases.json");
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonArray cases = QJsonDocument::fromJson(f.readAll()).array();
        QVERIFY(cases.size() >= 5);
        int checked = 0;
        for (const QJsonValue& v : cases) {
            const QJsonObject c = v.toObject();
            int breaks = 0;
            for (const QJsonValue& part : c["parsed"].toArray())
                breaks += part.toArray().at(1).toDouble() == -1 ? 1 : 0;
            const QJsonArray chunks = c["chunks"].toArray();
            if (breaks && chunks.size() != breaks + 1)
                continue; // which chunk boundary is a BREAK is not recorded; covered below
            QList<qd::TokenKind> kinds;
            QList<int> expected;
            for (int i = 0; i < chunks.size(); ++i) {
                if (i > 0 && breaks)
                    kinds << qd::TokenKind::Break;
                int n = 0;
                for (const QJsonValue& t : chunks[i].toObject()["tokens"].toArray()) {
                    const int id = t.toInt();
                    if (id == 49406 || id == 49407) // BOS, EOS / padding
                        continue;
                    kinds << (id == 267 ? qd::TokenKind::Comma : qd::TokenKind::Word);
                    ++n;
                }
                expected << n;
            }
            const qd::TokenCount count = qd::chunkTokens(kinds);
            QCOMPARE(count.perChunk, expected);
            QCOMPARE(count.total, c["token_count"].toInt());
            ++checked;
        }
        QVERIFY(checked >= 8);
    }

    void commaBacktrackMovesTheTailToTheNextChunk()
    {
        // 60 words, a comma, 19 words (A1111 tokenize_line by hand): at token 76 the last comma is
        // 15 tokens back (<= 20), so chunk 1 ends after the comma (61 tokens) and the 14 words after
        // it move on: chunks 61 + 19, token_count 75 + 19.
        QList<qd::TokenKind> kinds(60, qd::TokenKind::Word);
        kinds << qd::TokenKind::Comma;
        kinds << QList<qd::TokenKind>(19, qd::TokenKind::Word);
        const qd::TokenCount count = qd::chunkTokens(kinds);
        QCOMPARE(count.perChunk, QList<int>({ 61, 19 }));
        QCOMPARE(count.total, 94);
    }

    void counterEqualsA1111sCount()
    {
        // The editor's default counter against A1111's own token_count for each conformance prompt.
        QFile f(QD_TEST_DATA "/conformance/prompt_chunks_cases.json");
        QVERIFY(f.open(QIODevice::ReadOnly));
        qd::PromptEditor e("Prompt", "p");
        for (const QJsonValue& v : QJsonDocument::fromJson(f.readAll()).array()) {
            const QJsonObject c = v.toObject();
            e.setText(c["prompt"].toString());
            QVERIFY(!e.tokenCount().estimated);
            QCOMPARE(e.tokenCount().total, c["token_count"].toInt());
            QCOMPARE(e.tokenCount().perChunk.size(), c["chunks"].toArray().size());
        }
        e.setText("a castle <lora:film:0.8> on a hill");
        QCOMPARE(e.tokenCountText(), QString("5/75")); // LoRA tags are not text for the encoder
        e.setText("a castle <lora:film:0."); // half typed: no error, still a count
        QVERIFY(e.tokenCount().total > 0);
    }

    void estimateIsCloseToTheRealCount()
    {
        QFile f(QD_TEST_DATA "/conformance/prompt_chunks_cases.json");
        QVERIFY(f.open(QIODevice::ReadOnly));
        for (const QJsonValue& v : QJsonDocument::fromJson(f.readAll()).array()) {
            const QJsonObject c = v.toObject();
            const int real = c["token_count"].toInt();
            const int estimate = qd::estimateTokenCount(c["prompt"].toString()).total;
            QVERIFY2(qAbs(estimate - real) <= qMax(2, real / 10),
                qPrintable(QString("%1: estimate %2, A1111 %3")
                               .arg(c["prompt"].toString().left(40))
                               .arg(estimate)
                               .arg(real)));
        }
    }

    void recentPromptsAreMostRecentFirstWithoutDuplicates()
    {
        qd::PromptEditor e("Prompt", "p");
        e.addRecentPrompt("one");
        e.addRecentPrompt("two");
        e.addRecentPrompt("one");
        e.addRecentPrompt("   ");
        QCOMPARE(e.recentPrompts(), QStringList({ "one", "two" }));
        for (int i = 0; i < 30; ++i)
            e.addRecentPrompt(QString::number(i));
        QCOMPARE(e.recentPrompts().size(), qd::PromptEditor::maxRecent());
        QCOMPARE(e.recentPrompts().first(), QString("29"));
    }
};

QTEST_MAIN(TestPromptEditor)
#include "tst_prompteditor.moc"
