#include "ui/MainWindow.h"

#include <QApplication>
#include <QClipboard>
#include <QDir>
#include <QDirIterator>
#include <QDockWidget>
#include <QFile>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QMimeData>
#include <QPushButton>
#include <QRegularExpression>
#include <QScrollArea>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>
#include <QTimer>
#include <QVBoxLayout>

#include "core/AppPaths.h"
#include "core/Engine.h"
#include "core/generation/ControlUnits.h"
#include "core/generation/ImageSaver.h"
#include "core/generation/Upscalers.h"
#include "core/library/ModelLibrary.h"
#include "core/metadata/ImageMetadata.h"
#include "core/metadata/Infotext.h"
#include "core/server/ApiServer.h"
#include "ui/ControlNetPanel.h"
#include "ui/ExtraNetworksPanel.h"
#include "ui/HiresPanel.h"
#include "ui/HistoryGallery.h"
#include "ui/LivePreview.h"
#include "ui/ParameterPanel.h"
#include "ui/PromptEditor.h"
#include "ui/QueuePanel.h"
#include "ui/StylePicker.h"
#include "ui/Theme.h"

namespace qd
{

namespace
{
QString qs(const std::string& s)
{
    return QString::fromStdString(s);
}

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

ImageFileFormat outputFormat(const QString& name)
{
    const ImageFileFormat f = imageFormatFromName(name);
    return f == ImageFileFormat::Unknown ? ImageFileFormat::Png : f;
}
} // namespace

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent)
    , m_settings(Settings::load())
    , m_worker(new InferenceWorker(this))
    , m_store(new HistoryStore(this))
{
    setObjectName("MainWindow");
    setWindowTitle(tr("QDiffusion"));
    setAcceptDrops(true);
    setDockOptions(QMainWindow::AnimatedDocks | QMainWindow::AllowTabbedDocks);
    QString storeError;
    const bool storeOpen = m_store->open(&storeError);

    m_preview = new LivePreview(this);
    m_createSplitter = new QSplitter(Qt::Vertical, this);
    m_createSplitter->setObjectName("createSplitter");
    m_createSplitter->setChildrenCollapsible(false);
    m_createSplitter->addWidget(buildPromptArea());
    m_createSplitter->addWidget(m_preview);
    m_createSplitter->setStretchFactor(0, 0);
    m_createSplitter->setStretchFactor(1, 1);
    m_createSplitter->setSizes({ 190, 640 });

    m_gallery = new HistoryGallery(m_store, this);
    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName("mainTabs");
    m_tabs->setDocumentMode(true);
    m_tabs->addTab(m_createSplitter, tr("Create"));
    m_tabs->addTab(m_gallery, tr("History"));
    setCentralWidget(m_tabs);

    buildDocks();
    buildMenus();
    buildStatusBar();
    connectWorker();
    installImageSaver();

    connect(m_gallery, &HistoryGallery::restoreRequested, this, [this](const GenerationParams& p) {
        restoreParams(p);
        m_tabs->setCurrentWidget(m_createSplitter);
        statusBar()->showMessage(tr("Parameters restored"), 5000);
    });
    connect(m_gallery, &HistoryGallery::seedRequested, this, [this](qint64 seed) {
        m_params->setSeed(seed);
        statusBar()->showMessage(tr("Seed %1 set").arg(seed), 5000);
    });
    connect(m_gallery, &HistoryGallery::message, this,
        [this](const QString& m) { statusBar()->showMessage(m, 8000); });

    // Start from the defaults of the settings file.
    GenerationParams defaults = m_settings.defaults;
    m_params->setParams(defaults);
    m_prompt->setText(qs(defaults.prompt));
    m_negative->setText(qs(defaults.negativePrompt));
    m_prompt->textEdit()->document()->clearUndoRedoStacks();
    m_negative->textEdit()->document()->clearUndoRedoStacks();
    setSettings(m_settings);

    resize(1440, 900);
    loadUiState();
    if (!storeOpen)
        showError(tr("The history cannot be opened: %1").arg(storeError));
    m_prompt->textEdit()->setFocus();
}

