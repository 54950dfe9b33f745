// HistoryModel over a real HistoryStore: passes QAbstractItemModelTester through queries, inserts,
// deletes and edits; loads records a page at a time; thumbnails arrive later through dataChanged;
// stays quick with 10,000+ rows.
#include <QAbstractItemModelTester>
#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QtTest/QtTest>

#include "core/history/HistoryStore.h"
#include "ui/HistoryModel.h"

using qd::HistoryModel;
using qd::HistoryStore;

class TestHistoryModel : public QObject
{
    Q_OBJECT
    QTemporaryDir m_dir;

    // n images on disk (tiny PNGs) and their rows; prompts cycle through a few subjects.
    static void fill(
        HistoryStore& store, const QString& folder, int n, int offset = 0, QSize size = QSize(16, 12))
    {
        QDir().mkpath(folder);
        static const char* subjects[]
            = { "red fox in snow", "lighthouse at dawn", "portrait of a cat", "city at night" };
        QList<HistoryStore::NewImage> images;
        for (int i = offset; i < offset + n; ++i) {
            const QString file = QStringLiteral("%1/%2.png").arg(folder).arg(i, 6, 10, QChar('0'));
            QImage img(size, QImage::Format_RGB888);
            img.fill(QColor::fromHsv(i * 7 % 360, 200, 200));
            QVERIFY(img.save(file));
            HistoryStore::NewImage ni;
            ni.filePath = file;
            ni.params.prompt = std::string(subjects[i % 4]) + " #" + std::to_string(i);
            ni.params.seed = 1000 + i;
            ni.params.sampler = i % 2 ? "Euler a" : "DPM++ 2M";
            ni.params.modelName = i % 3 ? "sd15" : "sdxl";
            ni.params.width = 16;
            ni.params.height = 12;
            ni.created = QDateTime(QDate(2024, 1, 1), QTime(0, 0), Qt::UTC).addSecs(i * 60);
            images << ni;
        }
        QStringList errors;
        const QList<qint64> ids = store.insertMany(images, &errors);
        QVERIFY2(errors.isEmpty() || errors.join("").isEmpty(), qPrintable(errors.join("; ")));
        QCOMPARE(ids.size(), n);
    }

private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void passesTheModelTesterThroughEveryChange()
    {
        HistoryStore store(m_dir.filePath("a"));
        QVERIFY(store.open());
        fill(store, m_dir.filePath("a/img"), 300);
        HistoryModel model(&store);
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QCOMPARE(model.rowCount(), 300);
        // newest first
        QCOMPARE(model.data(model.index(0), HistoryModel::SeedRole).toLongLong(), 1299);
        QCOMPARE(model.data(model.index(299), HistoryModel::SeedRole).toLongLong(), 1000);

        // Search narrows the rows.
        qd::HistoryQuery q;
        q.text = "lighthouse";
        model.setQuery(q);
        QCOMPARE(model.rowCount(), 75);
        for (int r = 0; r < model.rowCount(); r += 10)
            QVERIFY(model.data(model.index(r), HistoryModel::PromptRole).toString().contains("lighthouse"));
        q = qd::HistoryQuery();
        q.sampler = "Euler a";
        q.model = "sdxl";
        model.setQuery(q);
        QCOMPARE(model.rowCount(), 50); // odd i that divide by 3: i = 3, 9, 15, ... < 300
        q = qd::HistoryQuery();
        q.sort = qd::HistoryQuery::Sort::OldestFirst;
        model.setQuery(q);
        QCOMPARE(model.data(model.index(0), HistoryModel::SeedRole).toLongLong(), 1000);
        model.setQuery(qd::HistoryQuery());

        // New images: inserted at the top as rows, not a reset.
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
        fill(store, m_dir.filePath("a/img"), 5, 300);
        model.refresh();
        QCOMPARE(model.rowCount(), 305);
        QCOMPARE(inserted.count(), 1);
        QCOMPARE(inserted.first().at(1).toInt(), 0);
        QCOMPARE(inserted.first().at(2).toInt(), 4);
        QCOMPARE(reset.count(), 0);
        QCOMPARE(model.data(model.index(0), HistoryModel::SeedRole).toLongLong(), 1304);

        // Delete two apart: rows removed; undo brings one back.
        QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
        const qint64 a = model.idAt(3), b = model.idAt(100);
        QVERIFY(store.remove(a));
        QVERIFY(store.remove(b));
        QCOMPARE(model.rowCount(), 303);
        QVERIFY(removed.count() >= 2);
        QCOMPARE(model.rowOf(a), -1);
        QVERIFY(store.undoRemove());
        QCOMPARE(model.rowCount(), 304);
        QVERIFY(model.rowOf(b) >= 0);

        // Favourite and rating through setData reach the store and the view.
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        const QModelIndex ix = model.index(10);
        QVERIFY(model.setData(ix, true, HistoryModel::FavouriteRole));
        QVERIFY(model.setData(ix, 4, HistoryModel::RatingRole));
        QVERIFY(!model.setData(ix, 9, HistoryModel::RatingRole));
        QVERIFY(changed.count() >= 2);
        QCOMPARE(model.data(ix, HistoryModel::FavouriteRole).toBool(), true);
        QCOMPARE(model.data(ix, HistoryModel::RatingRole).toInt(), 4);
        QCOMPARE(store.record(model.idAt(10))->rating, 4);
        q = qd::HistoryQuery();
        q.favouritesOnly = true;
        model.setQuery(q);
        QCOMPARE(model.rowCount(), 1);
        QVERIFY(model.setData(model.index(0), false, HistoryModel::FavouriteRole)); // drops out of the filter
        QCOMPARE(model.rowCount(), 0);
    }

