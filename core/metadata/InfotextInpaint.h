#pragma once
// The inpainting keys of A1111's infotext (modules/processing.py writes "Mask blur", "Inpaint
// area", "Masked area padding" and "Masked content"; modules/infotext_utils.py reads them and
// "Mask mode" back into the img2img inpaint controls). Used by Infotext.cpp.
#include <QList>
#include <QPair>
#include <QString>

#include "core/engine/GenerationParams.h"

namespace qd
{

// The pairs A1111 writes for an inpainting (p.inpainting), in its order; none otherwise.
QList<QPair<QString, QString>> inpaintInfotextPairs(const GenerationParams& p);
// Whether `key` is an inpainting key; if so its value is read into p (p.inpainting set), or a
// description of what was expected goes to *expected when it cannot be read.
bool readInpaintInfotextKey(
    const QString& key, const QString& value, GenerationParams& p, const char** expected);

} // namespace qd
