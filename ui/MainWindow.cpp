#include "MainWindow.h"

#include <QApplication>
#include <QCloseEvent>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QPushButton>
#include <QScrollArea>
#include <QSettings>
#include <QSplitter>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTabWidget>
#include <QTimer>
#include <QVBoxLayout>

#include "AppPaths.h"
#include "ImageMetadata.h"
#include "Infotext.h"
#include "InitImageView.h"
#include "LivePreview.h"
#include "ParameterPanel.h"
#include "PromptEditor.h"
#include "QueuePanel.h"

namespace qd {

namespace {
QString qs(const std::string& s) { return QString::fromStdString(s); }

// The resident memory of this process, from /proc (Linux); -1 elsewhere.
qint64 residentBytes()
{
    QFile f(QStringLiteral("/proc/self/statm"));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    const QList<QByteArray> fields = f.readAll().split(' ');
    if (fields.size() < 2)
        return -1;
    return fields[1].toLongLong() * 4096; // statm counts pages; Linux x86-64 and arm64 use 4 KiB
}

QString formatBytes(qint64 bytes)
{
    if (bytes < 0)
        return QStringLiteral("?");
    return QLocale().formattedDataSize(bytes, 1, QLocale::DataSizeTraditionalFormat);
}
} // namespace

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent)
    , m_worker(new InferenceWorker(this))
{
    setObjectName("MainWindow");
    setWindowTitle(tr("QDiffusion"));
    setAcceptDrops(true);
    setDockOptions(QMainWindow::AnimatedDocks | QMainWindow::AllowTabbedDocks);

    m_preview = new LivePreview(this);
    m_createSplitter = new QSplitter(Qt::Vertical, this);
    m_createSplitter->setObjectName("createSplitter");
    m_createSplitter->setChildrenCollapsible(false);
    m_createSplitter->addWidget(buildPromptArea());
    m_createSplitter->addWidget(m_preview);
    m_createSplitter->setStretchFactor(0, 0);
    m_createSplitter->setStretchFactor(1, 1);
    m_createSplitter->setSizes({180, 620});

    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName("mainTabs");
    m_tabs->setDocumentMode(true);
    m_tabs->addTab(m_createSplitter, tr("Create"));
    setCentralWidget(m_tabs);

    buildDocks();
    buildMenus();
    buildStatusBar();
    connectWorker();

    // The worker saves every finished image with its infotext before `finished` arrives.
    m_worker->setImageSaver([](const QImage& image, const GenerationParams& params, const QString& outputDir,
                               QString* error) -> QString {
        const QString dir = outputDir.isEmpty() ? AppPaths::outputDir() : outputDir;
        QDir().mkpath(dir);
        // A1111's naming: a running 5-digit number, then the seed.
        const int next = int(QDir(dir).entryList({QStringLiteral("*.png")}, QDir::Files).size());
        QString path;
        for (int n = next;; ++n) {
            path = QStringLiteral("%1/%2-%3.png").arg(dir).arg(n, 5, 10, QChar('0')).arg(params.seed);
            if (!QFileInfo::exists(path))
                break;
        }
        ImageMetadata meta;
        meta.setInfotext(toInfotext(params, QStringLiteral("QDiffusion " QD_VERSION)));
        if (!ImageMetadata::save(image, path, meta, 95, error))
            return QString();
        return path;
    });

    resize(1440, 900);
    loadUiState();
    m_prompt->textEdit()->setFocus();
}

MainWindow::~MainWindow() = default;

