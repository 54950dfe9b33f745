#pragma once
// Completes extra-network names as the artist types in a prompt box: after "<lora:" the LoRA
// names (accepting inserts the whole tag "<lora:NAME:1>"), elsewhere the textual-inversion
// embeddings' names once two characters of a word are typed.
#include <QObject>
#include <QStringList>

class QCompleter;
class QPlainTextEdit;
class QStringListModel;

namespace qd
{

class PromptCompleter : public QObject
{
    Q_OBJECT
public:
    explicit PromptCompleter(QPlainTextEdit* edit);

    void setNames(const QStringList& loras, const QStringList& embeddings);
    QCompleter* completer() const { return m_completer; }

    // What is being completed at the cursor: the word typed so far ("" when nothing completes
    // there), and whether it is a LoRA tag's name.
    struct Context {
        QString prefix;
        bool lora = false;
        int start = 0; // document position where the replaced text begins ("<lora:" included)
    };
    Context contextAtCursor() const;
    // The candidates for the cursor's context (what the popup lists), sorted.
    QStringList candidates() const;
    // Replaces the typed prefix with `name` (a LoRA becomes "<lora:NAME:1>").
    void insertCompletion(const QString& name);

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void update();

    QPlainTextEdit* m_edit;
    QCompleter* m_completer;
    QStringListModel* m_model;
    QStringList m_loras, m_embeddings;
    Context m_context;
};

} // namespace qd
