#include "core/generation/Styles.h"

#include <QFile>
#include <QFileInfo>

#include "core/AppPaths.h"
#include "core/AtomicFile.h"

namespace qd
{

QString mergeStylePrompt(const QString& styleText, const QString& prompt)
{
    if (styleText.contains(QLatin1String("{prompt}"))) {
        QString out = styleText;
        return out.replace(QLatin1String("{prompt}"), prompt);
    }
    QStringList parts;
    for (const QString& part : { prompt.trimmed(), styleText.trimmed() })
        if (!part.isEmpty())
            parts << part;
    return parts.join(QLatin1String(", "));
}

QList<QStringList> parseCsv(const QString& input, bool skipInitialSpace)
{
    QString text = input;
    if (text.startsWith(QChar(0xFEFF)))
        text.remove(0, 1);
    QList<QStringList> rows;
    QStringList row;
    QString field;
    bool quoted = false, fieldStarted = false, rowStarted = false;
    const qsizetype n = text.size();
    auto endField = [&] {
        row << field;
        field.clear();
        fieldStarted = false;
    };
    auto endRow = [&] {
        endField();
        rows << row;
        row.clear();
        rowStarted = false;
    };
    for (qsizetype i = 0; i < n; ++i) {
        const QChar c = text[i];
        if (quoted) {
            if (c == '"') {
                if (i + 1 < n && text[i + 1] == '"') {
                    field += '"';
                    ++i;
                } else {
                    quoted = false;
                }
            } else {
                field += c;
            }
            continue;
        }
        if (c == '"' && !fieldStarted) {
            quoted = fieldStarted = rowStarted = true;
        } else if (c == ',') {
            rowStarted = true;
            endField();
            if (skipInitialSpace)
                while (i + 1 < n && text[i + 1] == ' ')
                    ++i;
        } else if (c == '\r' || c == '\n') {
            if (c == '\r' && i + 1 < n && text[i + 1] == '\n')
                ++i;
            if (rowStarted || fieldStarted || !row.isEmpty())
                endRow();
            // a blank line is no row (csv.reader yields [], DictReader skips it)
        } else {
            field += c; // after a closing quote Python keeps the text too
            fieldStarted = rowStarted = true;
        }
    }
    if (rowStarted || fieldStarted || !row.isEmpty())
        endRow();
    return rows;
}

QString csvRow(const QStringList& fields)
{
    QStringList out;
    for (const QString& f : fields) {
        const bool quote = f.contains(',') || f.contains('"') || f.contains('\r') || f.contains('\n');
        out << (quote ? '"' + QString(f).replace('"', QLatin1String("\"\"")) + '"' : f);
    }
    return out.join(',');
}

QString StyleDatabase::defaultPath()
{
    return AppPaths::dataDir() + QStringLiteral("/styles.csv");
}

QList<PromptStyle> StyleDatabase::parse(const QString& csvText, QString* error)
{
    const QList<QStringList> rows = parseCsv(csvText, true);
    QList<PromptStyle> out;
    if (rows.isEmpty())
        return out;
    const QStringList header = rows.first();
    const qsizetype name = header.indexOf(QStringLiteral("name"));
    qsizetype prompt = header.indexOf(QStringLiteral("prompt"));
    if (prompt < 0)
        prompt = header.indexOf(QStringLiteral("text")); // the old two-column format
    const qsizetype negative = header.indexOf(QStringLiteral("negative_prompt"));
    if (name < 0) {
        if (error)
            *error
                = QStringLiteral("no 'name' column in the header '%1' (expected name,prompt,negative_prompt)")
                      .arg(header.join(','));
        return out;
    }
    auto at
        = [](const QStringList& row, qsizetype i) { return i >= 0 && i < row.size() ? row[i] : QString(); };
    for (qsizetype r = 1; r < rows.size(); ++r) {
        PromptStyle s { at(rows[r], name), at(rows[r], prompt), at(rows[r], negative) };
        const auto same
            = std::find_if(out.begin(), out.end(), [&](const PromptStyle& o) { return o.name == s.name; });
        if (same != out.end()) // a dict in A1111: the last row of a name wins
            *same = s;
        else
            out << s;
    }
    return out;
}

bool StyleDatabase::load(const QString& path, QString* error)
{
    m_styles.clear();
    if (!QFileInfo::exists(path))
        return true;
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        if (error)
            *error = QStringLiteral("cannot read '%1': %2").arg(path, file.errorString());
        return false;
    }
    QString why;
    m_styles = parse(QString::fromUtf8(file.readAll()), &why);
    if (!why.isEmpty()) {
        if (error)
            *error = path + QStringLiteral(": ") + why;
        return false;
    }
    return true;
}

