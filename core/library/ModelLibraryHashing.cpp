// ModelLibrary: hashing on its one-thread pool and the hash cache file.
#include "core/library/ModelLibrary.h"

#include "core/AtomicFile.h"
#include "core/library/ModelHash.h"
#include "core/library/ModelLibraryPrivate.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QEventLoop>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTimer>
#include <QtConcurrent/QtConcurrentRun>

namespace qd
{

using namespace librarydetail;

namespace
{

bool isHex(const QString& s, int length)
{
    static const QRegularExpression hex(QStringLiteral("^[0-9a-f]*$"));
    return s.size() == length && hex.match(s).hasMatch();
}

} // namespace

void ModelLibrary::setCacheFile(const QString& path)
{
    d->cacheFile = path;
    d->cacheLoaded = false;
    d->cache.clear();
}

QString ModelLibrary::cacheFile() const
{
    return d->cacheFile;
}

void ModelLibrary::setHashingEnabled(bool enabled)
{
    if (d->hashingEnabled == enabled)
        return;
    d->hashingEnabled = enabled;
    if (!enabled)
        cancel();
    else
        startHashing(); // what the list holds now; rescan() looks at the folders again
}

bool ModelLibrary::isHashingEnabled() const
{
    return d->hashingEnabled;
}

void ModelLibrary::loadCache(bool warn)
{
    d->cacheLoaded = true;
    d->cache.clear();
    QFile f(d->cacheFile);
    if (!f.open(QIODevice::ReadOnly))
        return; // none yet
    QJsonParseError err;
    const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &err);
    if (!doc.isObject()) {
        if (warn)
            qWarning("%s: not a JSON object (%s); model hashes will be computed again",
                qPrintable(d->cacheFile), qPrintable(err.errorString()));
        return;
    }
    const QJsonObject files = doc.object().value(QLatin1String("files")).toObject();
    for (auto it = files.begin(); it != files.end(); ++it) {
        const QJsonObject o = it.value().toObject();
        CacheRecord r;
        r.size = o.value(QLatin1String("size")).toInteger(-1);
        r.mtime = o.value(QLatin1String("mtime")).toInteger(-1);
        r.sha256 = o.value(QLatin1String("sha256")).toString();
        r.legacy = o.value(QLatin1String("legacy")).toString();
        if (r.size >= 0 && isHex(r.sha256, 64) && (r.legacy.isEmpty() || isHex(r.legacy, 8)))
            d->cache.insert(it.key(), r);
    }
}

void ModelLibrary::saveCache()
{
    // Merge with what is on disk now: another library (the CLI, a second window) may have added hashes.
    const QHash<QString, CacheRecord> mine = d->cache;
    loadCache(false);
    for (auto it = mine.begin(); it != mine.end(); ++it)
        d->cache.insert(it.key(), it.value());
    QJsonObject files;
    for (auto it = d->cache.begin(); it != d->cache.end(); ++it) {
        QJsonObject o { { QLatin1String("size"), it->size }, { QLatin1String("mtime"), it->mtime },
            { QLatin1String("sha256"), it->sha256 } };
        if (!it->legacy.isEmpty())
            o.insert(QLatin1String("legacy"), it->legacy);
        files.insert(it.key(), o);
    }
    const QJsonObject root { { QLatin1String("version"), 1 }, { QLatin1String("files"), files } };
    QString error;
    QDir().mkpath(QFileInfo(d->cacheFile).absolutePath());
    if (!writeFileAtomically(d->cacheFile, QJsonDocument(root).toJson(QJsonDocument::Indented), &error))
        qWarning("model hash cache: %s", qPrintable(error));
}

