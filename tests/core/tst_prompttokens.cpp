// core's prompt token count (what the prompt box shows) against AUTOMATIC1111's own token_count and
// chunks for every conformance prompt; a prompt that does not parse gives no count, not an error.
#include <QtTest/QtTest>

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include "core/generation/PromptTokens.h"

class TestPromptTokens : public QObject
{
    Q_OBJECT
private slots:
    void countsAsA1111()
    {
        QFile f(QD_TEST_DATA "/conformance/prompt_chunks_cases.json");
        QVERIFY(f.open(QIODevice::ReadOnly));
        int cases = 0;
        for (const QJsonValue& v : QJsonDocument::fromJson(f.readAll()).array()) {
            const QJsonObject c = v.toObject();
            const auto count = qd::countPromptTokens(c["prompt"].toString());
            QVERIFY2(count, qPrintable(c["prompt"].toString()));
            QCOMPARE(count->total, c["token_count"].toInt());
            QCOMPARE(count->perChunk.size(), c["chunks"].toArray().size());
            ++cases;
        }
        QVERIFY(cases > 0);
    }

    void loraTagsAreNotText()
    {
        const auto count = qd::countPromptTokens("a castle <lora:film:0.8> on a hill");
        QVERIFY(count);
        QCOMPARE(count->total, 5);
        QCOMPARE(count->perChunk, QList<int> { 5 });
    }

    void emptyPromptIsOneEmptyChunk()
    {
        const auto count = qd::countPromptTokens(QString());
        QVERIFY(count);
        QCOMPARE(count->total, 0);
        QCOMPARE(count->perChunk, QList<int> { 0 });
    }

    void malformedLoraGivesNoCount()
    {
        // "<lora:film:abc>" is an error for the engine (cli_tokenize_bad_lora); while typing, the
        // prompt box then shows its estimate instead.
        QVERIFY(!qd::countPromptTokens("a castle <lora:film:abc>"));
    }
};

QTEST_APPLESS_MAIN(TestPromptTokens)
#include "tst_prompttokens.moc"
