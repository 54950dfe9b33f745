#include "core/AtomicFile.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRandomGenerator>
#include <QSaveFile>

#include <cerrno>
#include <cstring>

#ifdef Q_OS_UNIX
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

namespace qd
{

namespace
{
constexpr const char* kPartialMarker = ".part-";

QString errnoText()
{
    return QString::fromLocal8Bit(std::strerror(errno));
}

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
#ifdef Q_OS_UNIX
    // The bytes go to a hidden file beside the target (".NAME.part-XXXXXX": no gallery, file
    // manager listing or A1111 numbering sees it), reach the disk, and only then take the name.
    // A process killed half-way leaves at most that hidden file (removeStalePartialFiles).
    const QByteArray dir = QFile::encodeName(info.absolutePath());
    QByteArray temp;
    int fd = -1;
    for (int attempt = 0; attempt < 100 && fd < 0; ++attempt) {
        temp = dir + "/." + QFile::encodeName(info.fileName()) + kPartialMarker
            + QByteArray::number(QRandomGenerator::global()->bounded(0x1000000u) | 0x1000000u, 16).mid(1);
        fd = ::open(temp.constData(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666); // umask applies
        if (fd < 0 && errno != EEXIST)
            return fail(error, QStringLiteral("%1: cannot write: %2").arg(path, errnoText()));
    }
    if (fd < 0)
        return fail(error, QStringLiteral("%1: cannot write: no free temporary name").arg(path));
    struct stat old {
    };
    if (::stat(QFile::encodeName(path).constData(), &old) == 0)
        ::fchmod(fd, old.st_mode & 07777); // a replaced file keeps its permissions
    auto abandon = [&](const QString& what) {
        const QString why = errnoText();
        ::close(fd);
        ::unlink(temp.constData());
        return fail(error, QStringLiteral("%1: %2: %3").arg(path, what, why));
    };
    for (qint64 done = 0; done < data.size();) {
        const ssize_t n = ::write(fd, data.constData() + done, size_t(data.size() - done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return abandon(QStringLiteral("write failed"));
        done += n;
    }
    if (::fsync(fd) != 0) // the bytes reach the disk before the rename makes them visible
        return abandon(QStringLiteral("fsync failed"));
    if (::close(fd) != 0) {
        fd = -1;
        const QString why = errnoText();
        ::unlink(temp.constData());
        return fail(error, QStringLiteral("%1: write failed: %2").arg(path, why));
    }
    if (::rename(temp.constData(), QFile::encodeName(path).constData()) != 0) {
        const QString why = errnoText();
        ::unlink(temp.constData());
        return fail(error, QStringLiteral("%1: cannot replace the file: %2").arg(path, why));
    }
    // and the rename itself survives a power cut
    const int dirFd = ::open(dir.constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirFd >= 0) {
        ::fsync(dirFd);
        ::close(dirFd);
    }
    return true;
#else
    QSaveFile f(path);
    f.setDirectWriteFallback(false);
    if (!f.open(QIODevice::WriteOnly))
        return fail(error, QStringLiteral("%1: cannot write: %2").arg(path, f.errorString()));
    if (f.write(data) != data.size() || !f.flush()) {
        const QString why = f.errorString();
        f.cancelWriting();
        return fail(error, QStringLiteral("%1: write failed: %2").arg(path, why));
    }
    if (!f.commit())
        return fail(error, QStringLiteral("%1: cannot replace the file: %2").arg(path, f.errorString()));
    return true;
#endif
}

int removeStalePartialFiles(const QString& dir, int olderThanSeconds)
{
    int removed = 0;
    const QDateTime cutoff = QDateTime::currentDateTimeUtc().addSecs(-olderThanSeconds);
    const QFileInfoList entries = QDir(dir).entryInfoList(
        { QStringLiteral(".*") + QLatin1String(kPartialMarker) + QStringLiteral("*") },
        QDir::Files | QDir::Hidden | QDir::NoSymLinks);
    for (const QFileInfo& f : entries)
        if (f.lastModified().toUTC() < cutoff && QFile::remove(f.absoluteFilePath()))
            ++removed;
    return removed;
}

} // namespace qd
