#pragma once
// A prompt box: syntax-highlighted text, a live token counter per 75-token chunk, undo/redo (the
// document's own), and a menu of recent prompts.
#include <QPlainTextEdit>
#include <QWidget>

#include "ui/TokenCounter.h"

class QLabel;
class QTimer;
class QToolButton;

namespace qd
{

class PromptHighlighter;

class PromptEditor : public QWidget
{
    Q_OBJECT
public:
    // `name` prefixes the objectNames of the parts: "<name>Text", "<name>TokenCount", "<name>Recent".
    explicit PromptEditor(const QString& title, const QString& name, QWidget* parent = nullptr);

    QString text() const;
    void setText(const QString& text); // undoable, like typing
    QPlainTextEdit* textEdit() const { return m_edit; }
    PromptHighlighter* highlighter() const { return m_highlighter; }

    void setTokenCounter(TokenCounterFunction counter);
    TokenCount tokenCount() const { return m_count; }
    QString tokenCountText() const;

    // Most recent first, without duplicates, at most maxRecent().
    QStringList recentPrompts() const { return m_recent; }
    void setRecentPrompts(const QStringList& prompts);
    void addRecentPrompt(const QString& prompt);
    static int maxRecent() { return 20; }

signals:
    void textChanged();
    void recentPromptsChanged();

protected:
    void changeEvent(QEvent* event) override;

private:
    void updateTokenCount();
    void rebuildRecentMenu();

    QPlainTextEdit* m_edit;
    PromptHighlighter* m_highlighter;
    QLabel* m_title;
    QLabel* m_counter;
    QToolButton* m_recentButton;
    QTimer* m_countTimer;
    TokenCounterFunction m_tokenCounter = clipTokenCount;
    TokenCount m_count;
    QStringList m_recent;
    QString m_titleText;
};

} // namespace qd
