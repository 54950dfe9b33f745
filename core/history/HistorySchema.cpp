// HistoryStore: opening the database, its schema and version (the rest: HistoryStore.h).
#include "core/history/HistoryStore.h"

#include "core/history/HistoryStoreDetail.h"

#include <QDir>
#include <QSqlDatabase>

namespace qd
{

namespace
{

constexpr int kSchemaVersion = 1;

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

} // namespace

using namespace historydetail;

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

} // namespace qd
