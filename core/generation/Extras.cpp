#include "core/generation/Extras.h"

#include <QPainter>

#include <cmath>

#include "core/generation/EngineImage.h"
#include "core/generation/Upscalers.h"
#include "core/metadata/Infotext.h"

namespace qd
{

namespace
{

bool isNone(const QString& name)
{
    return name.isEmpty() || name == QLatin1String("None");
}

bool fail(QString* error, const QString& message)
{
    if (error)
        *error = message;
    return false;
}

// The factor A1111's Upscale script hands the upscaler: upscale_by, or for "scale to" the one that
// covers the asked size (max of the two ratios).
double factor(const QSize& source, const ExtrasOptions& o)
{
    if (!o.scaleTo)
        return o.scale;
    return std::max(double(o.width) / source.width(), double(o.height) / source.height());
}

// Upscaler.upscale's destination: int((size * scale) // 8 * 8); at least 8 pixels, where A1111 would
// make an empty image.
QSize upscaledSize(const QSize& source, double scale)
{
    auto side = [scale](int n) { return std::max(8, int(std::floor(n * scale / 8.0)) * 8); };
    return { side(source.width()), side(source.height()) };
}

// A1111 pastes the upscaled image centred on a black canvas of the asked size.
QImage cropToFit(const QImage& image, int width, int height)
{
    QImage canvas(width, height, QImage::Format_RGB888);
    canvas.fill(Qt::black);
    QPainter p(&canvas);
    p.drawImage(width / 2 - image.width() / 2, height / 2 - image.height() / 2, image);
    return canvas;
}

// PIL's Image.blend for 8-bit channels: in1 + alpha * (in2 - in1) in float, clipped, truncated.
QImage blend(const QImage& a, const QImage& b, double alpha)
{
    QImage out(a.size(), QImage::Format_RGB888);
    const float f = float(alpha);
    for (int y = 0; y < a.height(); ++y) {
        const uchar* pa = a.constScanLine(y);
        const uchar* pb = b.constScanLine(y);
        uchar* po = out.scanLine(y);
        for (int x = 0; x < a.width() * 3; ++x) {
            const float t = float(pa[x]) + f * (float(pb[x]) - float(pa[x]));
            po[x] = t <= 0.0f ? 0 : t >= 255.0f ? 255 : uchar(t);
        }
    }
    return out;
}

} // namespace

bool checkExtrasOptions(const ExtrasOptions& o, QString* error)
{
    if (!o.scaleTo && !(o.scale > 0.0 && o.scale <= 8.0))
        return fail(
            error, QStringLiteral("the scale factor must be more than 0 and at most 8, not %1").arg(o.scale));
    if (o.scaleTo && (o.width < 1 || o.height < 1 || o.width > kMaxExtrasSide || o.height > kMaxExtrasSide))
        return fail(error,
            QStringLiteral("the target size must be from 1 to %1 pixels on each side, not %2x%3")
                .arg(kMaxExtrasSide)
                .arg(o.width)
                .arg(o.height));
    if (!(o.upscaler2Visibility >= 0.0 && o.upscaler2Visibility <= 1.0))
        return fail(error,
            QStringLiteral("the second upscaler's visibility must be from 0 to 1, not %1")
                .arg(o.upscaler2Visibility));
    return true;
}

QSize extrasResultSize(const QSize& source, const ExtrasOptions& o)
{
    if (isNone(o.upscaler) || source.isEmpty())
        return source;
    if (o.scaleTo && o.crop)
        return { o.width, o.height };
    return upscaledSize(source, factor(source, o));
}

ImageMetadata ExtrasResult::fileMetadata() const
{
    ImageMetadata meta = metadata;
    if (!postprocessing.isEmpty())
        meta.setText(QStringLiteral("extras"), postprocessing);
    return meta;
}

bool ExtrasUpscaler::prepare(const ExtrasOptions& options, const std::vector<std::string>& dirs,
    const std::string& device, QString* error)
{
    m_options = options;
    m_first = nullptr;
    m_second = nullptr;
    if (!checkExtrasOptions(options, error))
        return false;
    // As the script: both names are looked up before anything runs, the second even at visibility 0
    if (!isNone(options.upscaler)) {
        m_first = makeImageUpscaler(options.upscaler, dirs, device, error);
        if (!m_first)
            return false;
    }
    if (!isNone(options.upscaler2)) {
        ImageUpscaleFn second = makeImageUpscaler(options.upscaler2, dirs, device, error);
        if (!second)
            return false;
        if (options.upscaler2Visibility > 0)
            m_second = std::move(second);
    }
    return true;
}

ExtrasResult ExtrasUpscaler::run(const QImage& image, const ImageMetadata& source, QString* error) const
{
    ExtrasResult r;
    if (image.isNull()) {
        fail(error, QStringLiteral("no image to upscale"));
        return r;
    }
    const QImage rgb = image.convertToFormat(QImage::Format_RGB888);
    r.metadata = source;
    if (!m_first) { // the script returns at once for "None"
        r.image = rgb;
        return r;
    }
    const ExtrasOptions& o = m_options;
    const QSize upscaled = upscaledSize(rgb.size(), factor(rgb.size(), o));
    const QSize result = extrasResultSize(rgb.size(), o);
    for (const QSize& s : { upscaled, result })
        if (s.width() > kMaxExtrasSide || s.height() > kMaxExtrasSide
            || qint64(s.width()) * s.height() > kMaxExtrasPixels) {
            fail(error,
                QStringLiteral(
                    "a %1x%2 image upscaled would be %3x%4, over the limit of %5 pixels a side and %6 "
                    "megapixels")
                    .arg(rgb.width())
                    .arg(rgb.height())
                    .arg(s.width())
                    .arg(s.height())
                    .arg(kMaxExtrasSide)
                    .arg(kMaxExtrasPixels >> 20));
            return r;
        }

    // The keys in the order the script adds them to pp.info
    QList<QPair<QString, QString>> info;
    if (o.scaleTo)
        info.append(
            { QStringLiteral("Postprocess upscale to"), QStringLiteral("%1x%2").arg(o.width).arg(o.height) });
    else
        info.append({ QStringLiteral("Postprocess upscale by"), formatInfotextNumber(o.scale) });
    const Image engineImage = fromQImage(rgb);
    auto upscale = [&](const ImageUpscaleFn& fn) {
        QImage out = toQImage(fn(engineImage, upscaled.width(), upscaled.height()));
        return o.scaleTo && o.crop ? cropToFit(out, o.width, o.height) : out;
    };
    r.image = upscale(m_first);
    if (o.scaleTo && o.crop)
        info.append(
            { QStringLiteral("Postprocess crop to"), QStringLiteral("%1x%2").arg(o.width).arg(o.height) });
    info.append({ QStringLiteral("Postprocess upscaler"), o.upscaler });
    if (m_second) {
        r.image = blend(r.image, upscale(m_second), o.upscaler2Visibility);
        info.append({ QStringLiteral("Postprocess upscaler 2"), o.upscaler2 });
    }
    QStringList parts;
    for (const auto& [key, value] : info)
        parts << (key == value ? key : key + QStringLiteral(": ") + quoteInfotextValue(value));
    r.postprocessing = parts.join(QStringLiteral(", "));
    r.metadata.setText(QStringLiteral("postprocessing"), r.postprocessing);
    return r;
}

ExtrasResult upscaleImage(const QImage& image, const ImageMetadata& source, const ExtrasOptions& options,
    const std::vector<std::string>& dirs, const std::string& device, QString* error)
{
    ExtrasUpscaler upscaler;
    if (!upscaler.prepare(options, dirs, device, error))
        return {};
    return upscaler.run(image, source, error);
}

QString plaintextToHtml(const QString& text)
{
    // html.escape(quote=True) on each line
    QStringList lines;
    for (const QString& line : text.split(QLatin1Char('\n'))) {
        QString e = line.toHtmlEscaped();
        e.replace(QLatin1Char('\''), QStringLiteral("&#x27;"));
        lines << e;
    }
    return QStringLiteral("<p>") + lines.join(QStringLiteral("<br>\n")) + QStringLiteral("</p>");
}

} // namespace qd
