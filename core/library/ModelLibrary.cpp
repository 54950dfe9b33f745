#include "core/library/ModelLibrary.h"

#include "core/AppPaths.h"
#include "core/AtomicFile.h"
#include "core/Settings.h"
#include "core/library/ModelHash.h"

#include <QDateTime>
#include <QDeadlineTimer>
#include <QDir>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QFuture>
#include <QHash>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMutex>
#include <QRegularExpression>
#include <QSet>
#include <QThreadPool>
#include <QTimer>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>

namespace qd
{

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

const QStringList& vaeFolderSuffixes()
{
    static const QStringList s
        = { QStringLiteral(".pt"), QStringLiteral(".ckpt"), QStringLiteral(".safetensors") };
    return s;
}

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

qint64 mtimeOf(const QFileInfo& fi)
{
    return fi.lastModified().toMSecsSinceEpoch();
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

bool isHex(const QString& s, int length)
{
    static const QRegularExpression hex(QStringLiteral("^[0-9a-f]*$"));
    return s.size() == length && hex.match(s).hasMatch();
}

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

} // namespace

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
    QHash<QString, CacheRecord> cache;
    std::shared_ptr<HashQueue> queue = std::make_shared<HashQueue>();
    QFuture<void> worker;
    QThreadPool pool; // one thread: one file at a time
};

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

void ModelLibrary::setCacheFile(const QString& path)
{
    d->cacheFile = path;
    d->cacheLoaded = false;
    d->cache.clear();
}

QString ModelLibrary::cacheFile() const
{
    return d->cacheFile;
}

void ModelLibrary::setHashingEnabled(bool enabled)
{
    if (d->hashingEnabled == enabled)
        return;
    d->hashingEnabled = enabled;
    if (!enabled)
        cancel();
    else
        startHashing(); // what the list holds now; rescan() looks at the folders again
}

bool ModelLibrary::isHashingEnabled() const
{
    return d->hashingEnabled;
}

void ModelLibrary::loadCache(bool warn)
{
    d->cacheLoaded = true;
    d->cache.clear();
    QFile f(d->cacheFile);
    if (!f.open(QIODevice::ReadOnly))
        return; // none yet
    QJsonParseError err;
    const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &err);
    if (!doc.isObject()) {
        if (warn)
            qWarning("%s: not a JSON object (%s); model hashes will be computed again",
                qPrintable(d->cacheFile), qPrintable(err.errorString()));
        return;
    }
    const QJsonObject files = doc.object().value(QLatin1String("files")).toObject();
    for (auto it = files.begin(); it != files.end(); ++it) {
        const QJsonObject o = it.value().toObject();
        CacheRecord r;
        r.size = o.value(QLatin1String("size")).toInteger(-1);
        r.mtime = o.value(QLatin1String("mtime")).toInteger(-1);
        r.sha256 = o.value(QLatin1String("sha256")).toString();
        r.legacy = o.value(QLatin1String("legacy")).toString();
        if (r.size >= 0 && isHex(r.sha256, 64) && (r.legacy.isEmpty() || isHex(r.legacy, 8)))
            d->cache.insert(it.key(), r);
    }
}

void ModelLibrary::saveCache()
{
    // Merge with what is on disk now: another library (the CLI, a second window) may have added hashes.
    const QHash<QString, CacheRecord> mine = d->cache;
    loadCache(false);
    for (auto it = mine.begin(); it != mine.end(); ++it)
        d->cache.insert(it.key(), it.value());
    QJsonObject files;
    for (auto it = d->cache.begin(); it != d->cache.end(); ++it) {
        QJsonObject o { { QLatin1String("size"), it->size }, { QLatin1String("mtime"), it->mtime },
            { QLatin1String("sha256"), it->sha256 } };
        if (!it->legacy.isEmpty())
            o.insert(QLatin1String("legacy"), it->legacy);
        files.insert(it.key(), o);
    }
    const QJsonObject root { { QLatin1String("version"), 1 }, { QLatin1String("files"), files } };
    QString error;
    QDir().mkpath(QFileInfo(d->cacheFile).absolutePath());
    if (!writeFileAtomically(d->cacheFile, QJsonDocument(root).toJson(QJsonDocument::Indented), &error))
        qWarning("model hash cache: %s", qPrintable(error));
}

