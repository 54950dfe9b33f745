#include "ui/Icons.h"

#include <QApplication>
#include <QPainter>
#include <QPainterPath>
#include <QPalette>

#include <cmath>
#include <functional>

namespace qd::icons
{

namespace
{
// Draws `paint` on a 16x16 logical canvas at 1x, 2x and 3x.
QIcon make(const std::function<void(QPainter&, const QColor&)>& paint)
{
    QIcon icon;
    for (QIcon::Mode mode : { QIcon::Normal, QIcon::Disabled }) {
        const QColor color = QApplication::palette().color(
            mode == QIcon::Disabled ? QPalette::Disabled : QPalette::Active, QPalette::ButtonText);
        for (int scale : { 1, 2, 3 }) {
            QPixmap pm(16 * scale, 16 * scale);
            pm.fill(Qt::transparent);
            QPainter p(&pm);
            p.setRenderHint(QPainter::Antialiasing);
            p.scale(scale, scale);
            paint(p, color);
            p.end();
            icon.addPixmap(pm, mode);
        }
    }
    return icon;
}
} // namespace

QIcon dice()
{
    return make([](QPainter& p, const QColor& c) {
        p.setPen(QPen(c, 1.4));
        p.setBrush(Qt::NoBrush);
        p.drawRoundedRect(QRectF(2, 2, 12, 12), 2.5, 2.5);
        p.setPen(Qt::NoPen);
        p.setBrush(c);
        for (QPointF pip : { QPointF(5, 5), QPointF(11, 5), QPointF(8, 8), QPointF(5, 11), QPointF(11, 11) })
            p.drawEllipse(pip, 1.2, 1.2);
    });
}

QIcon reuse()
{
    return make([](QPainter& p, const QColor& c) {
        p.setPen(QPen(c, 1.6, Qt::SolidLine, Qt::RoundCap));
        p.setBrush(Qt::NoBrush);
        p.drawArc(QRectF(3, 3, 10, 10), 60 * 16, 280 * 16);
        // arrow head at the arc's start (60 degrees)
        const QPointF tip(8 + 5 * std::cos(M_PI / 3), 8 - 5 * std::sin(M_PI / 3));
        QPainterPath head;
        head.moveTo(tip + QPointF(-3.2, -1.2));
        head.lineTo(tip + QPointF(0.6, 0.4));
        head.lineTo(tip + QPointF(-1.6, 3.2));
        p.setPen(Qt::NoPen);
        p.setBrush(c);
        p.drawPath(head);
    });
}

QIcon swap()
{
    return make([](QPainter& p, const QColor& c) {
        p.setPen(QPen(c, 1.5, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
        p.drawLine(QPointF(5, 3), QPointF(5, 13));
        p.drawPolyline(QPolygonF({ QPointF(2, 6), QPointF(5, 3), QPointF(8, 6) }));
        p.drawLine(QPointF(11, 3), QPointF(11, 13));
        p.drawPolyline(QPolygonF({ QPointF(8, 10), QPointF(11, 13), QPointF(14, 10) }));
    });
}

QIcon star(bool filled)
{
    return make([filled](QPainter& p, const QColor& c) {
        QPolygonF poly;
        for (int i = 0; i < 10; ++i) {
            const double r = i % 2 ? 3.0 : 7.0;
            const double a = -M_PI / 2 + i * M_PI / 5;
            poly << QPointF(8 + r * std::cos(a), 8.5 + r * std::sin(a));
        }
        const QColor gold(0xe0, 0xa0, 0x10);
        p.setPen(QPen(filled ? gold : c, 1.1, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
        p.setBrush(filled ? gold : QColor(Qt::transparent));
        p.drawPolygon(poly);
    });
}

} // namespace qd::icons
