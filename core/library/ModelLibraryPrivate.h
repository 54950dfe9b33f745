#pragma once
// What the ModelLibrary*.cpp files share: the library's private state, the hashing queue and the
// hash cache's records. Not part of core's interface: only ModelLibrary's own files include it.
#include "core/AppPaths.h"
#include "core/library/ModelLibrary.h"

#include <QDateTime>
#include <QFileInfo>
#include <QFuture>
#include <QHash>
#include <QMutex>
#include <QThreadPool>

#include <memory>

namespace qd
{

namespace librarydetail
{

// The VAE folders' file suffixes (A1111 sd_vae.py): .pt, .ckpt, .safetensors.
const QStringList& vaeFolderSuffixes();

inline qint64 mtimeOf(const QFileInfo& fi)
{
    return fi.lastModified().toMSecsSinceEpoch();
}

// A diffusers folder's size (its weight files together) and mtime (its newest weight file).
void folderSignature(const QString& folder, qint64* size, qint64* mtime);

struct CacheRecord {
    qint64 size = -1;
    qint64 mtime = -1;
    QString sha256;
    QString legacy;
};

struct HashTask {
    QString path;
    bool folder = false;
};

// The queue the hashing thread works through; shared so a task never outlives its state.
struct HashQueue {
    QMutex mutex;
    QList<HashTask> tasks;
    QString current; // being hashed now
    bool running = false; // a worker is in the pool
    int outstanding = 0; // results posted to the library but not applied yet
    bool cancel = false;

    // Checked between reads (every 1 MiB): a mutex there costs nothing next to the read.
    bool cancelled()
    {
        QMutexLocker lock(&mutex);
        return cancel;
    }
};

} // namespace librarydetail

struct ModelLibrary::HashResult {
    QString path;
    qint64 size = 0;
    qint64 mtime = 0;
    QString sha256;
    QString legacy;
    QString error;
    bool done = false; // the worker's last word: the queue ran dry (or was cancelled)
};

struct ModelLibrary::Private {
    QStringList folders;
    QString cacheFile = AppPaths::dataDir() + QStringLiteral("/model-hashes.json");
    bool cacheLoaded = false;
    bool hashingEnabled = true;
    QList<ModelEntry> entries;
    QList<VaeEntry> vaes;
    QHash<QString, librarydetail::CacheRecord> cache;
    std::shared_ptr<librarydetail::HashQueue> queue = std::make_shared<librarydetail::HashQueue>();
    QFuture<void> worker;
    QThreadPool pool; // one thread: one file at a time
};

} // namespace qd
