#pragma once
// Conversions between the engine's plain RGB images (Pipeline.h: 8-bit, 3 channels, rows packed)
// and QImage, for everything in core and above that hands images to or takes them from the engine.
#include <QImage>

#include "core/engine/Pipeline.h"

namespace qd
{

QImage toQImage(const Image& image); // a deep copy in Format_RGB888
Image fromQImage(const QImage& image); // any format; alpha is dropped

} // namespace qd
