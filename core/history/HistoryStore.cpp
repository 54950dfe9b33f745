#include "core/history/HistoryStore.h"

#include "core/AppPaths.h"
#include "core/metadata/ImageMetadata.h"
#include "core/metadata/ParamsJson.h"

#include <QDir>
#include <QDirIterator>
#include <QFileInfo>
#include <QImageReader>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QThread>
#include <QThreadStorage>

#include <QAtomicInteger>

#include <map>
#include <memory>

namespace qd
{

namespace
{

constexpr int kSchemaVersion = 1;
const char* const kColumns = "id, path, params, width, height, created, favourite, rating, tags, source";

const char* const kSchema[] = {
    "CREATE TABLE IF NOT EXISTS images ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT," // never reused: a trashed id can always come back
    " path TEXT NOT NULL UNIQUE,"
    " params TEXT NOT NULL," // ParamsJson
    " prompt TEXT NOT NULL DEFAULT '',"
    " negative_prompt TEXT NOT NULL DEFAULT '',"
    " seed INTEGER, sampler TEXT, schedule TEXT, model_name TEXT, model_hash TEXT,"
    " width INTEGER, height INTEGER,"
    " created INTEGER NOT NULL," // ms since the epoch, UTC
    " favourite INTEGER NOT NULL DEFAULT 0,"
    " rating INTEGER NOT NULL DEFAULT 0,"
    " tags TEXT NOT NULL DEFAULT '[]'," // JSON array of strings
    " source TEXT NOT NULL DEFAULT '',"
    " file_size INTEGER)",
    "CREATE INDEX IF NOT EXISTS images_created ON images(created, id)",
    "CREATE INDEX IF NOT EXISTS images_model ON images(model_name, created)",
    "CREATE INDEX IF NOT EXISTS images_model_hash ON images(model_hash)",
    "CREATE INDEX IF NOT EXISTS images_sampler ON images(sampler, created)",
    "CREATE INDEX IF NOT EXISTS images_favourite ON images(favourite, created)",
    "CREATE INDEX IF NOT EXISTS images_rating ON images(rating, created)",
    // Word index over the prompts (its own copy of the text, kept by insertRow/remove/restore): words
    // fold case and accents; Chinese and Japanese characters are indexed one by one (see searchable()),
    // so a run of them is found as a phrase. prefix='2 3' makes short prefix searches cheap.
    "CREATE VIRTUAL TABLE IF NOT EXISTS images_fts USING fts5(prompt, negative_prompt,"
    " tokenize='unicode61 remove_diacritics 2', prefix='2 3')",
    "CREATE TABLE IF NOT EXISTS trash ("
    " id INTEGER PRIMARY KEY," // the image's id
    " row TEXT NOT NULL," // the whole images row as JSON
    " original_path TEXT NOT NULL,"
    " trash_path TEXT NOT NULL,"
    " deleted INTEGER NOT NULL)",
};

QString qs(const std::string& s)
{
    return QString::fromStdString(s);
}

bool fail(QString* error, const QString& message)
{
    if (error)
        *error = message;
    return false;
}

QString sqlError(const QSqlQuery& q)
{
    return q.lastError().text();
}

// Words of a search: `"a phrase"` stays together, a leading '-' excludes.
struct Term {
    QString text;
    bool exclude = false;
    bool quoted = false; // "exact words": no prefix matching
};

QList<Term> searchTerms(const QString& text)
{
    QList<Term> terms;
    int i = 0;
    const int n = int(text.size());
    while (i < n) {
        while (i < n && text[i].isSpace())
            ++i;
        if (i >= n)
            break;
        Term t;
        if (text[i] == '-' && i + 1 < n && !text[i + 1].isSpace()) {
            t.exclude = true;
            ++i;
        }
        if (text[i] == '"') {
            t.quoted = true;
            const int end = int(text.indexOf('"', i + 1));
            t.text = text.mid(i + 1, end < 0 ? -1 : end - i - 1);
            i = end < 0 ? n : end + 1;
        } else {
            const int start = i;
            while (i < n && !text[i].isSpace())
                ++i;
            t.text = text.mid(start, i - start);
        }
        if (!t.text.trimmed().isEmpty())
            terms << t;
    }
    return terms;
}

// The text as indexed: characters of scripts written without spaces (Han, Hiragana, Katakana) become
// single tokens, so "一只猫" is indexed as "一 只 猫" and any run of them is found as a phrase.
QString searchable(const QString& text)
{
    QString out;
    out.reserve(text.size() + text.size() / 4);
    for (const char32_t c : text.toUcs4()) {
        const QChar::Script script = QChar::script(c);
        const bool single = script == QChar::Script_Han || script == QChar::Script_Hiragana
            || script == QChar::Script_Katakana;
        if (single)
            out += ' ';
        out += QString::fromUcs4(&c, 1);
        if (single)
            out += ' ';
    }
    return out;
}

struct Where {
    QString match; // FTS5 expression the prompt must match ("" = no text search)
    QStringList clauses; // the other conditions
    QVariantList binds;
    QString sql(const QString& matchClause = QString()) const
    {
        QStringList all = clauses;
        if (!match.isEmpty())
            all.prepend(matchClause);
        return all.isEmpty() ? QString() : " WHERE " + all.join(" AND ");
    }
    QVariantList allBinds() const { return match.isEmpty() ? binds : QVariantList { match } + binds; }
};

Where buildWhere(const HistoryQuery& q)
{
    Where w;
    QStringList include, exclude;
    for (const Term& t : searchTerms(q.text)) {
        const QString words = searchable(t.text).simplified();
        if (!std::any_of(words.begin(), words.end(), [](QChar c) { return c.isLetterOrNumber(); }))
            continue; // only punctuation: nothing the index holds
        // an FTS5 string (quotes doubled) is a phrase; a typed word also matches longer words ("fox*")
        QString phrase = '"' + QString(words).replace('"', "\"\"") + '"' + (t.quoted ? "" : "*");
        if (!q.searchNegative)
            phrase = "prompt : " + phrase;
        (t.exclude ? exclude : include) << phrase;
    }
    if (!include.isEmpty()) {
        w.match = include.join(" AND ");
        if (!exclude.isEmpty()) // inside the index query, so counting still needs the index alone
            w.match = '(' + w.match + ") NOT (" + exclude.join(" OR ") + ')';
    } else if (!exclude.isEmpty()) {
        w.clauses << "id NOT IN (SELECT rowid FROM images_fts WHERE images_fts MATCH ?)";
        w.binds << exclude.join(" OR ");
    }
    if (!q.model.isEmpty()) {
        w.clauses << "(model_name = ? OR model_hash = ?)";
        w.binds << q.model << q.model;
    }
    if (!q.sampler.isEmpty()) {
        w.clauses << "sampler = ?";
        w.binds << q.sampler;
    }
    if (q.from.isValid()) {
        w.clauses << "created >= ?";
        w.binds << q.from.toMSecsSinceEpoch();
    }
    if (q.to.isValid()) {
        w.clauses << "created < ?";
        w.binds << q.to.toMSecsSinceEpoch();
    }
    if (q.favouritesOnly)
        w.clauses << "favourite = 1";
    if (q.minRating > 0) {
        w.clauses << "rating >= ?";
        w.binds << q.minRating;
    }
    if (!q.tag.isEmpty()) {
        w.clauses << "EXISTS (SELECT 1 FROM json_each(images.tags) WHERE value = ?)";
        w.binds << q.tag;
    }
    return w;
}

QString orderBy(HistoryQuery::Sort sort)
{
    switch (sort) {
    case HistoryQuery::Sort::OldestFirst:
        return " ORDER BY created ASC, id ASC";
    case HistoryQuery::Sort::HighestRatedFirst:
        return " ORDER BY rating DESC, created DESC, id DESC";
    case HistoryQuery::Sort::NewestFirst:
        break;
    }
    return " ORDER BY created DESC, id DESC";
}

HistoryRecord recordFrom(const QSqlQuery& q)
{
    HistoryRecord r;
    r.id = q.value(0).toLongLong();
    r.filePath = q.value(1).toString();
    r.params = paramsFromJson(QJsonDocument::fromJson(q.value(2).toByteArray()).object());
    r.width = q.value(3).toInt();
    r.height = q.value(4).toInt();
    r.created = QDateTime::fromMSecsSinceEpoch(q.value(5).toLongLong(), Qt::UTC);
    r.favourite = q.value(6).toInt() != 0;
    r.rating = q.value(7).toInt();
    for (const QJsonValue& t : QJsonDocument::fromJson(q.value(8).toByteArray()).array())
        r.tags << t.toString();
    r.source = q.value(9).toString();
    return r;
}

bool isImageFile(const QString& path)
{
    const QString s = QFileInfo(path).suffix().toLower();
    return s == QLatin1String("png") || s == QLatin1String("jpg") || s == QLatin1String("jpeg")
        || s == QLatin1String("webp");
}

} // namespace

HistoryStore::HistoryStore(QObject* parent)
    : HistoryStore(AppPaths::dataDir(), parent)
{
}

HistoryStore::HistoryStore(const QString& dataDir, QObject* parent)
    : QObject(parent)
    , m_dataDir(dataDir)
    , m_thumbnailer(dataDir + QStringLiteral("/thumbnails"))
{
    static QAtomicInteger<quint64> counter;
    m_connection = QStringLiteral("qd_history_%1").arg(counter.fetchAndAddRelaxed(1));
}

HistoryStore::~HistoryStore()
{
    {
        QSqlDatabase db = QSqlDatabase::database(m_connection, false);
        if (db.isOpen())
            db.close();
    }
    QSqlDatabase::removeDatabase(m_connection);
}

QString HistoryStore::databasePath() const
{
    return m_dataDir + QStringLiteral("/history.sqlite");
}
QString HistoryStore::trashDir() const
{
    return m_dataDir + QStringLiteral("/trash");
}

bool HistoryStore::exec(const QString& sql, const QVariantList& binds, QString* error) const
{
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    if (!q.prepare(sql))
        return fail(error, QStringLiteral("%1: %2 (in: %3)").arg(databasePath(), sqlError(q), sql));
    for (const QVariant& b : binds)
        q.addBindValue(b);
    if (!q.exec())
        return fail(error, QStringLiteral("%1: %2").arg(databasePath(), sqlError(q)));
    return true;
}

bool HistoryStore::open(QString* error)
{
    if (m_open)
        return true;
    if (!QDir().mkpath(m_dataDir) || !QDir().mkpath(trashDir()))
        return fail(error, QStringLiteral("%1: cannot create the folder").arg(m_dataDir));
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_connection);
    db.setDatabaseName(databasePath());
    db.setConnectOptions(
        QStringLiteral("QSQLITE_BUSY_TIMEOUT=5000")); // another thread's HistoryStore may write
    if (!db.open())
        return fail(error, QStringLiteral("%1: cannot open: %2").arg(databasePath(), db.lastError().text()));
    QSqlQuery q(db);
    // WAL: readers never wait for the writer; NORMAL sync is durable across crashes of the program
    if (!q.exec(QStringLiteral("PRAGMA journal_mode=WAL")) || !q.next()
        || q.value(0).toString().compare(QLatin1String("wal"), Qt::CaseInsensitive) != 0)
        return fail(
            error, QStringLiteral("%1: cannot switch to WAL mode: %2").arg(databasePath(), sqlError(q)));
    for (const char* pragma :
        { "PRAGMA synchronous=NORMAL", "PRAGMA temp_store=MEMORY", "PRAGMA cache_size=-32000" })
        if (!exec(QLatin1String(pragma), {}, error))
            return false;
    q.exec(QStringLiteral("PRAGMA user_version"));
    const int version = q.next() ? q.value(0).toInt() : 0;
    if (version > kSchemaVersion)
        return fail(error,
            QStringLiteral("%1 was made by a newer QDiffusion (schema %2, this one knows %3)")
                .arg(databasePath())
                .arg(version)
                .arg(kSchemaVersion));
    db.transaction();
    for (const char* sql : kSchema) {
        QString why;
        if (!exec(QLatin1String(sql), {}, &why)) {
            db.rollback();
            if (why.contains(QLatin1String("fts5")))
                why += QStringLiteral(
                    " (the SQLite library behind Qt's SQLite driver was built without FTS5)");
            return fail(error, why);
        }
    }
    exec(QStringLiteral("PRAGMA user_version=%1").arg(kSchemaVersion));
    if (!db.commit())
        return fail(error, QStringLiteral("%1: %2").arg(databasePath(), db.lastError().text()));
    m_open = true;
    return true;
}