MainWindow::~MainWindow() = default;

QWidget* MainWindow::buildPromptArea()
{
    auto* area = new QWidget(this);
    area->setObjectName("promptArea");
    m_prompt = new PromptEditor(tr("&Prompt"), QStringLiteral("promptEditor"), area);
    m_prompt->textEdit()->setPlaceholderText(
        tr("Describe the image, e.g. a lighthouse at dawn, (oil painting:1.2)"));
    m_negative = new PromptEditor(tr("&Negative prompt"), QStringLiteral("negativePromptEditor"), area);
    m_negative->textEdit()->setPlaceholderText(tr("What to keep out of the image, e.g. blurry, text"));

    m_generateButton = new QPushButton(tr("Generate"), area);
    m_generateButton->setObjectName("generateButton");
    m_generateButton->setToolTip(tr("Add a job with these settings to the queue (Ctrl+Enter)"));
    m_generateButton->setMinimumSize(150, 56);
    QFont big = m_generateButton->font();
    big.setPointSizeF(big.pointSizeF() * 1.25);
    big.setBold(true);
    m_generateButton->setFont(big);
    auto* interrupt = m_interruptButton = new QPushButton(tr("Interrupt"), area);
    interrupt->setObjectName("interruptButtonTop");
    interrupt->setToolTip(tr("Stop now and keep the image as it is (Ctrl+.)"));
    auto* skip = m_skipButton = new QPushButton(tr("Skip"), area);
    skip->setObjectName("skipButtonTop");
    skip->setToolTip(tr("Drop the running job and go on with the next (Ctrl+Shift+N)"));

    m_errorBanner = new QLabel(area);
    m_errorBanner->setObjectName("errorBanner");
    m_errorBanner->setWordWrap(true);
    m_errorBanner->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_errorBanner->setStyleSheet(
        QStringLiteral("QLabel { background: #fde2e1; color: #7a0c0c; border: 1px solid #e6a5a3;"
                       " border-radius: 4px; padding: 4px 8px; }"));
    m_errorBanner->hide();

    auto* editors = new QVBoxLayout;
    editors->setSpacing(6);
    editors->addWidget(m_prompt, 3);
    editors->addWidget(m_negative, 2);
    m_styles = new StylePicker(area);
    m_styles->setPromptAccess([this] { return qMakePair(m_prompt->text(), m_negative->text()); },
        [this](const QString& p, const QString& n) {
            m_prompt->setText(p);
            m_negative->setText(n);
        });
    editors->addWidget(m_styles);
    auto* buttons = new QVBoxLayout;
    buttons->addSpacing(
        m_prompt->fontMetrics().height() + 2); // line up with the text boxes, under the titles
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
    setTabOrder(m_generateButton, interrupt);
    setTabOrder(interrupt, skip);
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
    addDockWidget(Qt::LeftDockWidgetArea, paramsDock);

    m_queue = new QueuePanel(this);
    auto* queueDock = new QDockWidget(tr("Queue"), this);
    queueDock->setObjectName("queueDock");
    queueDock->setWidget(m_queue);
    addDockWidget(Qt::RightDockWidgetArea, queueDock);
    resizeDocks({ paramsDock, queueDock }, { 340, 260 }, Qt::Horizontal);

    // Extra networks: a click inserts into the prompt; their names feed completion and the counter
    m_networks = new ExtraNetworksPanel(this);
    auto* networksDock = new QDockWidget(tr("Extra Networks"), this);
    networksDock->setObjectName("extraNetworksDock");
    networksDock->setWidget(m_networks);
    addDockWidget(Qt::RightDockWidgetArea, networksDock);
    tabifyDockWidget(queueDock, networksDock);
    // ControlNet units: their pictures and settings, pixel perfect following the form's size
    m_controlNet = new ControlNetPanel(this);
    auto* controlNetDock = new QDockWidget(tr("ControlNet"), this);
    controlNetDock->setObjectName("controlNetDock");
    controlNetDock->setWidget(m_controlNet);
    addDockWidget(Qt::RightDockWidgetArea, controlNetDock);
    tabifyDockWidget(networksDock, controlNetDock);
    queueDock->raise();
    const auto followSize = [this] {
        const GenerationParams p = m_params->params();
        m_controlNet->setGenerationSize(p.width, p.height);
    };
    connect(m_params, &ParameterPanel::paramsChanged, this, followSize);
    followSize();
    connect(m_networks, &ExtraNetworksPanel::insertRequested, m_prompt, &PromptEditor::insertPromptText);
    connect(m_networks, &ExtraNetworksPanel::loaded, this, [this] {
        QStringList loras, embeddings;
        for (const ExtraNetworkEntry& e : m_networks->loras())
            loras << e.name;
        for (const ExtraNetworkEntry& e : m_networks->embeddings())
            if (e.error.isEmpty())
                embeddings << e.name;
        const auto vocabulary = m_networks->vocabulary();
        for (PromptEditor* editor : { m_prompt, m_negative }) {
            editor->setExtraNetworkNames(loras, embeddings);
            editor->setTokenCounter(
                [vocabulary](const QString& p) { return clipTokenCount(p, vocabulary.get()); });
        }
    });

    connect(m_params, &ParameterPanel::modelChanged, this, [this] {
        if (m_modelLabel)
            m_modelLabel->setText(tr("Model: %1").arg(m_params->currentModel().title()));
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
    m_speedLabel = label("statusSpeed", tr("Speed of the running job"));
    m_memoryLabel = label("statusMemory", tr("Memory used by QDiffusion"));
    m_deviceLabel = label("statusDevice", tr("Where the model runs"));
    m_modelLabel = label("statusModel", tr("The selected checkpoint"));
    m_apiLabel = label("statusApi", tr("The AUTOMATIC1111 API this window serves (Settings)"));
    m_apiLabel->hide();
    m_modelLabel->setText(tr("Model: %1").arg(m_params->currentModel().title()));
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
    connect(m_worker, &InferenceWorker::started, this, [this](int id, const GenerationJob& job) {
        m_preview->beginJob(id, job.params.steps);
        m_queue->setRunning(id, job.params);
        m_errorBanner->hide();
        refreshQueue();
    });
    connect(m_worker, &InferenceWorker::modelLoading, this,
        [this](const QString& name) { statusBar()->showMessage(tr("Loading model %1…").arg(name)); });
    connect(
        m_worker, &InferenceWorker::modelLoaded, this, [this](const QString& name, const QString& family) {
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
        if (!r.images.isEmpty()) {
            m_preview->showFinal(r.jobId, r.images.first().image);
            m_params->setLastSeed(r.images.first().params.seed);
            if (!r.images.first().file.isEmpty())
                m_lastImageFile = r.images.first().file;
        }
        m_preview->endJob(r.interrupted ? tr("Interrupted") : QString());
        m_queue->setRunning(0, {});
        QString msg = tr("Finished in %1 s").arg(r.seconds, 0, 'f', 1);
        if (!r.images.isEmpty() && !r.images.first().file.isEmpty())
            msg += QStringLiteral(" · ") + QDir::toNativeSeparators(r.images.first().file);
        statusBar()->showMessage(msg, 8000);
        if (!r.warnings.isEmpty())
            showError(r.warnings.join(u'\n')); // made, but e.g. without a LoRA the prompt names
        // The rows went in through m_store (the saver's history), whose inserted() the gallery hears.
        emit historyUpdated();
    });
    connect(m_worker, &InferenceWorker::failed, this, [this](int, const QString& message) {
        m_preview->endJob(tr("Failed"));
        m_queue->setRunning(0, {});
        showError(message);
    });
    // The worker pauses itself when it cannot save an image (the job waits at the head of the queue).
    connect(m_worker, &InferenceWorker::pausedChanged, this, [this](bool paused) {
        {
            const QSignalBlocker block(m_pauseAction);
            m_pauseAction->setChecked(paused);
        }
        m_queue->setPaused(paused);
        refreshQueue();
    });
    connect(m_worker, &InferenceWorker::skipped, this, [this](int) {
        m_preview->endJob(tr("Skipped"));
        m_queue->setRunning(0, {});
    });
    connect(m_worker, &InferenceWorker::idle, this, [this] {
        m_queue->setRunning(0, {});
        m_speedLabel->clear();
        refreshQueue();
    });
}

void MainWindow::installImageSaver()
{
    // Runs on the inference thread: the file with its infotext, then the history row through the
    // store the gallery watches (HistoryStore::add), so the gallery shows it without being told.
    ImageSaver::Options options;
    options.format = outputFormat(m_settings.outputFormat);
    options.quality = m_settings.imageQuality;
    options.dataDir = AppPaths::dataDir();
    options.history = m_store;
    m_worker->setImageSaver(ImageSaver(options).function());
}

void MainWindow::refreshModelPicker()
{
    // The library's list (A1111's titles "name [hash10]"; the bare name until hashed), each entry
    // with its family read from its keys: the picker's default size follows it.
    QList<ModelEntry> models = m_library->entries();
    for (ModelEntry& e : models)
        e.family = JobBuilder::familyOf(e);
    m_params->setModels(models);
    QStringList vaes;
    for (const VaeEntry& v : m_library->vaes())
        vaes << v.name;
    m_params->setVaes(vaes);
    QStringList upscalers; // the hires fix's image upscalers: built-in ones and the ESRGAN folders' files
    for (const UpscalerEntry& u : listUpscalers(JobBuilder(m_settings, m_library).upscalerDirs()))
        upscalers << u.name;
    m_params->hiresPanel()->setUpscalers(upscalers);
}

void MainWindow::setSettings(const Settings& settings)
{
    m_settings = settings;
    applyTheme(settings.theme);
    if (!m_library) {
        // Hashes arrive one by one from the library's pool: the picker's titles follow in place.
        m_library = new ModelLibrary(this);
        connect(m_library, &ModelLibrary::entriesChanged, this, &MainWindow::refreshModelPicker);
        connect(m_library, &ModelLibrary::hashReady, this, &MainWindow::refreshModelPicker);
        connect(m_params, &ParameterPanel::modelChanged, m_library,
            [this] { m_library->prioritize(m_params->currentModel().path); });
    }
    m_library->setFolders(ModelLibrary::defaultFolders(settings));
    refreshModelPicker();
    const JobBuilder folders(m_settings, m_library);
    m_networks->setFolders(folders.loraFolders(), folders.embeddingFolders());
    // the first annotators folder that exists, else where the weights would go (named when missing)
    const QStringList annotators = folders.annotatorFolders();
    m_controlNet->setFolders(folders.controlNetFolders(),
        annotators.isEmpty() ? folders.annotatorFolders(false).value(0) : annotators.first());
    installImageSaver();
    const auto [device, dtype] = JobBuilder(m_settings, m_library).deviceAndDtype();
    m_deviceLabel->setText(tr("Device: %1 · %2").arg(qs(device).toUpper(), qs(dtype)));
    rebuildPresetMenu();
    applyApiSettings();
}

void MainWindow::applyApiSettings()
{
    if (!m_settings.apiEnabled) {
        m_api.reset();
        m_apiLabel->hide();
        return;
    }
    api::ApiServerConfig config;
    QString error;
    const QString host = m_settings.apiHost.trimmed();
    if (host == QLatin1String("localhost"))
        config.host = QHostAddress::LocalHost;
    else if (!config.host.setAddress(host))
        error = tr("\"%1\" is not an IP address").arg(host);
    if (error.isEmpty())
        api::parseCredentials(m_settings.apiAuth, &config.credentials, &error);
    if (error.isEmpty() && !config.host.isLoopback() && config.credentials.isEmpty())
        error = tr("serving on %1 would let other computers generate here: set credentials first").arg(host);
    config.port = quint16(m_settings.apiPort);
    // the model API clients get until they pick one: the window's
    const ModelEntry current = m_params->currentModel();
    config.checkpoint = current.path.isEmpty() ? QString() : current.name;
    if (m_api && error.isEmpty() && m_api->config().host == config.host && m_api->config().port == config.port
        && m_api->config().credentials == config.credentials) {
        m_api->setSettings(m_settings); // the same address: clients keep their connections
        return;
    }
    m_api.reset();
    if (error.isEmpty()) {
        auto server = std::make_unique<api::ApiServer>(config, m_settings, m_worker, m_library);
        if (server->listen(&error))
            m_api = std::move(server);
    }
    if (!m_api) {
        m_apiLabel->hide();
        showError(tr("The HTTP API is not served: %1").arg(error));
        return;
    }
    m_apiLabel->setText(tr("API: %1").arg(m_api->baseUrl()));
    m_apiLabel->show();
}

GenerationParams MainWindow::currentParams() const
{
    GenerationParams p = m_params->params();
    p.prompt = m_prompt->text().toStdString();
    p.negativePrompt = m_negative->text().toStdString();
    return p;
}

JobRequest MainWindow::currentRequest() const
{
    JobRequest request;
    request.params = currentParams();
    request.model = m_params->currentModel().path; // "" = the demo model (shown when the library is empty)
    request.vae = m_params->vaeChoice();
    request.styles = m_styles->selectedStyles();
    request.maskImage = m_params->maskImage(); // the painted inpainting mask, if any
    request.controlUnits = m_controlNet->units(); // JobBuilder keeps the enabled ones
    return request;
}

std::optional<GenerationJob> MainWindow::currentJob(QString* error) const
{
    return JobBuilder(m_settings, m_library).build(currentRequest(), error);
}

void MainWindow::restoreParams(const GenerationParams& params)
{
    // A1111's paste ("infotext_styles": "Apply if any"): known styles come back out of the prompts
    QString prompt = qs(params.prompt), negative = qs(params.negativePrompt);
    const QStringList styles = m_styles->database().extractStyles(&prompt, &negative);
    if (!styles.isEmpty())
        m_styles->setSelectedStyles(styles);
    m_prompt->setText(styles.isEmpty() ? qs(params.prompt) : prompt);
    m_negative->setText(styles.isEmpty() ? qs(params.negativePrompt) : negative);
    // sd-webui-controlnet's "ControlNet 0: Module: canny, ..." keys go into the units (pictures kept);
    // they leave the pass-through extras: a job's infotext names the units it runs, not these
    QList<QPair<QString, QString>> extras;
    for (const auto& [key, value] : params.extra)
        extras.append({ qs(key), qs(value) });
    const QList<ControlUnitRequest> units = controlUnitsFromExtras(extras);
    GenerationParams rest = params;
    if (!units.isEmpty()) {
        m_controlNet->setUnits(units);
        static const QRegularExpression unitKey(QStringLiteral("^ControlNet \\d+$"));
        for (const auto& [key, value] : extras)
            if (unitKey.match(key).hasMatch())
                rest.extra.erase(key.toStdString());
    }
    m_params->setParams(rest);
    // The library also knows full SHA-256s, A1111's old 8-hex hashes and "sub_dir_name" model names.
    if (m_library) {
        std::optional<ModelEntry> e = m_library->findByHash(qs(params.modelHash));
        if (!e)
            e = m_library->findByModelName(qs(params.modelName));
        if (e)
            m_params->selectModel(e->path);
    }
}

bool MainWindow::restoreFromImageFile(const QString& path)
{
    ImageMetadata meta;
    QString error;
    if (!ImageMetadata::read(path, &meta, &error)) {
        statusBar()->showMessage(error, 8000);
        return false;
    }
    const ParsedParams parsed = meta.params();
    if (!parsed.found) {
        statusBar()->showMessage(
            tr("%1 carries no generation parameters").arg(QFileInfo(path).fileName()), 8000);
        return false;
    }
    restoreParams(parsed.params);
    // The ControlNet maps the image was made with, kept beside it by the saver: each unit gets its map
    // back as its picture, used as it is (preprocessor "none")
    QList<ControlUnitRequest> units = m_controlNet->units();
    bool maps = false;
    for (int n = 0; n < units.size(); ++n) {
        const QImage map(controlMapPath(path, n));
        if (units[n].enabled && !map.isNull()) {
            units[n].image = map;
            units[n].module = QStringLiteral("none");
            maps = true;
        }
    }
    if (maps)
        m_controlNet->setUnits(units);
    QString msg = tr("Parameters restored from %1").arg(QFileInfo(path).fileName());
    if (!parsed.warnings.isEmpty())
        msg += QStringLiteral(" (") + parsed.warnings.join(QStringLiteral("; ")) + u')';
    statusBar()->showMessage(msg, 8000);
    m_errorBanner->hide();
    return true;
}

bool MainWindow::restoreFromText(const QString& text)
{
    QStringList warnings;
    const GenerationParams p = parseInfotext(text, &warnings);
    // without a parameters line the whole text is the prompt
    if (QString::fromStdString(p.prompt) == text.trimmed()) {
        statusBar()->showMessage(tr("The pasted text holds no generation parameters"), 8000);
        return false;
    }
    restoreParams(p);
    QString msg = tr("Parameters restored from the pasted text");
    if (!warnings.isEmpty())
        msg += QStringLiteral(" (") + warnings.join(QStringLiteral("; ")) + u')';
    statusBar()->showMessage(msg, 8000);
    m_errorBanner->hide();
    return true;
}

bool MainWindow::pasteParameters()
{
    const QMimeData* mime = QApplication::clipboard()->mimeData();
    if (mime && mime->hasUrls() && !mime->urls().isEmpty() && mime->urls().first().isLocalFile())
        return restoreFromImageFile(mime->urls().first().toLocalFile());
    return restoreFromText(mime ? mime->text() : QString());
}

int MainWindow::generate()
{
    QString error;
    const std::optional<GenerationJob> job = currentJob(&error);
    if (!job) {
        showError(error);
        return 0;
    }
    m_prompt->addRecentPrompt(m_prompt->text());
    m_negative->addRecentPrompt(m_negative->text());
    const int id = m_worker->enqueue(*job);
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
    for (QAction* a : { m_interruptAction, m_skipAction })
        a->setEnabled(running);
    for (QPushButton* b : { m_interruptButton, m_skipButton })
        b->setEnabled(running);
    m_queueLabel->setText(m_worker->isPaused() ? tr("Queue: %n waiting (paused)", nullptr, int(jobs.size()))
                                               : tr("Queue: %n waiting", nullptr, int(jobs.size())));
}

void MainWindow::updateMemory()
{
    const qint64 bytes = residentBytes();
    m_memoryLabel->setText(
        tr("Memory: %1")
            .arg(bytes < 0 ? QStringLiteral("?")
                           : QLocale().formattedDataSize(bytes, 1, QLocale::DataSizeTraditionalFormat)));
}

void MainWindow::showError(const QString& message)
{
    m_errorBanner->setText(message);
    m_errorBanner->show();
    statusBar()->showMessage(message.section(u'\n', 0, 0), 10000);
}

} // namespace qd
