#pragma once
// The style picker beside the prompt boxes: AUTOMATIC1111's styles (core/generation/Styles.h) chosen
// from a checkable menu and applied when the job is built, or written into the prompts now ("Apply
// to prompt", which then clears the choice, as A1111's button does); new styles from the current
// prompts, deleting the chosen ones, and importing an A1111 styles.csv. The styles live in the app's
// styles.csv, saved on every change.
#include <QStringList>
#include <QWidget>

#include <functional>

#include "core/generation/Styles.h"

class QToolButton;
class QMenu;

namespace qd
{

class StylePicker : public QWidget
{
    Q_OBJECT
public:
    explicit StylePicker(QWidget* parent = nullptr);

    // How the picker reads and writes the prompt boxes.
    using PromptGetter = std::function<QPair<QString, QString>()>;
    using PromptSetter = std::function<void(const QString&, const QString&)>;
    void setPromptAccess(PromptGetter get, PromptSetter set);

    void setStylesFile(const QString& path); // loads it; default StyleDatabase::defaultPath()
    QString stylesFile() const { return m_file; }
    const StyleDatabase& database() const { return m_db; }
    QStringList selectedStyles() const { return m_selected; }
    void setSelectedStyles(const QStringList& names);

    // The actions behind the buttons, without their dialogs; false with *error.
    bool applyToPrompt();
    bool addStyle(const QString& name, QString* error = nullptr);
    bool removeSelected(QString* error = nullptr);
    int importFile(const QString& path, QString* error = nullptr);

signals:
    void selectionChanged(const QStringList& names);

private:
    void rebuildMenu();
    void updateButton();
    bool save(QString* error);
    void showError(const QString& message);

    StyleDatabase m_db;
    QString m_file;
    QStringList m_selected;
    QToolButton* m_choose = nullptr;
    QMenu* m_menu = nullptr;
    PromptGetter m_get;
    PromptSetter m_set;
};

} // namespace qd