qint64 HistoryStore::insert(
    const QString& filePath, const GenerationParams& params, QString* error, const QDateTime& created)
{
    return insert(NewImage { filePath, params, created }, error);
}

qint64 HistoryStore::insert(const NewImage& image, QString* error)
{
    const qint64 id = insertRow(image, error);
    if (id)
        emit inserted(id);
    return id;
}

qint64 HistoryStore::add(const NewImage& image, QString* error)
{
    if (QThread::currentThread() == thread())
        return insert(image, error);
    HistoryStore* own = forThread(m_dataDir, error);
    const qint64 id = own ? own->insertRow(image, error) : 0;
    if (id)
        emit inserted(id); // queued to the receivers' threads
    return id;
}

HistoryStore* HistoryStore::forThread(const QString& dataDir, QString* error)
{
    // QThreadStorage, not thread_local: Qt deletes it before QThread::wait() returns, whereas a
    // thread_local's destructor may still be running while the process exits.
    using StoreMap = std::map<QString, std::unique_ptr<HistoryStore>>;
    static QThreadStorage<StoreMap*> storage;
    if (!storage.hasLocalData())
        storage.setLocalData(new StoreMap);
    auto& store = (*storage.localData())[dataDir];
    if (!store || !store->isOpen()) {
        store = std::make_unique<HistoryStore>(dataDir);
        if (!store->open(error))
            return nullptr;
    }
    return store.get();
}