int StyleDatabase::import(const QString& path, QString* error)
{
    StyleDatabase other;
    if (!QFileInfo(path).isFile()) {
        if (error)
            *error = QStringLiteral("'%1' is not a file").arg(path);
        return -1;
    }
    if (!other.load(path, error))
        return -1;
    for (const PromptStyle& s : other.styles())
        set(s);
    return int(other.styles().size());
}

QString StyleDatabase::toCsv() const
{
    QString out
        = csvRow({ QStringLiteral("name"), QStringLiteral("prompt"), QStringLiteral("negative_prompt") })
        + QStringLiteral("\r\n");
    for (const PromptStyle& s : m_styles)
        out += csvRow({ s.name, s.prompt, s.negativePrompt }) + QStringLiteral("\r\n");
    return out;
}

bool StyleDatabase::save(const QString& path, QString* error) const
{
    // utf-8-sig, as A1111 writes it
    return writeFileAtomically(path, QByteArray("\xEF\xBB\xBF") + toCsv().toUtf8(), error);
}

QStringList StyleDatabase::names() const
{
    QStringList out;
    for (const PromptStyle& s : m_styles)
        out << s.name;
    return out;
}

std::optional<PromptStyle> StyleDatabase::find(const QString& name) const
{
    for (const PromptStyle& s : m_styles)
        if (s.name == name)
            return s;
    return std::nullopt;
}

void StyleDatabase::set(const PromptStyle& style)
{
    for (PromptStyle& s : m_styles)
        if (s.name == style.name) {
            s = style;
            return;
        }
    m_styles << style;
}

bool StyleDatabase::remove(const QString& name)
{
    return m_styles.removeIf([&](const PromptStyle& s) { return s.name == name; }) > 0;
}

bool StyleDatabase::apply(
    const QStringList& names, QString* prompt, QString* negativePrompt, QString* error) const
{
    QList<PromptStyle> chosen;
    for (const QString& name : names) {
        const std::optional<PromptStyle> s = find(name);
        if (!s) {
            if (error)
                *error
                    = QStringLiteral("Style '%1' not found (known: %2)")
                          .arg(name, m_styles.isEmpty() ? QStringLiteral("none") : this->names().join(", "));
            return false;
        }
        chosen << *s;
    }
    for (const PromptStyle& s : chosen) {
        *prompt = mergeStylePrompt(s.prompt, *prompt);
        *negativePrompt = mergeStylePrompt(s.negativePrompt, *negativePrompt);
    }
    return true;
}

namespace
{

// A1111's extract_style_text_from_prompt: whether `prompt` is `styleText` applied to something, and
// that something.
bool extractStyleText(const QString& styleText, const QString& prompt, QString* original)
{
    const QString p = prompt.trimmed(), s = styleText.trimmed();
    if (s.contains(QLatin1String("{prompt}"))) {
        const qsizetype at = s.indexOf(QLatin1String("{prompt}"));
        const QString left = s.left(at), right = s.mid(at + 8);
        if (p.startsWith(left) && p.endsWith(right) && p.size() >= left.size() + right.size()) {
            *original = p.mid(left.size(), p.size() - left.size() - right.size());
            return true;
        }
        return false;
    }
    if (!p.endsWith(s))
        return false;
    QString rest = p.left(p.size() - s.size());
    if (rest.endsWith(QLatin1String(", ")))
        rest.chop(2);
    *original = rest;
    return true;
}

} // namespace

QStringList StyleDatabase::extractStyles(QString* prompt, QString* negativePrompt) const
{
    QList<PromptStyle> candidates = m_styles;
    QStringList found;
    for (;;) {
        bool matched = false;
        for (qsizetype i = 0; i < candidates.size(); ++i) {
            const PromptStyle& s = candidates[i];
            if (s.prompt.isEmpty() && s.negativePrompt.isEmpty())
                continue;
            QString p, n;
            if (!extractStyleText(s.prompt, *prompt, &p)
                || !extractStyleText(s.negativePrompt, *negativePrompt, &n))
                continue;
            *prompt = p;
            *negativePrompt = n;
            found.prepend(s.name); // extracted last-applied first
            candidates.removeAt(i);
            matched = true;
            break;
        }
        if (!matched)
            return found;
    }
}

} // namespace qd
