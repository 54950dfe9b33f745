#include <QtTest/QtTest>

#include <cmath>
#include <functional>

#include "core/AppPaths.h"
#include "core/generation/ImageSaver.h"
#include "core/generation/InferenceWorker.h"
#include "core/history/HistoryStore.h"
#include "core/metadata/ImageMetadata.h"
#include "core/metadata/Infotext.h"

using namespace qd;

// The inference thread and its queue as a user drives them, on the built-in demo model: jobs run in
// the queue's order (after a reorder while paused), Interrupt keeps a partial image with its full
// infotext, Skip keeps nothing, progress and previews arrive once per step, images land on disk with
// A1111's names and in the history, and a broken job fails with a message naming the file while the
// queue goes on.
namespace
{

struct Event {
    Event(const QString& k = QString(), int j = 0, int s = 0, int tot = 0, double ips = 0, double e = 0)
        : kind(k)
        , job(j)
        , step(s)
        , total(tot)
        , itPerSec(ips)
        , eta(e)
    {
    }
    QString kind; // started, progress, preview, finished, failed, skipped, idle
    int job = 0;
    int step = 0;
    int total = 0;
    double itPerSec = 0;
    double eta = 0;
    QImage image;
    GenerationResult result;
    QString message;
    double t = 0; // seconds since the recorder started, taken on the emitting thread
};

// Records every signal on the thread that emits it (direct connections: timestamps are the worker's,
// and a hook can interrupt or skip right after a given step, before the next one starts).
class Recorder
{
public:
    explicit Recorder(InferenceWorker& w)
    {
        m_clock.start();
        auto ctx = &w;
        const auto direct = Qt::DirectConnection;
        QObject::connect(
            &w, &InferenceWorker::started, ctx,
            [this](int id, const GenerationJob&) {
                add({ "started", id });
            },
            direct);
        QObject::connect(
            &w, &InferenceWorker::progress, ctx,
            [this](int id, int step, int total, double ips, double eta) {
                Event e { "progress", id, step, total, ips, eta };
                add(e);
            },
            direct);
        QObject::connect(
            &w, &InferenceWorker::preview, ctx,
            [this](int id, int step, const QImage& img) {
                Event e { "preview", id, step };
                e.image = img;
                add(e);
                if (onPreview)
                    onPreview(id, step);
            },
            direct);
        QObject::connect(
            &w, &InferenceWorker::finished, ctx,
            [this](const GenerationResult& r) {
                Event e { "finished", r.jobId };
                e.result = r;
                add(e);
            },
            direct);
        QObject::connect(
            &w, &InferenceWorker::failed, ctx,
            [this](int id, const QString& msg) {
                Event e { "failed", id };
                e.message = msg;
                add(e);
            },
            direct);
        QObject::connect(
            &w, &InferenceWorker::skipped, ctx,
            [this](int id) {
                add({ "skipped", id });
            },
            direct);
        QObject::connect(
            &w, &InferenceWorker::idle, ctx,
            [this] {
                add({ "idle", 0 });
            },
            direct);
    }

    std::function<void(int job, int step)> onPreview; // runs on the inference thread

    QList<Event> events(const QString& kind, int job = -1) const
    {
        QMutexLocker lock(&m_mutex);
        QList<Event> out;
        for (const Event& e : m_events)
            if (e.kind == kind && (job < 0 || e.job == job))
                out << e;
        return out;
    }
    bool has(const QString& kind, int job) const { return !events(kind, job).isEmpty(); }

private:
    void add(Event e)
    {
        QMutexLocker lock(&m_mutex);
        e.t = m_clock.nsecsElapsed() / 1e9;
        m_events << e;
    }
    mutable QMutex m_mutex;
    QList<Event> m_events;
    QElapsedTimer m_clock;
};

GenerationParams params(const char* prompt, int64_t seed, int steps)
{
    GenerationParams p;
    p.prompt = prompt;
    p.negativePrompt = "blurry, low quality";
    p.sampler = "Euler";
    p.scheduler = "Karras";
    p.steps = steps;
    p.cfgScale = 6.5;
    p.seed = seed;
    p.width = 96; // not square: previews and files must keep the aspect
    p.height = 64;
    return p;
}

GenerationJob job(const GenerationParams& p, const QString& outputDir)
{
    GenerationJob j;
    j.params = p;
    j.preview.method = PreviewMethod::Cheap;
    j.outputDir = outputDir;
    return j;
}

QStringList files(const GenerationResult& r)
{
    QStringList out;
    for (const ResultImage& i : r.images)
        out << i.file;
    return out;
}

constexpr int kTimeout = 180000; // a slow shared 2-core machine; the demo model loads in seconds

} // namespace

