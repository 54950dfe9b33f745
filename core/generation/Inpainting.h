#pragma once
// Inpainting and outpainting as AUTOMATIC1111's img2img prepares them (modules/processing.py,
// StableDiffusionProcessingImg2Img.init; modules/masking.py), in pixels, before the engine runs, and
// the paste-back after it: mask invert and blur, "Masked content: fill", "Inpaint area: Only
// masked" (crop around the mask, generate at the job's size, scale back), outpainting's extended
// canvas, and the final overlay that puts the original pixels back outside the mask. Latent noise
// and latent nothing act on the latents, in the engine (GenerationParams::inpaintingFill).
#include <QImage>
#include <QRect>

#include "core/engine/GenerationParams.h"

namespace qd
{

// A1111's Gaussian kernel for a mask blur of `blur` px (sigma = blur): 2 * int(2.5 * blur + 0.5) + 1.
int maskBlurKernelSize(int blur);
// Grayscale copy of `mask` blurred along x with sigma blurX, then along y with sigma blurY (0 = not
// along that axis), with A1111's kernel sizes and OpenCV's default border.
QImage blurMask(const QImage& mask, int blurX, int blurY);
// The bounding box of the mask's non-zero pixels grown by `padding` on every side and clamped to
// the image (masking.get_crop_region_v2); a null rect for a blank mask.
QRect maskCropRegion(const QImage& mask, int padding);
// `crop` grown on its short side to the aspect of width x height, kept inside `image`
// (masking.expand_crop_region).
QRect expandCropRegion(const QRect& crop, int width, int height, const QSize& image);
// "Masked content: fill": the masked area painted from the colours around it, by layering ever
// less blurred copies of the unmasked image (masking.fill). RGB888.
QImage fillMaskedArea(const QImage& image, const QImage& mask);

struct OutpaintMargins {
    int left = 0, right = 0, up = 0, down = 0;
    bool any() const { return left > 0 || right > 0 || up > 0 || down > 0; }
    static OutpaintMargins of(const GenerationParams& p); // each rounded up to a multiple of 8
};
// The image on a canvas grown by the margins, the new area an edge stretch of the border pixels.
QImage outpaintCanvas(const QImage& image, const OutpaintMargins& m);
// The outpainting mask of a canvas around an image of `imageSize`: white over the new area and
// `overlap` px into the image on each extended side (A1111's outpainting scripts use twice the
// mask blur), black elsewhere.
QImage outpaintMask(const QSize& imageSize, const OutpaintMargins& m, int overlap);

// How a generated image goes back into the picture (A1111's apply_overlay).
struct InpaintOverlay {
    QImage original; // RGB888: the picture the result goes into, the final image's size
    QImage mask; // Grayscale8, the same size: 255 takes the generated pixel, 0 keeps the original
    QRect pasteTo; // Only masked: the region the generated image is scaled into; null: all of it
};
// The generated image scaled into place, then the original laid over it with alpha 255 - mask: the
// unmasked pixels are the original's exactly. `overlay` null: `generated` unchanged.
QImage applyInpaintOverlay(const InpaintOverlay* overlay, const QImage& generated);

struct PreparedInpaint {
    QImage image; // RGB888 at p.width x p.height: what the engine starts from
    QImage mask; // Grayscale8 at the same size, white = repaint; null: plain img2img
    InpaintOverlay overlay;
};
// The engine's inputs for an init image and an optional mask: outpainting first (the canvas grows
// by the margins, p.width / p.height with it; the mask gains the new area), then invert, blur,
// the Only masked crop (a blank mask falls back to img2img, as in A1111), the resize to the job's
// size and the fill. Sets p.inpainting when a mask is used. p.width / p.height must be settled.
PreparedInpaint prepareInpaintImages(GenerationParams& p, const QImage& init, const QImage& mask);

} // namespace qd
