#include <QtTest/QtTest>

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QPushButton>
#include <QRadioButton>
#include <QSpinBox>

#include "core/history/HistoryStore.h"
#include "core/metadata/ImageMetadata.h"
#include "ui/UpscaleDialog.h"

using namespace qd;

// The Upscale dialog as a user drives it: the upscalers offered, the result size following the
// fields, Run saving a file twice the size (or the size asked) into the output folder that keeps the
// source's infotext, the postprocessing keys beside it, and a history row; a clear message instead
// of a run for an image that cannot be read or no upscaler.
class TestUpscaleDialog : public QObject
{
    Q_OBJECT
    QTemporaryDir m_home;
    QString m_source;
    const QString m_infotext = QStringLiteral(
        "a castle\nSteps: 10, Sampler: Euler, CFG scale: 7, Seed: 99, Size: 60x40, Model: demo");

    Settings settings() const
    {
        Settings s;
        s.outputFolder = m_home.filePath("out");
        return s;
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_home.isValid());
        qputenv("QDIFFUSION_HOME", QFile::encodeName(m_home.path()));
        QImage im(60, 40, QImage::Format_RGB888);
        for (int y = 0; y < 40; ++y)
            for (int x = 0; x < 60; ++x)
                im.setPixelColor(x, y, QColor(x * 4, y * 6, 200));
        ImageMetadata meta;
        meta.setInfotext(m_infotext);
        m_source = m_home.filePath("castle.png");
        QVERIFY(ImageMetadata::save(im, m_source, meta));
    }

    void upscalesSavesAndAddsToHistory()
    {
        HistoryStore store(m_home.filePath("data"));
        QVERIFY(store.open());
        UpscaleDialog dialog(settings(), {}, "cpu", &store);
        QStringList offered;
        for (int i = 0; i < dialog.upscalerBox()->count(); ++i)
            offered << dialog.upscalerBox()->itemData(i).toString();
        QCOMPARE(offered, QStringList({ "None", "Lanczos", "Nearest" }));
        QCOMPARE(dialog.upscalerBox()->currentData().toString(), QString("Lanczos"));

        QString error;
        QVERIFY2(dialog.setSourceFile(m_source, &error), qPrintable(error));
        QVERIFY(dialog.findChild<QLabel*>("upscaleSourceLabel")->text().contains("castle.png"));
        QCOMPARE(dialog.resultSizeLabel()->text(), tr("%1 × %2 pixels").arg(120).arg(80));

        QSignalSpy saved(&dialog, &UpscaleDialog::upscaled);
        dialog.findChild<QPushButton*>("runUpscaleButton")->click();
        QTRY_COMPARE_WITH_TIMEOUT(saved.count(), 1, 60000);
        const QString file = saved.first().first().toString();
        QCOMPARE(QFileInfo(file).absolutePath(), QFileInfo(m_home.filePath("out")).absoluteFilePath());
        QCOMPARE(QImage(file).size(), QSize(120, 80));
        QCOMPARE(dialog.resultImage().size(), QSize(120, 80));
        QVERIFY(dialog.statusLabel()->text().contains(QFileInfo(file).fileName()));
        ImageMetadata meta;
        QVERIFY(ImageMetadata::read(file, &meta));
        QCOMPARE(meta.infotext(), m_infotext);
        QCOMPARE(
            meta.text("postprocessing"), QString("Postprocess upscale by: 2, Postprocess upscaler: Lanczos"));
        // in the history, with the source's parameters
        const qint64 id = store.idForPath(file);
        QVERIFY(id > 0);
        QCOMPARE(store.record(id)->params.seed, int64_t(99));

        // scale to, cropped, with a second upscaler: the label follows, the file has that size
        dialog.findChild<QRadioButton*>("scaleToRadio")->setChecked(true);
        dialog.findChild<QSpinBox*>("widthSpin")->setValue(90);
        dialog.findChild<QSpinBox*>("heightSpin")->setValue(90);
        QCOMPARE(dialog.resultSizeLabel()->text(), tr("%1 × %2 pixels").arg(90).arg(90));
        dialog.upscaler2Box()->setCurrentIndex(dialog.upscaler2Box()->findData("Nearest"));
        QCOMPARE(dialog.findChild<QDoubleSpinBox*>("visibilitySpin")->value(), 0.5); // not left at 0
        QVERIFY(dialog.run());
        QVERIFY(!dialog.run()); // one at a time
        QTRY_COMPARE_WITH_TIMEOUT(saved.count(), 2, 60000);
        const QString second = saved.last().first().toString();
        QVERIFY(second != file);
        QCOMPARE(QImage(second).size(), QSize(90, 90));
        QVERIFY(ImageMetadata::read(second, &meta));
        QVERIFY(meta.text("postprocessing").endsWith("Postprocess upscaler 2: Nearest"));
    }

    void explainsWhatCannotRun()
    {
        UpscaleDialog dialog(settings(), {}, "cpu", nullptr);
        QSignalSpy failed(&dialog, &UpscaleDialog::failed);
        QVERIFY(!dialog.run()); // no image yet
        QCOMPARE(failed.count(), 1);
        QVERIFY(!dialog.statusLabel()->text().isEmpty());

        QVERIFY(!dialog.setSourceFile(m_home.filePath("nothing.png")));
        QVERIFY(dialog.statusLabel()->text().contains("nothing.png"));

        QImage im(16, 16, QImage::Format_RGB888);
        im.fill(Qt::red);
        dialog.setSourceImage(im);
        dialog.upscalerBox()->setCurrentIndex(dialog.upscalerBox()->findData("None"));
        QCOMPARE(dialog.resultSizeLabel()->text(), tr("%1 × %2 pixels").arg(16).arg(16));
        QVERIFY(!dialog.run());
        QVERIFY(dialog.statusLabel()->text().contains("None"));
        QVERIFY(!dialog.isRunning());
    }
};

QTEST_MAIN(TestUpscaleDialog)
#include "tst_upscaledialog.moc"
