#include <QtTest/QtTest>

#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QToolButton>

#include "core/generation/ImageSaver.h"
#include "ui/StylePicker.h"
#include "ui/XyzPlotDialog.h"

using namespace qd;

// The style picker and the X/Y/Z plot dialog as a user drives them: an A1111 styles.csv imported,
// styles chosen and written into the prompts, a style saved from the prompts and deleted again (the
// file follows); the dialog's image count as values are typed, an error for a bad value, and a
// queued 2x1 plot on the demo model whose grid comes back.
class TestXyzDialog : public QObject
{
    Q_OBJECT
    QTemporaryDir m_home;

private slots:
    void initTestCase()
    {
        QVERIFY(m_home.isValid());
        qputenv("QDIFFUSION_HOME", QFile::encodeName(m_home.path()));
        qputenv("OMP_WAIT_POLICY", "PASSIVE");
    }

    void stylePicker()
    {
        StylePicker picker;
        QString prompt = "a cat", negative = "ugly";
        picker.setPromptAccess([&] { return qMakePair(prompt, negative); },
            [&](const QString& p, const QString& n) {
                prompt = p;
                negative = n;
            });
        QVERIFY(picker.database().styles().isEmpty());
        QString error;
        QCOMPARE(picker.importFile(QStringLiteral(QD_TEST_DATA "/core/styles.csv"), &error), 4);
        QVERIFY(QFileInfo(StyleDatabase::defaultPath()).isFile());

        auto* chooser = picker.findChild<QToolButton*>("styleChooser");
        QCOMPARE(chooser->text(), tr("None"));
        const QList<QAction*> actions = chooser->menu()->actions();
        QCOMPARE(actions.size(), 4);
        actions[1]->trigger(); // Watercolor, then Cinematic: applied in the order chosen
        actions[0]->trigger();
        QCOMPARE(picker.selectedStyles(), QStringList({ "Watercolor", "Cinematic" }));
        QCOMPARE(chooser->text(), QString("Watercolor, Cinematic"));
        QVERIFY(picker.applyToPrompt());
        QCOMPARE(prompt,
            QString("cinematic still of a cat, watercolor painting, \"soft\" washes, shallow depth of field, "
                    "film "
                    "grain"));
        QCOMPARE(negative, QString("ugly, photo, 3d render, cartoon, anime"));
        QVERIFY(picker.selectedStyles().isEmpty());

        prompt = "pixel art";
        negative = "";
        QVERIFY(picker.addStyle("Pixels", &error));
        StyleDatabase onDisk;
        QVERIFY(onDisk.load(StyleDatabase::defaultPath()));
        QCOMPARE(onDisk.find("Pixels")->prompt, QString("pixel art"));
        picker.setSelectedStyles({ "Pixels" });
        QVERIFY(picker.removeSelected(&error));
        QVERIFY(onDisk.load(StyleDatabase::defaultPath()));
        QVERIFY(!onDisk.find("Pixels"));
        QCOMPARE(onDisk.styles().size(), 4);
    }

    void xyzDialogQueuesAPlot()
    {
        InferenceWorker worker;
        worker.setImageSaver(ImageSaver().function());
        JobRequest base;
        base.params.prompt = "a lighthouse";
        base.params.steps = 2;
        base.params.seed = 5;
        base.params.width = base.params.height = 0;
        XyzPlotDialog dialog(
            &worker, [&] { return base; },
            [](const JobRequest& r, QString* e) { return JobBuilder(Settings(), nullptr).build(r, e); });
        dialog.show();
        dialog.typeBox(0)->setCurrentText("Steps");
        dialog.valuesEdit(0)->setText("1-3");
        dialog.typeBox(1)->setCurrentText("CFG Scale");
        dialog.valuesEdit(1)->setText("4, 8");
        QCOMPARE(dialog.summaryLabel()->text(), QString("3 × 2 × 1 = 6 images"));
        dialog.valuesEdit(1)->setText("4, loud");
        QVERIFY(dialog.summaryLabel()->text().contains("'loud'"));
        QString error;
        QVERIFY(!dialog.queuePlot(&error));
        QVERIFY(error.contains("'loud'"));

        dialog.typeBox(1)->setCurrentText("Nothing");
        dialog.valuesEdit(0)->setText("2, 3");
        QCOMPARE(dialog.summaryLabel()->text(), QString("2 × 1 × 1 = 2 images"));
        QSignalSpy done(&dialog, &XyzPlotDialog::plotFinished);
        QVERIFY2(dialog.queuePlot(&error), qPrintable(error));
        QCOMPARE(worker.queuedJobs().size() + (worker.runningJobId() ? 1 : 0) > 0, true);
        QVERIFY(done.wait(300000));
        const XyzResult result = done.first().first().value<XyzResult>();
        QCOMPARE(result.grids.combined.width(), 2 * 256); // no Y axis: no left margin
        QVERIFY(result.grids.combined.height() > 256); // the "Steps: 2", "Steps: 3" band on top
        QVERIFY(QFileInfo(result.gridFile).isFile());
        QVERIFY(dialog.summaryLabel()->text().contains("xyz_grid-0000"));
    }
};

QTEST_MAIN(TestXyzDialog)
#include "tst_xyzdialog.moc"
