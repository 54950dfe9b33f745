// ModelLibrary: listing the model folders (rescan()): checkpoints, diffusers folders and VAEs.
#include "core/library/ModelLibrary.h"

#include "core/library/ModelHash.h"
#include "core/library/ModelLibraryPrivate.h"

#include <QDir>
#include <QRegularExpression>
#include <QSet>

#include <algorithm>

namespace qd
{

using namespace librarydetail;

namespace
{

// Folders A1111 keeps other kinds of weights in: never checkpoints.
bool isSkippedFolder(const QString& name)
{
    static const QStringList skipped = { QStringLiteral("VAE"), QStringLiteral("VAE-approx"),
        QStringLiteral("Lora"), QStringLiteral("LyCORIS"), QStringLiteral("embeddings"),
        QStringLiteral("hypernetworks"), QStringLiteral("ControlNet") };
    return name.startsWith(u'.') || skipped.contains(name, Qt::CaseInsensitive);
}

bool hasSuffix(const QString& fileName, const QStringList& suffixes)
{
    for (const QString& s : suffixes)
        if (fileName.endsWith(s, Qt::CaseInsensitive))
            return true;
    return false;
}

const QStringList& checkpointSuffixes()
{
    static const QStringList s = { QStringLiteral(".safetensors"), QStringLiteral(".ckpt") };
    return s;
}

// A1111 sd_vae.py: NAME.vae.pt, NAME.vae.ckpt, NAME.vae.safetensors, in that order.
const QStringList& besideVaeSuffixes()
{
    static const QStringList s
        = { QStringLiteral(".vae.pt"), QStringLiteral(".vae.ckpt"), QStringLiteral(".vae.safetensors") };
    return s;
}

} // namespace

namespace librarydetail
{

const QStringList& vaeFolderSuffixes()
{
    static const QStringList s
        = { QStringLiteral(".pt"), QStringLiteral(".ckpt"), QStringLiteral(".safetensors") };
    return s;
}

void folderSignature(const QString& folder, qint64* size, qint64* mtime)
{
    *size = 0;
    *mtime = 0;
    const QDir root(folder);
    for (const QString& rel : diffusersWeightFiles(folder)) {
        const QFileInfo fi(root.filePath(rel));
        *size += fi.size();
        *mtime = qMax(*mtime, mtimeOf(fi));
    }
}

} // namespace librarydetail

namespace
{

// A1111's natural order (shared.natural_sort_key): digit runs compare as numbers, the rest
// case-insensitively.
bool naturalLess(const QString& a, const QString& b)
{
    static const QRegularExpression digits(QStringLiteral("[0-9]+"));
    auto split = [](const QString& s) {
        QStringList parts; // text, number, text, number, ... (starting with text, maybe empty)
        qsizetype pos = 0;
        for (auto it = digits.globalMatch(s); it.hasNext();) {
            const auto m = it.next();
            parts << s.mid(pos, m.capturedStart() - pos) << m.captured();
            pos = m.capturedEnd();
        }
        parts << s.mid(pos);
        return parts;
    };
    const QStringList pa = split(a), pb = split(b);
    for (qsizetype i = 0; i < qMin(pa.size(), pb.size()); ++i) {
        if (i % 2) {
            // numbers of any length: compare without leading zeros by length, then digits
            auto number = [](QString n) {
                while (n.size() > 1 && n.front() == u'0')
                    n.remove(0, 1);
                return n;
            };
            const QString na = number(pa[i]), nb = number(pb[i]);
            if (na.size() != nb.size())
                return na.size() < nb.size();
            if (const int c = na.compare(nb))
                return c < 0;
        } else if (const int c = pa[i].compare(pb[i], Qt::CaseInsensitive)) {
            return c < 0;
        }
    }
    return pa.size() < pb.size();
}

struct ScanState {
    QList<ModelEntry> entries;
    QList<VaeEntry> vaes;
    QSet<QString> seenDirs; // canonical: symlink loops and folders listed twice
    QSet<QString> seenFiles; // canonical
};

void addVae(ScanState& s, const QFileInfo& fi)
{
    const QString canonical = fi.canonicalFilePath();
    if (canonical.isEmpty() || s.seenFiles.contains(canonical))
        return;
    s.seenFiles.insert(canonical);
    for (const VaeEntry& v : s.vaes)
        if (v.name == fi.fileName())
            return; // one VAE per name: the name is the key artists pick and infotext records
    VaeEntry v;
    v.path = fi.absoluteFilePath();
    v.name = fi.fileName();
    v.size = fi.size();
    v.mtime = mtimeOf(fi);
    s.vaes << v;
}

void scanVaeFolder(ScanState& s, const QString& dir)
{
    const QString canonical = QFileInfo(dir).canonicalFilePath();
    if (canonical.isEmpty() || s.seenDirs.contains(canonical))
        return;
    s.seenDirs.insert(canonical);
    const QDir d(dir);
    for (const QFileInfo& fi : d.entryInfoList(QDir::Files, QDir::Name))
        if (hasSuffix(fi.fileName(), vaeFolderSuffixes()))
            addVae(s, fi);
    for (const QFileInfo& sub : d.entryInfoList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name))
        if (!sub.fileName().startsWith(u'.'))
            scanVaeFolder(s, sub.filePath());
}

void scanCheckpoints(ScanState& s, const QString& root, const QString& dir)
{
    const QString canonical = QFileInfo(dir).canonicalFilePath();
    if (canonical.isEmpty() || s.seenDirs.contains(canonical))
        return;
    s.seenDirs.insert(canonical);
    const QDir d(dir);
    const QDir rootDir(root);
    for (const QFileInfo& fi : d.entryInfoList(QDir::Files, QDir::Name)) {
        const QString file = fi.fileName();
        if (hasSuffix(file, besideVaeSuffixes())) {
            addVae(s, fi); // A1111 lists NAME.vae.* files among the VAEs too
            continue;
        }
        if (!hasSuffix(file, checkpointSuffixes())
            || file.startsWith(QLatin1String("taesd"), Qt::CaseInsensitive))
            continue;
        const QString fileCanonical = fi.canonicalFilePath();
        if (fileCanonical.isEmpty() || s.seenFiles.contains(fileCanonical))
            continue;
        s.seenFiles.insert(fileCanonical);
        ModelEntry e;
        e.path = fi.absoluteFilePath();
        e.folder = rootDir.absolutePath();
        e.format = file.endsWith(QLatin1String(".ckpt"), Qt::CaseInsensitive)
            ? ModelEntry::Format::Ckpt
            : ModelEntry::Format::Safetensors;
        e.name = rootDir.relativeFilePath(e.path);
        e.modelName = fi.completeBaseName(); // os.path.splitext(basename)[0]
        e.apiModelName = QString(e.name).replace(u'/', u'_');
        e.apiModelName.chop(fi.suffix().size() + 1);
        const QString base = e.path.left(e.path.size() - fi.suffix().size() - 1);
        if (QFileInfo(base + QStringLiteral(".yaml")).isFile())
            e.config = base + QStringLiteral(".yaml");
        for (const QString& suffix : besideVaeSuffixes())
            if (QFileInfo(base + suffix).isFile()) {
                e.vae = base + suffix;
                break;
            }
        e.size = fi.size();
        e.mtime = mtimeOf(fi);
        s.entries << e;
    }
    for (const QFileInfo& sub : d.entryInfoList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name)) {
        if (isSkippedFolder(sub.fileName()))
            continue;
        if (!QFileInfo(sub.filePath() + QStringLiteral("/model_index.json")).isFile()) {
            scanCheckpoints(s, root, sub.filePath());
            continue;
        }
        const QString subCanonical = sub.canonicalFilePath();
        if (s.seenFiles.contains(subCanonical))
            continue;
        s.seenFiles.insert(subCanonical);
        ModelEntry e; // a diffusers folder: not descended into
        e.path = sub.absoluteFilePath();
        e.folder = rootDir.absolutePath();
        e.format = ModelEntry::Format::Diffusers;
        e.name = rootDir.relativeFilePath(e.path);
        e.modelName = sub.fileName();
        e.apiModelName = QString(e.name).replace(u'/', u'_');
        folderSignature(e.path, &e.size, &e.mtime);
        s.entries << e;
    }
}

