#pragma once
// Colours A1111 prompt syntax (docs/reference.md §6): attention brackets ( ) [ ], explicit weights
// (word:1.2), the BREAK keyword, extra-network tags <lora:name:0.8>, and brackets left unbalanced.
// Nesting carries over line breaks through the block state.
#include <QSyntaxHighlighter>
#include <QTextCharFormat>

namespace qd
{

class PromptHighlighter : public QSyntaxHighlighter
{
    Q_OBJECT
public:
    enum Kind {
        Emphasis, // ( ) and the text inside, one step per nesting level
        Deemphasis, // [ ] and the text inside
        Weight, // ":1.2" before a closing parenthesis
        Break, // BREAK
        ExtraNetwork, // <lora:...>, <hypernet:...>
        Unbalanced, // a closing bracket without an opening one, or one never closed
        KindCount
    };

    explicit PromptHighlighter(QTextDocument* document);

    // The formats in use (derived from the palette: readable on light and dark themes).
    QTextCharFormat format(Kind kind) const { return m_formats[kind]; }
    void updateColors(const QPalette& palette);

protected:
    void highlightBlock(const QString& text) override;

private:
    QTextCharFormat m_formats[KindCount];
};

} // namespace qd
