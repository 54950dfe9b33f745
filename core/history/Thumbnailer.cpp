#include "core/history/Thumbnailer.h"

#include "core/AtomicFile.h"

#include <QBuffer>
#include <QCryptographicHash>
#include <QDir>
#include <QFileInfo>
#include <QImageReader>
#include <QImageWriter>
#include <QPainter>
#include <QThreadPool>
#include <QtConcurrent/QtConcurrentRun>

namespace qd
{

namespace
{

QString pathKey(const QString& imagePath)
{
    const QString abs = QFileInfo(imagePath).absoluteFilePath();
    return QString::fromLatin1(QCryptographicHash::hash(abs.toUtf8(), QCryptographicHash::Sha1).toHex());
}

} // namespace

Thumbnailer::Thumbnailer(QString cacheDir, QThreadPool* pool)
    : m_cacheDir(std::move(cacheDir))
    , m_pool(pool ? pool : QThreadPool::globalInstance())
{
    QDir().mkpath(m_cacheDir);
}

QString Thumbnailer::cachePath(const QString& imagePath, int size) const
{
    const QFileInfo fi(imagePath);
    return QStringLiteral("%1/%2_%3_%4_%5.jpg")
        .arg(m_cacheDir, pathKey(imagePath))
        .arg(size)
        .arg(fi.lastModified().toMSecsSinceEpoch())
        .arg(fi.size());
}

QImage Thumbnailer::makeThumbnail(const QString& imagePath, int size, QString* error)
{
    QImageReader reader(imagePath);
    reader.setAutoTransform(true);
    const QSize full = reader.size();
    if (full.isValid() && (full.width() > size || full.height() > size)
        && reader.supportsOption(QImageIOHandler::ScaledSize))
        reader.setScaledSize(
            full.scaled(size, size, Qt::KeepAspectRatio)); // JPEG decodes at 1/2..1/8 directly
    QImage img = reader.read();
    if (img.isNull()) {
        if (error)
            *error = QStringLiteral("%1: cannot decode: %2").arg(imagePath, reader.errorString());
        return QImage();
    }
    if (img.width() > size || img.height() > size)
        img = img.scaled(size, size, Qt::KeepAspectRatio, Qt::SmoothTransformation);
    if (img.hasAlphaChannel()) {
        // JPEG cache: transparent parts over a neutral grey
        QImage flat(img.size(), QImage::Format_RGB888);
        flat.fill(QColor(128, 128, 128));
        QPainter(&flat).drawImage(0, 0, img);
        img = flat;
    }
    return img.convertToFormat(QImage::Format_RGB888);
}

QImage Thumbnailer::load(const QString& imagePath, int size) const
{
    const QString cached = cachePath(imagePath, size);
    QImage img(cached);
    if (!img.isNull())
        return img;
    img = makeThumbnail(imagePath, size);
    if (img.isNull())
        return img;
    // drop older thumbnails of this image at this size (the file changed since)
    const QString prefix = pathKey(imagePath) + QStringLiteral("_%1_").arg(size);
    for (const QString& old : QDir(m_cacheDir).entryList({ prefix + "*" }, QDir::Files))
        QFile::remove(m_cacheDir + '/' + old);
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    QImageWriter writer(&buffer, "jpeg");
    writer.setQuality(85);
    if (writer.write(img))
        writeFileAtomically(cached, bytes); // a failed cache write only costs a later re-decode
    return img;
}

QFuture<QImage> Thumbnailer::thumbnail(const QString& imagePath, int size) const
{
    const Thumbnailer self = *this; // the task keeps its own copy: safe if this object goes away
    return QtConcurrent::run(m_pool, [self, imagePath, size] { return self.load(imagePath, size); });
}

void Thumbnailer::forget(const QString& imagePath) const
{
    for (const QString& f : QDir(m_cacheDir).entryList({ pathKey(imagePath) + "_*" }, QDir::Files))
        QFile::remove(m_cacheDir + '/' + f);
}

} // namespace qd
