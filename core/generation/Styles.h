#pragma once
// Prompt styles as AUTOMATIC1111 keeps them (modules/styles.py): a style is a name, a prompt and a
// negative prompt, stored in styles.csv (header name,prompt,negative_prompt; RFC 4180 quoting, fields
// may span lines; written UTF-8 with a BOM and CRLF, as Python's csv module writes it). Applying a
// style to a prompt: a `{prompt}` in the style's text is replaced by the prompt, else the style's
// text is appended after ", " (empty parts dropped); the negative prompt likewise. Styles are applied
// when a job is built, so an image records the final prompts and no style names, as in A1111;
// extractStyles() is A1111's paste-time reverse ("infotext_styles": "Apply if any").
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace qd
{

struct PromptStyle {
    QString name;
    QString prompt;
    QString negativePrompt;
    bool operator==(const PromptStyle& o) const
    {
        return name == o.name && prompt == o.prompt && negativePrompt == o.negativePrompt;
    }
};

// The `{prompt}` / ", " rule for one style text.
QString mergeStylePrompt(const QString& styleText, const QString& prompt);

// RFC 4180 CSV as Python's csv module reads it (quoted fields with "" escapes and line breaks, CR, LF
// or CRLF rows, a UTF-8 BOM skipped); `skipInitialSpace` drops blanks after a delimiter.
QList<QStringList> parseCsv(const QString& text, bool skipInitialSpace = false);
// One row as csv.writer writes it (QUOTE_MINIMAL: quoted only when holding , " CR or LF), no newline.
QString csvRow(const QStringList& fields);

class StyleDatabase
{
public:
    // The app's styles.csv: QDIFFUSION_HOME/data/styles.csv or the app data folder's.
    static QString defaultPath();

    // Reads a styles.csv as A1111 does (csv.DictReader, skipinitialspace): columns found by header
    // name, so extra columns and any order are fine; the old "text" column stands for "prompt".
    // Replaces what is held. A missing file is an empty database; false with *error for a file
    // that cannot be read or has no "name" column.
    bool load(const QString& path, QString* error = nullptr);
    // Adds (or replaces, by name) the styles of another styles.csv; returns how many were read, -1
    // with *error when the file cannot be read.
    int import(const QString& path, QString* error = nullptr);
    // Writes all styles to `path` atomically, A1111's format.
    bool save(const QString& path, QString* error = nullptr) const;
    static QList<PromptStyle> parse(const QString& csvText, QString* error = nullptr);
    QString toCsv() const;

    const QList<PromptStyle>& styles() const { return m_styles; }
    QStringList names() const;
    std::optional<PromptStyle> find(const QString& name) const;
    void set(const PromptStyle& style); // adds, or replaces the one of that name in place
    bool remove(const QString& name);

    // The prompts with `names` applied in order. False with *error naming the first unknown style
    // (A1111 silently skips it; a request that names a style it means should not be ignored).
    bool apply(
        const QStringList& names, QString* prompt, QString* negativePrompt, QString* error = nullptr) const;
    // A1111's extract_styles_from_prompt: the styles whose text the prompts end with (or that wrap
    // them through `{prompt}`), removed from the prompts; names in the order they were applied.
    QStringList extractStyles(QString* prompt, QString* negativePrompt) const;

private:
    QList<PromptStyle> m_styles;
};

} // namespace qd
