#pragma once
// The studio's main window: prompt and negative prompt on top, the live preview with its per-step
// filmstrip in the centre, parameters docked at the side, the queue in another dock, the history
// gallery as a tab, and a status bar with model, device, memory and speed. It drives qd_core only.
#include <QHash>
#include <QMainWindow>
#include <QPointer>

#include "InferenceWorker.h"

class QAction;
class QLabel;
class QPushButton;
class QSplitter;
class QTabWidget;
class QTimer;

namespace qd {

class LivePreview;
class ParameterPanel;
class PromptEditor;
class QueuePanel;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    InferenceWorker* worker() const { return m_worker; }
    PromptEditor* promptEditor() const { return m_prompt; }
    PromptEditor* negativePromptEditor() const { return m_negative; }
    ParameterPanel* parameterPanel() const { return m_params; }
    LivePreview* livePreview() const { return m_preview; }
    QueuePanel* queuePanel() const { return m_queue; }
    QTabWidget* tabs() const { return m_tabs; }

    // Everything the form holds, prompts included.
    GenerationParams currentParams() const;
    // Fills the whole form (prompts too); a locked seed stays.
    void restoreParams(const GenerationParams& params);
    // Reads the parameters an image carries (ours, A1111's, ComfyUI's, ...) and restores them.
    // Returns false with a message in the status bar when the file has none.
    bool restoreFromImageFile(const QString& path);

public slots:
    int generate(); // queues the form as a job; returns its id
    void interrupt();
    void skip();
    void setQueuePaused(bool paused);
    void showAbout();

signals:
    void jobQueued(int jobId);

protected:
    void closeEvent(QCloseEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    QWidget* buildPromptArea();
    void buildDocks();
    void buildMenus();
    void buildStatusBar();
    void connectWorker();
    void refreshQueue();
    void updateMemory();
    void showError(const QString& message);
    void loadUiState();
    void saveUiState() const;
    QString uiStateFile() const;

    InferenceWorker* m_worker;
    QHash<int, GenerationParams> m_jobParams; // params of jobs queued from this window, by id

    QTabWidget* m_tabs = nullptr;
    QSplitter* m_createSplitter = nullptr;
    PromptEditor* m_prompt = nullptr;
    PromptEditor* m_negative = nullptr;
    ParameterPanel* m_params = nullptr;
    LivePreview* m_preview = nullptr;
    QueuePanel* m_queue = nullptr;
    QPushButton* m_generateButton = nullptr;
    QLabel* m_errorBanner = nullptr;

    QAction* m_generateAction = nullptr;
    QAction* m_interruptAction = nullptr;
    QAction* m_skipAction = nullptr;
    QAction* m_pauseAction = nullptr;

    QLabel* m_modelLabel = nullptr;
    QLabel* m_deviceLabel = nullptr;
    QLabel* m_memoryLabel = nullptr;
    QLabel* m_speedLabel = nullptr;
    QLabel* m_queueLabel = nullptr;
    QTimer* m_memoryTimer = nullptr;
};

} // namespace qd
