#include "core/generation/XyzGrid.h"

#include <QDir>
#include <QFont>
#include <QFontMetrics>
#include <QGuiApplication>
#include <QPainter>
#include <QRegularExpression>

#include <cmath>

#include "core/generation/XyzPlot.h"
#include "core/metadata/ImageMetadata.h"
#include "core/metadata/Infotext.h"

namespace qd
{

namespace
{

bool canDrawText()
{
    return qobject_cast<QGuiApplication*>(QCoreApplication::instance()) != nullptr;
}

QFont gridFont(int pixelSize)
{
    QFont font(QStringLiteral("DejaVu Sans"));
    font.setPixelSize(std::max(1, pixelSize));
    return font;
}

// Words packed into lines no wider than `width` (a word wider than that gets its own line).
QStringList wrap(const QString& text, const QFontMetrics& fm, int width)
{
    QStringList lines { QString() };
    for (const QString& word : text.split(' ', Qt::SkipEmptyParts)) {
        const QString line = (lines.last() + ' ' + word).trimmed();
        if (fm.horizontalAdvance(line) <= width)
            lines.last() = line;
        else
            lines << word;
    }
    return lines;
}

struct Line {
    QString text;
    QSize size;
    int allowedWidth = 0;
};

} // namespace

QImage imageGrid(const QList<QImage>& images, int rows)
{
    if (images.isEmpty() || rows <= 0)
        return QImage();
    const int cols = int(std::ceil(double(images.size()) / rows));
    int w = 0, h = 0;
    for (const QImage& im : images) {
        w = std::max(w, im.width());
        h = std::max(h, im.height());
    }
    QImage grid(cols * w, rows * h, QImage::Format_RGB888);
    grid.fill(Qt::white);
    QPainter p(&grid);
    for (int i = 0; i < images.size(); ++i) {
        const QImage& im = images[i];
        p.drawImage((i % cols) * w + (w - im.width()) / 2, (i / cols) * h + (h - im.height()) / 2, im);
    }
    return grid;
}

QImage drawGridAnnotations(const QImage& grid, int cellW, int cellH, const QList<QStringList>& columns,
    const QList<QStringList>& rowTexts, int margin)
{
    const int cols = grid.width() / cellW, rows = grid.height() / cellH;
    const bool text = canDrawText();
    const int fontSize = (cellW + cellH) / 25;
    const int lineSpacing = fontSize / 2;
    int verChars = 0;
    for (const QStringList& lines : rowTexts)
        for (const QString& l : lines)
            verChars += int(l.size());
    const int padLeft = verChars == 0 || !text ? 0 : cellW * 3 / 4;

    QList<QList<Line>> hor, ver;
    auto layout = [&](const QList<QStringList>& texts, int allowed, QList<QList<Line>>* out, int n) {
        for (int i = 0; i < n; ++i) {
            QList<Line> lines;
            if (text) {
                const QFont font = gridFont(fontSize);
                const QFontMetrics fm(font);
                for (const QString& t : texts.value(i))
                    for (const QString& w : wrap(t, fm, allowed)) {
                        const QRect box = w.isEmpty() ? QRect() : fm.boundingRect(w);
                        lines << Line { w, box.size(), allowed };
                    }
            }
            *out << lines;
        }
    };
    layout(columns, cellW, &hor, cols);
    layout(rowTexts, padLeft, &ver, rows);
    auto height = [&](const QList<Line>& lines, bool vertical) {
        int h = 0;
        for (const Line& l : lines)
            h += l.size.height() + lineSpacing;
        // A1111 subtracts one spacing for the column texts and one per line for the row texts
        return h - (vertical ? lineSpacing * int(lines.size()) : lineSpacing);
    };
    int maxHor = 0, sumHor = 0;
    for (const QList<Line>& lines : hor) {
        const int h = lines.isEmpty() ? 0 : height(lines, false);
        maxHor = std::max(maxHor, h);
        sumHor += h;
    }
    const int padTop = sumHor == 0 ? 0 : maxHor + lineSpacing * 2;

    QImage result(grid.width() + padLeft + margin * (cols - 1), grid.height() + padTop + margin * (rows - 1),
        QImage::Format_RGB888);
    result.fill(Qt::white);
    QPainter p(&result);
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c)
            p.drawImage(QPoint(padLeft + (cellW + margin) * c, padTop + (cellH + margin) * r), grid,
                QRect(cellW * c, cellH * r, cellW, cellH));
    if (!text)
        return result;
    p.setRenderHint(QPainter::TextAntialiasing);
    p.setPen(Qt::black);
    auto drawTexts = [&](double cx, double y, const QList<Line>& lines) {
        for (const Line& l : lines) {
            int size = fontSize;
            QFont font = gridFont(size);
            while (QFontMetrics(font).horizontalAdvance(l.text) > l.allowedWidth && size > 1)
                font = gridFont(--size);
            p.setFont(font);
            // centred on (cx, y + height / 2), as PIL's anchor "mm"
            const QRectF box(cx - l.allowedWidth, y, 2.0 * l.allowedWidth, l.size.height());
            p.drawText(box, Qt::AlignCenter, l.text);
            y += l.size.height() + lineSpacing;
        }
    };
    for (int c = 0; c < cols; ++c) {
        const double x = padLeft + (cellW + margin) * c + cellW / 2.0;
        const double y = padTop / 2.0 - (hor[c].isEmpty() ? 0 : height(hor[c], false)) / 2.0;
        drawTexts(x, y, hor[c]);
    }
    for (int r = 0; r < rows; ++r) {
        const double x = padLeft / 2.0;
        const double y = padTop + (cellH + margin) * r + cellH / 2.0
            - (ver[r].isEmpty() ? 0 : height(ver[r], true)) / 2.0;
        drawTexts(x, y, ver[r]);
    }
    return result;
}

