#pragma once
// The generation parameters beside the prompt: model, sampler and schedule type, steps, CFG scale,
// seed (random / reuse last / lock), size (multiples of 8, swap, aspect presets), batch count and
// size, clip skip, and img2img (init image and denoising strength). Converts to and from
// GenerationParams; fields it has no widget for pass through unchanged.
#include <QImage>
#include <QWidget>

#include "core/Engine.h"
#include "core/library/ModelLibrary.h" // ModelEntry

class QAbstractButton;
class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QGroupBox;
class QLabel;
class QLineEdit;
class QSlider;
class QSpinBox;
class QToolButton;

namespace qd
{

class HiresPanel;
class InitImageView;
class InpaintPanel;

class ParameterPanel : public QWidget
{
    Q_OBJECT
public:
    explicit ParameterPanel(QWidget* parent = nullptr);

    // The prompts are not here (the editors own them): params() leaves them empty.
    GenerationParams params() const;
    // Restores every field; with the seed locked, the seed stays. Sizes are rounded to multiples of 8,
    // unknown sampler or schedule names are added to their lists so nothing is lost.
    void setParams(const GenerationParams& params);

    // The model library's checkpoints (their family known: the default size follows it); none: the
    // built-in demo model, an entry with an empty path.
    void setModels(const QList<ModelEntry>& models);
    QList<ModelEntry> models() const { return m_models; }
    ModelEntry currentModel() const;
    // The current model's native square (nativeSize() of its family; the demo model's 256).
    int currentNativeSize() const;
    // By hash (a prefix of it), infotext model name, title or checkpoint path.
    bool selectModel(const QString& nameOrHash);

    // The VAE picker: "Automatic" (A1111's default: the checkpoint's NAME.vae.* file), "None" (the
    // checkpoint's own VAE), or one of `names` (file names of the VAE files the library found).
    void setVaes(const QStringList& names);
    QString vaeChoice() const;
    bool setVaeChoice(const QString& choice);

    void setSamplers(const QStringList& labels);
    void setSchedules(const QStringList& labels);

    // The seed actually used by the last finished image ("reuse last").
    void setLastSeed(qint64 seed);
    qint64 lastSeed() const { return m_lastSeed; }
    bool isSeedLocked() const;

    // The painted inpainting mask (white = repaint); null when img2img or inpainting is off or nothing
    // is painted.
    QImage maskImage() const;
    InpaintPanel* inpaintPanel() const { return m_inpaint; }
    HiresPanel* hiresPanel() const { return m_hires; }

    static int roundToMultipleOf8(int value);
    static QStringList defaultSamplers(); // A1111 labels, docs/reference.md §2
    static QStringList defaultSchedules();

public slots:
    void randomizeSeed(); // seed -1: a fresh random seed for every job
    void setSeed(qint64 seed); // ignored while the seed is locked
    void reuseLastSeed();
    void setSeedLocked(bool locked);
    void swapSize();
    void applyAspect(int w, int h); // keeps the model's native area
    void setInitImage(const QString& path);

signals:
    void paramsChanged();
    void modelChanged();
    void seedLockChanged(bool locked);

private:
    void adoptModelSize(); // on a model change
    QWidget* buildModelGroup();
    QWidget* buildSamplingGroup();
    QWidget* buildSeedGroup();
    QWidget* buildSizeGroup();
    QWidget* buildBatchGroup();
    QWidget* buildImg2ImgGroup();
    static void selectOrAdd(QComboBox* combo, const QString& text);

    GenerationParams m_base; // pass-through fields (random source, ENSD, eta, mask, extras ...)
    QList<ModelEntry> m_models;
    int m_sizeDefault = 0; // the native square of the model the size fields were last set for
    qint64 m_lastSeed = -1;

    QComboBox* m_model = nullptr;
    QComboBox* m_vae = nullptr;
    QComboBox* m_sampler = nullptr;
    QComboBox* m_schedule = nullptr;
    QSpinBox* m_steps = nullptr;
    QSlider* m_stepsSlider = nullptr;
    QDoubleSpinBox* m_cfg = nullptr;
    QSlider* m_cfgSlider = nullptr;
    QLineEdit* m_seed = nullptr;
    QToolButton* m_randomSeed = nullptr;
    QToolButton* m_reuseSeed = nullptr;
    QCheckBox* m_lockSeed = nullptr;
    QCheckBox* m_seedExtra = nullptr;
    QWidget* m_variation = nullptr; // shown while "Extra" is checked
    QLineEdit* m_subseed = nullptr;
    QDoubleSpinBox* m_subseedStrength = nullptr;
    QSpinBox* m_resizeFromW = nullptr;
    QSpinBox* m_resizeFromH = nullptr;
    QSpinBox* m_width = nullptr;
    QSpinBox* m_height = nullptr;
    QToolButton* m_swap = nullptr;
    QToolButton* m_aspect = nullptr;
    QSpinBox* m_batchCount = nullptr;
    QSpinBox* m_batchSize = nullptr;
    QSpinBox* m_clipSkip = nullptr;
    QGroupBox* m_img2img = nullptr;
    InitImageView* m_initImage = nullptr;
    QDoubleSpinBox* m_strength = nullptr;
    QSlider* m_strengthSlider = nullptr;
    InpaintPanel* m_inpaint = nullptr;
    HiresPanel* m_hires = nullptr;
};

} // namespace qd
