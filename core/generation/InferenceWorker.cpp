#include "core/generation/InferenceWorker.h"

#include <QElapsedTimer>
#include <QHash>

#include <optional>

#include <utility>

#include "core/engine/EngineInfo.h"
#include "core/engine/pipeline/MemoryRelease.h"
#include "core/generation/EngineImage.h"
#include "core/generation/Inpainting.h"
#include "core/metadata/Infotext.h"

namespace qd
{

class InferenceWorker::Thread : public QThread
{
public:
    explicit Thread(InferenceWorker* owner)
        : m_owner(owner)
    {
        setObjectName("qd-inference");
    }

    mutable QMutex mutex;
    QWaitCondition wake;
    QList<GenerationJob> queue;
    bool paused = false;
    bool stopping = false;
    bool unloadRequested = false;
    bool reloadRequested = false;
    int runningId = 0;
    int nextId = 1;
    CancelToken cancel;
    ModelInfo modelInfo;
    InferenceWorker::ImageSaver saver;
    // A job part-done: its images so far (saved or not) and the next batch to make.
    struct Progress {
        GenerationResult result;
        int nextBatch = 0;
    };
    // Jobs whose images could not all be saved (the disk was full, the folder went away), by id: the
    // job went back to the head of the queue, paused; when it runs again the images are saved, not
    // made again, and the batches not made yet follow.
    QHash<int, Progress> unsaved;

protected:
    void run() override
    {
        lowerCurrentThreadPriority(5); // the GUI thread first (see EngineInfo.h)
        std::unique_ptr<Pipeline> pipeline;
        ModelSpec loadedSpec;
        bool loaded = false; // loadedSpec names the last model loaded
        for (;;) {
            GenerationJob job;
            bool unload = false, reload = false;
            {
                QMutexLocker lock(&mutex);
                while (!stopping && !unloadRequested && !reloadRequested && (paused || queue.isEmpty()))
                    wake.wait(&mutex);
                if (stopping)
                    break;
                unload = std::exchange(unloadRequested, false);
                reload = std::exchange(reloadRequested, false);
                if (!unload && !reload) {
                    job = queue.takeFirst();
                    runningId = job.id;
                    cancel.reset();
                }
            }
            if (unload || reload) {
                if (unload && pipeline) { // hand the memory back (A1111's unload-checkpoint)
                    pipeline.reset();
                    releaseFreedMemory();
                    QMutexLocker lock(&mutex);
                    modelInfo = ModelInfo();
                }
                if (reload && !pipeline && loaded) {
                    try {
                        pipeline = Pipeline::open(loadedSpec);
                        QMutexLocker lock(&mutex);
                        modelInfo = pipeline->info();
                    } catch (const std::exception&) {
                        releaseFreedMemory(); // the next job that needs it reports why
                    }
                }
                continue;
            }
            emit m_owner->queueChanged();
            emit m_owner->started(job.id, job);
            std::optional<Progress> kept; // made before, not all saved yet
            {
                QMutexLocker lock(&mutex);
                if (unsaved.contains(job.id))
                    kept = unsaved.take(job.id);
            }
            const bool needModel = !kept || kept->nextBatch < job.params.batchCount;
            try {
                if (needModel && (!pipeline || loadedSpec != job.model)) {
                    if (pipeline) { // release the previous model before loading the next
                        pipeline.reset();
                        releaseFreedMemory();
                    }
                    emit m_owner->modelLoading(QString::fromStdString(
                        job.model.checkpoint.empty() ? std::string("demo") : job.model.checkpoint));
                    pipeline = Pipeline::open(job.model);
                    loadedSpec = job.model;
                    loaded = true;
                    {
                        QMutexLocker lock(&mutex);
                        modelInfo = pipeline->info();
                    }
                    emit m_owner->modelLoaded(QString::fromStdString(modelInfo.name),
                        QString::fromLatin1(familyName(modelInfo.family)));
                }
                runJob(needModel ? pipeline.get() : nullptr, job, kept ? std::move(*kept) : Progress {});
            } catch (const std::exception& e) {
                if (!pipeline) // a load that failed half-way freed what it had read
                    releaseFreedMemory();
                emit m_owner->failed(job.id, QString::fromUtf8(e.what()));
            }
            bool nowIdle;
            {
                QMutexLocker lock(&mutex);
                runningId = 0;
                nowIdle = queue.isEmpty();
            }
            if (nowIdle)
                emit m_owner->idle();
        }
        pipeline.reset(); // the worker ends: the model goes with it
        releaseFreedMemory();
    }

private:
    // Makes the job one batch at a time and saves each batch's images as soon as it is decoded, so
    // a crash or a full disk costs at most the batch in hand. `done`: what a previous run of this job
    // made (and the batch to go on from); `pipeline` may be null when nothing is left to make.
    void runJob(Pipeline* pipeline, GenerationJob job, Progress done)
    {
        done.result.jobId = job.id;
        if (!saveNew(job, done)) // what could not be saved last time, first
            return;
        const int batches = std::max(1, job.params.batchCount);
        bool skipped = false;
        QElapsedTimer clock;
        clock.start();
        if (pipeline && done.nextBatch < batches) {
            // The seed, the size left open and the init image / mask, settled once (JobBuilder.h).
            const GenerationInputs inputs = prepareInputs(job, pipeline->info().defaultSize);
            const GenerationParams& params = job.params;
            int stepsDone = 0;
            const int totalSteps = std::max(1, params.steps) * (batches - done.nextBatch);
            auto onStep = [&](const StepUpdate& u) {
                ++stepsDone;
                const double secs = clock.elapsed() / 1000.0;
                const double itPerSec = secs > 0 ? stepsDone / secs : 0.0;
                const double eta = itPerSec > 0 ? (totalSteps - stepsDone) / itPerSec : 0.0;
                emit m_owner->progress(job.id, u.step, u.totalSteps, itPerSec, eta);
                if (!u.previews.empty() && !u.previews.front().empty())
                    emit m_owner->preview(job.id, u.step, toQImage(u.previews.front()));
            };
            while (done.nextBatch < batches && !done.result.interrupted) {
                // Batch k alone is the job's batch k: seeds (or, with a variation strength, variation
                // seeds) from k x batch size on (Pipeline.cpp, step 3).
                GenerationParams one = params;
                one.batchCount = 1;
                const int64_t first = int64_t(done.nextBatch) * params.batchSize;
                if (params.subseedStrength != 0)
                    one.subseed = params.subseed + first;
                else
                    one.seed = params.seed + first;
                const std::vector<GeneratedImage> images
                    = pipeline->generate(one, inputs, job.preview, onStep, &cancel);
                if (images.empty()) { // skipped (or cancelled): the batches made so far stand
                    skipped = cancel.state() == CancelToken::Skip;
                    break;
                }
                for (const GeneratedImage& g : images) {
                    ResultImage r;
                    r.image = applyInpaintOverlay(job.inpaintOverlay.get(), toQImage(g.image));
                    r.params = g.params;
                    r.infotext = toInfotext(g.params, QStringLiteral("QDiffusion " QD_VERSION));
                    done.result.interrupted = done.result.interrupted || g.interrupted;
                    for (const std::string& w : g.warnings)
                        if (!done.result.warnings.contains(QString::fromStdString(w)))
                            done.result.warnings << QString::fromStdString(w);
                    done.result.images.push_back(std::move(r));
                }
                ++done.nextBatch;
                if (!saveNew(job, done))
                    return;
            }
        }
        done.result.seconds += clock.elapsed() / 1000.0;
        if (done.result.images.isEmpty() && skipped)
            emit m_owner->skipped(job.id);
        else
            emit m_owner->finished(done.result);
    }

