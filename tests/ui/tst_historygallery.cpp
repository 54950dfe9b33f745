// HistoryGallery as a user drives it: search box and filters, favourite and rating keys, Delete and
// Ctrl+Z, copy infotext, restore; ExportDialog: file-name patterns, every format keeps the
// parameters, nothing is overwritten; SettingsDialog gives back what it was given.
#include <QClipboard>
#include <QComboBox>
#include <QLineEdit>
#include <QListView>
#include <QTemporaryDir>
#include <QToolButton>
#include <QtTest/QtTest>

#include "core/metadata/ImageMetadata.h"
#include "core/metadata/Infotext.h"
#include "ui/ExportDialog.h"
#include "ui/HistoryGallery.h"
#include "ui/HistoryModel.h"
#include "ui/SettingsDialog.h"

using qd::HistoryGallery;
using qd::HistoryModel;
using qd::HistoryStore;

class TestHistoryGallery : public QObject
{
    Q_OBJECT
    QTemporaryDir m_dir;

    // Four images written as the app writes them (infotext inside), newest = "city at night".
    static void fill(HistoryStore& store, const QString& folder)
    {
        QDir().mkpath(folder);
        const char* prompts[]
            = { "red fox in snow", "lighthouse at dawn", "portrait of a cat", "city at night" };
        for (int i = 0; i < 4; ++i) {
            qd::GenerationParams p;
            p.prompt = prompts[i];
            p.negativePrompt = "blurry, 文字";
            p.seed = 100 + i;
            p.steps = 10 + i;
            p.sampler = i % 2 ? "Euler a" : "DPM++ 2M";
            p.scheduler = "Karras";
            p.width = 64;
            p.height = 48;
            p.modelName = i < 2 ? "sd15" : "sdxl";
            QImage img(64, 48, QImage::Format_RGB888);
            img.fill(QColor::fromHsv(i * 80, 200, 200));
            qd::ImageMetadata meta;
            meta.setInfotext(qd::toInfotext(p));
            const QString file = QStringLiteral("%1/%2.png").arg(folder).arg(i);
            QVERIFY(qd::ImageMetadata::save(img, file, meta));
            QVERIFY(store.insert(file, p, nullptr, QDateTime(QDate(2024, 5, 1), QTime(12, i), Qt::UTC)));
        }
    }

private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void searchFiltersAndKeys()
    {
        HistoryStore store(m_dir.filePath("g"));
        QVERIFY(store.open());
        fill(store, m_dir.filePath("g/img"));
        HistoryGallery gallery(&store);
        gallery.resize(1000, 700);
        gallery.show();
        QVERIFY(QTest::qWaitForWindowExposed(&gallery));
        HistoryModel* model = gallery.model();
        QCOMPARE(model->rowCount(), 4);

        // Typing in the search box filters after a short pause.
        auto* search = gallery.findChild<QLineEdit*>("historySearch");
        QTest::keyClicks(search, "lighthouse");
        QTRY_COMPARE(model->rowCount(), 1);
        search->clear();
        QTRY_COMPARE(model->rowCount(), 4);

        // Model filter lists the models in the history.
        auto* models = gallery.findChild<QComboBox*>("historyModelFilter");
        const int sdxl = models->findData("sdxl");
        QVERIFY(sdxl > 0);
        models->setCurrentIndex(sdxl);
        emit models->activated(sdxl);
        QCOMPARE(model->rowCount(), 2);
        models->setCurrentIndex(0);
        emit models->activated(0);
        QCOMPARE(model->rowCount(), 4);

        // F and digit keys on the grid: favourite and rating.
        gallery.selectRow(1);
        QListView* view = gallery.view();
        view->setFocus();
        QTest::keyClick(view, Qt::Key_F);
        QTest::keyClick(view, Qt::Key_4);
        const qint64 id = model->idAt(1);
        QVERIFY(store.record(id)->favourite);
        QCOMPARE(store.record(id)->rating, 4);
        gallery.findChild<QToolButton*>("historyFavouritesOnly")->click();
        QCOMPARE(model->rowCount(), 1);
        gallery.findChild<QToolButton*>("historyFavouritesOnly")->click();
        QCOMPARE(model->rowCount(), 4);

        // Ctrl+C copies the infotext; S asks for the seed; Return restores everything.
        gallery.selectRow(0);
        QTest::keyClick(view, Qt::Key_C, Qt::ControlModifier);
        const qd::GenerationParams copied = qd::parseInfotext(QGuiApplication::clipboard()->text());
        QCOMPARE(copied.prompt, std::string("city at night"));
        QCOMPARE(copied.negativePrompt, std::string("blurry, 文字"));
        QSignalSpy seed(&gallery, &HistoryGallery::seedRequested);
        QTest::keyClick(view, Qt::Key_S);
        QCOMPARE(seed.count(), 1);
        QCOMPARE(seed.first().first().toLongLong(), 103);
        QSignalSpy restore(&gallery, &HistoryGallery::restoreRequested);
        QTest::keyClick(view, Qt::Key_Return);
        QCOMPARE(restore.count(), 1);
        QCOMPARE(restore.first().first().value<qd::GenerationParams>().steps, 13);

        // Delete removes the image (file to the trash), Ctrl+Z brings it back.
        const QString file = model->data(model->index(0), HistoryModel::FilePathRole).toString();
        QTest::keyClick(view, Qt::Key_Delete);
        QCOMPARE(model->rowCount(), 3);
        QVERIFY(!QFileInfo::exists(file));
        QVERIFY(gallery.canUndoDelete());
        QTest::keyClick(view, Qt::Key_Z, Qt::ControlModifier);
        QCOMPARE(model->rowCount(), 4);
        QVERIFY(QFileInfo::exists(file));
        QCOMPARE(model->data(model->index(0), HistoryModel::FilePathRole).toString(), file);
    }