QWidget* MainWindow::buildPromptArea()
{
    auto* area = new QWidget(this);
    area->setObjectName("promptArea");
    m_prompt = new PromptEditor(tr("&Prompt"), QStringLiteral("promptEditor"), area);
    m_prompt->textEdit()->setPlaceholderText(tr("Describe the image, e.g. a lighthouse at dawn, (oil painting:1.2)"));
    m_negative = new PromptEditor(tr("&Negative prompt"), QStringLiteral("negativePromptEditor"), area);
    m_negative->textEdit()->setPlaceholderText(tr("What to keep out of the image, e.g. blurry, text"));

    m_generateButton = new QPushButton(tr("Generate"), area);
    m_generateButton->setObjectName("generateButton");
    m_generateButton->setToolTip(tr("Add a job with these settings to the queue (Ctrl+Enter)"));
    m_generateButton->setMinimumSize(140, 56);
    QFont big = m_generateButton->font();
    big.setPointSizeF(big.pointSizeF() * 1.25);
    big.setBold(true);
    m_generateButton->setFont(big);
    m_generateButton->setDefault(false);
    auto* interrupt = new QPushButton(tr("Interrupt"), area);
    interrupt->setObjectName("interruptButtonTop");
    interrupt->setToolTip(tr("Stop now and keep the image as it is (Ctrl+.)"));
    auto* skip = new QPushButton(tr("Skip"), area);
    skip->setObjectName("skipButtonTop");
    skip->setToolTip(tr("Drop the running job and go on with the next (Ctrl+Shift+N)"));

    m_errorBanner = new QLabel(area);
    m_errorBanner->setObjectName("errorBanner");
    m_errorBanner->setWordWrap(true);
    m_errorBanner->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_errorBanner->setStyleSheet(QStringLiteral("QLabel { background: #fde2e1; color: #7a0c0c; border: 1px solid #e6a5a3;"
                                                " border-radius: 4px; padding: 4px 8px; }"));
    m_errorBanner->hide();

    auto* editors = new QVBoxLayout;
    editors->setSpacing(6);
    editors->addWidget(m_prompt, 3);
    editors->addWidget(m_negative, 2);
    auto* buttons = new QVBoxLayout;
    buttons->addWidget(m_generateButton);
    auto* stopRow = new QHBoxLayout;
    stopRow->addWidget(interrupt);
    stopRow->addWidget(skip);
    buttons->addLayout(stopRow);
    buttons->addStretch(1);
    auto* row = new QHBoxLayout;
    row->addLayout(editors, 1);
    row->addLayout(buttons);
    auto* layout = new QVBoxLayout(area);
    layout->setContentsMargins(6, 6, 6, 0);
    layout->addLayout(row, 1);
    layout->addWidget(m_errorBanner);

    connect(m_generateButton, &QPushButton::clicked, this, &MainWindow::generate);
    connect(interrupt, &QPushButton::clicked, this, &MainWindow::interrupt);
    connect(skip, &QPushButton::clicked, this, &MainWindow::skip);
    setTabOrder(m_prompt->textEdit(), m_negative->textEdit());
    setTabOrder(m_negative->textEdit(), m_generateButton);
    return area;
}

void MainWindow::buildDocks()
{
    m_params = new ParameterPanel(this);
    auto* scroll = new QScrollArea(this);
    scroll->setObjectName("parameterScroll");
    scroll->setWidget(m_params);
    scroll->setWidgetResizable(true);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setMinimumWidth(m_params->sizeHint().width() + 24);
    auto* paramsDock = new QDockWidget(tr("Parameters"), this);
    paramsDock->setObjectName("parametersDock");
    paramsDock->setWidget(scroll);
    paramsDock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable
                            | QDockWidget::DockWidgetClosable);
    addDockWidget(Qt::LeftDockWidgetArea, paramsDock);

    m_queue = new QueuePanel(this);
    auto* queueDock = new QDockWidget(tr("Queue"), this);
    queueDock->setObjectName("queueDock");
    queueDock->setWidget(m_queue);
    addDockWidget(Qt::RightDockWidgetArea, queueDock);
    resizeDocks({paramsDock, queueDock}, {340, 280}, Qt::Horizontal);

    connect(m_params, &ParameterPanel::modelChanged, this, [this] {
        m_modelLabel->setText(tr("Model: %1").arg(m_params->currentModel().title));
    });
    connect(m_queue, &QueuePanel::moveRequested, m_worker, &InferenceWorker::move);
    connect(m_queue, &QueuePanel::removeRequested, this, [this](int id) {
        m_worker->remove(id);
        refreshQueue();
    });
    connect(m_queue, &QueuePanel::pauseRequested, this, &MainWindow::setQueuePaused);
    connect(m_queue, &QueuePanel::interruptRequested, this, &MainWindow::interrupt);
    connect(m_queue, &QueuePanel::skipRequested, this, &MainWindow::skip);
}

