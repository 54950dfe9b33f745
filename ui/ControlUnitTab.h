#pragma once
// One ControlNet unit's tab in the ControlNet panel, laid out as sd-webui-controlnet lays out a unit:
// enable, pixel perfect and preview switches; the picture (dropped, pasted or browsed) beside the
// preprocessed map; the preprocessor with its sliders and resolution; the ControlNet model; weight,
// guidance start / end, control mode and resize mode. The map is computed off the GUI thread.
#include <QImage>
#include <QWidget>

#include "core/generation/ControlUnits.h"

class QButtonGroup;
class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QFormLayout;
class QLabel;
class QSpinBox;
class QTimer;
class QToolButton;

namespace qd
{

class ControlPreprocessor;
class InitImageView;
class MapView;

class ControlUnitTab : public QWidget
{
    Q_OBJECT
public:
    explicit ControlUnitTab(QWidget* parent = nullptr);

    ControlUnitRequest unit() const;
    // Every field of `unit`; its picture and mask only when it has them (an infotext carries none).
    void setUnit(const ControlUnitRequest& unit);
    bool isUnitEnabled() const;

    void setImage(const QImage& image); // null clears
    QImage image() const { return m_image; }
    // The ControlNet titles ("name [hash]"); the chosen one stays when it is still offered.
    void setModels(const QStringList& titles);
    // Where the network annotators' weights are: their availability follows.
    void setAnnotatorsDir(const QString& dir);
    void setGenerationSize(int width, int height); // pixel perfect's target
    // The resolution the map is made at: pixel perfect's for the picture and the generation size, or
    // the resolution field.
    int processorResolution() const;

    QImage previewMap() const { return m_map; } // null while the preview is off or not computed
    QString message() const;

signals:
    void changed();
    void enabledChanged(bool enabled);
    void refreshModelsRequested();

private:
    QWidget* buildImageArea();
    QWidget* buildForm();
    QWidget* buildModes();
    const ControlPreprocessor* currentPreprocessor() const;
    void applyModule(bool resetSliders); // sliders, resolution and availability of the module
    void updateResolution();
    void updateAvailability();
    void schedulePreview();
    void runPreview();
    void browse();
    void paste();
    void edited(); // a field changed: the preview follows, changed() is emitted

    QImage m_image;
    QImage m_mask;
    QImage m_map;
    QString m_error; // of the last preview
    QString m_annotatorsDir;
    int m_genWidth = 512, m_genHeight = 512;
    int m_manualRes = 512; // the resolution field's value while pixel perfect does not set it
    quint64 m_previewSerial = 0; // results of older requests are dropped
    QTimer* m_previewTimer = nullptr;

    QCheckBox* m_enable = nullptr;
    QCheckBox* m_pixelPerfect = nullptr;
    QCheckBox* m_allowPreview = nullptr;
    InitImageView* m_view = nullptr;
    MapView* m_mapView = nullptr;
    QLabel* m_message = nullptr;
    QFormLayout* m_form = nullptr;
    QComboBox* m_module = nullptr;
    QComboBox* m_model = nullptr;
    QToolButton* m_refresh = nullptr;
    QLabel* m_sliderLabel[2] = {};
    QDoubleSpinBox* m_slider[2] = {};
    QSpinBox* m_resolution = nullptr;
    QDoubleSpinBox* m_weight = nullptr;
    QDoubleSpinBox* m_start = nullptr;
    QDoubleSpinBox* m_end = nullptr;
    QButtonGroup* m_controlMode = nullptr;
    QButtonGroup* m_resizeMode = nullptr;
};

} // namespace qd