void ModelLibrary::startHashing()
{
    if (!d->hashingEnabled)
        return;
    // Checkpoints first, in list order, then the VAEs.
    QList<HashTask> tasks;
    for (const ModelEntry& e : d->entries)
        if (e.sha256.isEmpty())
            tasks << HashTask { e.path, e.isDiffusers() };
    for (const VaeEntry& v : d->vaes)
        if (v.sha256.isEmpty())
            tasks << HashTask { v.path, false };
    const std::shared_ptr<HashQueue> q = d->queue;
    {
        QMutexLocker lock(&q->mutex);
        q->tasks.clear();
        for (const HashTask& t : tasks)
            if (t.path != q->current)
                q->tasks << t;
        if (q->running || q->tasks.isEmpty())
            return;
        q->running = true;
        q->cancel = false;
    }
    // The library outlives the worker: ~ModelLibrary cancels and waits for the pool, and results
    // still queued for a destroyed library are dropped with its posted events.
    ModelLibrary* self = this;
    d->worker = QtConcurrent::run(&d->pool, [q, self] {
        for (;;) {
            HashTask task;
            {
                QMutexLocker lock(&q->mutex);
                if (q->cancel || q->tasks.isEmpty()) {
                    // Stop in the same critical section that found nothing to do, so a task queued
                    // now starts a new worker instead of waiting for this one.
                    q->current.clear();
                    q->running = false;
                    ++q->outstanding;
                    HashResult done;
                    done.done = true;
                    QMetaObject::invokeMethod(
                        self, [self, done] { self->applyHash(done); }, Qt::QueuedConnection);
                    return;
                }
                task = q->tasks.takeFirst();
                q->current = task.path;
            }
            HashResult r;
            r.path = task.path;
            const auto cancelled = [q] { return q->cancelled(); };
            const QFileInfo before(task.path);
            ModelHash h;
            if (task.folder) {
                folderSignature(task.path, &r.size, &r.mtime);
                h = hashDiffusersFolder(task.path, cancelled);
            } else {
                r.size = before.size();
                r.mtime = mtimeOf(before);
                h = hashModelFile(task.path, cancelled);
            }
            r.sha256 = h.sha256;
            r.legacy = h.legacy;
            r.error = h.error;
            if (q->cancelled())
                continue; // the top of the loop stops
            if (r.error.isEmpty() && !task.folder) {
                const QFileInfo after(task.path);
                if (after.size() != r.size || mtimeOf(after) != r.mtime) {
                    r.error = QStringLiteral("%1: changed while it was being hashed").arg(task.path);
                    r.sha256.clear();
                }
            }
            QMutexLocker lock(&q->mutex);
            q->current.clear();
            ++q->outstanding;
            QMetaObject::invokeMethod(
                self, [self, r] { self->applyHash(r); }, Qt::QueuedConnection);
        }
    });
}

void ModelLibrary::applyHash(const HashResult& r)
{
    {
        QMutexLocker lock(&d->queue->mutex);
        --d->queue->outstanding;
    }
    if (r.done) {
        if (!isHashing())
            emit hashingFinished();
        return;
    }
    if (r.error.isEmpty()) {
        d->cache.insert(r.path, CacheRecord { r.size, r.mtime, r.sha256, r.legacy });
        saveCache();
        bool found = false;
        for (ModelEntry& e : d->entries)
            if (e.path == r.path) {
                e.sha256 = r.sha256;
                e.legacyHash = r.legacy;
                e.size = r.size;
                e.mtime = r.mtime;
                e.error.clear();
                found = true;
            }
        for (VaeEntry& v : d->vaes)
            if (v.path == r.path) {
                v.sha256 = r.sha256;
                v.size = r.size;
                v.mtime = r.mtime;
                v.error.clear();
                found = true;
            }
        if (found)
            emit hashReady(r.path, r.sha256.left(10));
    } else if (!QFileInfo::exists(r.path)) {
        // Vanished since the scan: it leaves the list.
        const auto gone = [&](const auto& e) { return e.path == r.path; };
        const qsizetype removed = d->entries.removeIf(gone) + d->vaes.removeIf(gone);
        if (removed)
            emit entriesChanged();
        emit hashFailed(r.path, r.error);
    } else {
        qWarning("model library: %s", qPrintable(r.error));
        for (ModelEntry& e : d->entries)
            if (e.path == r.path)
                e.error = r.error;
        for (VaeEntry& v : d->vaes)
            if (v.path == r.path)
                v.error = r.error;
        emit hashFailed(r.path, r.error);
    }
    if (!isHashing())
        emit hashingFinished();
}

void ModelLibrary::prioritize(const QString& path)
{
    QMutexLocker lock(&d->queue->mutex);
    QList<HashTask>& tasks = d->queue->tasks;
    for (qsizetype i = 1; i < tasks.size(); ++i)
        if (tasks[i].path == path) {
            tasks.move(i, 0);
            break;
        }
}

bool ModelLibrary::isHashing() const
{
    QMutexLocker lock(&d->queue->mutex);
    return d->queue->running || !d->queue->tasks.isEmpty() || d->queue->outstanding > 0;
}

int ModelLibrary::pendingHashes() const
{
    QMutexLocker lock(&d->queue->mutex);
    return int(d->queue->tasks.size()) + (d->queue->current.isEmpty() ? 0 : 1);
}

void ModelLibrary::cancel()
{
    {
        QMutexLocker lock(&d->queue->mutex);
        d->queue->cancel = true;
        d->queue->tasks.clear();
    }
    d->pool.waitForDone();
}

bool ModelLibrary::waitForHashes(int timeoutMs)
{
    QDeadlineTimer deadline(timeoutMs);
    while (isHashing()) {
        if (deadline.hasExpired())
            return false;
        QEventLoop loop;
        connect(this, &ModelLibrary::hashingFinished, &loop, &QEventLoop::quit);
        connect(this, &ModelLibrary::hashReady, &loop, &QEventLoop::quit);
        connect(this, &ModelLibrary::hashFailed, &loop, &QEventLoop::quit);
        QTimer::singleShot(
            qMin<qint64>(50, qMax<qint64>(1, deadline.remainingTime())), &loop, &QEventLoop::quit);
        loop.exec();
    }
    return true;
}

} // namespace qd
