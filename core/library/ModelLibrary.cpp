#include "core/library/ModelLibrary.h"

#include "core/AppPaths.h"
#include "core/Settings.h"
#include "core/library/ModelLibraryPrivate.h"

#include <QFileInfo>

namespace qd
{

using namespace librarydetail;

QString ModelEntry::title() const
{
    return sha256.isEmpty() ? name : QStringLiteral("%1 [%2]").arg(name, hash());
}

ModelLibrary::ModelLibrary(QObject* parent)
    : QObject(parent)
    , d(std::make_unique<Private>())
{
    d->pool.setMaxThreadCount(1);
    d->pool.setObjectName(QStringLiteral("qd-model-hash"));
}

ModelLibrary::~ModelLibrary()
{
    cancel();
}

QStringList ModelLibrary::defaultFolders(const Settings& settings)
{
    QStringList folders { AppPaths::modelsDir() };
    for (const QString& f : settings.modelFolders)
        if (!f.trimmed().isEmpty())
            folders << f;
    return folders;
}

void ModelLibrary::setFolders(const QStringList& folders)
{
    d->folders = folders;
    rescan();
}

QStringList ModelLibrary::folders() const
{
    return d->folders;
}

QList<ModelEntry> ModelLibrary::entries() const
{
    return d->entries;
}

QList<VaeEntry> ModelLibrary::vaes() const
{
    return d->vaes;
}

std::optional<ModelEntry> ModelLibrary::findByTitle(const QString& title) const
{
    if (title.isEmpty())
        return std::nullopt;
    for (const ModelEntry& e : d->entries) {
        const QString legacyTitle = QStringLiteral("%1 [%2]").arg(e.name, e.legacyHash); // older A1111 titles
        if (e.title() == title || (!e.legacyHash.isEmpty() && legacyTitle == title))
            return e;
    }
    return std::nullopt;
}

std::optional<ModelEntry> ModelLibrary::findByName(const QString& name) const
{
    for (const ModelEntry& e : d->entries)
        if (!name.isEmpty() && e.name == name)
            return e;
    return std::nullopt;
}

std::optional<ModelEntry> ModelLibrary::findByModelName(const QString& modelName) const
{
    for (const ModelEntry& e : d->entries)
        if (!modelName.isEmpty() && (e.modelName == modelName || e.apiModelName == modelName))
            return e;
    return std::nullopt;
}

std::optional<ModelEntry> ModelLibrary::findByHash(const QString& hash) const
{
    const QString h = hash.trimmed().toLower();
    if (h.isEmpty())
        return std::nullopt;
    for (const ModelEntry& e : d->entries)
        if (!e.sha256.isEmpty() && (e.hash() == h || e.sha256 == h))
            return e;
    for (const ModelEntry& e : d->entries) // old A1111 images: the 8-hex legacy hash
        if (!e.legacyHash.isEmpty() && e.legacyHash == h)
            return e;
    return std::nullopt;
}

std::optional<ModelEntry> ModelLibrary::findByPath(const QString& path) const
{
    const QString abs = QFileInfo(path).absoluteFilePath();
    for (const ModelEntry& e : d->entries)
        if (e.path == abs)
            return e;
    return std::nullopt;
}

std::optional<ModelEntry> ModelLibrary::find(const QString& any) const
{
    if (auto e = findByTitle(any))
        return e;
    if (auto e = findByName(any))
        return e;
    if (auto e = findByModelName(any))
        return e;
    return findByHash(any);
}

std::optional<VaeEntry> ModelLibrary::findVae(const QString& nameOrPath) const
{
    for (const VaeEntry& v : d->vaes)
        if (!nameOrPath.isEmpty() && (v.name == nameOrPath || v.path == nameOrPath))
            return v;
    return std::nullopt;
}

QString ModelLibrary::automaticVae(const ModelEntry& entry) const
{
    if (!entry.vae.isEmpty())
        return entry.vae;
    if (entry.isDiffusers())
        return QString(); // its own vae/ subfolder
    for (const VaeEntry& v : d->vaes)
        for (const QString& suffix : vaeFolderSuffixes())
            if (v.name.compare(entry.modelName + suffix, Qt::CaseInsensitive) == 0
                || v.name.compare(entry.modelName + QStringLiteral(".vae") + suffix, Qt::CaseInsensitive)
                    == 0)
                return v.path;
    return QString();
}

} // namespace qd
