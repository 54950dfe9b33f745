#pragma once
// The image upscalers AUTOMATIC1111 offers (GET /sdapi/v1/upscalers, the hires fix menu, the
// "upscale this image" action): None, Lanczos, Nearest, and ESRGAN-family model files (RRDBNet:
// Real-ESRGAN, 4x-UltraSharp, ...) found in the ESRGAN / RealESRGAN folders of the model folders.
// Resizing follows A1111's images.resize_image(0, ...) and Upscaler.upscale (docs/reference.md §10).
#include <QList>
#include <QString>
#include <QStringList>

#include <vector>

#include "core/engine/Pipeline.h"

namespace qd
{

struct UpscalerEntry {
    QString name; // what requests and infotexts use: "Lanczos", or a model file's stem
    QString path; // the model file; empty for the built-in ones
    int scale = 0; // the model's factor; 0 for the built-in ones (any)
};

// None, Lanczos, Nearest, then the model files of `dirs` (.pth, .safetensors, .pt; subfolders too),
// by name. A file that is not an RRDBNet is left out.
QList<UpscalerEntry> listUpscalers(const std::vector<std::string>& dirs);

// The model file named `name` (its stem) in `dirs`, without reading it; empty when there is none.
QString findUpscalerFile(const QString& name, const std::vector<std::string>& dirs);

// A function resizing an image to exactly width x height through upscaler `name` (A1111's rules: a
// model upscaler runs, at most three times, until the image is at least the asked size, then
// Lanczos makes it exact; None is Lanczos alone). nullptr with *error set for an unknown name or a
// file that cannot be loaded. `device`: where a model runs ("cpu", "cuda", ...).
ImageUpscaleFn makeImageUpscaler(
    const QString& name, const std::vector<std::string>& dirs, const std::string& device, QString* error);

} // namespace qd
