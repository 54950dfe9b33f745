#include "core/history/HistoryStore.h"

#include "core/AppPaths.h"
#include "core/history/HistoryStoreDetail.h"
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

using namespace historydetail;

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

} // namespace qd
