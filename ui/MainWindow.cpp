#include "MainWindow.h"

#include <QApplication>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QStatusBar>

namespace qd {

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent)
{
    setWindowTitle(tr("QDiffusion"));
    setObjectName("MainWindow");
    auto* placeholder = new QLabel(tr("QDiffusion — Stable Diffusion studio"), this);
    placeholder->setAlignment(Qt::AlignCenter);
    setCentralWidget(placeholder);
    createMenus();
    statusBar()->showMessage(tr("Ready"));
    resize(1280, 800);
}

void MainWindow::createMenus()
{
    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* quit = file->addAction(tr("&Quit"), qApp, &QApplication::quit);
    quit->setShortcut(QKeySequence::Quit);
    quit->setObjectName("actionQuit");

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About QDiffusion"), this, &MainWindow::showAbout);
}

void MainWindow::showAbout()
{
    QMessageBox::about(this, tr("About QDiffusion"),
                       tr("QDiffusion %1\nA native desktop studio for Stable Diffusion.")
                           .arg(QApplication::applicationVersion()));
}

} // namespace qd
