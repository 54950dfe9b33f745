#include "ui/MaskPainter.h"

#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>

namespace qd
{

namespace
{
constexpr size_t kUndoSteps = 40;
}

MaskPainter::MaskPainter(QWidget* parent)
    : QWidget(parent)
{
    setObjectName("maskPainter");
    setFocusPolicy(Qt::StrongFocus);
    setCursor(Qt::CrossCursor);
    setAccessibleName(tr("Inpainting mask"));
    setToolTip(tr("Paint the area to repaint; Ctrl+Z undoes a stroke"));
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
}

void MaskPainter::setImage(const QImage& image)
{
    m_image = image;
    m_overlay = QImage();
    if (!image.isNull()) {
        m_overlay = QImage(image.size(), QImage::Format_ARGB32_Premultiplied);
        m_overlay.fill(Qt::transparent);
    }
    m_undo.clear();
    update();
    emit maskChanged();
}

QImage MaskPainter::mask() const
{
    if (m_overlay.isNull())
        return {};
    QImage out(m_overlay.size(), QImage::Format_Grayscale8);
    for (int y = 0; y < out.height(); ++y) {
        const QRgb* in = reinterpret_cast<const QRgb*>(m_overlay.constScanLine(y));
        uchar* o = out.scanLine(y);
        for (int x = 0; x < out.width(); ++x)
            o[x] = uchar(qAlpha(in[x]));
    }
    return out;
}

bool MaskPainter::hasMask() const
{
    for (int y = 0; y < m_overlay.height(); ++y) {
        const QRgb* in = reinterpret_cast<const QRgb*>(m_overlay.constScanLine(y));
        for (int x = 0; x < m_overlay.width(); ++x)
            if (qAlpha(in[x]))
                return true;
    }
    return false;
}

void MaskPainter::setMask(const QImage& mask)
{
    if (m_image.isNull() || mask.isNull())
        return;
    pushUndo();
    const QImage g = mask.convertToFormat(QImage::Format_Grayscale8).scaled(m_image.size());
    for (int y = 0; y < g.height(); ++y) {
        const uchar* in = g.constScanLine(y);
        QRgb* o = reinterpret_cast<QRgb*>(m_overlay.scanLine(y));
        for (int x = 0; x < g.width(); ++x)
            o[x] = qPremultiply(qRgba(255, 255, 255, in[x]));
    }
    update();
    emit maskChanged();
}

void MaskPainter::setBrushSize(int pixels)
{
    m_brush = qBound(1, pixels, 512);
}

void MaskPainter::setErasing(bool erase)
{
    m_erase = erase;
}

QRectF MaskPainter::imageRect() const
{
    if (m_image.isNull())
        return {};
    QSizeF s = m_image.size();
    s.scale(size(), Qt::KeepAspectRatio);
    return QRectF(QPointF((width() - s.width()) / 2, (height() - s.height()) / 2), s);
}

QPointF MaskPainter::toImage(const QPointF& p) const
{
    const QRectF r = imageRect();
    if (r.isEmpty())
        return {};
    return { (p.x() - r.left()) * m_image.width() / r.width(),
        (p.y() - r.top()) * m_image.height() / r.height() };
}

void MaskPainter::invert()
{
    if (m_overlay.isNull())
        return;
    pushUndo();
    for (int y = 0; y < m_overlay.height(); ++y) {
        QRgb* o = reinterpret_cast<QRgb*>(m_overlay.scanLine(y));
        for (int x = 0; x < m_overlay.width(); ++x) {
            const int a = 255 - qAlpha(o[x]);
            o[x] = qPremultiply(qRgba(255, 255, 255, a));
        }
    }
    update();
    emit maskChanged();
}

void MaskPainter::clear()
{
    if (m_overlay.isNull() || !hasMask())
        return;
    pushUndo();
    m_overlay.fill(Qt::transparent);
    update();
    emit maskChanged();
}

void MaskPainter::undo()
{
    if (m_undo.empty())
        return;
    m_overlay = m_undo.back();
    m_undo.pop_back();
    update();
    emit maskChanged();
}

void MaskPainter::pushUndo()
{
    m_undo.push_back(m_overlay.copy());
    if (m_undo.size() > kUndoSteps)
        m_undo.erase(m_undo.begin());
}

void MaskPainter::strokeTo(const QPointF& p)
{
    QPainter painter(&m_overlay);
    painter.setRenderHint(QPainter::Antialiasing, false); // a mask is black and white
    painter.setCompositionMode(m_erase ? QPainter::CompositionMode_Clear : QPainter::CompositionMode_Source);
    QPen pen(Qt::white, m_brush, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin);
    painter.setPen(pen);
    if (p == m_last)
        painter.drawPoint(p);
    else
        painter.drawLine(m_last, p);
    m_last = p;
    update();
}

void MaskPainter::paintEvent(QPaintEvent*)
{
    QPainter painter(this);
    const QRectF r = imageRect();
    if (r.isEmpty()) {
        painter.setPen(palette().color(QPalette::PlaceholderText));
        painter.drawText(
            rect(), Qt::AlignCenter | Qt::TextWordWrap, tr("Choose an init image to paint a mask on"));
        return;
    }
    painter.setRenderHint(QPainter::SmoothPixmapTransform);
    painter.drawImage(r, m_image);
    // the mask as a translucent tint of the highlight colour
    QImage tint(m_overlay.size(), QImage::Format_ARGB32_Premultiplied);
    tint.fill(Qt::transparent);
    {
        QPainter t(&tint);
        t.drawImage(0, 0, m_overlay);
        t.setCompositionMode(QPainter::CompositionMode_SourceIn);
        QColor c = palette().color(QPalette::Highlight);
        c.setAlpha(140);
        t.fillRect(tint.rect(), c);
    }
    painter.drawImage(r, tint);
}

void MaskPainter::mousePressEvent(QMouseEvent* event)
{
    if (m_overlay.isNull() || event->button() != Qt::LeftButton)
        return;
    pushUndo();
    m_drawing = true;
    m_last = toImage(event->position());
    strokeTo(m_last);
}

void MaskPainter::mouseMoveEvent(QMouseEvent* event)
{
    if (m_drawing)
        strokeTo(toImage(event->position()));
}

void MaskPainter::mouseReleaseEvent(QMouseEvent* event)
{
    if (!m_drawing || event->button() != Qt::LeftButton)
        return;
    m_drawing = false;
    emit maskChanged();
}

void MaskPainter::keyPressEvent(QKeyEvent* event)
{
    if (event->matches(QKeySequence::Undo)) {
        undo();
        return;
    }
    QWidget::keyPressEvent(event);
}

} // namespace qd
