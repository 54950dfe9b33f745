#include "ui/PromptEditor.h"

#include <QEvent>
#include <QHBoxLayout>
#include <QLabel>
#include <QMenu>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

#include "ui/PromptCompleter.h"
#include "ui/PromptHighlighter.h"

namespace qd
{

PromptEditor::PromptEditor(const QString& title, const QString& name, QWidget* parent)
    : QWidget(parent)
    , m_edit(new QPlainTextEdit(this))
    , m_highlighter(new PromptHighlighter(m_edit->document()))
    , m_completer(nullptr)
    , m_title(new QLabel(title, this))
    , m_counter(new QLabel(this))
    , m_recentButton(new QToolButton(this))
    , m_countTimer(new QTimer(this))
    , m_titleText(title)
{
    setObjectName(name);
    m_edit->setObjectName(name + "Text");
    m_completer = new PromptCompleter(m_edit);
    m_counter->setObjectName(name + "TokenCount");
    m_recentButton->setObjectName(name + "Recent");

    m_edit->setTabChangesFocus(true); // Tab moves on; prompts never need a literal tab
    m_edit->setAccessibleName(title);
    m_edit->setLineWrapMode(QPlainTextEdit::WidgetWidth);
    m_title->setBuddy(m_edit);
    m_counter->setToolTip(tr("Tokens used / tokens available in the chunks of 75 the prompt fills"));
    m_counter->setTextInteractionFlags(Qt::NoTextInteraction);

    m_recentButton->setText(tr("Recent"));
    m_recentButton->setToolTip(tr("Recent prompts"));
    m_recentButton->setPopupMode(QToolButton::InstantPopup);
    m_recentButton->setToolButtonStyle(Qt::ToolButtonTextOnly);
    m_recentButton->setMenu(new QMenu(m_recentButton));
    m_recentButton->setEnabled(false);

    auto* header = new QHBoxLayout;
    header->setContentsMargins(0, 0, 0, 0);
    header->addWidget(m_title);
    header->addStretch(1);
    header->addWidget(m_counter);
    header->addWidget(m_recentButton);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    layout->addLayout(header);
    layout->addWidget(m_edit, 1);

    // Counting runs on a short timer so fast typing is never slowed by the tokenizer.
    m_countTimer->setSingleShot(true);
    m_countTimer->setInterval(120);
    connect(m_countTimer, &QTimer::timeout, this, &PromptEditor::updateTokenCount);
    connect(m_edit, &QPlainTextEdit::textChanged, this, [this] {
        m_countTimer->start();
        emit textChanged();
    });
    // Unbalanced-bracket marks depend on the whole text; prompts are short, so recolour it all when
    // lines come or go.
    connect(m_edit->document(), &QTextDocument::blockCountChanged, m_highlighter,
        &QSyntaxHighlighter::rehighlight);
    updateTokenCount();
}

QString PromptEditor::text() const
{
    return m_edit->toPlainText();
}

void PromptEditor::setText(const QString& text)
{
    if (text == m_edit->toPlainText())
        return;
    // Through a cursor, so that Undo brings the previous prompt back.
    QTextCursor cursor(m_edit->document());
    cursor.beginEditBlock();
    cursor.select(QTextCursor::Document);
    cursor.insertText(text);
    cursor.endEditBlock();
    updateTokenCount();
}

void PromptEditor::setTokenCounter(TokenCounterFunction counter)
{
    m_tokenCounter = counter ? std::move(counter)
                             : TokenCounterFunction([](const QString& p) { return clipTokenCount(p); });
    updateTokenCount();
}

QString PromptEditor::tokenCountText() const
{
    return m_counter->text();
}

void PromptEditor::updateTokenCount()
{
    m_countTimer->stop();
    m_count = m_tokenCounter(m_edit->toPlainText());
    m_counter->setText(QStringLiteral("%1/%2").arg(m_count.total).arg(m_count.chunkCapacity()));
    QStringList lines;
    for (int i = 0; i < m_count.perChunk.size(); ++i)
        lines << tr("Chunk %1: %2 tokens").arg(i + 1).arg(m_count.perChunk[i]);
    if (m_count.estimated)
        lines << tr("(estimated without the CLIP vocabulary)");
    m_counter->setToolTip(lines.join(u'\n'));
    // A1111 users know: a prompt spilling into another chunk is weighed differently.
    m_counter->setProperty("overflow", m_count.perChunk.size() > 1);
    m_counter->setStyleSheet(
        m_count.perChunk.size() > 1 ? QStringLiteral("color: palette(link);") : QString());
}

void PromptEditor::setRecentPrompts(const QStringList& prompts)
{
    m_recent.clear();
    for (const QString& p : prompts) {
        if (!p.trimmed().isEmpty() && !m_recent.contains(p))
            m_recent.append(p);
    }
    while (m_recent.size() > maxRecent())
        m_recent.removeLast();
    rebuildRecentMenu();
    emit recentPromptsChanged();
}

void PromptEditor::addRecentPrompt(const QString& prompt)
{
    if (prompt.trimmed().isEmpty())
        return;
    QStringList list = m_recent;
    list.removeAll(prompt);
    list.prepend(prompt);
    setRecentPrompts(list);
}

void PromptEditor::rebuildRecentMenu()
{
    QMenu* menu = m_recentButton->menu();
    menu->clear();
    for (const QString& p : m_recent) {
        QString label = p.simplified();
        if (label.size() > 80)
            label = label.left(79) + QChar(0x2026);
        label.replace(u'&', QStringLiteral("&&"));
        QAction* a = menu->addAction(label);
        a->setToolTip(p);
        connect(a, &QAction::triggered, this, [this, p] { setText(p); });
    }
    if (!m_recent.isEmpty()) {
        menu->addSeparator();
        menu->addAction(tr("Clear recent prompts"), this, [this] { setRecentPrompts({}); });
    }
    m_recentButton->setEnabled(!m_recent.isEmpty());
}

void PromptEditor::changeEvent(QEvent* event)
{
    if (event->type() == QEvent::PaletteChange)
        m_highlighter->updateColors(palette());
    QWidget::changeEvent(event);
}

void PromptEditor::setExtraNetworkNames(const QStringList& loras, const QStringList& embeddings)
{
    m_completer->setNames(loras, embeddings);
}

void PromptEditor::insertPromptText(const QString& text)
{
    QTextCursor cursor = m_edit->textCursor();
    const QString before = m_edit->toPlainText().left(cursor.position());
    QString prefix;
    if (before.trimmed().endsWith(','))
        prefix = before.back().isSpace() ? QString() : QStringLiteral(" ");
    else if (!before.trimmed().isEmpty())
        prefix = QStringLiteral(", ");
    cursor.insertText(prefix + text);
    m_edit->setTextCursor(cursor);
    m_edit->setFocus();
}

} // namespace qd
