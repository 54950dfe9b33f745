// The history database as the gallery uses it: rows only for written files, search, filters, sort,
// paging, delete with undo, folder import and thumbnails.
#include <QtTest/QtTest>

#include <QTemporaryDir>
#include <QtConcurrent/QtConcurrentRun>

#include "core/history/HistoryStore.h"
#include "core/metadata/ImageMetadata.h"
#include "core/metadata/Infotext.h"

using qd::GenerationParams;
using qd::HistoryQuery;
using qd::HistoryStore;
using qd::ImageMetadata;

namespace
{

GenerationParams params(const char* prompt, const char* negative = "", const char* model = "sd15",
    const char* sampler = "Euler a")
{
    GenerationParams p;
    p.prompt = prompt;
    p.negativePrompt = negative;
    p.modelName = model;
    p.modelHash = std::string(model) == "sdxl" ? "31e35c80fc" : "6ce0161689";
    p.sampler = sampler;
    p.seed = 42;
    p.width = 96;
    p.height = 64;
    return p;
}

QImage image(int w = 96, int h = 64, QColor c = Qt::darkCyan)
{
    QImage img(w, h, QImage::Format_RGB888);
    img.fill(c);
    return img;
}

QString writeImage(const QString& path, const GenerationParams& p, const QString& key = "parameters")
{
    ImageMetadata meta;
    if (!key.isEmpty())
        meta.setText(key, qd::toInfotext(p));
    QString error;
    if (!ImageMetadata::save(image(p.width, p.height), path, meta, 90, &error))
        qWarning() << error;
    return path;
}

QStringList prompts(const QList<qd::HistoryRecord>& rows)
{
    QStringList out;
    for (const auto& r : rows)
        out << QString::fromStdString(r.params.prompt);
    return out;
}

} // namespace

class TestHistoryStore : public QObject
{
    Q_OBJECT
    QTemporaryDir m_dir;
    QString path(const QString& name) const { return m_dir.filePath(name); }

private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void insertsOnlyWrittenFilesAndKeepsEveryParameter()
    {
        HistoryStore store(path("data1"));
        QString error;
        QVERIFY2(store.open(&error), qPrintable(error));
        QSignalSpy inserted(&store, &HistoryStore::inserted);

        QCOMPARE(store.insert(path("nowhere.png"), params("x"), &error), 0);
        QVERIFY(error.contains("no such file"));
        QFile empty(path("empty.png"));
        QVERIFY(empty.open(QIODevice::WriteOnly));
        empty.close();
        QCOMPARE(store.insert(path("empty.png"), params("x"), &error), 0);
        QVERIFY(error.contains("empty"));

        GenerationParams p = params("一只猫 🐱, \"quoted\"", "blurry");
        p.seed = (qint64(1) << 62) + 1; // beyond a double's 53 bits
        p.scheduler = "Karras";
        p.cfgScale = 6.5;
        p.extra["Hires upscale"] = "2";
        p.extraOrder = { "Hires upscale" };
        const QString file = writeImage(path("one.png"), p);
        const qint64 id = store.insert(file, p, &error);
        QVERIFY2(id > 0, qPrintable(error));
        QCOMPARE(inserted.count(), 1);
        QCOMPARE(store.insert(file, p, &error), 0);
        QVERIFY(error.contains("already in the history"));

        const auto r = store.record(id);
        QVERIFY(r);
        QCOMPARE(r->filePath, QFileInfo(file).canonicalFilePath());
        QCOMPARE(QString::fromStdString(r->params.prompt), QString::fromUtf8("一只猫 🐱, \"quoted\""));
        QCOMPARE(r->params.seed, p.seed);
        QCOMPARE(QString::fromStdString(r->params.scheduler), QString("Karras"));
        QCOMPARE(r->params.cfgScale, 6.5);
        QCOMPARE(r->params.extra, p.extra);
        QCOMPARE(r->width, 96);
        QCOMPARE(r->height, 64);
        QVERIFY(qAbs(r->created.secsTo(QDateTime::currentDateTimeUtc())) < 60);
        QVERIFY(QFile::exists(store.databasePath() + "-wal")); // WAL journal
    }

