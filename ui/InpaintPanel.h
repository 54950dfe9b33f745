#pragma once
// Inpainting and outpainting inside the img2img group: the mask painter over the init image with its
// tools (brush, eraser, size, invert, clear, undo), A1111's inpaint controls (mask blur, mask mode,
// masked content, inpaint area, only-masked padding) and outpainting's extension per side. Reads
// and writes those GenerationParams fields; maskImage() is the painted mask for the job.
#include <QGroupBox>
#include <QImage>

#include "core/Engine.h"

class QComboBox;
class QSpinBox;
class QToolButton;

namespace qd
{

class MaskPainter;

class InpaintPanel : public QGroupBox
{
    Q_OBJECT
public:
    explicit InpaintPanel(QWidget* parent = nullptr);

    void setInitImage(const QString& path); // empty clears
    MaskPainter* painter() const { return m_painter; }
    // The painted mask (white = repaint) at the init image's size; null when nothing is painted
    // or the group is off.
    QImage maskImage() const;
    // The inpaint / outpaint fields of p from the controls (outpainting only while the group is on).
    void applyTo(GenerationParams& p) const;
    void setFrom(const GenerationParams& p);

signals:
    void changed();

private:
    MaskPainter* m_painter = nullptr;
    QToolButton* m_brush = nullptr;
    QToolButton* m_eraser = nullptr;
    QSpinBox* m_brushSize = nullptr;
    QSpinBox* m_blur = nullptr;
    QComboBox* m_mode = nullptr;
    QComboBox* m_content = nullptr;
    QComboBox* m_area = nullptr;
    QSpinBox* m_padding = nullptr;
    QSpinBox* m_left = nullptr;
    QSpinBox* m_right = nullptr;
    QSpinBox* m_up = nullptr;
    QSpinBox* m_down = nullptr;
};

} // namespace qd