    void exportKeepsParametersInEveryFormatAndNeverOverwrites()
    {
        HistoryStore store(m_dir.filePath("e"));
        QVERIFY(store.open());
        fill(store, m_dir.filePath("e/img"));
        const QList<qd::HistoryRecord> records = store.page(qd::HistoryQuery(), 0, 10);
        QCOMPARE(records.size(), 4);

        QCOMPARE(
            qd::ExportDialog::fileName("{index}-{seed}-{sampler}", records[0], 3, qd::ImageFileFormat::Jpeg),
            QString("00003-103-Euler a.jpg"));
        QCOMPARE(
            qd::ExportDialog::fileName("{prompt}/{model}:{steps}", records[0], 1, qd::ImageFileFormat::WebP),
            QString("city at night_sdxl_13.webp")); // separators never make folders
        QCOMPARE(
            qd::ExportDialog::fileName("{width}x{height} {date}", records[0], 1, qd::ImageFileFormat::Png),
            QString("64x48 2024-05-01.png"));

        for (qd::ImageFileFormat format :
            { qd::ImageFileFormat::Png, qd::ImageFileFormat::Jpeg, qd::ImageFileFormat::WebP }) {
            qd::ExportOptions o;
            o.format = format;
            o.quality = 80;
            o.folder = m_dir.filePath("out");
            o.pattern = "{seed}";
            const qd::ExportResult r = qd::ExportDialog::exportRecords(records, o);
            QVERIFY2(r.errors.isEmpty(), qPrintable(r.errors.join("; ")));
            QCOMPARE(r.written.size(), 4);
            for (int i = 0; i < 4; ++i) {
                qd::ImageMetadata meta;
                QVERIFY(qd::ImageMetadata::read(r.written[i], &meta));
                const qd::GenerationParams p = meta.params().params;
                QCOMPARE(p.prompt, records[i].params.prompt);
                QCOMPARE(p.negativePrompt, std::string("blurry, 文字"));
                QCOMPARE(p.seed, records[i].params.seed);
                QCOMPARE(QImage(r.written[i]).size(), QSize(64, 48));
            }
        }
        // Again: new names, the first files untouched.
        qd::ExportOptions o;
        o.folder = m_dir.filePath("out");
        o.pattern = "{seed}";
        const qd::ExportResult again = qd::ExportDialog::exportRecords(records.mid(0, 1), o);
        QCOMPARE(again.written.size(), 1);
        QCOMPARE(QFileInfo(again.written.first()).fileName(), QString("103-2.png"));
    }

    void settingsDialogGivesBackWhatItWasGiven()
    {
        qd::Settings s;
        s.modelFolders = { "/models/a", "/models/b" };
        s.outputFolder = "/out";
        s.outputFormat = "webp";
        s.imageQuality = 77;
        s.device = "cuda:1"; // typed: not one of the listed choices
        s.precision = "bf16";
        s.previewMethod = "taesd";
        s.previewInterval = 3;
        s.language = "zh_CN";
        s.theme = "dark";
        s.defaults.steps = 33; // not edited in the dialog: passes through
        qd::SettingsDialog dialog(s);
        const qd::Settings back = dialog.settings();
        QVERIFY(back == s);
        dialog.findChild<QComboBox*>("settingsTheme")->setCurrentIndex(1);
        QCOMPARE(dialog.settings().theme, QString("light"));
    }
};

QTEST_MAIN(TestHistoryGallery)
#include "tst_historygallery.moc"
