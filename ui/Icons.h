#pragma once
// Small icons drawn with QPainter in the palette's text colour, crisp at every device pixel ratio
// (no emoji font or icon theme needed).
#include <QIcon>

namespace qd::icons
{

QIcon dice(); // random seed
QIcon reuse(); // reuse the last seed
QIcon swap(); // swap width and height
QIcon star(bool filled); // favourite

} // namespace qd::icons
