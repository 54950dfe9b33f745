#include "InpaintFlags.h"

#include <CLI/CLI.hpp>

#include <QString>
#include <QStringList>

namespace qd::cli
{

void addInpaintFlags(CLI::App* sub, InpaintFlags& f)
{
    sub->add_option("--mask-blur", f.maskBlur, "Inpainting: mask blur in px (Gaussian sigma; 0 = sharp)")
        ->capture_default_str();
    sub->add_option("--inpainting-fill", f.fill,
           "Inpainting: masked content, fill | original | latent-noise | latent-nothing")
        ->capture_default_str();
    sub->add_flag("--inpaint-full-res", f.fullRes,
        "Inpainting: only masked (crop around the mask, generate at --W x --H, paste back)");
    sub->add_option("--inpaint-padding", f.padding, "Inpainting: only-masked padding in px")
        ->capture_default_str();
    sub->add_flag("--mask-invert", f.invert, "Inpainting: repaint what the mask leaves black");
    sub->add_option("--outpaint", f.outpaint,
        "Outpainting: LEFT,RIGHT,UP,DOWN px to extend --init-img by (each rounded up to 8)");
}

bool applyInpaintFlags(const InpaintFlags& f, GenerationParams& p, std::string* error)
{
    if (f.maskBlur < 0 || f.maskBlur > 64) {
        *error = "--mask-blur " + std::to_string(f.maskBlur) + ": expected 0 to 64";
        return false;
    }
    const QStringList fills { "fill", "original", "latent-noise", "latent-nothing" };
    const int fill = int(fills.indexOf(QString::fromStdString(f.fill).replace(' ', '-')));
    if (fill < 0) {
        *error
            = "--inpainting-fill '" + f.fill + "': expected fill, original, latent-noise or latent-nothing";
        return false;
    }
    if (f.padding < 0 || f.padding > 256) {
        *error = "--inpaint-padding " + std::to_string(f.padding) + ": expected 0 to 256";
        return false;
    }
    p.maskBlurX = p.maskBlurY = f.maskBlur;
    p.inpaintingFill = fill;
    p.inpaintFullRes = f.fullRes;
    p.inpaintFullResPadding = f.padding;
    p.maskInvert = f.invert;
    if (!f.outpaint.empty()) {
        const QStringList parts = QString::fromStdString(f.outpaint).split(',');
        int v[4] = { 0, 0, 0, 0 };
        bool ok = parts.size() == 4;
        for (int i = 0; ok && i < 4; ++i)
            v[i] = parts[i].trimmed().toInt(&ok);
        if (!ok || v[0] < 0 || v[1] < 0 || v[2] < 0 || v[3] < 0 || v[0] + v[1] + v[2] + v[3] > 4096) {
            *error = "--outpaint '" + f.outpaint + "': expected LEFT,RIGHT,UP,DOWN, whole px >= 0";
            return false;
        }
        p.outpaintLeft = v[0];
        p.outpaintRight = v[1];
        p.outpaintUp = v[2];
        p.outpaintDown = v[3];
    }
    return true;
}

} // namespace qd::cli