void MainWindow::buildMenus()
{
    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* open = file->addAction(tr("&Open Image Parameters…"), this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Restore parameters from an image"),
                                                          AppPaths::outputDir(),
                                                          tr("Images (*.png *.jpg *.jpeg *.webp)"));
        if (!path.isEmpty())
            restoreFromImageFile(path);
    });
    open->setObjectName("actionOpenImage");
    open->setShortcut(QKeySequence::Open);
    file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"), qApp, &QApplication::quit);
    quit->setShortcut(QKeySequence::Quit);
    quit->setObjectName("actionQuit");

    QMenu* edit = menuBar()->addMenu(tr("&Edit"));
    // The text actions act on whichever prompt box has the focus (the boxes handle the keys themselves).
    auto textAction = [this, edit](const QString& text, QKeySequence::StandardKey key, const char* name,
                                   void (QPlainTextEdit::*slot)()) {
        QAction* a = edit->addAction(text, this, [this, slot] {
            if (auto* e = qobject_cast<QPlainTextEdit*>(QApplication::focusWidget()))
                (e->*slot)();
        });
        a->setShortcut(key);
        a->setShortcutContext(Qt::WidgetShortcut); // shown in the menu; the focused box handles the key
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
    QAction* focusPrompt = edit->addAction(tr("Edit &Prompt"), this, [this] { m_prompt->textEdit()->setFocus(); });
    focusPrompt->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_L));
    focusPrompt->setObjectName("actionFocusPrompt");
    QAction* focusNegative = edit->addAction(tr("Edit &Negative Prompt"), this,
                                             [this] { m_negative->textEdit()->setFocus(); });
    focusNegative->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_L));
    focusNegative->setObjectName("actionFocusNegative");

    QMenu* gen = menuBar()->addMenu(tr("&Generation"));
    m_generateAction = gen->addAction(tr("&Generate"), this, &MainWindow::generate);
    m_generateAction->setObjectName("actionGenerate");
    m_generateAction->setShortcuts({QKeySequence(Qt::CTRL | Qt::Key_Return), QKeySequence(Qt::CTRL | Qt::Key_Enter)});
    m_generateAction->setShortcutContext(Qt::WindowShortcut);
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
    QAction* swap = gen->addAction(tr("S&wap Width and Height"), m_params, &ParameterPanel::swapSize);
    swap->setObjectName("actionSwapSize");
    swap->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_T));

    QMenu* view = menuBar()->addMenu(tr("&View"));
    QAction* createTab = view->addAction(tr("&Create"), this, [this] { m_tabs->setCurrentIndex(0); });
    createTab->setObjectName("actionShowCreate");
    createTab->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_1));
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
    QAction* fullScreen = view->addAction(tr("&Full Screen"), this, [this](bool on) {
        on ? showFullScreen() : showNormal();
    });
    fullScreen->setCheckable(true);
    fullScreen->setShortcut(QKeySequence::FullScreen);
    fullScreen->setObjectName("actionFullScreen");

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    QAction* about = help->addAction(tr("&About QDiffusion"), this, &MainWindow::showAbout);
    about->setObjectName("actionAbout");
}

