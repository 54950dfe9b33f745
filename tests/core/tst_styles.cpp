#include <QtTest/QtTest>

#include "TestFiles.h"
#include "core/generation/Styles.h"

using namespace qd;

// Prompt styles as AUTOMATIC1111 keeps and applies them: its styles.csv read as it is (BOM, CRLF,
// quoted fields with commas, quotes and line breaks), written back byte for byte, other column
// layouts, the {prompt} / ", " rule, an unknown name refused, and paste's reverse.
class TestStyles : public QObject
{
    Q_OBJECT
    QTemporaryDir m_dir;

    static QByteArray readAll(const QString& path)
    {
        QFile f(path);
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
    }

private slots:
    void importsA1111StylesCsv()
    {
        // written by A1111's own code path (Python csv.DictWriter, utf-8-sig)
        StyleDatabase db;
        QString error;
        QVERIFY2(db.load(QStringLiteral(QD_TEST_DATA "/core/styles.csv"), &error), qPrintable(error));
        QCOMPARE(db.names(), QStringList({ "Cinematic", "Watercolor", "Line art, ink", "Only negative" }));
        QCOMPARE(db.find("Cinematic")->prompt,
            QString("cinematic still of {prompt}, shallow depth of field, film grain"));
        QCOMPARE(db.find("Cinematic")->negativePrompt, QString("cartoon, anime"));
        QCOMPARE(db.find("Watercolor")->prompt, QString("watercolor painting, \"soft\" washes"));
        QCOMPARE(db.find("Line art, ink")->prompt, QString("line art\nink drawing, high contrast"));
        QCOMPARE(db.find("Line art, ink")->negativePrompt, QString());
        QCOMPARE(db.find("Only negative")->prompt, QString());

        // saved again, it is the same file A1111 wrote
        const QString out = m_dir.filePath("styles.csv");
        QVERIFY2(db.save(out, &error), qPrintable(error));
        QCOMPARE(readAll(out), readAll(QStringLiteral(QD_TEST_DATA "/core/styles.csv")));
    }

    void otherLayouts()
    {
        // extra columns in any order, LF line ends, no BOM, blanks after commas (skipinitialspace)
        const QList<PromptStyle> a = StyleDatabase::parse(
            "description,negative_prompt,name,prompt\nnotes,  \"blurry, dark\", Sharp,\"sharp focus\"\n\n");
        QCOMPARE(a.size(), 1);
        QCOMPARE(a[0].name, QString("Sharp"));
        QCOMPARE(a[0].prompt, QString("sharp focus"));
        QCOMPARE(a[0].negativePrompt, QString("blurry, dark"));
        // A1111's old two-column format: name,text
        const QList<PromptStyle> b = StyleDatabase::parse("name,text\r\nOld,\"old style, 1\"\r\n");
        QCOMPARE(b.size(), 1);
        QCOMPARE(b[0].prompt, QString("old style, 1"));
        QCOMPARE(b[0].negativePrompt, QString());
        // no name column: an error naming the header
        QString error;
        QVERIFY(StyleDatabase::parse("title,prompt\nx,y\n", &error).isEmpty());
        QVERIFY(error.contains("title,prompt"));
        // import merges by name
        StyleDatabase db;
        db.set({ "Sharp", "old", "" });
        db.set({ "Keep", "k", "" });
        const QString file = m_dir.filePath("more.csv");
        qdtest::writeFile(file, "name,prompt,negative_prompt\r\nSharp,new,\r\nNew,n,\r\n");
        QCOMPARE(db.import(file, &error), 2);
        QCOMPARE(db.names(), QStringList({ "Sharp", "Keep", "New" }));
        QCOMPARE(db.find("Sharp")->prompt, QString("new"));
        QCOMPARE(db.import(m_dir.filePath("missing.csv"), &error), -1);
    }

    void applyRules()
    {
        QCOMPARE(mergeStylePrompt("style", "a cat"), QString("a cat, style"));
        QCOMPARE(mergeStylePrompt("style", "  "), QString("style"));
        QCOMPARE(mergeStylePrompt("", "a cat"), QString("a cat"));
        QCOMPARE(mergeStylePrompt("photo of {prompt}, 4k", "a cat"), QString("photo of a cat, 4k"));
        QCOMPARE(mergeStylePrompt("{prompt} and {prompt}", "x"), QString("x and x"));

        StyleDatabase db;
        QVERIFY(db.load(QStringLiteral(QD_TEST_DATA "/core/styles.csv")));
        QString prompt = "a cat", negative = "ugly";
        QVERIFY(db.apply({ "Cinematic", "Watercolor", "Only negative" }, &prompt, &negative));
        QCOMPARE(prompt,
            QString("cinematic still of a cat, shallow depth of field, film grain, watercolor painting, "
                    "\"soft\" washes"));
        QCOMPARE(negative, QString("ugly, cartoon, anime, photo, 3d render, lowres, bad anatomy"));

        // an unknown name: refused, naming it, prompts untouched
        QString p2 = "a", n2 = "b", error;
        QVERIFY(!db.apply({ "Cinematic", "Nope" }, &p2, &n2, &error));
        QVERIFY(error.contains("'Nope'"));
        QCOMPARE(p2, QString("a"));

        // paste: the styles come back out of the final prompts, in the order applied
        QCOMPARE(db.extractStyles(&prompt, &negative),
            QStringList({ "Cinematic", "Watercolor", "Only negative" }));
        QCOMPARE(prompt, QString("a cat"));
        QCOMPARE(negative, QString("ugly"));
        QString plain = "a dog", plainNeg = "";
        QVERIFY(db.extractStyles(&plain, &plainNeg).isEmpty());
        QCOMPARE(plain, QString("a dog"));
    }

    void csvQuoting()
    {
        QCOMPARE(csvRow({ "a", "b,c", "d\"e", "f\ng", "" }), QString("a,\"b,c\",\"d\"\"e\",\"f\ng\","));
        QCOMPARE(parseCsv("a,\"b,c\",\"d\"\"e\",\"f\ng\",\r\n"),
            QList<QStringList>({ { "a", "b,c", "d\"e", "f\ng", "" } }));
    }
};

QTEST_GUILESS_MAIN(TestStyles)
#include "tst_styles.moc"
