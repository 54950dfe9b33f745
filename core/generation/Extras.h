#pragma once
// AUTOMATIC1111's "Extras" upscale (scripts/postprocessing_upscale.py, modules/postprocessing.py):
// one image through an upscaler, by a factor or to a width x height (optionally cropped to fit),
// blended with a second upscaler's result, with the postprocessing infotext A1111 writes. The CLI's
// `upscale`, the API's /extra-single-image and /extra-batch-images and the studio's Upscale dialog
// all run it; the upscalers are those of the hires fix (Upscalers.h).
//
// Metadata: the source's text entries are kept as they are (its "parameters" infotext first of
// all); the postprocessing keys go into a "postprocessing" entry, and a saved file also gets them
// as "extras" (A1111's pnginfo_section_name), as A1111 writes them.
#include <QImage>
#include <QString>

#include <string>
#include <vector>

#include "core/engine/Pipeline.h"
#include "core/metadata/ImageMetadata.h"

namespace qd
{

// The Upscale script's arguments (A1111's API names in the comments).
struct ExtrasOptions {
    QString upscaler = QStringLiteral("None"); // upscaler_1; "None": the image is left as it is
    bool scaleTo = false; // resize_mode 1: to width x height, else by `scale`
    double scale = 2.0; // upscaling_resize
    int width = 512; // upscaling_resize_w
    int height = 512; // upscaling_resize_h
    bool crop = true; // upscaling_crop: scale to cover width x height, then cut the middle
    QString upscaler2 = QStringLiteral("None"); // upscaler_2
    double upscaler2Visibility = 0.0; // extras_upscaler_2_visibility, 0-1: the second result's share
};

// The largest result accepted (each side, and the area): beyond it an image would not fit in a
// QImage (256 MB by default) or in a PNG a viewer opens.
inline constexpr int kMaxExtrasSide = 16384;
inline constexpr qint64 kMaxExtrasPixels = 64ll * 1024 * 1024;

// Checks the values alone (not the names): false with *error naming the value and its range.
bool checkExtrasOptions(const ExtrasOptions& options, QString* error);

// The size A1111's upscale gives `source`: by a factor, the factor times the size rounded down to 8
// (Upscaler.upscale); to a size with crop, exactly that size; without crop, the scale that covers it,
// rounded down to 8 likewise.
QSize extrasResultSize(const QSize& source, const ExtrasOptions& options);

struct ExtrasResult {
    QImage image; // RGB888
    // The postprocessing keys as A1111 joins them: "Postprocess upscale by: 2, Postprocess upscaler:
    // Lanczos"; "" when the upscaler is None (nothing was done).
    QString postprocessing;
    // The source's entries, then "postprocessing" (what the API answers with).
    ImageMetadata metadata;

    // What a saved file carries: metadata plus the same keys as "extras".
    ImageMetadata fileMetadata() const;
};

// The upscalers of one set of options, loaded once (a model file is read once for a whole batch).
// run() may be called from any one thread at a time.
class ExtrasUpscaler
{
public:
    // Looks up and loads the upscalers named in `options` in `dirs` (JobBuilder::upscalerDirs());
    // `device` is where a model runs ("cpu", "cuda"). False with *error for a bad value, an
    // unknown upscaler (named, with the ones available) or a model file that cannot be loaded.
    bool prepare(const ExtrasOptions& options, const std::vector<std::string>& dirs,
        const std::string& device, QString* error);
    const ExtrasOptions& options() const { return m_options; }

    // Upscales `image` (alpha is dropped, as A1111 converts to RGB) and adds the postprocessing
    // keys to `source`'s metadata. An empty result with *error when the result would be over
    // kMaxExtrasSide / kMaxExtrasPixels or the image is empty.
    ExtrasResult run(const QImage& image, const ImageMetadata& source, QString* error = nullptr) const;

private:
    ExtrasOptions m_options;
    ImageUpscaleFn m_first; // null: "None"
    ImageUpscaleFn m_second; // null: none, or visibility 0
};

// prepare() and run() for one image.
ExtrasResult upscaleImage(const QImage& image, const ImageMetadata& source, const ExtrasOptions& options,
    const std::vector<std::string>& dirs, const std::string& device, QString* error);

// A1111's ui_common.plaintext_to_html: "<p>line<br>\nline</p>", each line HTML-escaped (the API's
// html_info).
QString plaintextToHtml(const QString& text);

} // namespace qd