qint64 HistoryStore::insertRow(const NewImage& image, QString* error)
{
    if (!m_open) {
        fail(error, QStringLiteral("the history is not open"));
        return 0;
    }
    // the caller wrote the file first; a row never points at nothing
    const QFileInfo fi(image.filePath);
    if (!fi.exists() || !fi.isFile()) {
        fail(error, QStringLiteral("%1: no such file; not added to the history").arg(image.filePath));
        return 0;
    }
    if (fi.size() == 0) {
        fail(error, QStringLiteral("%1: the file is empty; not added to the history").arg(image.filePath));
        return 0;
    }
    const QString path = fi.canonicalFilePath();
    if (idForPath(path)) {
        fail(error, QStringLiteral("%1 is already in the history").arg(path));
        return 0;
    }
    const GenerationParams& p = image.params;
    QSize size = QImageReader(path).size(); // the header only
    if (!size.isValid())
        size = QSize(p.width, p.height);
    const QDateTime created = image.created.isValid() ? image.created : QDateTime::currentDateTimeUtc();
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    q.prepare(QStringLiteral(
        "INSERT INTO images (path, params, prompt, negative_prompt, seed, sampler, schedule, model_name,"
        " model_hash, width, height, created, source, file_size) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"));
    for (const QVariant& v :
        QVariantList { path, QJsonDocument(paramsToJson(p)).toJson(QJsonDocument::Compact), qs(p.prompt),
            qs(p.negativePrompt), qint64(p.seed), qs(p.sampler), qs(p.scheduler), qs(p.modelName),
            qs(p.modelHash), size.width(), size.height(), created.toMSecsSinceEpoch(), image.source,
            fi.size() })
        q.addBindValue(v);
    QSqlDatabase db = QSqlDatabase::database(m_connection, false);
    const bool ownTransaction = db.transaction(); // false inside insertMany's transaction
    if (!q.exec()) {
        fail(error, QStringLiteral("%1: cannot add %2: %3").arg(databasePath(), path, sqlError(q)));
        if (ownTransaction)
            db.rollback();
        return 0;
    }
    const qint64 id = q.lastInsertId().toLongLong();
    QString why;
    if (!exec(QStringLiteral("INSERT INTO images_fts (rowid, prompt, negative_prompt) VALUES (?,?,?)"),
            { id, searchable(qs(p.prompt)), searchable(qs(p.negativePrompt)) }, &why)
        || (ownTransaction && !db.commit())) {
        fail(error, why.isEmpty() ? db.lastError().text() : why);
        if (ownTransaction)
            db.rollback();
        else
            exec(QStringLiteral("DELETE FROM images WHERE id = ?"), { id });
        return 0;
    }
    return id;
}

