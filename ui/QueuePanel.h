#pragma once
// The job queue: the running job on top, then the waiting ones; reorder (buttons, Alt+Up/Down,
// drag), remove (Delete), pause / resume. It only shows and asks: the worker owns the queue.
#include <QWidget>

#include "core/generation/InferenceWorker.h"

class QLabel;
class QListWidget;
class QPushButton;
class QToolButton;

namespace qd
{

class QueuePanel : public QWidget
{
    Q_OBJECT
public:
    explicit QueuePanel(QWidget* parent = nullptr);

    void setQueue(const QList<GenerationJob>& queued);
    void setRunning(int jobId, const GenerationParams& params); // jobId 0: idle
    void setPaused(bool paused);
    bool isPaused() const { return m_paused; }

    QList<int> queuedIds() const;
    int selectedJobId() const; // 0 when none
    QListWidget* list() const { return m_list; }

    static QString summary(const GenerationParams& params);

signals:
    void moveRequested(int jobId, int newIndex);
    void removeRequested(int jobId);
    void pauseRequested(bool paused);
    void interruptRequested();
    void skipRequested();

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void moveSelected(int delta);
    void removeSelected();
    void updateButtons();
    void rowsMovedByDrag();

    QListWidget* m_list;
    QLabel* m_running;
    QToolButton* m_up;
    QToolButton* m_down;
    QToolButton* m_remove;
    QPushButton* m_pause;
    QPushButton* m_interrupt;
    QPushButton* m_skip;
    int m_runningId = 0;
    bool m_paused = false;
};

} // namespace qd