    void searchesFiltersSortsAndPages()
    {
        HistoryStore store(path("data2"));
        QVERIFY(store.open());
        const QDateTime t0 = QDateTime(QDate(2024, 1, 1), QTime(12, 0), Qt::UTC);
        struct Row {
            const char* prompt;
            const char* negative;
            const char* model;
            const char* sampler;
            int day;
        };
        const Row rows[] = {
            { "a red fox in the snow", "", "sd15", "Euler a", 0 },
            { "一只可爱的猫, watercolor", "", "sdxl", "DPM++ 2M", 1 },
            { "castle on a hill at dusk", "blurry fox", "sd15", "DPM++ 2M", 2 },
            { "Portrait of a FOX knight", "", "sdxl", "Euler a", 3 },
            { "ox cart", "", "sd15", "Euler", 4 },
        };
        QList<qint64> ids;
        for (int i = 0; i < 5; ++i) {
            const GenerationParams p
                = params(rows[i].prompt, rows[i].negative, rows[i].model, rows[i].sampler);
            ids << store.insert(
                writeImage(path(QStringLiteral("s%1.png").arg(i)), p), p, nullptr, t0.addDays(rows[i].day));
            QVERIFY(ids.back() > 0);
        }
        HistoryQuery q;
        auto find = [&](const QString& text, bool negative = false) {
            q = HistoryQuery();
            q.text = text;
            q.searchNegative = negative;
            q.sort = HistoryQuery::Sort::OldestFirst;
            return prompts(store.page(q, 0, 100));
        };
        QCOMPARE(
            find("fox"), (QStringList { "a red fox in the snow", "Portrait of a FOX knight" })); // any case
        QCOMPARE(store.count(q), 2);
        QCOMPARE(find("fox", true).size(), 3); // the negative prompt too
        QCOMPARE(find("fox -knight"), QStringList { "a red fox in the snow" });
        QCOMPARE(find("\"on a hill\""), QStringList { "castle on a hill at dusk" });
        QCOMPARE(find("可爱的猫"), QStringList { "一只可爱的猫, watercolor" }); // no spaces needed
        QCOMPARE(find("可爱"), QStringList { "一只可爱的猫, watercolor" });
        QCOMPARE(find("爱可"), QStringList {}); // the characters in that order
        QCOMPARE(find("ox"), QStringList { "ox cart" }); // words starting with it, not "fox"
        QCOMPARE(find("cas hil").size(), 1); // prefixes of words
        QCOMPARE(find("\"cas\""), QStringList {}); // quoted: the exact word
        QCOMPARE(find("dragon"), QStringList {});
        QCOMPARE(find("( : )").size(), 5); // punctuation only: no text condition

        q = HistoryQuery();
        q.model = "sdxl";
        QCOMPARE(store.count(q), 2);
        q.model = "6ce0161689"; // or by hash
        QCOMPARE(store.count(q), 3);
        q = HistoryQuery();
        q.sampler = "DPM++ 2M";
        QCOMPARE(store.count(q), 2);
        q = HistoryQuery();
        q.from = t0.addDays(1);
        q.to = t0.addDays(3);
        QCOMPARE(store.count(q), 2);

        QVERIFY(store.setFavourite(ids[3], true));
        QVERIFY(store.setRating(ids[2], 5));
        QVERIFY(store.setRating(ids[0], 3));
        QVERIFY(store.setTags(ids[2], { "landscape", "best", "best" }));
        q = HistoryQuery();
        q.favouritesOnly = true;
        QCOMPARE(prompts(store.page(q, 0, 10)), QStringList { "Portrait of a FOX knight" });
        q = HistoryQuery();
        q.tag = "landscape";
        QCOMPARE(store.page(q, 0, 10).value(0).tags, (QStringList { "landscape", "best" }));
        q = HistoryQuery();
        q.sort = HistoryQuery::Sort::HighestRatedFirst;
        QCOMPARE(store.ids(q).mid(0, 2), (QList<qint64> { ids[2], ids[0] }));
        q.sort = HistoryQuery::Sort::NewestFirst;
        QCOMPARE(store.ids(q), (QList<qint64> { ids[4], ids[3], ids[2], ids[1], ids[0] }));
        QCOMPARE(store.models(), (QStringList { "sd15", "sdxl" }));

        // paging walks every row exactly once
        QList<qint64> seen;
        for (int offset = 0; offset < 5; offset += 2)
            for (const auto& r : store.page(q, offset, 2))
                seen << r.id;
        QCOMPARE(seen, store.ids(q));
        QCOMPARE(prompts(store.records({ ids[1], ids[4] })),
            (QStringList { "一只可爱的猫, watercolor", "ox cart" }));
    }