XyzGrids composeXyzGrids(const XyzPlan& plan, const QList<QImage>& cells, bool legend, int margin)
{
    XyzGrids out;
    const int nx = plan.count(0), ny = plan.count(1), nz = plan.count(2);
    QSize cellSize;
    QImage::Format format = QImage::Format_RGB888;
    for (const QImage& im : cells)
        if (!im.isNull()) {
            cellSize = im.size();
            format = im.format();
            break;
        }
    if (!cellSize.isValid())
        return out; // nothing finished: no grid, as in A1111
    auto wrapLabels = [](const QStringList& labels) {
        QList<QStringList> out;
        for (const QString& l : labels)
            out << QStringList { l };
        return out;
    };
    for (int iz = 0; iz < nz; ++iz) {
        QList<QImage> images;
        for (int i = 0; i < nx * ny; ++i) {
            QImage im = cells.value(iz * nx * ny + i);
            if (im.isNull()) {
                im = QImage(cellSize, format);
                im.fill(Qt::black);
            }
            images << im;
        }
        QImage grid = imageGrid(images, ny);
        if (legend)
            grid = drawGridAnnotations(grid, cellSize.width(), cellSize.height(), wrapLabels(plan.labels(0)),
                wrapLabels(plan.labels(1)), margin);
        out.subGrids << grid;
    }
    const QSize sub = out.subGrids.first().size();
    out.combined = imageGrid(out.subGrids, 1);
    if (legend)
        out.combined = drawGridAnnotations(
            out.combined, sub.width(), sub.height(), wrapLabels(plan.labels(2)), { QStringList() });
    return out;
}

QString xyzGridInfotext(const XyzPlan& plan, const GenerationParams& firstCell, bool main)
{
    GenerationParams p = firstCell;
    addXyzGridExtras(&p, plan, main);
    return toInfotext(p, QStringLiteral("QDiffusion " QD_VERSION));
}

QString saveXyzGrid(const QImage& grid, const QString& infotext, const QString& dir, QString* error)
{
    if (!QDir().mkpath(dir)) {
        if (error)
            *error = QStringLiteral("cannot create the folder '%1'").arg(dir);
        return QString();
    }
    // A1111's get_next_sequence_number(path, basename) for "xyz_grid-NNNN"
    static const QRegularExpression number(QStringLiteral("^xyz_grid-(\\d+)"));
    int next = 0;
    for (const QString& name : QDir(dir).entryList(QDir::Files)) {
        const QRegularExpressionMatch m = number.match(name);
        if (m.hasMatch())
            next = std::max(next, m.captured(1).toInt() + 1);
    }
    const QString file = QDir(dir).filePath(QStringLiteral("xyz_grid-%1.png").arg(next, 4, 10, QChar('0')));
    ImageMetadata meta;
    meta.setInfotext(infotext);
    if (!ImageMetadata::save(grid, file, meta, 95, error))
        return QString();
    return file;
}

} // namespace qd
