#include "core/library/ModelHash.h"

#include <QCryptographicHash>
#include <QDir>
#include <QDirIterator>
#include <QFile>

#include <algorithm>

namespace qd
{

namespace
{

constexpr qint64 kReadChunk = 1 << 20; // A1111 reads 1 MiB blocks too

// Feeds the rest of `f` into `h`. QCryptographicHash::addData(QIODevice*) would stream it too, but
// in one call that cannot be stopped: a 7 GB checkpoint would hold a closing window for seconds.
bool addFile(QCryptographicHash& h, QFile& f, QByteArray& buf, const CancelCheck& cancelled, QString* error)
{
    for (;;) {
        if (cancelled && cancelled())
            return false;
        const qint64 n = f.read(buf.data(), buf.size());
        if (n < 0) {
            *error = QStringLiteral("%1: read error: %2").arg(f.fileName(), f.errorString());
            return false;
        }
        if (n == 0)
            return true;
        h.addData(QByteArrayView(buf.constData(), n));
    }
}

} // namespace

namespace
{
QString legacyHashOf(QFile& f)
{
    QByteArray block; // A1111 modules/sd_models.py model_hash(): seek(0x100000), read(0x10000)
    if (f.size() > 0x100000 && f.seek(0x100000))
        block = f.read(0x10000);
    return QString::fromLatin1(QCryptographicHash::hash(block, QCryptographicHash::Sha256).toHex().left(8));
}
} // namespace

QString legacyModelHash(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? legacyHashOf(f) : QString();
}

ModelHash hashModelFile(const QString& path, const CancelCheck& cancelled, bool legacy)
{
    ModelHash out;
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        out.error = QStringLiteral("%1: cannot open: %2").arg(path, f.errorString());
        return out;
    }
    if (legacy) {
        out.legacy = legacyHashOf(f);
        f.seek(0);
    }
    QCryptographicHash h(QCryptographicHash::Sha256);
    QByteArray buf(kReadChunk, Qt::Uninitialized);
    if (!addFile(h, f, buf, cancelled, &out.error)) {
        out.legacy.clear();
        return out;
    }
    out.sha256 = QString::fromLatin1(h.result().toHex());
    return out;
}

QStringList diffusersWeightFiles(const QString& folder)
{
    static const QStringList suffixes = { QStringLiteral(".safetensors"), QStringLiteral(".bin"),
        QStringLiteral(".ckpt"), QStringLiteral(".pt"), QStringLiteral(".pth") };
    QStringList files;
    const QDir root(folder);
    QDirIterator it(folder, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString f = it.next();
        for (const QString& s : suffixes)
            if (f.endsWith(s, Qt::CaseInsensitive)) {
                files << root.relativeFilePath(f);
                break;
            }
    }
    std::sort(files.begin(), files.end());
    return files;
}

ModelHash hashDiffusersFolder(const QString& folder, const CancelCheck& cancelled)
{
    ModelHash out;
    const QStringList files = diffusersWeightFiles(folder);
    if (files.isEmpty()) {
        out.error
            = QStringLiteral("%1: a diffusers folder without weight files (.safetensors, .bin)").arg(folder);
        return out;
    }
    QCryptographicHash h(QCryptographicHash::Sha256);
    QByteArray buf(kReadChunk, Qt::Uninitialized);
    const QDir root(folder);
    for (const QString& rel : files) {
        QFile f(root.filePath(rel));
        if (!f.open(QIODevice::ReadOnly)) {
            out.error = QStringLiteral("%1: cannot open: %2").arg(f.fileName(), f.errorString());
            return out;
        }
        if (!addFile(h, f, buf, cancelled, &out.error))
            return out;
    }
    out.sha256 = QString::fromLatin1(h.result().toHex());
    return out;
}

} // namespace qd