void MainWindow::buildStatusBar()
{
    auto label = [this](const char* name, const QString& tip) {
        auto* l = new QLabel(this);
        l->setObjectName(QString::fromLatin1(name));
        l->setToolTip(tip);
        statusBar()->addPermanentWidget(l);
        return l;
    };
    m_queueLabel = label("statusQueue", tr("Jobs waiting in the queue"));
    m_speedLabel = label("statusSpeed", tr("Speed of the last step"));
    m_memoryLabel = label("statusMemory", tr("Memory used by QDiffusion"));
    m_deviceLabel = label("statusDevice", tr("Where the model runs"));
    m_modelLabel = label("statusModel", tr("The selected checkpoint"));
    m_modelLabel->setText(tr("Model: %1").arg(m_params->currentModel().title));
    m_deviceLabel->setText(tr("Device: %1").arg(QStringLiteral("CPU")));
    m_memoryTimer = new QTimer(this);
    m_memoryTimer->setInterval(2000);
    connect(m_memoryTimer, &QTimer::timeout, this, &MainWindow::updateMemory);
    m_memoryTimer->start();
    updateMemory();
    refreshQueue();
    statusBar()->showMessage(tr("Ready"), 3000);
}

void MainWindow::connectWorker()
{
    connect(m_worker, &InferenceWorker::queueChanged, this, &MainWindow::refreshQueue);
    connect(m_worker, &InferenceWorker::started, this, [this](int id) {
        const GenerationParams p = m_jobParams.value(id);
        m_preview->beginJob(id, p.steps);
        m_queue->setRunning(id, p);
        m_errorBanner->hide();
        refreshQueue();
    });
    connect(m_worker, &InferenceWorker::modelLoading, this, [this](const QString& name) {
        statusBar()->showMessage(tr("Loading model %1…").arg(name));
    });
    connect(m_worker, &InferenceWorker::modelLoaded, this, [this](const QString& name, const QString& family) {
        const ModelInfo info = m_worker->currentModel();
        m_modelLabel->setText(tr("Model: %1 (%2)").arg(name, family));
        if (!info.device.empty())
            m_deviceLabel->setText(tr("Device: %1 · %2").arg(qs(info.device).toUpper(), qs(info.dtype)));
        statusBar()->showMessage(tr("Model %1 loaded").arg(name), 3000);
    });
    connect(m_worker, &InferenceWorker::progress, this,
            [this](int id, int step, int total, double itPerSec, double eta) {
                m_preview->setProgress(id, step, total, itPerSec, eta);
                m_speedLabel->setText(LivePreview::formatSpeed(itPerSec));
            });
    connect(m_worker, &InferenceWorker::preview, m_preview, &LivePreview::addPreview);
    connect(m_worker, &InferenceWorker::finished, this, [this](const GenerationResult& r) {
        if (!r.images.isEmpty())
            m_preview->showFinal(r.jobId, r.images.first());
        if (!r.params.isEmpty())
            m_params->setLastSeed(r.params.first().seed);
        m_preview->endJob(r.interrupted ? tr("Interrupted") : QString());
        m_queue->setRunning(0, {});
        m_jobParams.remove(r.jobId);
        QString msg = tr("Finished in %1 s").arg(r.seconds, 0, 'f', 1);
        if (!r.files.isEmpty() && !r.files.first().isEmpty())
            msg += QStringLiteral(" · ") + QDir::toNativeSeparators(r.files.first());
        statusBar()->showMessage(msg, 8000);
    });
    connect(m_worker, &InferenceWorker::failed, this, [this](int id, const QString& message) {
        m_preview->endJob(tr("Failed"));
        m_queue->setRunning(0, {});
        m_jobParams.remove(id);
        showError(message);
    });
    connect(m_worker, &InferenceWorker::skipped, this, [this](int id) {
        m_preview->endJob(tr("Skipped"));
        m_queue->setRunning(0, {});
        m_jobParams.remove(id);
    });
    connect(m_worker, &InferenceWorker::idle, this, [this] {
        m_queue->setRunning(0, {});
        m_speedLabel->clear();
        refreshQueue();
    });
}

