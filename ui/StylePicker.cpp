#include "ui/StylePicker.h"

#include <QFileDialog>
#include <QHBoxLayout>
#include <QInputDialog>
#include <QLabel>
#include <QMenu>
#include <QMessageBox>
#include <QSignalBlocker>
#include <QToolButton>

namespace qd
{

StylePicker::StylePicker(QWidget* parent)
    : QWidget(parent)
{
    setObjectName("stylePicker");
    auto* label = new QLabel(tr("St&yles:"), this);
    m_choose = new QToolButton(this);
    m_choose->setObjectName("styleChooser");
    m_choose->setPopupMode(QToolButton::InstantPopup);
    m_choose->setToolButtonStyle(Qt::ToolButtonTextOnly);
    m_choose->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    m_choose->setToolTip(tr("Styles added to the prompts when the job is built"));
    m_menu = new QMenu(m_choose);
    m_choose->setMenu(m_menu);
    label->setBuddy(m_choose);

    auto* apply = new QToolButton(this);
    apply->setObjectName("applyStylesButton");
    apply->setText(tr("Apply to Prompt"));
    apply->setToolTip(tr("Write the chosen styles into the prompt boxes now"));
    auto* manage = new QToolButton(this);
    manage->setObjectName("manageStylesButton");
    manage->setText(tr("Manage"));
    manage->setPopupMode(QToolButton::InstantPopup);
    auto* manageMenu = new QMenu(manage);
    manageMenu->addAction(tr("&Save Prompts as Style…"), this, [this] {
        bool ok = false;
        const QString name = QInputDialog::getText(this, tr("New Style"),
            tr("Name of the style made from the current prompts:"), QLineEdit::Normal, {}, &ok);
        QString error;
        if (ok && !addStyle(name, &error))
            showError(error);
    });
    manageMenu->addAction(tr("&Delete Chosen Styles"), this, [this] {
        if (m_selected.isEmpty())
            return;
        if (QMessageBox::question(
                this, tr("Delete Styles"), tr("Delete the styles %1?").arg(m_selected.join(", ")))
            != QMessageBox::Yes)
            return;
        QString error;
        if (!removeSelected(&error))
            showError(error);
    });
    manageMenu->addAction(tr("&Import styles.csv…"), this, [this] {
        const QString path = QFileDialog::getOpenFileName(
            this, tr("Import Styles"), QString(), tr("Styles (*.csv);;All files (*)"));
        QString error;
        if (!path.isEmpty() && importFile(path, &error) < 0)
            showError(error);
    });
    manage->setMenu(manageMenu);

    auto* row = new QHBoxLayout(this);
    row->setContentsMargins(0, 0, 0, 0);
    row->addWidget(label);
    row->addWidget(m_choose, 1);
    row->addWidget(apply);
    row->addWidget(manage);
    connect(apply, &QToolButton::clicked, this, [this] { applyToPrompt(); });
    setStylesFile(StyleDatabase::defaultPath());
}

void StylePicker::setPromptAccess(PromptGetter get, PromptSetter set)
{
    m_get = std::move(get);
    m_set = std::move(set);
}

void StylePicker::setStylesFile(const QString& path)
{
    m_file = path;
    QString error;
    if (!m_db.load(path, &error))
        qWarning("styles: %s", qPrintable(error));
    rebuildMenu();
    setSelectedStyles(m_selected);
}

void StylePicker::setSelectedStyles(const QStringList& names)
{
    QStringList known;
    for (const QString& n : names)
        if (m_db.find(n) && !known.contains(n))
            known << n;
    const bool changed = known != m_selected;
    m_selected = known;
    // check states only: the menu's actions stay (one of them may be emitting this change)
    for (QAction* a : m_menu->actions()) {
        const QSignalBlocker block(a);
        a->setChecked(m_selected.contains(a->data().toString()));
    }
    updateButton();
    if (changed)
        emit selectionChanged(m_selected);
}

void StylePicker::rebuildMenu()
{
    m_menu->clear();
    for (const PromptStyle& s : m_db.styles()) {
        QAction* a = m_menu->addAction(QString(s.name).replace('&', QLatin1String("&&")));
        a->setCheckable(true);
        a->setData(s.name);
        a->setChecked(m_selected.contains(s.name));
        a->setToolTip(
            s.prompt + (s.negativePrompt.isEmpty() ? QString() : QStringLiteral("\n— ") + s.negativePrompt));
        const QString name = s.name;
        connect(a, &QAction::toggled, this, [this, name](bool on) {
            QStringList names = m_selected;
            if (on && !names.contains(name))
                names << name; // applied in the order chosen
            else if (!on)
                names.removeAll(name);
            setSelectedStyles(names);
        });
    }
    if (m_db.styles().isEmpty())
        m_menu->addAction(tr("No styles yet: save the prompts as one, or import a styles.csv"))
            ->setEnabled(false);
    m_menu->setToolTipsVisible(true);
    updateButton();
}

void StylePicker::updateButton()
{
    m_choose->setText(m_selected.isEmpty() ? tr("None") : m_selected.join(QStringLiteral(", ")));
}

bool StylePicker::applyToPrompt()
{
    if (m_selected.isEmpty() || !m_get || !m_set)
        return false;
    auto [prompt, negative] = m_get();
    if (!m_db.apply(m_selected, &prompt, &negative))
        return false;
    m_set(prompt, negative);
    setSelectedStyles({});
    return true;
}

bool StylePicker::addStyle(const QString& name, QString* error)
{
    const QString n = name.trimmed();
    if (n.isEmpty()) {
        if (error)
            *error = tr("A style needs a name.");
        return false;
    }
    const auto [prompt, negative] = m_get ? m_get() : QPair<QString, QString>();
    m_db.set({ n, prompt, negative });
    if (!save(error))
        return false;
    rebuildMenu();
    return true;
}

bool StylePicker::removeSelected(QString* error)
{
    for (const QString& n : m_selected)
        m_db.remove(n);
    if (!save(error))
        return false;
    setSelectedStyles({});
    rebuildMenu();
    return true;
}

int StylePicker::importFile(const QString& path, QString* error)
{
    const int n = m_db.import(path, error);
    if (n < 0 || !save(error))
        return -1;
    rebuildMenu();
    return n;
}

bool StylePicker::save(QString* error)
{
    QString why;
    if (m_db.save(m_file, &why))
        return true;
    if (error)
        *error = why;
    return false;
}

void StylePicker::showError(const QString& message)
{
    QMessageBox::warning(this, tr("Styles"), message);
}

} // namespace qd
