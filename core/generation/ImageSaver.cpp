#include "core/generation/ImageSaver.h"

#include "core/AtomicFile.h"

#include "core/generation/ControlUnits.h"
#include "core/generation/EngineImage.h"

#include <QDir>
#include <QFileInfo>
#include <QMutex>

#include "core/AppPaths.h"
#include "core/history/HistoryStore.h"

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

// Choosing the number and writing the file happen under one lock, so two images saved at once in
// this process never get the same name.
QMutex& namingMutex()
{
    static QMutex m;
    return m;
}

} // namespace

ImageSaver::ImageSaver() = default;

ImageSaver::ImageSaver(Options options)
    : m_options(std::move(options))
{
}

int ImageSaver::nextSequenceNumber(const QString& dir)
{
    // A1111 (modules/images.py): for every name in the folder, the part before the first '-' of the
    // name without its extension, when it is an integer.
    int result = -1;
    const QStringList names = QDir(dir).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden);
    for (const QString& name : names) {
        const int dot = name.lastIndexOf(QLatin1Char('.'));
        const QString stem = dot > 0 ? name.left(dot) : name;
        bool ok = false;
        const int n = stem.section(QLatin1Char('-'), 0, 0).toInt(&ok);
        if (ok && n >= 0)
            result = std::max(result, n);
    }
    return result + 1;
}

QString ImageSaver::save(const QImage& image, const GenerationParams& params, const QString& infotext,
    const QString& outputDir, QString* error, QString* historyError) const
{
    if (image.isNull()) {
        fail(error, QStringLiteral("no image to save (seed %1)").arg(params.seed));
        return QString();
    }
    ImageMetadata meta;
    meta.setInfotext(infotext);
    return saveWithMetadata(
        image, params, meta, QStringLiteral("-%1").arg(params.seed), outputDir, error, historyError);
}

QString ImageSaver::saveWithMetadata(const QImage& image, const GenerationParams& params,
    const ImageMetadata& meta, const QString& nameTail, const QString& outputDir, QString* error,
    QString* historyError) const
{
    if (image.isNull()) {
        fail(error, QStringLiteral("no image to save"));
        return QString();
    }
    QString dir = outputDir.isEmpty() ? m_options.outputDir : outputDir;
    if (dir.isEmpty())
        dir = AppPaths::outputDir();
    if (!QDir().mkpath(dir)) {
        fail(error, QStringLiteral("%1: cannot create the output folder").arg(dir));
        return QString();
    }
    const ImageFileFormat format
        = m_options.format == ImageFileFormat::Unknown ? ImageFileFormat::Png : m_options.format;

    QString path;
    {
        QMutexLocker lock(&namingMutex());
        removeStalePartialFiles(dir); // what a killed run may have left, hidden, in this folder
        // A1111 tries up to 500 numbers from the next one for a name that does not exist yet.
        const int first = nextSequenceNumber(dir);
        for (int i = 0; i < 500 && path.isEmpty(); ++i) {
            const QString candidate = QStringLiteral("%1/%2%3.%4")
                                          .arg(dir)
                                          .arg(first + i, 5, 10, QLatin1Char('0'))
                                          .arg(nameTail, imageFileSuffix(format));
            if (!QFileInfo::exists(candidate))
                path = candidate;
        }
        if (path.isEmpty()) {
            fail(error, QStringLiteral("%1: no free file name from number %2").arg(dir).arg(first));
            return QString();
        }
        if (!ImageMetadata::save(image, path, meta, m_options.quality, error))
            return QString();
    }

    // The ControlNet maps that guided it, kept beside (a map that cannot be written costs the entry
    // its map, not the image)
    for (size_t u = 0; u < params.controlNets.size(); ++u) {
        const Image& map = params.controlNets[u].image;
        const QString mapPath = controlMapPath(path, int(u));
        if (map.empty() || !QDir().mkpath(QFileInfo(mapPath).path()) || !toQImage(map).save(mapPath, "PNG"))
            qWarning("%s: cannot save the ControlNet map", qPrintable(mapPath));
    }

    // The file is durable now; only then does the history point at it.
    if (m_options.addToHistory) {
        const QString dataDir = m_options.dataDir.isEmpty() ? AppPaths::dataDir() : m_options.dataDir;
        QString why;
        HistoryStore* store = m_options.history ? m_options.history : HistoryStore::forThread(dataDir, &why);
        if (store)
            store->add({ path, params, QDateTime() }, &why);
        if (!why.isEmpty()) {
            qWarning("history: %s", qPrintable(why)); // the image itself is saved
            if (historyError)
                *historyError = why;
        }
    }
    return path;
}

InferenceWorker::ImageSaver ImageSaver::function() const
{
    const ImageSaver self = *this;
    return [self](const QImage& image, const GenerationParams& params, const QString& infotext,
               const QString& outputDir,
               QString* error) { return self.save(image, params, infotext, outputDir, error); };
}

} // namespace qd
