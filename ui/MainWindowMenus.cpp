// MainWindow: menus and their shortcuts, settings, import, drop-to-restore, saved window state.
#include "ui/MainWindow.h"

#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QLabel>
#include <QListView>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QPlainTextEdit>
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>
#include <QtConcurrent>

#include "core/AppPaths.h"
#include "ui/HistoryGallery.h"
#include "ui/InitImageView.h"
#include "ui/LivePreview.h"
#include "ui/ParameterPanel.h"
#include "ui/PromptEditor.h"
#include "ui/QueuePanel.h"
#include "ui/SettingsDialog.h"
#include "ui/UiState.h"
#include "ui/UpscaleDialog.h"
#include "ui/XyzPlotDialog.h"

namespace qd
{

void MainWindow::buildMenus()
{
    // --- File ---
    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* open = file->addAction(tr("&Open Image Parameters…"), this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Restore parameters from an image"),
            m_settings.effectiveOutputFolder(), tr("Images (*.png *.jpg *.jpeg *.webp)"));
        if (!path.isEmpty())
            restoreFromImageFile(path);
    });
    open->setObjectName("actionOpenImage");
    open->setShortcut(QKeySequence::Open);
    QAction* import = file->addAction(tr("&Import Folder into History…"), this, &MainWindow::importFolder);
    import->setObjectName("actionImportFolder");
    import->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_I));
    file->addSeparator();
    QAction* settings = file->addAction(tr("&Settings…"), this, &MainWindow::showSettings);
    settings->setObjectName("actionSettings");
    settings->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Comma));
    settings->setMenuRole(QAction::PreferencesRole);
    file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"), qApp, &QApplication::quit);
    quit->setShortcut(QKeySequence::Quit);
    quit->setObjectName("actionQuit");

    // --- Edit: the text actions act on the focused prompt box (which handles their keys itself) ---
    QMenu* edit = menuBar()->addMenu(tr("&Edit"));
    auto textAction = [this, edit](const QString& text, QKeySequence::StandardKey key, const char* name,
                          void (QPlainTextEdit::*slot)()) {
        QAction* a = edit->addAction(text, this, [slot] {
            if (auto* e = qobject_cast<QPlainTextEdit*>(QApplication::focusWidget()))
                (e->*slot)();
        });
        a->setShortcut(key);
        a->setShortcutContext(Qt::WidgetShortcut); // listed in the menu; the focused box takes the key
        a->setObjectName(QString::fromLatin1(name));
        return a;
    };
    textAction(tr("&Undo"), QKeySequence::Undo, "actionUndo", &QPlainTextEdit::undo);
    textAction(tr("&Redo"), QKeySequence::Redo, "actionRedo", &QPlainTextEdit::redo);
    edit->addSeparator();
    textAction(tr("Cu&t"), QKeySequence::Cut, "actionCut", &QPlainTextEdit::cut);
    textAction(tr("&Copy"), QKeySequence::Copy, "actionCopy", &QPlainTextEdit::copy);
    textAction(tr("&Paste"), QKeySequence::Paste, "actionPaste", &QPlainTextEdit::paste);
    textAction(tr("Select &All"), QKeySequence::SelectAll, "actionSelectAll", &QPlainTextEdit::selectAll);
    edit->addSeparator();
    // an infotext copied from a web page or another program, as A1111's "read generation parameters"
    QAction* pasteParams
        = edit->addAction(tr("Paste &Generation Parameters"), this, [this] { pasteParameters(); });
    pasteParams->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_V));
    pasteParams->setObjectName("actionPasteParameters");
    edit->addSeparator();
    QAction* focusPrompt = edit->addAction(tr("Edit &Prompt"), this, [this] {
        m_tabs->setCurrentWidget(m_createSplitter);
        m_prompt->textEdit()->setFocus();
    });
    focusPrompt->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_L));
    focusPrompt->setObjectName("actionFocusPrompt");
    QAction* focusNegative = edit->addAction(tr("Edit &Negative Prompt"), this, [this] {
        m_tabs->setCurrentWidget(m_createSplitter);
        m_negative->textEdit()->setFocus();
    });
    focusNegative->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_L));
    focusNegative->setObjectName("actionFocusNegative");
    QAction* focusParams = edit->addAction(tr("Edit Para&meters"), this, [this] {
        m_tabs->setCurrentWidget(m_createSplitter);
        if (auto* dock = findChild<QDockWidget*>("parametersDock"))
            dock->show();
        if (auto* combo = m_params->findChild<QWidget*>("samplerCombo"))
            combo->setFocus();
    });
    focusParams->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_M));
    focusParams->setObjectName("actionFocusParameters");

    // --- Generation ---
    QMenu* gen = menuBar()->addMenu(tr("&Generation"));
    m_generateAction = gen->addAction(tr("&Generate"), this, &MainWindow::generate);
    m_generateAction->setObjectName("actionGenerate");
    m_generateAction->setShortcuts(
        { QKeySequence(Qt::CTRL | Qt::Key_Return), QKeySequence(Qt::CTRL | Qt::Key_Enter) });
    m_interruptAction = gen->addAction(tr("&Interrupt"), this, &MainWindow::interrupt);
    m_interruptAction->setObjectName("actionInterrupt");
    m_interruptAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Period));
    m_skipAction = gen->addAction(tr("&Skip"), this, &MainWindow::skip);
    m_skipAction->setObjectName("actionSkip");
    m_skipAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_N));
    m_pauseAction = gen->addAction(tr("&Pause Queue"));
    m_pauseAction->setObjectName("actionPauseQueue");
    m_pauseAction->setCheckable(true);
    m_pauseAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_P));
    connect(m_pauseAction, &QAction::toggled, this, &MainWindow::setQueuePaused);
    gen->addSeparator();
    QAction* random = gen->addAction(tr("&Random Seed"), m_params, &ParameterPanel::randomizeSeed);
    random->setObjectName("actionRandomSeed");
    random->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
    QAction* reuse = gen->addAction(tr("Reuse &Last Seed"), m_params, &ParameterPanel::reuseLastSeed);
    reuse->setObjectName("actionReuseSeed");
    reuse->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_R));
    QAction* lock = gen->addAction(tr("Lock See&d"));
    lock->setObjectName("actionLockSeed");
    lock->setCheckable(true);
    lock->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_K));
    connect(lock, &QAction::toggled, m_params, &ParameterPanel::setSeedLocked);
    connect(m_params, &ParameterPanel::seedLockChanged, lock, &QAction::setChecked);
    QAction* swap = gen->addAction(tr("S&wap Width and Height"), m_params, &ParameterPanel::swapSize);
    swap->setObjectName("actionSwapSize");
    swap->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_T));
    QAction* xyz = gen->addAction(tr("&X/Y/Z Plot…"), this, [this] {
        auto* dialog = findChild<XyzPlotDialog*>();
        if (!dialog) // one, kept: its plot goes on while it is closed
            dialog = new XyzPlotDialog(
                m_worker, [this] { return currentRequest(); },
                [this](const JobRequest& r, QString* error) {
                    return JobBuilder(m_settings, m_library).build(r, error);
                },
                this);
        dialog->show();
        dialog->raise();
    });
    xyz->setObjectName("actionXyzPlot");
    gen->addSeparator();
    m_presetMenu = gen->addMenu(tr("Pr&esets"));
    m_presetMenu->setObjectName("presetMenu");

    // --- Image: the gallery's actions (their single-key shortcuts work in the grid) ---
    QMenu* image = menuBar()->addMenu(tr("&Image"));
    image->addActions(m_gallery->imageActions());
    image->addSeparator();
    QAction* upscale = image->addAction(tr("&Upscale…"), this, &MainWindow::showUpscale);
    upscale->setObjectName("actionUpscale");
    upscale->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_U));
    m_gallery->view()->addAction(upscale); // in the gallery's context menu too

    // --- View ---
    QMenu* view = menuBar()->addMenu(tr("&View"));
    QAction* createTab
        = view->addAction(tr("&Create"), this, [this] { m_tabs->setCurrentWidget(m_createSplitter); });
    createTab->setObjectName("actionShowCreate");
    createTab->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_1));
    QAction* historyTab = view->addAction(tr("&History"), this, [this] {
        m_tabs->setCurrentWidget(m_gallery);
        m_gallery->findChild<QWidget*>("historyView")->setFocus();
    });
    historyTab->setObjectName("actionShowHistory");
    historyTab->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_2));
    QAction* search = view->addAction(tr("&Search History"), this, [this] {
        m_tabs->setCurrentWidget(m_gallery);
        m_gallery->findChild<QWidget*>("historySearch")->setFocus();
    });
    search->setObjectName("actionSearchHistory");
    search->setShortcut(QKeySequence::Find);
    view->addSeparator();
    for (QDockWidget* dock : findChildren<QDockWidget*>()) {
        QAction* toggle = dock->toggleViewAction();
        toggle->setObjectName(QStringLiteral("actionToggle_") + dock->objectName());
        view->addAction(toggle);
    }
    QAction* live = view->addAction(tr("Follow &Live Preview"), m_preview, &LivePreview::followLive);
    live->setObjectName("actionFollowLive");
    live->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_0));
    view->addSeparator();
    QAction* fullScreen = view->addAction(tr("&Full Screen"));
    fullScreen->setCheckable(true);
    fullScreen->setShortcut(QKeySequence::FullScreen);
    fullScreen->setObjectName("actionFullScreen");
    connect(fullScreen, &QAction::toggled, this, [this](bool on) { on ? showFullScreen() : showNormal(); });

    // --- Help ---
    QMenu* help = menuBar()->addMenu(tr("&Help"));
    QAction* about = help->addAction(tr("&About QDiffusion"), this, &MainWindow::showAbout);
    about->setObjectName("actionAbout");
}

