// HistoryStore: reading rows: the word search, filters, sort orders, counts and pages.
#include "core/history/HistoryStore.h"

#include "core/history/HistoryStoreDetail.h"
#include "core/metadata/ParamsJson.h"

#include <QFileInfo>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlDatabase>

#include <algorithm>

namespace qd
{

using namespace historydetail;

namespace
{

const char* const kColumns = "id, path, params, width, height, created, favourite, rating, tags, source";

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

} // namespace

namespace historydetail
{

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

} // namespace historydetail

namespace
{

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

} // namespace

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

} // namespace qd