class TestInferenceWorker : public QObject
{
    Q_OBJECT
    QTemporaryDir m_home;
    QString outputs() const { return m_home.filePath("outputs"); }

    // Progress of one job that ran all its steps: 1..N in order, plausible speed and ETA.
    void checkProgress(const Recorder& rec, int id, int steps, const QString& what)
    {
        const QList<Event> prog = rec.events("progress", id);
        QCOMPARE(prog.size(), steps);
        const double tStart = rec.events("started", id).first().t;
        for (int i = 0; i < steps; ++i) {
            const Event& e = prog[i];
            QCOMPARE(e.step, i + 1);
            QCOMPARE(e.total, steps);
            QVERIFY2(std::isfinite(e.itPerSec) && e.itPerSec > 0, qPrintable(what));
            QVERIFY2(std::isfinite(e.eta) && e.eta >= 0, qPrintable(what));
        }
        QCOMPARE(prog.last().eta, 0.0); // nothing left at the last step
        // it/s is steps per second of this job: between steps / (time since `started`) and what
        // the steps after the first one alone give.
        const double tLast = prog.last().t;
        const double lower = steps / (tLast - tStart);
        const double upper = steps / std::max(1e-6, tLast - prog.first().t) * 1.1;
        QVERIFY2(prog.last().itPerSec >= lower * 0.9 && prog.last().itPerSec <= upper,
            qPrintable(QString("%1: %2 it/s, expected %3..%4")
                           .arg(what)
                           .arg(prog.last().itPerSec)
                           .arg(lower)
                           .arg(upper)));
        // half-way, the predicted end is about when the job really ended (ETA in seconds)
        const Event& mid = prog[steps / 2];
        const double predicted = mid.t + mid.eta;
        QVERIFY2(std::abs(predicted - tLast) <= std::max(0.5, 2.0 * (tLast - tStart)),
            qPrintable(QString("%1: ETA %2 s at step %3 predicts the end at %4 s, it came at %5 s")
                           .arg(what)
                           .arg(mid.eta)
                           .arg(mid.step)
                           .arg(predicted)
                           .arg(tLast)));
    }

    // One preview per finished step, 1..N, each an image with the generation's aspect.
    void checkPreviews(const Recorder& rec, int id, int steps)
    {
        const QList<Event> previews = rec.events("preview", id);
        QCOMPARE(previews.size(), steps);
        for (int i = 0; i < steps; ++i) {
            QCOMPARE(previews[i].step, i + 1);
            QVERIFY(!previews[i].image.isNull());
            QCOMPARE(previews[i].image.width() * 64, previews[i].image.height() * 96);
        }
    }