    // Saves the images of `done` not saved yet, in order. When one cannot be saved the job keeps
    // them: it goes back to the head of the queue, the queue pauses, and `failed` says which folder
    // and why; resuming (after freeing space) saves them without making them again. Returns false
    // then.
    bool saveNew(const GenerationJob& job, Progress& done)
    {
        for (ResultImage& r : done.result.images) {
            if (!saver || !r.file.isEmpty())
                continue;
            QString error;
            r.file = saver(r.image, r.params, r.infotext, job.outputDir, &error);
            if (r.file.isEmpty()) {
                {
                    QMutexLocker lock(&mutex);
                    unsaved.insert(job.id, done);
                    queue.prepend(job);
                    paused = true;
                }
                emit m_owner->pausedChanged(true);
                emit m_owner->queueChanged();
                emit m_owner->failed(job.id,
                    error + QLatin1Char('\n')
                        + QStringLiteral(
                            "The job stays at the head of the queue with its images, and the queue "
                            "is paused: free some space (or choose another output folder) and "
                            "resume to save them."));
                return false;
            }
        }
        return true;
    }

    InferenceWorker* m_owner;
};

InferenceWorker::InferenceWorker(QObject* parent)
    : QObject(parent)
    , m_thread(std::make_unique<Thread>(this))
{
    qRegisterMetaType<qd::GenerationResult>();
    qRegisterMetaType<qd::GenerationJob>();
    m_thread->start();
}

InferenceWorker::~InferenceWorker()
{
    {
        QMutexLocker lock(&m_thread->mutex);
        m_thread->stopping = true;
        m_thread->queue.clear();
        m_thread->cancel.skip();
    }
    m_thread->wake.wakeAll();
    m_thread->wait();
}

void InferenceWorker::setImageSaver(ImageSaver saver)
{
    QMutexLocker lock(&m_thread->mutex);
    m_thread->saver = std::move(saver);
}

int InferenceWorker::enqueue(GenerationJob job)
{
    int id;
    {
        QMutexLocker lock(&m_thread->mutex);
        id = job.id = m_thread->nextId++;
        m_thread->queue.push_back(std::move(job));
    }
    m_thread->wake.wakeAll();
    emit queued(id);
    emit queueChanged();
    return id;
}

bool InferenceWorker::remove(int jobId)
{
    {
        QMutexLocker lock(&m_thread->mutex);
        if (m_thread->runningId == jobId) {
            m_thread->cancel.skip();
            return true;
        }
        bool found = false;
        for (int i = 0; i < m_thread->queue.size(); ++i)
            if (m_thread->queue[i].id == jobId) {
                m_thread->queue.removeAt(i);
                m_thread->unsaved.remove(jobId); // its images not saved go with it
                found = true;
                break;
            }
        if (!found)
            return false;
    }
    emit queueChanged();
    return true;
}

bool InferenceWorker::move(int jobId, int newIndex)
{
    {
        QMutexLocker lock(&m_thread->mutex);
        auto& q = m_thread->queue;
        int from = -1;
        for (int i = 0; i < q.size(); ++i)
            if (q[i].id == jobId)
                from = i;
        if (from < 0 || newIndex < 0 || newIndex >= q.size())
            return false;
        q.move(from, newIndex);
    }
    emit queueChanged();
    return true;
}

void InferenceWorker::pause()
{
    {
        QMutexLocker lock(&m_thread->mutex);
        if (std::exchange(m_thread->paused, true))
            return;
    }
    emit pausedChanged(true);
}

void InferenceWorker::resume()
{
    bool was;
    {
        QMutexLocker lock(&m_thread->mutex);
        was = std::exchange(m_thread->paused, false);
    }
    m_thread->wake.wakeAll();
    if (was)
        emit pausedChanged(false);
}

bool InferenceWorker::isPaused() const
{
    QMutexLocker lock(&m_thread->mutex);
    return m_thread->paused;
}

QList<GenerationJob> InferenceWorker::queuedJobs() const
{
    QMutexLocker lock(&m_thread->mutex);
    return m_thread->queue;
}

int InferenceWorker::runningJobId() const
{
    QMutexLocker lock(&m_thread->mutex);
    return m_thread->runningId;
}

void InferenceWorker::interrupt()
{
    m_thread->cancel.interrupt();
}

void InferenceWorker::skip()
{
    m_thread->cancel.skip();
}

void InferenceWorker::unloadModel()
{
    {
        QMutexLocker lock(&m_thread->mutex);
        m_thread->unloadRequested = true;
        m_thread->reloadRequested = false;
    }
    m_thread->wake.wakeAll();
}

void InferenceWorker::reloadModel()
{
    {
        QMutexLocker lock(&m_thread->mutex);
        m_thread->reloadRequested = true;
    }
    m_thread->wake.wakeAll();
}

ModelInfo InferenceWorker::currentModel() const
{
    QMutexLocker lock(&m_thread->mutex);
    return m_thread->modelInfo;
}

} // namespace qd