void MainWindow::rebuildPresetMenu()
{
    if (!m_presetMenu)
        return;
    m_presetMenu->clear();
    for (const Preset& preset : m_settings.presets) {
        QString label = preset.name;
        QAction* a = m_presetMenu->addAction(label.replace(u'&', QStringLiteral("&&")), this, [this, preset] {
            const GenerationParams p = preset.applyTo(currentParams());
            restoreParams(p);
            statusBar()->showMessage(tr("Preset %1 applied").arg(preset.name), 5000);
        });
        a->setObjectName(QStringLiteral("actionPreset_") + preset.name);
    }
    if (m_settings.presets.isEmpty()) {
        QAction* none = m_presetMenu->addAction(tr("No presets (add them in settings.yaml)"));
        none->setEnabled(false);
    }
}

void MainWindow::showUpscale()
{
    // The selected history image when the history is shown (or nothing is on the preview), else the
    // newest finished image (its file, with its metadata), else what the preview shows.
    const JobBuilder builder(m_settings, m_library);
    auto* dialog = new UpscaleDialog(
        m_settings, builder.upscalerDirs(), builder.deviceAndDtype().first, m_store, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    const QList<HistoryRecord> selected = m_gallery->selectedRecords();
    const QImage shown = m_preview->canvas()->image();
    const bool galleryFirst
        = m_tabs->currentWidget() == m_gallery || (shown.isNull() && m_lastImageFile.isEmpty());
    if (galleryFirst && selected.size() == 1)
        dialog->setSourceFile(selected.first().filePath);
    else if (!m_lastImageFile.isEmpty() && m_preview->isFollowingLive())
        dialog->setSourceFile(m_lastImageFile);
    else if (!shown.isNull())
        dialog->setSourceImage(shown);
    connect(dialog, &UpscaleDialog::upscaled, this, [this](const QString& file) {
        statusBar()->showMessage(tr("Upscaled image saved as %1").arg(QDir::toNativeSeparators(file)), 8000);
    });
    dialog->show();
    dialog->raise();
}

void MainWindow::showSettings()
{
    SettingsDialog dialog(m_settings, this);
    if (dialog.exec() != QDialog::Accepted)
        return;
    const Settings s = dialog.settings();
    const bool languageChanged = s.language != m_settings.language;
    QString error;
    if (!s.save(AppPaths::configFile(), &error))
        showError(error);
    setSettings(s);
    if (languageChanged)
        statusBar()->showMessage(tr("The new language takes effect when QDiffusion starts again"), 8000);
}

void MainWindow::importFolder()
{
    const QString folder = QFileDialog::getExistingDirectory(this, tr("Import a folder of generated images"));
    if (folder.isEmpty())
        return;
    statusBar()->showMessage(tr("Importing %1…").arg(QDir::toNativeSeparators(folder)));
    // Reading thousands of files takes a while: on the pool, with that thread's own history connection.
    const QString dataDir = AppPaths::dataDir();
    auto* watcher = new QFutureWatcher<HistoryStore::ImportReport>(this);
    connect(watcher, &QFutureWatcher<HistoryStore::ImportReport>::finished, this, [this, watcher] {
        watcher->deleteLater();
        const HistoryStore::ImportReport r = watcher->result();
        m_gallery->refresh();
        QString msg = tr("%n image(s) imported", nullptr, r.added);
        if (r.duplicates)
            msg += QStringLiteral(" · ") + tr("%n already there", nullptr, r.duplicates);
        if (r.withoutParameters)
            msg += QStringLiteral(" · ") + tr("%n without parameters", nullptr, r.withoutParameters);
        statusBar()->showMessage(msg, 10000);
        if (!r.errors.isEmpty())
            showError(r.errors.mid(0, 5).join(u'\n'));
    });
    watcher->setFuture(QtConcurrent::run([dataDir, folder] {
        HistoryStore store(dataDir);
        HistoryStore::ImportReport report;
        QString error;
        if (!store.open(&error)) {
            report.errors << error;
            return report;
        }
        return store.importFolder(folder);
    }));
}

void MainWindow::showAbout()
{
    QMessageBox::about(this, tr("About QDiffusion"),
        tr("QDiffusion %1\nA native desktop studio for Stable Diffusion.")
            .arg(QApplication::applicationVersion()));
}

void MainWindow::loadUiState()
{
    QSettings s(uiStateFile(), QSettings::IniFormat);
    restoreGeometry(s.value("window/geometry").toByteArray());
    restoreState(s.value("window/state").toByteArray());
    m_prompt->setRecentPrompts(s.value("prompts/recent").toStringList());
    m_negative->setRecentPrompts(s.value("prompts/recentNegative").toStringList());
}

void MainWindow::saveUiState() const
{
    QSettings s(uiStateFile(), QSettings::IniFormat);
    s.setValue("window/geometry", saveGeometry());
    s.setValue("window/state", saveState());
    s.setValue("prompts/recent", m_prompt->recentPrompts());
    s.setValue("prompts/recentNegative", m_negative->recentPrompts());
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    saveUiState();
    QMainWindow::closeEvent(event);
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event)
{
    const auto urls = event->mimeData()->urls();
    if (urls.size() == 1 && urls.first().isLocalFile()
        && InitImageView::isImageFile(urls.first().toLocalFile()))
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event)
{
    const auto urls = event->mimeData()->urls();
    if (urls.isEmpty() || !urls.first().isLocalFile())
        return;
    event->acceptProposedAction();
    const QString path = urls.first().toLocalFile();
    if (!restoreFromImageFile(path)) {
        // No parameters: the image is still useful as an img2img start.
        m_params->setInitImage(path);
        statusBar()->showMessage(
            tr("%1 has no parameters; set as the init image").arg(QFileInfo(path).fileName()), 8000);
    }
}

} // namespace qd
