#pragma once
// The answers of the API's read-only endpoints (docs/a1111-api.md §2): samplers, schedulers, models,
// VAEs, LoRAs, memory, png-info. Lists are honest: what QDiffusion has, empty where a feature does
// not exist yet (upscalers, face restorers, styles, scripts, embeddings).
#include <QJsonArray>
#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <string>
#include <utility>

#include "core/metadata/ImageMetadata.h"
#include "core/server/ApiError.h"

namespace qd
{
class ModelLibrary;
}

namespace qd::api
{

QJsonArray samplersListing();
QJsonArray schedulersListing();
// sd-models: the library's checkpoints as A1111 lists them, then the built-in demo model.
QJsonArray sdModelsListing(const ModelLibrary* library, const QString& demoTitle);
QJsonArray sdVaeListing(const ModelLibrary* library);
QJsonArray lorasListing(const QStringList& folders);
// GET /sdapi/v1/embeddings: the embeddings under `folders`.
QJsonObject embeddingsListing(const QStringList& folders);
QJsonObject memoryListing();

// An image as the API answers with it, base64 without a data: prefix: PNG with the infotext in its
// "parameters" chunk (zlib level 1: a 512x512 image in a few ms), JPEG / WebP with it in EXIF.
QByteArray encodeApiImage(const QImage& image, const QString& infotext, ImageFileFormat format, int quality);

// POST png-info: the "parameters" text of a base64 image (PNG chunk or JPEG / WebP EXIF), its other
// text entries and the infotext parsed into A1111's key -> value dict. False with *error for an image
// that cannot be decoded.
bool pngInfo(const QString& base64, QJsonObject* out, ApiError* error);

} // namespace qd::api
