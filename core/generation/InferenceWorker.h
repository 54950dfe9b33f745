#pragma once
// One long-lived inference thread that owns the loaded model, and the job queue in front of it.
// Jobs are value snapshots of all parameters, made by JobBuilder; the worker settles each one with
// prepareInputs() when it starts, builds each image's infotext once and hands it to the saver.
// Every signal is emitted from the inference thread; connect with the default (queued) connection
// from GUI objects.
#include <QImage>
#include <QList>
#include <QMutex>
#include <QObject>
#include <QStringList>
#include <QThread>
#include <QWaitCondition>

#include <functional>
#include <memory>

#include "core/engine/GenerationParams.h"
#include "core/engine/Pipeline.h"
#include "core/generation/JobBuilder.h" // GenerationJob

namespace qd
{

// One image a job made, as the front ends show and keep it.
struct ResultImage {
    QImage image;
    QString file; // the saved file; "" when saving failed (or no saver is set)
    GenerationParams params; // as used: the actual seed, size, model name and hash
    QString infotext; // built once, by the worker: what the file carries and the history shows
};

struct GenerationResult {
    int jobId = 0;
    QList<ResultImage> images; // one per image, in the order they were made
    bool interrupted = false;
    double seconds = 0;
    QStringList warnings; // made anyway, but the user should know (e.g. a LoRA not found)
};

class InferenceWorker : public QObject
{
    Q_OBJECT
public:
    explicit InferenceWorker(QObject* parent = nullptr);
    ~InferenceWorker() override; // stops the thread after the running step

    // Queue editing (any thread). enqueue returns the job id.
    int enqueue(GenerationJob job);
    bool remove(int jobId); // a queued job; the running one is skipped instead
    bool move(int jobId, int newIndex); // reorder queued jobs
    void pause(); // finish the running job, start no new one
    void resume();
    bool isPaused() const;
    QList<GenerationJob> queuedJobs() const;
    int runningJobId() const; // 0 when idle

    void interrupt(); // stop the running job now; keep and save its image decoded from the current state
    void skip(); // drop the running job; go on with the next

    // Releases the loaded model (its memory goes back to the system) once no job runs; the next job
    // loads what it needs. reloadModel() loads the last model again now, when it was unloaded.
    void unloadModel();
    void reloadModel();

    ModelInfo currentModel() const; // empty name when none loaded yet

    // Saves one finished image carrying `infotext` and returns the file written, or "" with *error
    // set. Called on the inference thread before `finished` is emitted.
    using ImageSaver = std::function<QString(const QImage& image, const GenerationParams& params,
        const QString& infotext, const QString& outputDir, QString* error)>;
    void setImageSaver(ImageSaver saver);

signals:
    void queued(int jobId);
    void queueChanged();
    void started(int jobId, qd::GenerationJob job); // the job as it was queued
    void modelLoading(QString name);
    void modelLoaded(QString name, QString family);
    void progress(int jobId, int step, int total, double itPerSec, double etaSeconds);
    void preview(int jobId, int step, QImage image);
    void finished(qd::GenerationResult result);
    // A job that failed; or one whose images could not be saved, which goes back to the head of the
    // queue with them (the queue pauses: pausedChanged(true)) until resume() saves them.
    void failed(int jobId, QString message);
    void pausedChanged(bool paused); // also when the worker pauses itself (an image it cannot save)
    void skipped(int jobId);
    void idle();

private:
    class Thread;
    std::unique_ptr<Thread> m_thread;
};

} // namespace qd

Q_DECLARE_METATYPE(qd::GenerationResult)
