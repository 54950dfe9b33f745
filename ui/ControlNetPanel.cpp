#include "ui/ControlNetPanel.h"

#include <QScrollArea>
#include <QTabWidget>
#include <QVBoxLayout>

#include "ui/ControlUnitTab.h"

namespace qd
{

ControlNetPanel::ControlNetPanel(QWidget* parent)
    : QWidget(parent)
{
    setObjectName("controlNetPanel");
    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName("controlNetTabs");
    m_tabs->setDocumentMode(true);
    for (int i = 0; i < kUnits; ++i) {
        auto* unit = new ControlUnitTab(this);
        unit->setObjectName(QStringLiteral("controlUnit%1").arg(i));
        // the fields are taller than a dock: each unit scrolls on its own
        auto* scroll = new QScrollArea(m_tabs);
        scroll->setWidget(unit);
        scroll->setWidgetResizable(true);
        // a module with long slider labels may want more than the dock gives: scroll, never clip
        scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAsNeeded);
        scroll->setFrameShape(QFrame::NoFrame);
        m_tabs->addTab(scroll, QString());
        m_units << unit;
        updateTitle(i);
        connect(unit, &ControlUnitTab::enabledChanged, this, [this, i] { updateTitle(i); });
        connect(unit, &ControlUnitTab::changed, this, &ControlNetPanel::changed);
        connect(unit, &ControlUnitTab::refreshModelsRequested, this, &ControlNetPanel::refreshModels);
    }
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_tabs);
    setMinimumWidth(m_units.first()->minimumSizeHint().width() + 20); // + the vertical scroll bar
}

void ControlNetPanel::updateTitle(int unit)
{
    const bool on = m_units[unit]->isUnitEnabled();
    // "ControlNet Unit 0 ✓" while on, as the extension marks a unit in use
    m_tabs->setTabText(unit, on ? tr("ControlNet Unit %1 ✓").arg(unit) : tr("ControlNet Unit %1").arg(unit));
    m_tabs->setTabToolTip(unit, on ? tr("This unit is on") : tr("This unit is off"));
}

QList<ControlUnitRequest> ControlNetPanel::units() const
{
    QList<ControlUnitRequest> out;
    for (const ControlUnitTab* unit : m_units)
        out << unit->unit();
    return out;
}

void ControlNetPanel::setUnits(const QList<ControlUnitRequest>& units)
{
    {
        const QSignalBlocker block(this); // one changed() for all the units
        for (int i = 0; i < m_units.size(); ++i) {
            ControlUnitRequest u;
            u.enabled = false;
            if (i < units.size()) {
                u = units[i];
                // a file path or a bare name becomes the listed title
                if (const auto entry = findControlNetModel(u.model, m_dirs); entry && !u.model.isEmpty())
                    u.model = entry->title();
            }
            m_units[i]->setUnit(u);
            updateTitle(i);
        }
    }
    emit changed();
}

void ControlNetPanel::setFolders(const QStringList& controlNetDirs, const QString& annotatorsDir)
{
    m_dirs = controlNetDirs;
    for (ControlUnitTab* unit : m_units)
        unit->setAnnotatorsDir(annotatorsDir);
    refreshModels();
}

void ControlNetPanel::refreshModels()
{
    QStringList titles;
    for (const ControlNetModelEntry& e : listControlNetModels(m_dirs))
        titles << e.title();
    for (ControlUnitTab* unit : m_units)
        unit->setModels(titles);
}

void ControlNetPanel::setGenerationSize(int width, int height)
{
    for (ControlUnitTab* unit : m_units)
        unit->setGenerationSize(width, height);
}

QImage ControlNetPanel::previewMap(int unit) const
{
    return unit >= 0 && unit < m_units.size() ? m_units[unit]->previewMap() : QImage();
}

ControlUnitTab* ControlNetPanel::unitTab(int unit) const
{
    return m_units.value(unit);
}

} // namespace qd
