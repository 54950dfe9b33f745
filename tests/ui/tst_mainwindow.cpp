#include <QtTest/QtTest>
#include <QApplication>
#include <QMenuBar>

#include "MainWindow.h"

class TestMainWindow : public QObject {
    Q_OBJECT
private slots:
    void opensShowsTitleAndQuits()
    {
        qd::MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QCOMPARE(w.windowTitle(), QString("QDiffusion"));
        QVERIFY(!w.menuBar()->actions().isEmpty());
        auto* quit = w.findChild<QAction*>("actionQuit");
        QVERIFY(quit);
        QSignalSpy aboutToQuit(qApp, &QCoreApplication::aboutToQuit);
        QTimer::singleShot(0, quit, &QAction::trigger);
        QTimer::singleShot(2000, qApp, [] { QCoreApplication::exit(3); }); // guard: quit must work
        QCOMPARE(QApplication::exec(), 0);
        QCOMPARE(aboutToQuit.count(), 1);
    }
};

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