    static GenerationParams readBack(const QString& file)
    {
        ImageMetadata meta;
        QString error;
        if (!ImageMetadata::read(file, &meta, &error))
            qWarning("%s", qPrintable(error));
        return parseInfotext(meta.infotext());
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_home.isValid());
        qputenv("QDIFFUSION_HOME", QFile::encodeName(m_home.path()));
        qputenv("OMP_WAIT_POLICY", "PASSIVE");
    }

    void queueReorderInterruptSkip()
    {
        InferenceWorker worker;
        worker.setImageSaver(ImageSaver().function()); // defaults: PNG, AppPaths folders
        Recorder rec(worker);

        // Paused: jobs queue up and nothing starts.
        worker.pause();
        const GenerationParams p1 = params("a red lighthouse, at dawn", 101, 6);
        const GenerationParams p2 = params("a green valley", 202, 8);
        const GenerationParams p3 = params("a blue boat", 303, 6);
        const int id1 = worker.enqueue(job(p1, QString()));
        const int id2 = worker.enqueue(job(p2, QString()));
        const int id3 = worker.enqueue(job(p3, QString()));
        QTest::qWait(300);
        QVERIFY(rec.events("started").isEmpty());
        QCOMPARE(worker.queuedJobs().size(), 3);

        // Move the third before the second.
        QVERIFY(worker.move(id3, 1));
        QList<int> order;
        for (const GenerationJob& j : worker.queuedJobs())
            order << j.id;
        QCOMPARE(order, (QList<int> { id1, id3, id2 }));

        // Job 3 is skipped after its 2nd step; job 2 interrupted after its 3rd of 8.
        const int interruptAfter = 3;
        rec.onPreview = [&](int id, int step) {
            if (id == id3 && step == 2)
                worker.skip();
            if (id == id2 && step == interruptAfter)
                worker.interrupt();
        };
        worker.resume();
        QTRY_VERIFY_WITH_TIMEOUT(
            rec.has("finished", id2) || rec.has("failed", id2) || rec.has("skipped", id2), kTimeout);
        QTRY_VERIFY_WITH_TIMEOUT(!rec.events("idle").isEmpty(), 10000);
        QVERIFY2(!rec.has("skipped", id2), "Interrupt dropped the image like Skip");
        QVERIFY(rec.events("failed").isEmpty());

        // run order
        QList<int> started;
        for (const Event& e : rec.events("started"))
            started << e.job;
        QCOMPARE(started, (QList<int> { id1, id3, id2 }));

        // job 1: finished normally
        checkProgress(rec, id1, 6, "job 1");
        checkPreviews(rec, id1, 6);
        const GenerationResult r1 = rec.events("finished", id1).value(0).result;
        QCOMPARE(r1.jobId, id1);
        QVERIFY(!r1.interrupted);
        QCOMPARE(r1.images.size(), 1);
        QCOMPARE(r1.images[0].image.size(), QSize(96, 64));
        QCOMPARE(r1.images[0].params.seed, int64_t(101));
        QVERIFY(r1.seconds > 0);
        const QString file1 = QFileInfo(outputs() + "/00000-101.png").absoluteFilePath();
        QCOMPARE(files(r1), QStringList { file1 });
        QCOMPARE(QImage(file1), r1.images[0].image.convertToFormat(QImage(file1).format()));

        // job 3: skipped after step 2; nothing kept
        QVERIFY(rec.has("skipped", id3));
        QVERIFY(!rec.has("finished", id3));
        QCOMPARE(rec.events("progress", id3).size(), 2);

        // job 2: interrupted after step 3; the partial image is saved and says what made it
        QCOMPARE(rec.events("progress", id2).size(), interruptAfter);
        QCOMPARE(rec.events("preview", id2).size(), interruptAfter);
        const GenerationResult r2 = rec.events("finished", id2).value(0).result;
        QVERIFY(r2.interrupted);
        QCOMPARE(r2.images.size(), 1);
        QCOMPARE(r2.images[0].image.size(), QSize(96, 64));
        const QString file2 = QFileInfo(outputs() + "/00001-202.png").absoluteFilePath();
        QCOMPARE(files(r2), QStringList { file2 });
        const GenerationParams back = readBack(file2);
        QCOMPARE(QString::fromStdString(back.prompt), QString("a green valley"));
        QCOMPARE(QString::fromStdString(back.negativePrompt), QString("blurry, low quality"));
        QCOMPARE(back.seed, int64_t(202));
        QCOMPARE(back.steps, 8); // A1111 writes the steps asked for, not the steps reached
        QCOMPARE(QString::fromStdString(back.sampler), QString("Euler"));
        QCOMPARE(QString::fromStdString(back.scheduler), QString("Karras"));
        QCOMPARE(back.cfgScale, 6.5);
        QCOMPARE(back.width, 96);
        QCOMPARE(back.height, 64);
        QCOMPARE(QString::fromStdString(back.modelName), QString("demo (tiny fill-rule model)"));
        ImageMetadata meta2;
        QVERIFY(ImageMetadata::read(file2, &meta2));
        QCOMPARE(r2.images[0].infotext, meta2.infotext()); // the result says what the file says
        // job 1's file carries its own parameters too
        QCOMPARE(readBack(file1).seed, int64_t(101));
        QCOMPARE(QString::fromStdString(readBack(file1).prompt), QString("a red lighthouse, at dawn"));

        // on disk: exactly the two kept images, A1111 names, no temporaries
        QCOMPARE(QDir(outputs()).entryList(QDir::Files | QDir::Hidden),
            (QStringList { "00000-101.png", "00001-202.png" }));

        // history: one row per kept image, pointing at the file
        HistoryStore store(AppPaths::dataDir());
        QString error;
        QVERIFY2(store.open(&error), qPrintable(error));
        QCOMPARE(store.count(), 2);
        HistoryQuery oldest;
        oldest.sort = HistoryQuery::Sort::OldestFirst;
        const QList<HistoryRecord> rows = store.page(oldest, 0, 10);
        QCOMPARE(rows.size(), 2);
        QCOMPARE(rows[0].filePath, QFileInfo(file1).canonicalFilePath());
        QCOMPARE(QString::fromStdString(rows[0].params.prompt), QString("a red lighthouse, at dawn"));
        QCOMPARE(rows[0].params.seed, int64_t(101));
        QCOMPARE(rows[1].filePath, QFileInfo(file2).canonicalFilePath());
        QCOMPARE(QString::fromStdString(rows[1].params.prompt), QString("a green valley"));
        QCOMPARE(rows[1].params.seed, int64_t(202));
        QCOMPARE(rows[1].width, 96);
    }

    void failingJobReportsAndQueueGoesOn()
    {
        const QString out = m_home.filePath("failing");
        InferenceWorker worker;
        worker.setImageSaver(ImageSaver().function());
        Recorder rec(worker);
        worker.pause();
        GenerationJob missing = job(params("no model", 1, 3), out);
        missing.model.checkpoint = m_home.filePath("models/no-such-model.safetensors").toStdString();
        GenerationJob badSize = job(params("bad size", 2, 3), out);
        badSize.params.width = 100; // not a multiple of 8
        const int idMissing = worker.enqueue(missing);
        const int idBad = worker.enqueue(badSize);
        const int idGood = worker.enqueue(job(params("still works", 3, 3), out));
        worker.resume();
        QTRY_VERIFY_WITH_TIMEOUT(!rec.events("idle").isEmpty(), kTimeout);

        const QList<Event> failed = rec.events("failed");
        QCOMPARE(failed.size(), 2);
        QCOMPARE(failed[0].job, idMissing);
        QVERIFY2(failed[0].message.contains("no-such-model.safetensors"), qPrintable(failed[0].message));
        QCOMPARE(failed[1].job, idBad);
        QVERIFY2(failed[1].message.contains("100x64"), qPrintable(failed[1].message));
        QVERIFY(!rec.has("finished", idMissing));
        QVERIFY(!rec.has("finished", idBad));
        const GenerationResult r = rec.events("finished", idGood).value(0).result;
        QCOMPARE(files(r), QStringList { QFileInfo(out + "/00000-3.png").absoluteFilePath() });
        QCOMPARE(QDir(out).entryList(QDir::Files), QStringList { "00000-3.png" });
    }

    // An image that cannot be saved (here a file stands where its folder should be; a full disk
    // fails the same way) is not lost: the job stops after that batch and goes back to the head of
    // the queue with its images, the queue pauses and the message names the folder. Resumed once the
    // folder can be made, the worker saves those images without making them again, makes the
    // batches still to come, and the next job follows.
    void unsavedImagesKeepTheirJobQueued()
    {
        const QString base = m_home.filePath("unsaved");
        QVERIFY(QDir().mkpath(base));
        QFile blocker(base + "/blocked");
        QVERIFY(blocker.open(QIODevice::WriteOnly));
        blocker.close();
        const QString out = base + "/blocked/images";
        InferenceWorker worker;
        worker.setImageSaver(ImageSaver().function());
        Recorder rec(worker);
        QList<bool> pausedSignals;
        connect(&worker, &InferenceWorker::pausedChanged, this, [&](bool p) { pausedSignals << p; });
        GenerationParams p = params("kept for later", 21, 3);
        p.batchCount = 2;
        const int id = worker.enqueue(job(p, out));
        const int next = worker.enqueue(job(params("after it", 22, 3), base + "/free"));
        QTRY_VERIFY_WITH_TIMEOUT(rec.has("failed", id), kTimeout);
        const QString message = rec.events("failed", id).value(0).message;
        QVERIFY2(message.contains(out), qPrintable(message));
        QVERIFY2(message.contains("queue"), qPrintable(message));
        QTRY_VERIFY(worker.isPaused());
        QTRY_COMPARE(pausedSignals, QList<bool> { true });
        QTRY_COMPARE(worker.runningJobId(), 0);
        const QList<GenerationJob> queued = worker.queuedJobs();
        QCOMPARE(queued.size(), 2);
        QCOMPARE(queued[0].id, id); // at the head, the next job still behind it
        QCOMPARE(queued[1].id, next);
        QVERIFY(!rec.has("finished", id));
        QVERIFY(!rec.has("started", next));
        QCOMPARE(rec.events("progress", id).size(), 3); // the first batch, then it stopped

        QVERIFY(QFile::remove(base + "/blocked")); // the user frees the place
        worker.resume();
        QTRY_VERIFY_WITH_TIMEOUT(rec.has("finished", next) || rec.has("failed", next), kTimeout);
        QCOMPARE(rec.events("failed").size(), 1);
        QCOMPARE(rec.events("progress", id).size(), 2 * 3); // the first saved, not made again
        const GenerationResult r = rec.events("finished", id).value(0).result;
        QCOMPARE(files(r),
            (QStringList { QFileInfo(out + "/00000-21.png").absoluteFilePath(),
                QFileInfo(out + "/00001-22.png").absoluteFilePath() }));
        for (const ResultImage& img : r.images)
            QCOMPARE(QImage(img.file).convertToFormat(img.image.format()), img.image);
        QCOMPARE(readBack(r.images[1].file).seed, int64_t(22));
        QCOMPARE(pausedSignals, (QList<bool> { true, false }));
    }

    // A prompt naming a LoRA that isn't there: the image is made and saved without it, and the
    // result carries a warning naming it (AUTOMATIC1111 goes on the same way).
    void missingLoraWarnsAndStillSaves()
    {
        const QString out = m_home.filePath("lora");
        InferenceWorker worker;
        worker.setImageSaver(ImageSaver().function());
        Recorder rec(worker);
        const int id = worker.enqueue(job(params("a lake <lora:not-installed:0.7>", 5, 3), out));
        QTRY_VERIFY_WITH_TIMEOUT(rec.has("finished", id) || rec.has("failed", id), kTimeout);
        QVERIFY2(!rec.has("failed", id), qPrintable(rec.events("failed", id).value(0).message));
        const GenerationResult r = rec.events("finished", id).value(0).result;
        QCOMPARE(r.warnings.size(), 1);
        QVERIFY2(r.warnings[0].contains("not-installed"), qPrintable(r.warnings[0]));
        QCOMPARE(r.images.size(), 1);
        QVERIFY(QFileInfo::exists(r.images[0].file));
        QVERIFY(!readBack(r.images[0].file).extra.count("Lora hashes"));
    }

    // The return path: the row goes in through the store the gallery watches, from the inference
    // thread, and that store's inserted() says so (no refresh needed); the result holds one entry
    // per image whose infotext is the one the file carries.
    void historyRowGoesThroughTheWatchedStore()
    {
        const QString out = m_home.filePath("watched");
        HistoryStore store(AppPaths::dataDir());
        QString error;
        QVERIFY2(store.open(&error), qPrintable(error));
        QList<qint64> inserted; // delivered on this thread, as to the gallery
        connect(&store, &HistoryStore::inserted, &store, [&](qint64 id) {
            QCOMPARE(QThread::currentThread(), store.thread());
            inserted << id;
        });
        InferenceWorker worker;
        ImageSaver::Options o;
        o.history = &store;
        worker.setImageSaver(ImageSaver(o).function());
        Recorder rec(worker);
        GenerationParams p = params("watched", -1, 2); // a random seed, settled by the worker
        p.batchSize = 2;
        const int id = worker.enqueue(job(p, out));
        QTRY_VERIFY_WITH_TIMEOUT(rec.has("finished", id) || rec.has("failed", id), kTimeout);
        QVERIFY2(!rec.has("failed", id), qPrintable(rec.events("failed", id).value(0).message));
        QTRY_COMPARE(inserted.size(), 2); // queued to this thread, from the watched object
        const GenerationResult r = rec.events("finished", id).value(0).result;
        QCOMPARE(r.images.size(), 2);
        for (int i = 0; i < 2; ++i) {
            const ResultImage& img = r.images[i];
            QVERIFY(img.params.seed >= 0);
            QCOMPARE(img.params.seed, r.images[0].params.seed + i); // image i of a batch: seed + i
            ImageMetadata meta;
            QVERIFY(ImageMetadata::read(img.file, &meta));
            QCOMPARE(meta.infotext(), img.infotext);
            const auto row = store.record(inserted.at(i));
            QVERIFY(row);
            QCOMPARE(row->filePath, QFileInfo(img.file).canonicalFilePath());
            QCOMPARE(row->params.seed, img.params.seed);
        }
    }

    // Batch count 3: each batch is on disk, with its history row, before the next one starts, so a
    // crash costs at most the batch in hand; the seeds are those of the whole job.
    void eachBatchIsSavedAsItIsMade()
    {
        const QString out = m_home.filePath("per-batch");
        InferenceWorker worker;
        worker.setImageSaver(ImageSaver().function());
        Recorder rec(worker);
        QStringList seenAtStep4; // the files there when the second batch takes its first step
        int steps = 0;
        connect(
            &worker, &InferenceWorker::progress, this,
            [&](int, int, int, double, double) {
                if (++steps == 4)
                    seenAtStep4 = QDir(out).entryList(QDir::Files);
            },
            Qt::DirectConnection);
        GenerationParams p = params("one at a time", 30, 3);
        p.batchCount = 3;
        const int id = worker.enqueue(job(p, out));
        QTRY_VERIFY_WITH_TIMEOUT(rec.has("finished", id) || rec.has("failed", id), kTimeout);
        QVERIFY2(!rec.has("failed", id), qPrintable(rec.events("failed", id).value(0).message));
        QCOMPARE(seenAtStep4, QStringList { "00000-30.png" });
        const GenerationResult r = rec.events("finished", id).value(0).result;
        QCOMPARE(files(r),
            (QStringList { QFileInfo(out + "/00000-30.png").absoluteFilePath(),
                QFileInfo(out + "/00001-31.png").absoluteFilePath(),
                QFileInfo(out + "/00002-32.png").absoluteFilePath() }));
    }

    // A save the process did not live to finish leaves no file under a visible name: the bytes go to
    // a hidden ".NAME.part-XXXXXX" first. Old leftovers of killed runs are swept by the next save into
    // that folder; a young one (a write in progress elsewhere) stays. Saved files get the usual
    // permissions.
    void partialWritesStayHidden()
    {
        const QString dir = m_home.filePath("partial");
        QVERIFY(QDir().mkpath(dir));
        const QString stale = dir + "/.00000-1.png.part-a1b2c3", young = dir + "/.00001-2.png.part-d4e5f6";
        for (const QString& f : { stale, young }) {
            QFile file(f);
            QVERIFY(file.open(QIODevice::WriteOnly));
            file.write("half an image");
        }
        QFile old(stale);
        QVERIFY(old.open(QIODevice::ReadWrite));
        QVERIFY(
            old.setFileTime(QDateTime::currentDateTime().addSecs(-3600), QFileDevice::FileModificationTime));
        old.close();
        QCOMPARE(ImageSaver::nextSequenceNumber(dir), 0); // hidden files are no numbers

        QImage img(16, 16, QImage::Format_RGB888);
        img.fill(Qt::blue);
        const GenerationParams p = params("saved whole", 9, 20);
        ImageSaver::Options o;
        o.addToHistory = false;
        QString error;
        const QString file = ImageSaver(o).save(img, p, toInfotext(p), dir, &error);
        QVERIFY2(!file.isEmpty(), qPrintable(error));
        QCOMPARE(QFileInfo(file).fileName(), QString("00000-9.png"));
        QVERIFY(!QFileInfo::exists(stale));
        QVERIFY(QFileInfo::exists(young));
        QCOMPARE(QDir(dir).entryList(QDir::Files | QDir::Hidden),
            (QStringList { ".00001-2.png.part-d4e5f6", "00000-9.png" }));
        const QFileDevice::Permissions perms = QFileInfo(file).permissions();
        QVERIFY(perms.testFlag(QFileDevice::ReadOther) && perms.testFlag(QFileDevice::WriteOwner));
    }

    // The saver on its own: A1111's numbering, the formats, and errors that name the folder.
    void saverNamesFilesAsA1111()
    {
        const QString dir = m_home.filePath("naming");
        QVERIFY(QDir().mkpath(dir));
        QCOMPARE(ImageSaver::nextSequenceNumber(dir), 0);
        QCOMPARE(ImageSaver::nextSequenceNumber(dir + "/missing"), 0);
        for (const char* name : { "00003-1.png", "00041-77.jpg", "grid-0099.png", "notes.txt", "7.webp" })
            QVERIFY(QFile(dir + "/" + name).open(QIODevice::WriteOnly));
        QCOMPARE(ImageSaver::nextSequenceNumber(dir), 42); // the largest number + 1, not the file count

        QImage img(40, 24, QImage::Format_RGB888);
        img.fill(QColor(200, 40, 10));
        const GenerationParams p = params("saved, as jpeg", 55, 20);
        for (ImageFileFormat format :
            { ImageFileFormat::Jpeg, ImageFileFormat::WebP, ImageFileFormat::Png }) {
            ImageSaver::Options o;
            o.format = format;
            o.quality = 90;
            o.addToHistory = false; // the history is the worker test's
            QString error;
            const QString file = ImageSaver(o).save(img, p, toInfotext(p), dir, &error);
            QVERIFY2(!file.isEmpty(), qPrintable(error));
            const int n = format == ImageFileFormat::Jpeg ? 42 : format == ImageFileFormat::WebP ? 43 : 44;
            QCOMPARE(QFileInfo(file).fileName(), QString("000%1-55.%2").arg(n).arg(imageFileSuffix(format)));
            QCOMPARE(QImage(file).size(), img.size());
            const GenerationParams back = readBack(file);
            QCOMPARE(QString::fromStdString(back.prompt), QString("saved, as jpeg"));
            QCOMPARE(back.seed, int64_t(55));
        }
        QCOMPARE(imageFormatFromName("JPEG"), ImageFileFormat::Jpeg);
        QCOMPARE(imageFormatFromName("webp"), ImageFileFormat::WebP);
        QCOMPARE(imageFormatFromName("tiff"), ImageFileFormat::Unknown);

        // a folder that cannot be made: the error names it, nothing is returned
        QFile blocker(dir + "/blocker");
        QVERIFY(blocker.open(QIODevice::WriteOnly));
        blocker.close();
        ImageSaver::Options o;
        o.addToHistory = false;
        QString error;
        QVERIFY(ImageSaver(o).save(img, p, toInfotext(p), dir + "/blocker/sub", &error).isEmpty());
        QVERIFY2(error.contains(dir + "/blocker/sub"), qPrintable(error));
    }
};

QTEST_GUILESS_MAIN(TestInferenceWorker)
#include "tst_inferenceworker.moc"
