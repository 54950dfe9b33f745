#pragma once
// PNG text chunks through libpng (internal to ImageMetadata). exiv2 0.27 keeps only the PNG keys it
// understands itself (Description, XMP, raw profiles), so A1111's "parameters", ComfyUI's
// "prompt"/"workflow" and the rest go through libpng, which Qt and OpenCV already use.
#include <QByteArray>
#include <QImage>
#include <QList>
#include <QPair>
#include <QString>

namespace qd::png
{

using Texts = QList<QPair<QString, QString>>;

// All tEXt, zTXt and iTXt chunks in file order, and the raw eXIf payload when there is one. Chunks
// after the image data are read too (the pixels are decoded to reach them) unless one of the
// generation-parameter keys was already found before the image data, or the image is over 64 MP.
bool readTexts(const QByteArray& data, Texts* texts, QByteArray* exif, QString* error);

// Encodes `image` as 8- or 16-bit PNG, with `texts` as tEXt chunks (iTXt, UTF-8, when a value is not
// Latin-1), uncompressed and before the image data, as PIL writes them for A1111. compressionLevel
// is zlib's 0-9 (-1: libpng's default, 6); the HTTP API answers with 1, about 4x faster for a few
// percent more bytes.
bool encode(
    const QImage& image, const Texts& texts, QByteArray* out, QString* error, int compressionLevel = -1);

// Re-encodes `data` losslessly with `texts` in place of its text chunks; every other chunk (palette,
// colour, physical size, time, eXIf, unknown chunks of other tools) is copied.
bool rewrite(const QByteArray& data, const Texts& texts, QByteArray* out, QString* error);

} // namespace qd::png