bool sameEntry(const ModelEntry& a, const ModelEntry& b)
{
    return a.path == b.path && a.name == b.name && a.config == b.config && a.vae == b.vae && a.size == b.size
        && a.mtime == b.mtime && a.sha256 == b.sha256 && a.error == b.error;
}

bool sameVae(const VaeEntry& a, const VaeEntry& b)
{
    return a.path == b.path && a.size == b.size && a.mtime == b.mtime && a.sha256 == b.sha256;
}

} // namespace

void ModelLibrary::rescan()
{
    if (!d->cacheLoaded)
        loadCache();
    ScanState s;
    for (const QString& folder : d->folders) {
        const QFileInfo fi(folder);
        if (folder.isEmpty() || !fi.isDir())
            continue;
        const QString dir = fi.absoluteFilePath();
        // An A1111 `models` folder: checkpoints in Stable-diffusion/, VAEs in VAE/.
        if (QFileInfo(dir + QStringLiteral("/Stable-diffusion")).isDir()) {
            scanCheckpoints(
                s, dir + QStringLiteral("/Stable-diffusion"), dir + QStringLiteral("/Stable-diffusion"));
        } else {
            scanCheckpoints(s, dir, dir);
            if (fi.fileName().compare(QLatin1String("Stable-diffusion"), Qt::CaseInsensitive) == 0)
                scanVaeFolder(s, fi.absolutePath() + QStringLiteral("/VAE"));
        }
        scanVaeFolder(s, dir + QStringLiteral("/VAE"));
    }
    std::stable_sort(s.entries.begin(), s.entries.end(),
        [](const ModelEntry& a, const ModelEntry& b) { return naturalLess(a.name, b.name); });
    std::stable_sort(s.vaes.begin(), s.vaes.end(),
        [](const VaeEntry& a, const VaeEntry& b) { return naturalLess(a.name, b.name); });

    // Known hashes: from the last scan when the file is unchanged, else from the cache.
    auto known = [this](const QString& path, qint64 size, qint64 mtime, QString* sha, QString* legacy) {
        const auto c = d->cache.constFind(path);
        if (c != d->cache.constEnd() && c->size == size && c->mtime == mtime) {
            *sha = c->sha256;
            if (legacy)
                *legacy = c->legacy;
            return true;
        }
        return false;
    };
    for (ModelEntry& e : s.entries)
        known(e.path, e.size, e.mtime, &e.sha256, &e.legacyHash);
    for (VaeEntry& v : s.vaes)
        known(v.path, v.size, v.mtime, &v.sha256, nullptr);

    const bool changed
        = !std::equal(s.entries.begin(), s.entries.end(), d->entries.begin(), d->entries.end(), sameEntry)
        || !std::equal(s.vaes.begin(), s.vaes.end(), d->vaes.begin(), d->vaes.end(), sameVae);
    d->entries = s.entries;
    d->vaes = s.vaes;
    if (changed)
        emit entriesChanged();
    startHashing();
}

} // namespace qd