QList<qint64> HistoryStore::insertMany(const QList<NewImage>& images, QStringList* errors)
{
    const QList<qint64> ids = insertBatch(images, errors);
    for (qint64 id : ids)
        if (id)
            emit inserted(id);
    return ids;
}

QList<qint64> HistoryStore::insertBatch(const QList<NewImage>& images, QStringList* errors)
{
    QList<qint64> ids;
    QSqlDatabase db = QSqlDatabase::database(m_connection, false);
    db.transaction();
    for (const NewImage& image : images) {
        QString error;
        ids << insertRow(image, &error);
        if (!ids.back() && errors)
            *errors << error;
    }
    if (!db.commit()) {
        db.rollback();
        if (errors)
            *errors << QStringLiteral("%1: %2").arg(databasePath(), db.lastError().text());
        return QList<qint64>(images.size(), 0);
    }
    return ids;
}

QList<HistoryRecord> HistoryStore::select(const QString& whereOrder, const QVariantList& binds) const
{
    QList<HistoryRecord> out;
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    q.setForwardOnly(true);
    if (!q.prepare(QStringLiteral("SELECT %1 FROM images").arg(QLatin1String(kColumns)) + whereOrder))
        return out;
    for (const QVariant& b : binds)
        q.addBindValue(b);
    if (!q.exec())
        return out;
    while (q.next())
        out << recordFrom(q);
    return out;
}