    void deleteMovesToTrashAndUndoBringsBothBack()
    {
        HistoryStore store(path("data3"));
        QVERIFY(store.open());
        QSignalSpy removed(&store, &HistoryStore::removed);
        QSignalSpy restored(&store, &HistoryStore::restored);
        const GenerationParams p = params("a lighthouse in a storm");
        const QString file = writeImage(path("del/lighthouse.png"), p);
        const QByteArray bytes = [&] {
            QFile f(file);
            f.open(QIODevice::ReadOnly);
            return f.readAll();
        }();
        const qint64 id = store.insert(file, p);
        const qint64 other
            = store.insert(writeImage(path("del/other.png"), params("other")), params("other"));
        QVERIFY(id > 0 && other > 0);
        QVERIFY(!store.thumbnail(id).result().isNull());
        QVERIFY(!QDir(store.thumbnailer().cacheDir()).entryList(QDir::Files).isEmpty());

        QString error;
        QVERIFY2(store.remove(id, &error), qPrintable(error));
        QCOMPARE(removed.count(), 1);
        QVERIFY(!QFile::exists(file));
        QVERIFY(!store.record(id));
        QCOMPARE(store.count(), 1);
        HistoryQuery q;
        q.text = "lighthouse";
        QCOMPARE(store.count(q), 0);
        QCOMPARE(QDir(store.trashDir()).entryList(QDir::Files).size(), 1);
        QCOMPARE(QDir(store.thumbnailer().cacheDir()).entryList(QDir::Files).size(), 0); // forgotten

        // a new image never takes the deleted one's id
        const qint64 newer
            = store.insert(writeImage(path("del/newer.png"), params("newer")), params("newer"));
        QVERIFY(newer > id && newer != id);

        QVERIFY2(store.undoRemove(&error), qPrintable(error));
        QCOMPARE(restored.count(), 1);
        QVERIFY(QFile::exists(file));
        QCOMPARE(
            [&] {
                QFile f(file);
                f.open(QIODevice::ReadOnly);
                return f.readAll();
            }(),
            bytes);
        const auto back = store.record(id);
        QVERIFY(back);
        QCOMPARE(QString::fromStdString(back->params.prompt), QString("a lighthouse in a storm"));
        QCOMPARE(store.count(q), 1); // searchable again
        QVERIFY(store.trashedIds().isEmpty());
        QVERIFY(!store.undoRemove(&error));

        // restoring over a file that took the place is refused, nothing is lost
        QVERIFY(store.remove(id, &error));
        writeImage(file, params("squatter"));
        QVERIFY(!store.restore(id, &error));
        QVERIFY(error.contains("exists again"));
        QCOMPARE(store.trashedIds(), QList<qint64> { id });

        QCOMPARE(store.purgeTrash(QDateTime::currentDateTimeUtc().addSecs(1)), 1);
        QVERIFY(QDir(store.trashDir()).entryList(QDir::Files).isEmpty());
        QVERIFY(!store.restore(id, &error));
    }

