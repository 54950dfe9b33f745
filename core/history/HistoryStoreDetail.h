#pragma once
// What the HistoryStore*.cpp files share: small SQL helpers and the text as the word index holds it.
// Not part of core's interface: only HistoryStore's own files include it.
#include <QSqlError>
#include <QSqlQuery>
#include <QString>

#include <string>

namespace qd
{

namespace historydetail
{

inline QString qs(const std::string& s)
{
    return QString::fromStdString(s);
}

inline bool fail(QString* error, const QString& message)
{
    if (error)
        *error = message;
    return false;
}

inline QString sqlError(const QSqlQuery& q)
{
    return q.lastError().text();
}

// The text as indexed: characters of scripts written without spaces (Han, Hiragana, Katakana) become
// single tokens, so "一只猫" is indexed as "一 只 猫" and any run of them is found as a phrase.
QString searchable(const QString& text);

} // namespace historydetail

} // namespace qd