namespace
{

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

void ModelLibrary::startHashing()
{
    if (!d->hashingEnabled)
        return;
    // Checkpoints first, in list order, then the VAEs.
    QList<HashTask> tasks;
    for (const ModelEntry& e : d->entries)
        if (e.sha256.isEmpty())
            tasks << HashTask { e.path, e.isDiffusers() };
    for (const VaeEntry& v : d->vaes)
        if (v.sha256.isEmpty())
            tasks << HashTask { v.path, false };
    const std::shared_ptr<HashQueue> q = d->queue;
    {
        QMutexLocker lock(&q->mutex);
        q->tasks.clear();
        for (const HashTask& t : tasks)
            if (t.path != q->current)
                q->tasks << t;
        if (q->running || q->tasks.isEmpty())
            return;
        q->running = true;
        q->cancel = false;
    }
    // The library outlives the worker: ~ModelLibrary cancels and waits for the pool, and results
    // still queued for a destroyed library are dropped with its posted events.
    ModelLibrary* self = this;
    d->worker = QtConcurrent::run(&d->pool, [q, self] {
        for (;;) {
            HashTask task;
            {
                QMutexLocker lock(&q->mutex);
                if (q->cancel || q->tasks.isEmpty()) {
                    // Stop in the same critical section that found nothing to do, so a task queued
                    // now starts a new worker instead of waiting for this one.
                    q->current.clear();
                    q->running = false;
                    ++q->outstanding;
                    HashResult done;
                    done.done = true;
                    QMetaObject::invokeMethod(
                        self, [self, done] { self->applyHash(done); }, Qt::QueuedConnection);
                    return;
                }
                task = q->tasks.takeFirst();
                q->current = task.path;
            }
            HashResult r;
            r.path = task.path;
            const auto cancelled = [q] { return q->cancelled(); };
            const QFileInfo before(task.path);
            ModelHash h;
            if (task.folder) {
                folderSignature(task.path, &r.size, &r.mtime);
                h = hashDiffusersFolder(task.path, cancelled);
            } else {
                r.size = before.size();
                r.mtime = mtimeOf(before);
                h = hashModelFile(task.path, cancelled);
            }
            r.sha256 = h.sha256;
            r.legacy = h.legacy;
            r.error = h.error;
            if (q->cancelled())
                continue; // the top of the loop stops
            if (r.error.isEmpty() && !task.folder) {
                const QFileInfo after(task.path);
                if (after.size() != r.size || mtimeOf(after) != r.mtime) {
                    r.error = QStringLiteral("%1: changed while it was being hashed").arg(task.path);
                    r.sha256.clear();
                }
            }
            QMutexLocker lock(&q->mutex);
            q->current.clear();
            ++q->outstanding;
            QMetaObject::invokeMethod(
                self, [self, r] { self->applyHash(r); }, Qt::QueuedConnection);
        }
    });
}

void ModelLibrary::applyHash(const HashResult& r)
{
    {
        QMutexLocker lock(&d->queue->mutex);
        --d->queue->outstanding;
    }
    if (r.done) {
        if (!isHashing())
            emit hashingFinished();
        return;
    }
    if (r.error.isEmpty()) {
        d->cache.insert(r.path, CacheRecord { r.size, r.mtime, r.sha256, r.legacy });
        saveCache();
        bool found = false;
        for (ModelEntry& e : d->entries)
            if (e.path == r.path) {
                e.sha256 = r.sha256;
                e.legacyHash = r.legacy;
                e.size = r.size;
                e.mtime = r.mtime;
                e.error.clear();
                found = true;
            }
        for (VaeEntry& v : d->vaes)
            if (v.path == r.path) {
                v.sha256 = r.sha256;
                v.size = r.size;
                v.mtime = r.mtime;
                v.error.clear();
                found = true;
            }
        if (found)
            emit hashReady(r.path, r.sha256.left(10));
    } else if (!QFileInfo::exists(r.path)) {
        // Vanished since the scan: it leaves the list.
        const auto gone = [&](const auto& e) { return e.path == r.path; };
        const qsizetype removed = d->entries.removeIf(gone) + d->vaes.removeIf(gone);
        if (removed)
            emit entriesChanged();
        emit hashFailed(r.path, r.error);
    } else {
        qWarning("model library: %s", qPrintable(r.error));
        for (ModelEntry& e : d->entries)
            if (e.path == r.path)
                e.error = r.error;
        for (VaeEntry& v : d->vaes)
            if (v.path == r.path)
                v.error = r.error;
        emit hashFailed(r.path, r.error);
    }
    if (!isHashing())
        emit hashingFinished();
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

void ModelLibrary::prioritize(const QString& path)
{
    QMutexLocker lock(&d->queue->mutex);
    QList<HashTask>& tasks = d->queue->tasks;
    for (qsizetype i = 1; i < tasks.size(); ++i)
        if (tasks[i].path == path) {
            tasks.move(i, 0);
            break;
        }
}

bool ModelLibrary::isHashing() const
{
    QMutexLocker lock(&d->queue->mutex);
    return d->queue->running || !d->queue->tasks.isEmpty() || d->queue->outstanding > 0;
}

int ModelLibrary::pendingHashes() const
{
    QMutexLocker lock(&d->queue->mutex);
    return int(d->queue->tasks.size()) + (d->queue->current.isEmpty() ? 0 : 1);
}

void ModelLibrary::cancel()
{
    {
        QMutexLocker lock(&d->queue->mutex);
        d->queue->cancel = true;
        d->queue->tasks.clear();
    }
    d->pool.waitForDone();
}

bool ModelLibrary::waitForHashes(int timeoutMs)
{
    QDeadlineTimer deadline(timeoutMs);
    while (isHashing()) {
        if (deadline.hasExpired())
            return false;
        QEventLoop loop;
        connect(this, &ModelLibrary::hashingFinished, &loop, &QEventLoop::quit);
        connect(this, &ModelLibrary::hashReady, &loop, &QEventLoop::quit);
        connect(this, &ModelLibrary::hashFailed, &loop, &QEventLoop::quit);
        QTimer::singleShot(
            qMin<qint64>(50, qMax<qint64>(1, deadline.remainingTime())), &loop, &QEventLoop::quit);
        loop.exec();
    }
    return true;
}

} // namespace qd
