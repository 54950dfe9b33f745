#include "core/AtomicFile.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>

#ifdef Q_OS_UNIX
#include <fcntl.h>
#include <unistd.h>
#endif

namespace qd
{

namespace
{
bool fail(QString* error, const QString& message)
{
    if (error)
        *error = message;
    return false;
}
} // namespace

bool writeFileAtomically(const QString& path, const QByteArray& data, QString* error)
{
    const QFileInfo info(path);
    QDir().mkpath(info.absolutePath());
    QSaveFile f(path);
    f.setDirectWriteFallback(false);
    if (!f.open(QIODevice::WriteOnly))
        return fail(error, QStringLiteral("%1: cannot write: %2").arg(path, f.errorString()));
    if (f.write(data) != data.size() || !f.flush()) {
        const QString why = f.errorString();
        f.cancelWriting();
        return fail(error, QStringLiteral("%1: write failed: %2").arg(path, why));
    }
#ifdef Q_OS_UNIX
    // the bytes reach the disk before the rename makes them visible
    if (::fsync(f.handle()) != 0) {
        f.cancelWriting();
        return fail(error, QStringLiteral("%1: fsync failed").arg(path));
    }
#endif
    if (!f.commit())
        return fail(error, QStringLiteral("%1: cannot replace the file: %2").arg(path, f.errorString()));
#ifdef Q_OS_UNIX
    // and the rename itself survives a power cut
    const int dir = ::open(QFile::encodeName(info.absolutePath()).constData(), O_RDONLY | O_DIRECTORY);
    if (dir >= 0) {
        ::fsync(dir);
        ::close(dir);
    }
#endif
    return true;
}

} // namespace qd
