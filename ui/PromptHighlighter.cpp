#include "ui/PromptHighlighter.h"

#include <QApplication>
#include <QPalette>
#include <QRegularExpression>

namespace qd
{

namespace
{
// Block state: paren depth in the low 16 bits, bracket depth above (a state of -1 means "none").
int packState(int paren, int bracket)
{
    return (bracket << 16) | paren;
}
int parenDepth(int state)
{
    return state < 0 ? 0 : state & 0xffff;
}
int bracketDepth(int state)
{
    return state < 0 ? 0 : state >> 16;
}
} // namespace

PromptHighlighter::PromptHighlighter(QTextDocument* document)
    : QSyntaxHighlighter(document)
{
    updateColors(QApplication::palette());
}

void PromptHighlighter::updateColors(const QPalette& palette)
{
    const bool dark = palette.color(QPalette::Base).lightness() < 128;
    auto color
        = [dark](const char* light, const char* darkColor) { return QColor(dark ? darkColor : light); };

    m_formats[Emphasis].setForeground(color("#b35900", "#ffb86c"));
    m_formats[Emphasis].setFontWeight(QFont::DemiBold);
    m_formats[Deemphasis].setForeground(color("#5a6b8c", "#9fb0d0"));
    m_formats[Deemphasis].setFontItalic(true);
    m_formats[Weight].setForeground(color("#0b7a75", "#6ee7de"));
    m_formats[Weight].setFontWeight(QFont::Bold);
    m_formats[Break].setForeground(color("#a3154f", "#ff79c6"));
    m_formats[Break].setFontWeight(QFont::Bold);
    m_formats[ExtraNetwork].setForeground(color("#2f7d1f", "#8be07a"));
    m_formats[ExtraNetwork].setBackground(color("#eaf6e6", "#213a1c"));
    m_formats[Unbalanced].setUnderlineStyle(QTextCharFormat::WaveUnderline);
    m_formats[Unbalanced].setUnderlineColor(color("#d00000", "#ff5555"));
    m_formats[Unbalanced].setForeground(color("#d00000", "#ff5555"));
    rehighlight();
}

void PromptHighlighter::highlightBlock(const QString& text)
{
    int paren = parenDepth(previousBlockState());
    int bracket = bracketDepth(previousBlockState());
    const int n = int(text.size());

    // 1. Text inside brackets (the brackets themselves are set below, over this).
    {
        int p = paren, b = bracket;
        for (int i = 0; i < n; ++i) {
            const QChar c = text.at(i);
            if (c == u'\\') {
                if (p > 0 || b > 0)
                    setFormat(i, qMin(2, n - i), p > 0 ? m_formats[Emphasis] : m_formats[Deemphasis]);
                ++i; // escaped character: literal
                continue;
            }
            if (c == u'(')
                ++p;
            else if (c == u'[')
                ++b;
            else if (c == u')' && p > 0)
                --p;
            else if (c == u']' && b > 0)
                --b;
            else if (p > 0 && p >= b)
                setFormat(i, 1, m_formats[Emphasis]);
            else if (b > 0)
                setFormat(i, 1, m_formats[Deemphasis]);
        }
    }

    // 2. The brackets, weights and unbalanced closers.
    QList<int> openParens; // positions in this block of still-open '(' / '['
    QList<int> openBrackets;
    for (int i = 0; i < n; ++i) {
        const QChar c = text.at(i);
        if (c == u'\\') {
            ++i;
            continue;
        }
        if (c == u'(') {
            ++paren;
            openParens.append(i);
            setFormat(i, 1, m_formats[Emphasis]);
        } else if (c == u'[') {
            ++bracket;
            openBrackets.append(i);
            setFormat(i, 1, m_formats[Deemphasis]);
        } else if (c == u')') {
            if (paren == 0) {
                setFormat(i, 1, m_formats[Unbalanced]);
                continue;
            }
            --paren;
            if (!openParens.isEmpty())
                openParens.removeLast();
            setFormat(i, 1, m_formats[Emphasis]);
        } else if (c == u']') {
            if (bracket == 0) {
                setFormat(i, 1, m_formats[Unbalanced]);
                continue;
            }
            --bracket;
            if (!openBrackets.isEmpty())
                openBrackets.removeLast();
            setFormat(i, 1, m_formats[Deemphasis]);
        }
    }

    // 3. Explicit weights ":1.2)" (A1111's re_attention ":\s*([+-]?[.\d]+)\s*\)").
    static const QRegularExpression weight(QStringLiteral(R"(:\s*[+-]?[.\d]+\s*(?=\)))"));
    for (auto it = weight.globalMatch(text); it.hasNext();) {
        const auto m = it.next();
        setFormat(int(m.capturedStart()), int(m.capturedLength()), m_formats[Weight]);
    }
    // 4. BREAK (A1111's re_break: a whole upper-case word).
    static const QRegularExpression breakWord(QStringLiteral("\\bBREAK\\b"));
    for (auto it = breakWord.globalMatch(text); it.hasNext();) {
        const auto m = it.next();
        setFormat(int(m.capturedStart()), int(m.capturedLength()), m_formats[Break]);
    }
    // 5. Extra networks (A1111's re_extra_net "<(\w+):([^>]+)>").
    static const QRegularExpression extraNet(QStringLiteral("<(\\w+):([^>]+)>"));
    for (auto it = extraNet.globalMatch(text); it.hasNext();) {
        const auto m = it.next();
        setFormat(int(m.capturedStart()), int(m.capturedLength()), m_formats[ExtraNetwork]);
    }

    // 6. Brackets still open at the end of the prompt are flagged where they were opened.
    const bool lastBlock = !currentBlock().next().isValid();
    if (lastBlock) {
        for (int i : openParens)
            setFormat(i, 1, m_formats[Unbalanced]);
        for (int i : openBrackets)
            setFormat(i, 1, m_formats[Unbalanced]);
    }
    setCurrentBlockState(packState(paren, bracket));
}

} // namespace qd
