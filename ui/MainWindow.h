#pragma once
// The studio's main window: prompt and negative prompt on top, the live preview with its per-step
// filmstrip in the centre, parameters docked at the side, the queue in another dock, the history
// gallery as a tab, and a status bar with model, device, memory and speed. It drives qd_core only.
#include <QMainWindow>

#include <memory>
#include <optional>

#include "core/Settings.h"
#include "core/generation/InferenceWorker.h"
#include "core/generation/JobBuilder.h"
#include "core/history/HistoryStore.h"

class QAction;
class QLabel;
class QMenu;
class QPushButton;
class QSplitter;
class QTabWidget;
class QTimer;

namespace qd
{

namespace api
{
class ApiServer;
}
class ControlNetPanel;
class ExtraNetworksPanel;
class HistoryGallery;
class LivePreview;
class ModelLibrary;
class ParameterPanel;
class PromptEditor;
class QueuePanel;
class StylePicker;

class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    // Reads the settings file and opens the history in AppPaths (QDIFFUSION_HOME for tests).
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    InferenceWorker* worker() const { return m_worker; }
    HistoryStore* historyStore() const { return m_store; }
    PromptEditor* promptEditor() const { return m_prompt; }
    PromptEditor* negativePromptEditor() const { return m_negative; }
    ParameterPanel* parameterPanel() const { return m_params; }
    LivePreview* livePreview() const { return m_preview; }
    QueuePanel* queuePanel() const { return m_queue; }
    ControlNetPanel* controlNetPanel() const { return m_controlNet; }
    StylePicker* stylePicker() const { return m_styles; }
    HistoryGallery* historyGallery() const { return m_gallery; }
    ModelLibrary* modelLibrary() const { return m_library; }
    QTabWidget* tabs() const { return m_tabs; }
    const Settings& settings() const { return m_settings; }
    void setSettings(const Settings& settings); // applies them (theme, models, output) without saving

    // Everything the form holds, prompts included.
    GenerationParams currentParams() const;
    // Fills the whole form (prompts too); a locked seed stays.
    void restoreParams(const GenerationParams& params);
    // Reads the parameters an image carries (ours, A1111's, ComfyUI's, ...) and restores them.
    // Returns false with a message in the status bar when the file has none.
    bool restoreFromImageFile(const QString& path);
    // An infotext pasted as text (A1111's "read generation parameters"): false, and the form left
    // alone, when the text has no parameters line.
    bool restoreFromText(const QString& text);
    // Edit > Paste Generation Parameters: the clipboard's infotext text, or the image file it names.
    bool pasteParameters();
    // What the form asks for: its parameters, the picked model and VAE.
    JobRequest currentRequest() const;
    // The job the Generate button would queue now (JobBuilder over the settings and the library),
    // or nullopt with *error naming what is wrong (e.g. a VAE that went away).
    std::optional<GenerationJob> currentJob(QString* error = nullptr) const;

public slots:
    int generate(); // queues the form as a job; returns its id
    void interrupt();
    void skip();
    void setQueuePaused(bool paused);
    void showSettings();
    void importFolder();
    void showAbout();
    void showUpscale(); // Image > Upscale…: the selected or newest image in an UpscaleDialog

signals:
    void jobQueued(int jobId);
    void historyUpdated();

protected:
    void closeEvent(QCloseEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    // MainWindow.cpp
    QWidget* buildPromptArea();
    void buildDocks();
    void buildStatusBar();
    void connectWorker();
    void refreshQueue();
    void updateMemory();
    void showError(const QString& message);
    void installImageSaver();
    void refreshModelPicker(); // the library's checkpoints and VAEs into the parameter panel
    void applyApiSettings(); // serve (or stop serving) the HTTP API as Settings api.* say
    // MainWindowMenus.cpp
    void buildMenus();
    void rebuildPresetMenu();
    void loadUiState();
    void saveUiState() const;

    Settings m_settings;
    InferenceWorker* m_worker;
    HistoryStore* m_store;
    ModelLibrary* m_library = nullptr; // made by the first setSettings()

    QTabWidget* m_tabs = nullptr;
    QSplitter* m_createSplitter = nullptr;
    PromptEditor* m_prompt = nullptr;
    PromptEditor* m_negative = nullptr;
    ParameterPanel* m_params = nullptr;
    StylePicker* m_styles = nullptr;
    LivePreview* m_preview = nullptr;
    QueuePanel* m_queue = nullptr;
    ExtraNetworksPanel* m_networks = nullptr;
    ControlNetPanel* m_controlNet = nullptr;
    HistoryGallery* m_gallery = nullptr;
    QPushButton* m_generateButton = nullptr;
    QPushButton* m_interruptButton = nullptr;
    QPushButton* m_skipButton = nullptr;
    QLabel* m_errorBanner = nullptr;
    QString m_lastImageFile; // the newest finished image's file ("" until one is saved)

    QAction* m_generateAction = nullptr;
    QAction* m_interruptAction = nullptr;
    QAction* m_skipAction = nullptr;
    QAction* m_pauseAction = nullptr;
    QMenu* m_presetMenu = nullptr;

    QLabel* m_modelLabel = nullptr;
    QLabel* m_deviceLabel = nullptr;
    QLabel* m_memoryLabel = nullptr;
    QLabel* m_speedLabel = nullptr;
    QLabel* m_queueLabel = nullptr;
    QTimer* m_memoryTimer = nullptr;
    QLabel* m_apiLabel = nullptr;
    // AUTOMATIC1111's HTTP API on this window's queue (Settings api.*): its jobs show in the live
    // preview and land in the history like the window's own. Declared last: it goes first.
    std::unique_ptr<api::ApiServer> m_api;
};

} // namespace qd
