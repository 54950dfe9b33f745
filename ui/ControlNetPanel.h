#pragma once
// ControlNet in the studio, as sd-webui-controlnet shows it: a tab per unit (three, the extension's
// default "Multi-ControlNet: ControlNet unit number"), each a ControlUnitTab, the tab's title marked
// while the unit is on. Holds the units as ControlUnitRequests (core/generation/ControlUnits.h) for
// the job; the ControlNet models come from the ControlNet folders, the network annotators' weights
// from the annotators folder.
#include <QImage>
#include <QList>
#include <QStringList>
#include <QWidget>

#include "core/generation/ControlUnits.h"

class QTabWidget;

namespace qd
{

class ControlUnitTab;

class ControlNetPanel : public QWidget
{
    Q_OBJECT
public:
    static constexpr int kUnits = 3;

    explicit ControlNetPanel(QWidget* parent = nullptr);

    // Every unit, enabled or not, with its picture.
    QList<ControlUnitRequest> units() const;
    // Unit i from units[i] (its picture only when given: an infotext restores the fields and keeps
    // the pictures); the units past the list are switched off.
    void setUnits(const QList<ControlUnitRequest>& units);
    void setFolders(const QStringList& controlNetDirs, const QString& annotatorsDir);
    QStringList controlNetDirs() const { return m_dirs; }
    void setGenerationSize(int width, int height); // pixel perfect's target
    QImage previewMap(int unit) const;
    ControlUnitTab* unitTab(int unit) const;
    QTabWidget* tabs() const { return m_tabs; }

public slots:
    void refreshModels(); // reads the ControlNet folders again

signals:
    void changed();

private:
    void updateTitle(int unit);

    QTabWidget* m_tabs = nullptr;
    QList<ControlUnitTab*> m_units;
    QStringList m_dirs;
};

} // namespace qd
