#pragma once
// Gallery thumbnails, made on a thread pool (never the GUI thread) and cached on disk as JPEG under
// `cacheDir`. A cache entry is named after the image's path, the size, and the file's mtime and
// length, so an edited or replaced image never shows a stale thumbnail.
#include <QFuture>
#include <QImage>
#include <QString>

class QThreadPool;

namespace qd
{

class Thumbnailer
{
public:
    explicit Thumbnailer(QString cacheDir, QThreadPool* pool = nullptr); // nullptr: the global pool

    // The thumbnail (longest side `size`, aspect kept, never enlarged); a null image when the file
    // cannot be decoded.
    QFuture<QImage> thumbnail(const QString& imagePath, int size = 256) const;

    // The same work, synchronously, for callers already off the GUI thread.
    QImage load(const QString& imagePath, int size = 256) const;

    // Forgets every cached size of `imagePath` (the image was deleted).
    void forget(const QString& imagePath) const;

    QString cacheDir() const { return m_cacheDir; }
    QString cachePath(const QString& imagePath, int size) const;

    // Decodes and scales without the cache.
    static QImage makeThumbnail(const QString& imagePath, int size, QString* error = nullptr);

private:
    QString m_cacheDir;
    QThreadPool* m_pool;
};

} // namespace qd
