#pragma once
// The inpainting mask painter: the init image scaled to fit, the mask painted over it as a
// translucent overlay with a round brush (or erased), inverted, cleared, and undone step by step
// (Ctrl+Z). mask() is what travels with the job: white = repaint, at the image's size.
#include <QImage>
#include <QWidget>

#include <vector>

namespace qd
{

class MaskPainter : public QWidget
{
    Q_OBJECT
public:
    explicit MaskPainter(QWidget* parent = nullptr);

    void setImage(const QImage& image); // clears the mask and the undo steps
    QImage image() const { return m_image; }
    // Grayscale8 at the image's size, white where painted; null without an image.
    QImage mask() const;
    bool hasMask() const; // any pixel painted
    void setMask(const QImage& mask); // white = repaint; scaled to the image (an undo step)

    int brushSize() const { return m_brush; } // diameter in image pixels
    void setBrushSize(int pixels);
    bool isErasing() const { return m_erase; }
    void setErasing(bool erase);
    bool canUndo() const { return !m_undo.empty(); }

    // Where a widget point falls on the image (pixels); outside the image when it is outside.
    QPointF toImage(const QPointF& widgetPoint) const;
    QRectF imageRect() const; // the image's rect in widget coordinates

    QSize sizeHint() const override { return { 260, 200 }; }
    QSize minimumSizeHint() const override { return { 120, 90 }; }

public slots:
    void invert();
    void clear();
    void undo();

signals:
    void maskChanged();

protected:
    void paintEvent(QPaintEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;

private:
    void pushUndo();
    void strokeTo(const QPointF& imagePoint);

    QImage m_image;
    QImage m_overlay; // ARGB32_Premultiplied at the image's size: opaque white where painted
    std::vector<QImage> m_undo; // overlays before each stroke, invert, clear
    int m_brush = 32;
    bool m_erase = false;
    bool m_drawing = false;
    QPointF m_last;
};

} // namespace qd