std::optional<HistoryRecord> HistoryStore::record(qint64 id) const
{
    const auto r = select(QStringLiteral(" WHERE id = ?"), { id });
    if (r.isEmpty())
        return std::nullopt;
    return r.first();
}

QList<HistoryRecord> HistoryStore::records(const QList<qint64>& ids) const
{
    QHash<qint64, HistoryRecord> byId;
    for (qsizetype start = 0; start < ids.size(); start += 500) {
        const QList<qint64> chunk = ids.mid(start, 500);
        QVariantList binds;
        for (qint64 id : chunk)
            binds << id;
        QStringList marks(chunk.size(), QStringLiteral("?"));
        for (HistoryRecord& r : select(" WHERE id IN (" + marks.join(',') + ')', binds))
            byId.insert(r.id, std::move(r));
    }
    QList<HistoryRecord> out;
    for (qint64 id : ids)
        if (byId.contains(id))
            out << byId.value(id);
    return out;
}

qint64 HistoryStore::idForPath(const QString& filePath) const
{
    const QString canonical = QFileInfo(filePath).canonicalFilePath();
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    q.prepare(QStringLiteral("SELECT id FROM images WHERE path = ?"));
    q.addBindValue(canonical.isEmpty() ? filePath : canonical);
    return q.exec() && q.next() ? q.value(0).toLongLong() : 0;
}

namespace
{
const QString kMatch = QStringLiteral("id IN (SELECT rowid FROM images_fts WHERE images_fts MATCH ?)");
// The same, but keeps SQLite from looking rows up by id: for many hits, walking the date index and
// testing membership is cheaper than fetching every hit and sorting.
const QString kMatchByScan = QStringLiteral("+id IN (SELECT rowid FROM images_fts WHERE images_fts MATCH ?)");
constexpr int kManyHits = 300; // measured with bench_history: below this, fetching by id and sorting wins
} // namespace

int HistoryStore::ftsCount(const QString& match) const
{
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    q.prepare(QStringLiteral("SELECT count(*) FROM images_fts WHERE images_fts MATCH ?"));
    q.addBindValue(match);
    return q.exec() && q.next() ? q.value(0).toInt() : 0;
}

int HistoryStore::planHits(const QString& match) const
{
    // Only picks a query plan, so a count from a moment ago is good enough: a gallery asks count()
    // and then page() for the same search, and this saves evaluating it a third time.
    if (match != m_planMatch) {
        m_planMatch = match;
        m_planHits = ftsCount(match);
    }
    return m_planHits;
}

int HistoryStore::count(const HistoryQuery& query) const
{
    const Where w = buildWhere(query);
    if (!w.match.isEmpty() && w.clauses.isEmpty()) {
        m_planMatch = w.match;
        return m_planHits = ftsCount(w.match); // the index alone answers
    }
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    q.prepare("SELECT count(*) FROM images" + w.sql(kMatch));
    for (const QVariant& b : w.allBinds())
        q.addBindValue(b);
    return q.exec() && q.next() ? q.value(0).toInt() : 0;
}

