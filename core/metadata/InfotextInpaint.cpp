#include "core/metadata/InfotextInpaint.h"

namespace qd
{

namespace
{

const char* const kMaskedContent[] = { "fill", "original", "latent noise", "latent nothing" };

} // namespace

QList<QPair<QString, QString>> inpaintInfotextPairs(const GenerationParams& p)
{
    QList<QPair<QString, QString>> out;
    if (!p.inpainting)
        return out;
    // A1111 writes its mask_blur, which is only defined when x and y agree; ours keeps both then
    if (p.maskBlurX == p.maskBlurY && p.maskBlurX > 0) {
        out.append({ QStringLiteral("Mask blur"), QString::number(p.maskBlurX) });
    } else if (p.maskBlurX != p.maskBlurY) {
        out.append({ QStringLiteral("Mask blur x"), QString::number(p.maskBlurX) });
        out.append({ QStringLiteral("Mask blur y"), QString::number(p.maskBlurY) });
    }
    if (p.inpaintFullRes) {
        out.append({ QStringLiteral("Inpaint area"), QStringLiteral("Only masked") });
        out.append({ QStringLiteral("Masked area padding"), QString::number(p.inpaintFullResPadding) });
    }
    if (p.inpaintingFill != 1 && p.inpaintingFill >= 0 && p.inpaintingFill <= 3) // "original" goes unwritten
        out.append({ QStringLiteral("Masked content"), QLatin1String(kMaskedContent[p.inpaintingFill]) });
    if (p.maskInvert) // A1111 reads it (default "Inpaint masked")
        out.append({ QStringLiteral("Mask mode"), QStringLiteral("Inpaint not masked") });
    return out;
}

bool readInpaintInfotextKey(
    const QString& key, const QString& value, GenerationParams& p, const char** expected)
{
    bool ok = false;
    const QString v = value.trimmed();
    if (key == QLatin1String("Mask blur") || key == QLatin1String("Mask blur x")
        || key == QLatin1String("Mask blur y")) {
        const int blur = v.toInt(&ok);
        if (!ok || blur < 0 || blur > 64) {
            *expected = "a whole number from 0 to 64";
            return true;
        }
        if (key != QLatin1String("Mask blur y"))
            p.maskBlurX = blur;
        if (key != QLatin1String("Mask blur x"))
            p.maskBlurY = blur;
    } else if (key == QLatin1String("Inpaint area")) {
        if (v != QLatin1String("Whole picture") && v != QLatin1String("Only masked")) {
            *expected = "Whole picture or Only masked";
            return true;
        }
        p.inpaintFullRes = v == QLatin1String("Only masked");
    } else if (key == QLatin1String("Masked area padding")) {
        const int pad = v.toInt(&ok);
        if (!ok || pad < 0 || pad > 256) {
            *expected = "a whole number from 0 to 256";
            return true;
        }
        p.inpaintFullResPadding = pad;
    } else if (key == QLatin1String("Masked content")) {
        int found = -1;
        for (int i = 0; i < 4; ++i)
            if (v == QLatin1String(kMaskedContent[i]))
                found = i;
        if (found < 0) {
            *expected = "fill, original, latent noise or latent nothing";
            return true;
        }
        p.inpaintingFill = found;
    } else if (key == QLatin1String("Mask mode")) {
        if (v != QLatin1String("Inpaint masked") && v != QLatin1String("Inpaint not masked")) {
            *expected = "Inpaint masked or Inpaint not masked";
            return true;
        }
        p.maskInvert = v == QLatin1String("Inpaint not masked");
    } else {
        return false;
    }
    p.inpainting = true;
    return true;
}

} // namespace qd
