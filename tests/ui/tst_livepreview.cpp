// LivePreview: every step's preview lands in the filmstrip and on the canvas; clicking a frame
// inspects that step and stops following; progress shows step, speed and ETA.
#include <QListWidget>
#include <QProgressBar>
#include <QToolButton>
#include <QtTest/QtTest>

#include "ui/LivePreview.h"

class TestLivePreview : public QObject
{
    Q_OBJECT

    static QImage frame(int step)
    {
        QImage img(64, 48, QImage::Format_RGB888);
        img.fill(QColor(step * 10, 255 - step * 10, 128));
        return img;
    }

private slots:
    void previewsFillTheFilmstripAndCanvas()
    {
        qd::LivePreview lp;
        lp.resize(800, 600);
        lp.show();
        QVERIFY(QTest::qWaitForWindowExposed(&lp));
        lp.beginJob(7, 20);
        for (int step = 1; step <= 20; ++step) {
            lp.setProgress(7, step, 20, 4.0, (20 - step) / 4.0);
            lp.addPreview(7, step, frame(step));
            QCOMPARE(lp.frameCount(), step);
            QCOMPARE(lp.canvas()->image().pixelColor(0, 0), frame(step).pixelColor(0, 0)); // newest shown
        }
        QCOMPARE(lp.filmstrip()->count(), 20);
        QCOMPARE(lp.stepOfFrame(4), 5);
        QCOMPARE(lp.progressBar()->value(), 20);
        lp.showFinal(7, frame(21));
        QCOMPARE(lp.frameCount(), 21);
        QCOMPARE(lp.stepOfFrame(20), 0); // the final image
        QVERIFY(lp.isFollowingLive());
    }

    void clickingAFrameInspectsThatStep()
    {
        qd::LivePreview lp;
        lp.resize(800, 600);
        lp.show();
        QVERIFY(QTest::qWaitForWindowExposed(&lp));
        for (int step = 1; step <= 8; ++step)
            lp.addPreview(3, step, frame(step));
        QSignalSpy selected(&lp, &qd::LivePreview::frameSelected);

        QListWidget* strip = lp.filmstrip();
        QListWidgetItem* third = strip->item(2);
        strip->scrollToItem(third);
        QTest::mouseClick(strip->viewport(), Qt::LeftButton, {}, strip->visualItemRect(third).center());
        QCOMPARE(selected.count(), 1);
        QCOMPARE(selected.first().first().toInt(), 3);
        QCOMPARE(lp.selectedFrame(), 2);
        QVERIFY(!lp.isFollowingLive());
        QCOMPARE(lp.canvas()->image().pixelColor(0, 0), frame(3).pixelColor(0, 0));
        QVERIFY(lp.canvas()->caption().contains("3"));

        // New steps keep arriving in the strip but do not take the canvas away from the inspected one.
        lp.addPreview(3, 9, frame(9));
        QCOMPARE(lp.frameCount(), 9);
        QCOMPARE(lp.canvas()->image().pixelColor(0, 0), frame(3).pixelColor(0, 0));

        // "Live" goes back to the newest step.
        lp.findChild<QToolButton*>("followLiveButton")->click();
        QVERIFY(lp.isFollowingLive());
        QCOMPARE(lp.canvas()->image().pixelColor(0, 0), frame(9).pixelColor(0, 0));

        // Keyboard: arrows in the strip inspect too.
        strip->setFocus();
        QTest::keyClick(strip, Qt::Key_Left);
        QCOMPARE(lp.selectedFrame(), 7);
        QCOMPARE(lp.canvas()->image().pixelColor(0, 0), frame(8).pixelColor(0, 0));
    }

    void aNewJobStartsAFreshStrip()
    {
        qd::LivePreview lp;
        for (int step = 1; step <= 5; ++step)
            lp.addPreview(1, step, frame(step));
        lp.addPreview(2, 1, frame(1));
        QCOMPARE(lp.jobId(), 2);
        QCOMPARE(lp.frameCount(), 1);
    }

    void batchRunsAreLabelledApart()
    {
        qd::LivePreview lp;
        for (int run = 0; run < 2; ++run)
            for (int step = 1; step <= 3; ++step)
                lp.addPreview(5, step, frame(step));
        QCOMPARE(lp.frameCount(), 6);
        QVERIFY(lp.filmstrip()->item(3)->text() != lp.filmstrip()->item(0)->text());
    }

    void speedAndEtaText()
    {
        qd::LivePreview lp;
        lp.setProgress(1, 5, 20, 2.5, 6.0);
        QVERIFY(lp.speedText().contains("2.50 it/s"));
        QVERIFY(lp.speedText().contains("00:06"));
        QCOMPARE(lp.progressBar()->value(), 5);
        QCOMPARE(lp.progressBar()->maximum(), 20);
        QCOMPARE(qd::LivePreview::formatSpeed(0.5), QString("2.00 s/it")); // slow: seconds per step
        QCOMPARE(qd::LivePreview::formatDuration(3725), QString("1:02:05"));
    }
};

QTEST_MAIN(TestLivePreview)
#include "tst_livepreview.moc"