GenerationParams MainWindow::currentParams() const
{
    GenerationParams p = m_params->params();
    p.prompt = m_prompt->text().toStdString();
    p.negativePrompt = m_negative->text().toStdString();
    return p;
}

void MainWindow::restoreParams(const GenerationParams& params)
{
    m_prompt->setText(qs(params.prompt));
    m_negative->setText(qs(params.negativePrompt));
    m_params->setParams(params);
}

bool MainWindow::restoreFromImageFile(const QString& path)
{
    ImageMetadata meta;
    QString error;
    if (!ImageMetadata::read(path, &meta, &error)) {
        showError(error);
        return false;
    }
    const ParsedParams parsed = meta.params();
    if (!parsed.found) {
        statusBar()->showMessage(tr("%1 carries no generation parameters").arg(QFileInfo(path).fileName()), 8000);
        return false;
    }
    restoreParams(parsed.params);
    QString msg = tr("Parameters restored from %1").arg(QFileInfo(path).fileName());
    if (!parsed.warnings.isEmpty())
        msg += QStringLiteral(" (") + parsed.warnings.join(QStringLiteral("; ")) + u')';
    statusBar()->showMessage(msg, 8000);
    m_errorBanner->hide();
    return true;
}

int MainWindow::generate()
{
    GenerationJob job;
    job.params = currentParams();
    const ModelChoice model = m_params->currentModel();
    job.model.checkpoint = model.checkpoint.toStdString();
    job.preview.method = PreviewMethod::Cheap;
    m_prompt->addRecentPrompt(m_prompt->text());
    m_negative->addRecentPrompt(m_negative->text());
    const int id = m_worker->enqueue(job);
    m_jobParams.insert(id, job.params);
    refreshQueue();
    statusBar()->showMessage(tr("Job %1 queued").arg(id), 3000);
    emit jobQueued(id);
    return id;
}

void MainWindow::interrupt()
{
    m_worker->interrupt();
    statusBar()->showMessage(tr("Interrupting…"), 3000);
}

void MainWindow::skip()
{
    m_worker->skip();
    statusBar()->showMessage(tr("Skipping…"), 3000);
}

void MainWindow::setQueuePaused(bool paused)
{
    if (paused)
        m_worker->pause();
    else
        m_worker->resume();
    {
        const QSignalBlocker block(m_pauseAction);
        m_pauseAction->setChecked(paused);
    }
    m_queue->setPaused(paused);
    refreshQueue();
}

void MainWindow::refreshQueue()
{
    const QList<GenerationJob> jobs = m_worker->queuedJobs();
    m_queue->setQueue(jobs);
    const bool running = m_worker->runningJobId() != 0;
    m_interruptAction->setEnabled(running);
    m_skipAction->setEnabled(running);
    m_queueLabel->setText(m_worker->isPaused() ? tr("Queue: %n waiting (paused)", nullptr, int(jobs.size()))
                                               : tr("Queue: %n waiting", nullptr, int(jobs.size())));
}

void MainWindow::updateMemory()
{
    m_memoryLabel->setText(tr("Memory: %1").arg(formatBytes(residentBytes())));
}

void MainWindow::showError(const QString& message)
{
    m_errorBanner->setText(message);
    m_errorBanner->show();
    statusBar()->showMessage(message.section(u'\n', 0, 0), 10000);
}

void MainWindow::showAbout()
{
    QMessageBox::about(this, tr("About QDiffusion"),
                       tr("QDiffusion %1\nA native desktop studio for Stable Diffusion.")
                           .arg(QApplication::applicationVersion()));
}

QString MainWindow::uiStateFile() const
{
    return AppPaths::dataDir() + QStringLiteral("/ui-state.ini");
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
    if (urls.size() == 1 && urls.first().isLocalFile() && InitImageView::isImageFile(urls.first().toLocalFile()))
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
        statusBar()->showMessage(tr("%1 has no parameters; set as the init image").arg(QFileInfo(path).fileName()),
                                 8000);
    }
}

} // namespace qd
