#pragma once
// The grid images of an X/Y/Z plot, drawn as AUTOMATIC1111 draws them (modules/images.py
// image_grid and draw_grid_annotations): cells side by side on a white background, the X labels
// above the columns, the Y labels left of the rows (a margin of 3/4 of a cell's width), text in
// DejaVu Sans at (cell width + height) / 25 px, wrapped to the column and shrunk until it fits; one
// grid per Z value, and those grids side by side under the Z labels. A cell that did not finish
// (interrupted, failed) is black, as in A1111.
//
// Text needs a QGuiApplication (fonts); without one the grids are drawn without labels.
#include <QImage>
#include <QList>
#include <QStringList>

#include "core/engine/GenerationParams.h"

namespace qd
{

struct XyzPlan;

// `images` row by row, `rows` rows; each slot as large as the largest image (smaller ones centred).
QImage imageGrid(const QList<QImage>& images, int rows);
// `grid` of cells cellW x cellH with the column labels `columns` (one list of lines per column) on
// top and the row labels `rows` on the left, `margin` px between cells.
QImage drawGridAnnotations(const QImage& grid, int cellW, int cellH, const QList<QStringList>& columns,
    const QList<QStringList>& rows, int margin = 0);

struct XyzGrids {
    QImage combined; // the Z grids side by side (the only grid when there is no Z axis)
    QList<QImage> subGrids; // one per Z value
};
// The grids of `plan` from its cell images in XyzPlan::cellIndex order (a null image: not made).
XyzGrids composeXyzGrids(const XyzPlan& plan, const QList<QImage>& cells, bool legend = true, int margin = 0);

// The infotext of a grid: the parameters of its first cell plus A1111's Script / X Type / X Values
// ... keys (`main`: the combined grid, with the Z keys too).
QString xyzGridInfotext(const XyzPlan& plan, const GenerationParams& firstCell, bool main);
// Writes `grid` as A1111 names grids, `xyz_grid-NNNN.png` (the next free number in `dir`), with
// `infotext` in it; the file, or "" with *error.
QString saveXyzGrid(
    const QImage& grid, const QString& infotext, const QString& dir, QString* error = nullptr);

} // namespace qd
