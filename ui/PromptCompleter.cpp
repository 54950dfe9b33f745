#include "ui/PromptCompleter.h"

#include <QAbstractItemView>
#include <QCompleter>
#include <QKeyEvent>
#include <QPlainTextEdit>
#include <QScrollBar>
#include <QStringListModel>
#include <QTextBlock>

namespace qd
{

namespace
{
bool isNameChar(QChar c)
{
    return c.isLetterOrNumber() || c == '_' || c == '-' || c == '.';
}
} // namespace

PromptCompleter::PromptCompleter(QPlainTextEdit* edit)
    : QObject(edit)
    , m_edit(edit)
    , m_completer(new QCompleter(this))
    , m_model(new QStringListModel(this))
{
    m_completer->setModel(m_model);
    m_completer->setWidget(edit);
    m_completer->setCaseSensitivity(Qt::CaseInsensitive);
    m_completer->setCompletionMode(QCompleter::PopupCompletion);
    m_completer->setModelSorting(QCompleter::CaseInsensitivelySortedModel);
    m_completer->popup()->setObjectName(edit->objectName() + "Completions");
    connect(m_completer, qOverload<const QString&>(&QCompleter::activated), this,
        &PromptCompleter::insertCompletion);
    connect(edit, &QPlainTextEdit::textChanged, this, &PromptCompleter::update);
    edit->installEventFilter(this);
}

void PromptCompleter::setNames(const QStringList& loras, const QStringList& embeddings)
{
    m_loras = loras;
    m_embeddings = embeddings;
}

PromptCompleter::Context PromptCompleter::contextAtCursor() const
{
    const QTextCursor cursor = m_edit->textCursor();
    const QString line = cursor.block().text().left(cursor.positionInBlock());
    int i = int(line.size());
    while (i > 0 && isNameChar(line[i - 1]))
        --i;
    Context c;
    c.prefix = line.mid(i);
    c.start = cursor.block().position() + i;
    static const QString tag = QStringLiteral("<lora:");
    if (i >= tag.size() && line.mid(i - tag.size(), tag.size()).compare(tag, Qt::CaseInsensitive) == 0) {
        c.lora = true;
        c.start -= int(tag.size());
    } else if (c.prefix.size() < 2) {
        c.prefix.clear();
    }
    return c;
}

QStringList PromptCompleter::candidates() const
{
    const Context c = contextAtCursor();
    if (c.prefix.isEmpty() && !c.lora)
        return {};
    QStringList out;
    for (const QString& n : c.lora ? m_loras : m_embeddings)
        if (n.startsWith(c.prefix, Qt::CaseInsensitive) && n.compare(c.prefix, Qt::CaseInsensitive) != 0)
            out << n;
    out.sort(Qt::CaseInsensitive);
    return out;
}

void PromptCompleter::insertCompletion(const QString& name)
{
    const Context c = contextAtCursor();
    QTextCursor cursor = m_edit->textCursor();
    cursor.setPosition(c.start);
    cursor.setPosition(m_edit->textCursor().position(), QTextCursor::KeepAnchor);
    if (c.lora) {
        // a tag already closed after the cursor ("<lora:na|me:0.8>") keeps its weight
        cursor.insertText(QStringLiteral("<lora:") + name + QStringLiteral(":1>"));
    } else {
        cursor.insertText(name);
    }
    m_edit->setTextCursor(cursor);
    m_completer->popup()->hide();
}

void PromptCompleter::update()
{
    const QStringList list = candidates();
    m_model->setStringList(list);
    if (list.isEmpty() || !m_edit->hasFocus()) {
        m_completer->popup()->hide();
        return;
    }
    m_completer->setCompletionPrefix(QString());
    QRect rect = m_edit->cursorRect();
    rect.setWidth(m_completer->popup()->sizeHintForColumn(0)
        + m_completer->popup()->verticalScrollBar()->sizeHint().width() + 8);
    m_completer->complete(rect);
}

bool PromptCompleter::eventFilter(QObject* watched, QEvent* event)
{
    // While the list shows, Enter / Tab pick the current name (the completer sees the key first);
    // they must not reach the text as a newline or a focus change.
    if (watched == m_edit && event->type() == QEvent::KeyPress && m_completer->popup()->isVisible()) {
        const auto* keyEvent = static_cast<QKeyEvent*>(event);
        const int key = keyEvent->key();
        const bool plain = (keyEvent->modifiers() & ~Qt::KeypadModifier) == Qt::NoModifier;
        if (plain && (key == Qt::Key_Return || key == Qt::Key_Enter || key == Qt::Key_Tab)) {
            const QModelIndex current = m_completer->popup()->currentIndex();
            insertCompletion((current.isValid() ? current : m_model->index(0)).data().toString());
            return true;
        }
        if (key == Qt::Key_Escape) {
            m_completer->popup()->hide();
            return true;
        }
    }
    return QObject::eventFilter(watched, event);
}

} // namespace qd