    void importsAFolderOfOtherToolsImages()
    {
        const QString in = path("a1111-outputs");
        QDir().mkpath(in + "/txt2img-images/2024-05-01");
        writeImage(in + "/txt2img-images/2024-05-01/00000-123.png", params("a1111 png"));
        writeImage(in + "/00001.jpg", params("a1111 jpeg"));
        writeImage(in + "/00002.webp", params("a1111 webp"));
        const QString comfy
            = "{\"3\": {\"class_type\": \"KSampler\", \"inputs\": {\"seed\": 7, \"steps\": 12, \"cfg\": 5,"
              " \"sampler_name\": \"euler\", \"scheduler\": \"normal\", \"positive\": [\"6\", 0], "
              "\"negative\": [\"7\", 0],"
              " \"latent_image\": [\"5\", 0], \"model\": [\"4\", 0]}},"
              " \"4\": {\"class_type\": \"CheckpointLoaderSimple\", \"inputs\": {\"ckpt_name\": "
              "\"flux.safetensors\"}},"
              " \"5\": {\"class_type\": \"EmptyLatentImage\", \"inputs\": {\"width\": 96, \"height\": 64}},"
              " \"6\": {\"class_type\": \"CLIPTextEncode\", \"inputs\": {\"text\": \"comfy cat\"}},"
              " \"7\": {\"class_type\": \"CLIPTextEncode\", \"inputs\": {\"text\": \"\"}}}";
        ImageMetadata meta;
        meta.setText("prompt", comfy);
        QVERIFY(ImageMetadata::save(image(), in + "/ComfyUI_00001_.png", meta));
        QVERIFY(ImageMetadata::save(image(), in + "/photo.png", ImageMetadata())); // no parameters
        QFile broken(in + "/broken.png");
        QVERIFY(broken.open(QIODevice::WriteOnly));
        broken.write("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16);
        broken.close();
        QFile notes(in + "/notes.txt");
        QVERIFY(notes.open(QIODevice::WriteOnly));
        notes.write("not an image");
        notes.close();

        HistoryStore store(path("data4"));
        QVERIFY(store.open());
        QSignalSpy imported(&store, &HistoryStore::imported);
        QSignalSpy inserted(&store, &HistoryStore::inserted);
        const HistoryStore::ImportReport r = store.importFolder(in);
        QCOMPARE(inserted.count(), 0); // one imported() instead of a signal per row
        QCOMPARE(r.added, 4);
        QCOMPARE(r.withoutParameters, 1);
        QCOMPARE(r.duplicates, 0);
        QCOMPARE(r.errors.size(), 1);
        QVERIFY2(r.errors[0].contains("broken.png"), qPrintable(r.errors[0]));
        QCOMPARE(imported.count(), 1);
        QCOMPARE(store.count(), 4);

        HistoryQuery q;
        q.text = "comfy";
        const auto rows = store.page(q, 0, 10);
        QCOMPARE(rows.size(), 1);
        QCOMPARE(rows[0].source, QString("prompt"));
        QCOMPARE(rows[0].params.steps, 12);
        QCOMPARE(QString::fromStdString(rows[0].params.modelName), QString("flux"));
        q.text = "jpeg";
        QCOMPARE(store.page(q, 0, 10).value(0).source, QString("parameters"));

        const HistoryStore::ImportReport again = store.importFolder(in);
        QCOMPARE(again.added, 0);
        QCOMPARE(again.duplicates, 4);
        QCOMPARE(store.count(), 4);
    }

    void anotherThreadImportsThroughItsOwnStore()
    {
        const QString in = path("bg");
        for (int i = 0; i < 20; ++i)
            writeImage(in + QStringLiteral("/%1.png").arg(i),
                params(qPrintable(QStringLiteral("background %1").arg(i))));
        HistoryStore store(path("data5"));
        QVERIFY(store.open());
        QFuture<int> added = QtConcurrent::run([dir = path("data5"), in] {
            HistoryStore worker(dir);
            return worker.open() ? worker.importFolder(in).added : -1;
        });
        QCOMPARE(added.result(), 20);
        QCOMPARE(store.count(), 20);
    }

    void thumbnailsAreSmallAndCached()
    {
        HistoryStore store(path("data6"));
        QVERIFY(store.open());
        GenerationParams p = params("tall");
        p.width = 300;
        p.height = 600;
        const QString file = writeImage(path("tall.png"), p);
        const qint64 id = store.insert(file, p);
        const QImage t = store.thumbnail(id, 128).result();
        QCOMPARE(t.size(), QSize(64, 128));
        QVERIFY(QFile::exists(store.thumbnailer().cachePath(file, 128)));
        QCOMPARE(store.thumbnail(id, 128).result().size(), QSize(64, 128)); // from the cache
        QVERIFY(store.thumbnail(9999).result().isNull());
    }
};

QTEST_GUILESS_MAIN(TestHistoryStore)
#include "tst_historystore.moc"
