// HistoryStore: delete with undo: the trash folder and table, restore, purge.
#include "core/history/HistoryStore.h"

#include "core/history/HistoryStoreDetail.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlDatabase>
#include <QSqlRecord>

namespace qd
{

using namespace historydetail;

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

} // namespace qd
