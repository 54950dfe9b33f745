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

class PromptCompleter;
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
    // Names the completion offers: LoRAs after "<lora:", embeddings in plain text.
    void setExtraNetworkNames(const QStringList& loras, const QStringList& embeddings);
    PromptCompleter* completer() const { return m_completer; }
    // Inserts `text` at the cursor, after ", " when it would otherwise run into the text before.
    void insertPromptText(const QString& text);
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
    PromptCompleter* m_completer;
    QLabel* m_title;
    QLabel* m_counter;
    QToolButton* m_recentButton;
    QTimer* m_countTimer;
    TokenCounterFunction m_tokenCounter = [](const QString& p) { return clipTokenCount(p); };
    TokenCount m_count;
    QStringList m_recent;
    QString m_titleText;
};

} // namespace qd