QList<HistoryRecord> HistoryStore::page(const HistoryQuery& query, int offset, int limit) const
{
    const Where w = buildWhere(query);
    QVariantList binds = w.allBinds();
    binds << limit << offset;
    const QString match = !w.match.isEmpty() && planHits(w.match) > kManyHits ? kMatchByScan : kMatch;
    return select(w.sql(match) + orderBy(query.sort) + " LIMIT ? OFFSET ?", binds);
}

QList<qint64> HistoryStore::ids(const HistoryQuery& query) const
{
    const Where w = buildWhere(query);
    const QString match = !w.match.isEmpty() && planHits(w.match) > kManyHits ? kMatchByScan : kMatch;
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    q.setForwardOnly(true);
    q.prepare("SELECT id FROM images" + w.sql(match) + orderBy(query.sort));
    for (const QVariant& b : w.allBinds())
        q.addBindValue(b);
    QList<qint64> out;
    if (q.exec())
        while (q.next())
            out << q.value(0).toLongLong();
    return out;
}

QStringList HistoryStore::models() const
{
    QStringList out;
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    if (q.exec(QStringLiteral(
            "SELECT DISTINCT model_name FROM images WHERE model_name <> '' ORDER BY model_name")))
        while (q.next())
            out << q.value(0).toString();
    return out;
}

QStringList HistoryStore::samplers() const
{
    QStringList out;
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    if (q.exec(QStringLiteral("SELECT DISTINCT sampler FROM images WHERE sampler <> '' ORDER BY sampler")))
        while (q.next())
            out << q.value(0).toString();
    return out;
}

bool HistoryStore::setFavourite(qint64 id, bool favourite)
{
    const bool ok
        = exec(QStringLiteral("UPDATE images SET favourite = ? WHERE id = ?"), { favourite ? 1 : 0, id });
    if (ok)
        emit changed(id);
    return ok;
}

bool HistoryStore::setRating(qint64 id, int rating)
{
    const bool ok
        = exec(QStringLiteral("UPDATE images SET rating = ? WHERE id = ?"), { std::clamp(rating, 0, 5), id });
    if (ok)
        emit changed(id);
    return ok;
}

bool HistoryStore::setTags(qint64 id, const QStringList& tags)
{
    QJsonArray a;
    for (const QString& t : tags)
        if (!t.trimmed().isEmpty() && !a.contains(t.trimmed()))
            a.append(t.trimmed());
    const bool ok = exec(QStringLiteral("UPDATE images SET tags = ? WHERE id = ?"),
        { QJsonDocument(a).toJson(QJsonDocument::Compact), id });
    if (ok)
        emit changed(id);
    return ok;
}

QFuture<QImage> HistoryStore::thumbnail(qint64 id, int size) const
{
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    q.prepare(QStringLiteral("SELECT path FROM images WHERE id = ?"));
    q.addBindValue(id);
    if (!q.exec() || !q.next())
        return QtFuture::makeReadyFuture(QImage());
    return m_thumbnailer.thumbnail(q.value(0).toString(), size);
}

// ---- delete with undo -----------------------------------------------------------------------------

bool HistoryStore::remove(qint64 id, QString* error)
{
    QSqlDatabase db = QSqlDatabase::database(m_connection, false);
    QSqlQuery q(db);
    q.prepare(QStringLiteral("SELECT * FROM images WHERE id = ?"));
    q.addBindValue(id);
    if (!q.exec() || !q.next())
        return fail(error, QStringLiteral("image %1 is not in the history").arg(id));
    QJsonObject row;
    const QSqlRecord rec = q.record();
    for (int i = 0; i < rec.count(); ++i)
        row.insert(rec.fieldName(i), QJsonValue::fromVariant(q.value(i)));
    q.finish();
    const QString path = row.value("path").toString();
    const QString trashPath
        = QStringLiteral("%1/%2_%3").arg(trashDir()).arg(id).arg(QFileInfo(path).fileName());

    // the file first: if it cannot move, nothing changes
    const bool hadFile = QFile::exists(path);
    QFile::remove(trashPath);
    if (hadFile && !QFile::rename(path, trashPath))
        return fail(error, QStringLiteral("%1: cannot move it to %2").arg(path, trashDir()));
    db.transaction();
    QString why;
    if (!exec(QStringLiteral("INSERT OR REPLACE INTO trash (id, row, original_path, trash_path, deleted) "
                             "VALUES (?,?,?,?,?)"),
            { id, QJsonDocument(row).toJson(QJsonDocument::Compact), path, trashPath,
                QDateTime::currentMSecsSinceEpoch() },
            &why)
        || !exec(QStringLiteral("DELETE FROM images WHERE id = ?"), { id }, &why)
        || !exec(QStringLiteral("DELETE FROM images_fts WHERE rowid = ?"), { id }, &why) || !db.commit()) {
        db.rollback();
        if (hadFile)
            QFile::rename(trashPath, path);
        return fail(error, why.isEmpty() ? db.lastError().text() : why);
    }
    m_thumbnailer.forget(path);
    emit removed(id);
    return true;
}

