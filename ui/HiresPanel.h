#pragma once
// Hires fix in the txt2img parameters, as AUTOMATIC1111 lays it out (docs/reference.md §10): the
// upscaler (latent modes, Lanczos / Nearest, ESRGAN-family model files), second-pass steps,
// denoising strength, upscale by or resize to, and the second pass's own sampler, schedule and
// prompts. Shows the size the second pass will make. Reads and writes the hr* GenerationParams
// fields; off (and greyed) while img2img is on, where AUTOMATIC1111 has no hires fix either.
#include <QGroupBox>

#include "core/Engine.h"

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QPlainTextEdit;
class QSpinBox;

namespace qd
{

class HiresPanel : public QGroupBox
{
    Q_OBJECT
public:
    explicit HiresPanel(QWidget* parent = nullptr);

    // The image upscalers (listUpscalers' names: None, Lanczos, Nearest, model files); the latent
    // modes are always listed first. The current choice stays when it is still offered.
    void setUpscalers(const QStringList& names);
    void setSamplers(const QStringList& labels);
    void setSchedules(const QStringList& labels);
    // The first pass's size: the upscaled size shown follows it.
    void setBaseSize(int width, int height);
    // Two lines such as "512 × 512 → 1024 × 1024"; an error when the target is not a multiple of 8.
    QString targetText() const;

    // The hires fields of p (enableHr only while the group is checked and p has no init image, then
    // the denoising strength too).
    void applyTo(GenerationParams& p) const;
    void setFrom(const GenerationParams& p);

signals:
    void changed();

private:
    void updateTarget();

    int m_baseWidth = 512, m_baseHeight = 512;
    QWidget* m_body = nullptr; // the controls, folded away while the group is unchecked
    QComboBox* m_upscaler = nullptr;
    QSpinBox* m_steps = nullptr;
    QDoubleSpinBox* m_denoise = nullptr;
    QDoubleSpinBox* m_scale = nullptr;
    QSpinBox* m_resizeX = nullptr;
    QSpinBox* m_resizeY = nullptr;
    QLabel* m_target = nullptr;
    QComboBox* m_sampler = nullptr;
    QComboBox* m_schedule = nullptr;
    QPlainTextEdit* m_prompt = nullptr;
    QPlainTextEdit* m_negative = nullptr;
};

} // namespace qd
