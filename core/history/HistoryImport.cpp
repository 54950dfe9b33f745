// HistoryStore: importing a folder of images made elsewhere (A1111, ComfyUI, InvokeAI, NovelAI).
#include "core/history/HistoryStore.h"

#include "core/metadata/ImageMetadata.h"

#include <QDir>
#include <QDirIterator>
#include <QFileInfo>

namespace qd
{

namespace
{

bool isImageFile(const QString& path)
{
    const QString s = QFileInfo(path).suffix().toLower();
    return s == QLatin1String("png") || s == QLatin1String("jpg") || s == QLatin1String("jpeg")
        || s == QLatin1String("webp");
}

} // namespace

// ---- import ---------------------------------------------------------------------------------------

HistoryStore::ImportReport HistoryStore::importFolder(const QString& folder, bool recursive)
{
    ImportReport report;
    if (!QFileInfo(folder).isDir()) {
        report.errors << QStringLiteral("%1: not a folder").arg(folder);
        return report;
    }
    QStringList files;
    QDirIterator it(folder, QDir::Files | QDir::Readable,
        recursive ? QDirIterator::Subdirectories : QDirIterator::NoIteratorFlags);
    const QString ownData = QFileInfo(m_dataDir).canonicalFilePath();
    while (it.hasNext()) {
        const QString f = it.next();
        if (isImageFile(f)
            && (ownData.isEmpty() || !QFileInfo(f).canonicalFilePath().startsWith(ownData + '/')))
            files << f;
    }
    files.sort();

    QList<NewImage> batch;
    auto flush = [&] {
        QStringList errors;
        for (qint64 id : insertBatch(batch, &errors)) // one imported() at the end, no inserted() per row
            report.added += id ? 1 : 0;
        report.errors << errors;
        batch.clear();
    };
    for (const QString& f : files) {
        if (idForPath(f)) {
            ++report.duplicates;
            continue;
        }
        ImageMetadata meta;
        QString error;
        if (!ImageMetadata::read(f, &meta, &error)) {
            report.errors << error;
            continue;
        }
        const ParsedParams parsed = meta.params();
        if (!parsed.found) {
            if (parsed.warnings.isEmpty())
                ++report.withoutParameters;
            else
                report.errors << f + QStringLiteral(": ") + parsed.warnings.join(QStringLiteral("; "));
            continue;
        }
        batch << NewImage { f, parsed.params, QFileInfo(f).lastModified().toUTC(), parsed.source };
        if (batch.size() >= 500)
            flush();
    }
    flush();
    emit imported(report.added);
    return report;
}

} // namespace qd