bool HistoryStore::undoRemove(QString* error)
{
    const QList<qint64> trashed = trashedIds();
    if (trashed.isEmpty())
        return fail(error, QStringLiteral("nothing to undo"));
    return restore(trashed.first(), error);
}

bool HistoryStore::restore(qint64 id, QString* error)
{
    QSqlDatabase db = QSqlDatabase::database(m_connection, false);
    QSqlQuery q(db);
    q.prepare(QStringLiteral("SELECT row, original_path, trash_path FROM trash WHERE id = ?"));
    q.addBindValue(id);
    if (!q.exec() || !q.next())
        return fail(error, QStringLiteral("image %1 is not in the trash").arg(id));
    const QJsonObject row = QJsonDocument::fromJson(q.value(0).toByteArray()).object();
    const QString path = q.value(1).toString();
    const QString trashPath = q.value(2).toString();
    q.finish();
    if (QFile::exists(path))
        return fail(
            error, QStringLiteral("%1 exists again; move it away to restore the deleted image").arg(path));
    if (!QFile::exists(trashPath))
        return fail(error, QStringLiteral("%1: the deleted file is gone from the trash").arg(trashPath));
    QDir().mkpath(QFileInfo(path).absolutePath());
    if (!QFile::rename(trashPath, path))
        return fail(error, QStringLiteral("%1: cannot move it back to %2").arg(trashPath, path));

    QStringList columns, marks;
    QVariantList binds;
    for (auto it = row.begin(); it != row.end(); ++it) {
        columns << it.key();
        marks << QStringLiteral("?");
        binds << it.value().toVariant();
    }
    db.transaction();
    QString why;
    if (!exec("INSERT INTO images (" + columns.join(',') + ") VALUES (" + marks.join(',') + ')', binds, &why)
        || !exec(QStringLiteral("INSERT INTO images_fts (rowid, prompt, negative_prompt) VALUES (?,?,?)"),
            { id, searchable(row.value("prompt").toString()),
                searchable(row.value("negative_prompt").toString()) },
            &why)
        || !exec(QStringLiteral("DELETE FROM trash WHERE id = ?"), { id }, &why) || !db.commit()) {
        db.rollback();
        QFile::rename(path, trashPath);
        return fail(error, why.isEmpty() ? db.lastError().text() : why);
    }
    emit restored(id);
    return true;
}

QList<qint64> HistoryStore::trashedIds() const
{
    QList<qint64> out;
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    if (q.exec(QStringLiteral("SELECT id FROM trash ORDER BY deleted DESC, rowid DESC")))
        while (q.next())
            out << q.value(0).toLongLong();
    return out;
}

int HistoryStore::purgeTrash(const QDateTime& before)
{
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    q.prepare(QStringLiteral("SELECT id, trash_path FROM trash WHERE deleted < ?"));
    q.addBindValue(before.toMSecsSinceEpoch());
    QList<QPair<qint64, QString>> doomed;
    if (q.exec())
        while (q.next())
            doomed.append({ q.value(0).toLongLong(), q.value(1).toString() });
    int purged = 0;
    for (const auto& [id, file] : doomed)
        if ((!QFile::exists(file) || QFile::remove(file))
            && exec(QStringLiteral("DELETE FROM trash WHERE id = ?"), { id }))
            ++purged;
    return purged;
}

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
