#include "core/generation/EngineImage.h"

#include <cstring>

namespace qd
{

QImage toQImage(const Image& image)
{
    const QImage view(image.pixels.data(), image.width, image.height, image.width * 3, QImage::Format_RGB888);
    return view.copy(); // own the pixels
}

Image fromQImage(const QImage& image)
{
    const QImage rgb = image.convertToFormat(QImage::Format_RGB888);
    Image out;
    out.width = rgb.width();
    out.height = rgb.height();
    out.pixels.resize(size_t(out.width) * out.height * 3);
    for (int y = 0; y < out.height; ++y) // QImage pads rows to 4 bytes; the engine's are packed
        std::memcpy(
            out.pixels.data() + size_t(y) * out.width * 3, rgb.constScanLine(y), size_t(out.width) * 3);
    return out;
}

} // namespace qd