    void loadsRecordsOnePageAtATime()
    {
        HistoryStore store(m_dir.filePath("b"));
        QVERIFY(store.open());
        fill(store, m_dir.filePath("b/img"), 450);
        HistoryModel model(&store);
        QCOMPARE(model.rowCount(), 450);
        QCOMPARE(model.loadedPageCount(), 0); // the ids only: nothing loaded before it is shown
        model.data(model.index(0), HistoryModel::PromptRole);
        model.data(model.index(HistoryModel::kPageSize - 1), HistoryModel::PromptRole);
        QCOMPARE(model.loadedPageCount(), 1);
        model.data(model.index(449), HistoryModel::PromptRole);
        QCOMPARE(model.loadedPageCount(), 2); // pages 0 and 2; page 1 never touched
        QCOMPARE(model.data(model.index(449), HistoryModel::SeedRole).toLongLong(), 1000);
    }

    void thumbnailsArriveLaterThroughDataChanged()
    {
        HistoryStore store(m_dir.filePath("c"));
        QVERIFY(store.open());
        fill(store, m_dir.filePath("c/img"), 20);
        HistoryModel model(&store);
        model.setThumbnailSize(64, 2.0);
        QSignalSpy ready(&model, &HistoryModel::thumbnailReady);
        const QModelIndex ix = model.index(5);
        QVERIFY(!model.data(ix, HistoryModel::ThumbnailReadyRole).toBool());
        const QPixmap placeholder = model.data(ix, Qt::DecorationRole).value<QPixmap>();
        QVERIFY(!placeholder.isNull()); // something to draw at once
        QTRY_COMPARE(ready.count(), 1);
        QVERIFY(model.data(ix, HistoryModel::ThumbnailReadyRole).toBool());
        const QPixmap thumb = model.data(ix, Qt::DecorationRole).value<QPixmap>();
        // the 16x12 image is never enlarged; its colour is that of image #14 (newest first: 19 - 5)
        QCOMPARE(thumb.size(), QSize(16, 12));
        // (the disk cache is JPEG: a hue step or two off)
        QVERIFY(qAbs(thumb.toImage().pixelColor(8, 6).hue() - QColor::fromHsv(14 * 7 % 360, 200, 200).hue())
            <= 3);
        QCOMPARE(model.pendingThumbnails(), 0);
    }

    void staysQuickWithTenThousandRows()
    {
        HistoryStore store(m_dir.filePath("d"));
        QVERIFY(store.open());
        QElapsedTimer t;
        t.start();
        for (int chunk = 0; chunk < 7; ++chunk)
            fill(store, m_dir.filePath("d/img"), 1500, chunk * 1500, QSize(2, 2));
        qInfo("made 10,500 images and rows in %lld ms", t.elapsed());

        t.restart();
        HistoryModel model(&store);
        const qint64 open = t.elapsed();
        QCOMPARE(model.rowCount(), 10500);
        // Scroll through everything as a view would: every row's text, one page at a time.
        t.restart();
        qint64 worstPage = 0;
        for (int page = 0; page * HistoryModel::kPageSize < 10500; ++page) {
            QElapsedTimer p;
            p.start();
            for (int r = page * HistoryModel::kPageSize;
                 r < qMin(10500, (page + 1) * HistoryModel::kPageSize); ++r)
                model.data(model.index(r), Qt::ToolTipRole);
            worstPage = qMax(worstPage, p.elapsed());
        }
        qInfo("open %lld ms, read all 10,500 rows %lld ms, worst page of %d rows %lld ms", open, t.elapsed(),
            HistoryModel::kPageSize, worstPage);
        QVERIFY(model.loadedPageCount() <= HistoryModel::kMaxCachedPages); // old pages are let go
        QCOMPARE(model.data(model.index(10499), HistoryModel::SeedRole).toLongLong(), 1000);
        // Scrolling back up and jumping around keeps evicting pages; every row must still show its
        // own image (newest first: row r is image 10499 - r, seed 1000 + 10499 - r). Many evictions
        // make a stale page lookup after an eviction show up whatever the process's hash seed.
        auto firstWrongRow = [&model](const QList<int>& rows) {
            for (int r : rows)
                if (model.data(model.index(r), HistoryModel::SeedRole).toLongLong() != 1000 + 10499 - r)
                    return r;
            return -1;
        };
        QList<int> upwards, jumps;
        for (int r = 10499; r >= 0; --r)
            upwards << r;
        for (int k = 0; k < 500; ++k)
            jumps << k * 7919 % 10500; // a prime stride: a different page almost every time
        QCOMPARE(firstWrongRow(upwards), -1);
        QCOMPARE(firstWrongRow(jumps), -1);
        QVERIFY(model.loadedPageCount() <= HistoryModel::kMaxCachedPages);
        // A search over 14k prompts and the reset that follows.
        t.restart();
        qd::HistoryQuery q;
        q.text = "portrait";
        model.setQuery(q);
        qInfo("search + reset %lld ms -> %d rows", t.elapsed(), model.rowCount());
        QCOMPARE(model.rowCount(), 2625);
    }
};

QTEST_MAIN(TestHistoryModel)
#include "tst_historymodel.moc"
