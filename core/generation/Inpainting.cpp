#include "core/generation/Inpainting.h"

#include "core/generation/CvImage.h"

#include <QPainter>

#include <algorithm>
#include <cmath>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

namespace qd
{

namespace
{

using cvimage::fromMat;
using cvimage::gray8;
using cvimage::rgb888;
using cvimage::view;

int roundUp8(int v)
{
    return v <= 0 ? 0 : (v + 7) / 8 * 8;
}

// A Gaussian blur of large sigma, cheaply: at a reduced size, then back (the fill only needs the
// colours around a hole, not an exact kernel).
cv::Mat wideBlur(const cv::Mat& m, double sigma)
{
    const double factor = std::max(1.0, sigma / 4.0);
    cv::Mat small, blurred, out;
    if (factor > 1.0)
        cv::resize(m, small, cv::Size(std::max(1, int(m.cols / factor)), std::max(1, int(m.rows / factor))),
            0, 0, cv::INTER_AREA);
    else
        small = m;
    cv::GaussianBlur(small, blurred, cv::Size(0, 0), sigma / factor, 0, cv::BORDER_REPLICATE);
    if (factor > 1.0)
        cv::resize(blurred, out, m.size(), 0, 0, cv::INTER_LINEAR);
    else
        out = blurred;
    return out;
}

} // namespace

int maskBlurKernelSize(int blur)
{
    return 2 * int(2.5 * blur + 0.5) + 1;
}

QImage blurMask(const QImage& mask, int blurX, int blurY)
{
    QImage out = gray8(mask).copy();
    cv::Mat m = view(out, CV_8UC1);
    // processing.py: one pass along each axis, kernel (k, 1) then (1, k), sigma = the blur
    if (blurX > 0)
        cv::GaussianBlur(m, m, cv::Size(maskBlurKernelSize(blurX), 1), blurX);
    if (blurY > 0)
        cv::GaussianBlur(m, m, cv::Size(1, maskBlurKernelSize(blurY)), blurY);
    return out;
}

QRect maskCropRegion(const QImage& mask, int padding)
{
    const QImage g = gray8(mask);
    std::vector<cv::Point> points;
    cv::findNonZero(view(g, CV_8UC1), points);
    if (points.empty())
        return {};
    const cv::Rect box = cv::boundingRect(points);
    const int x1 = std::max(box.x - padding, 0), y1 = std::max(box.y - padding, 0);
    const int x2 = std::min(box.x + box.width + padding, g.width());
    const int y2 = std::min(box.y + box.height + padding, g.height());
    return QRect(QPoint(x1, y1), QPoint(x2 - 1, y2 - 1));
}

QRect expandCropRegion(const QRect& crop, int width, int height, const QSize& image)
{
    // edges as A1111 holds them: x2 / y2 exclusive
    int x1 = crop.left(), y1 = crop.top(), x2 = crop.right() + 1, y2 = crop.bottom() + 1;
    const double cropRatio = double(x2 - x1) / (y2 - y1), ratio = double(width) / height;
    // grow the short side on both ends, shift back inside the image, clamp
    auto grow = [](int& a, int& b, int desired, int limit) {
        const int diff = desired - (b - a);
        a -= diff / 2;
        b += diff - diff / 2;
        if (b >= limit) {
            a -= b - limit;
            b = limit;
        }
        if (a < 0) {
            b -= a;
            a = 0;
        }
        b = std::min(b, limit);
    };
    if (cropRatio > ratio)
        grow(y1, y2, int((x2 - x1) / ratio), image.height());
    else
        grow(x1, x2, int((y2 - y1) * ratio), image.width());
    return QRect(QPoint(x1, y1), QPoint(x2 - 1, y2 - 1));
}

QImage fillMaskedArea(const QImage& image, const QImage& mask)
{
    const QImage src = rgb888(image),
                 m = gray8(mask.size() == image.size() ? mask : mask.scaled(image.size()));
    cv::Mat colour, alpha;
    view(src, CV_8UC3).convertTo(colour, CV_32FC3, 1.0 / 255);
    view(m, CV_8UC1).convertTo(alpha, CV_32FC1, -1.0 / 255, 1.0); // 1 = keep (unmasked)
    cv::Mat alpha3;
    cv::merge(std::vector<cv::Mat> { alpha, alpha, alpha }, alpha3);
    const cv::Mat premultiplied = colour.mul(alpha3);
    // masking.fill: blurs of radius 256, 64, 16, 4, 2 and the image itself, each laid over the
    // previous ones (alpha over) as often as listed
    cv::Mat accColour(colour.size(), CV_32FC3, cv::Scalar::all(0)), accAlpha(colour.size(), CV_32FC1, 0.0);
    const std::pair<double, int> passes[]
        = { { 256, 1 }, { 64, 1 }, { 16, 2 }, { 4, 4 }, { 2, 2 }, { 0, 1 } };
    for (const auto& [radius, repeats] : passes) {
        const cv::Mat p = radius > 0 ? wideBlur(premultiplied, radius) : premultiplied;
        const cv::Mat a = radius > 0 ? wideBlur(alpha, radius) : alpha;
        cv::Mat safeA = cv::max(a, 1e-6f), a3;
        cv::merge(std::vector<cv::Mat> { safeA, safeA, safeA }, a3);
        cv::Mat c;
        cv::divide(p, a3, c); // un-premultiplied colour of this layer
        cv::merge(std::vector<cv::Mat> { a, a, a }, a3);
        for (int i = 0; i < repeats; ++i) {
            // over: outA = a + accA (1 - a); outC = (c a + accC accA (1 - a)) / outA
            const cv::Mat keep = accAlpha.mul(1.0 - a);
            cv::Mat outA = a + keep, keep3, outA3;
            cv::merge(std::vector<cv::Mat> { keep, keep, keep }, keep3);
            cv::Mat safeOut = cv::max(outA, 1e-6f);
            cv::merge(std::vector<cv::Mat> { safeOut, safeOut, safeOut }, outA3);
            cv::Mat num = c.mul(a3) + accColour.mul(keep3);
            cv::divide(num, outA3, accColour);
            accAlpha = outA;
        }
    }
    cv::Mat out8;
    accColour.convertTo(out8, CV_8UC3, 255.0);
    QImage out = fromMat(out8, QImage::Format_RGB888);
    return out;
}

OutpaintMargins OutpaintMargins::of(const GenerationParams& p)
{
    return { roundUp8(p.outpaintLeft), roundUp8(p.outpaintRight), roundUp8(p.outpaintUp),
        roundUp8(p.outpaintDown) };
}

QImage outpaintCanvas(const QImage& image, const OutpaintMargins& m)
{
    const QImage src = rgb888(image);
    cv::Mat out;
    cv::copyMakeBorder(view(src, CV_8UC3), out, m.up, m.down, m.left, m.right, cv::BORDER_REPLICATE);
    return fromMat(out, QImage::Format_RGB888);
}

QImage outpaintMask(const QSize& imageSize, const OutpaintMargins& m, int overlap)
{
    const int w = imageSize.width() + m.left + m.right, h = imageSize.height() + m.up + m.down;
    QImage mask(w, h, QImage::Format_Grayscale8);
    mask.fill(255);
    const int x1 = m.left + (m.left > 0 ? overlap : 0), y1 = m.up + (m.up > 0 ? overlap : 0);
    const int x2 = w - m.right - (m.right > 0 ? overlap : 0), y2 = h - m.down - (m.down > 0 ? overlap : 0);
    if (x2 > x1 && y2 > y1)
        view(mask, CV_8UC1)(cv::Rect(x1, y1, x2 - x1, y2 - y1)).setTo(0);
    return mask;
}

QImage applyInpaintOverlay(const InpaintOverlay* overlay, const QImage& generated)
{
    if (!overlay || overlay->original.isNull())
        return generated;
    const QImage original = rgb888(overlay->original), mask = gray8(overlay->mask);
    QImage result = original.copy();
    {
        const QImage g = rgb888(generated);
        const QRect to = overlay->pasteTo.isNull() ? result.rect() : overlay->pasteTo;
        QPainter painter(&result);
        painter.setCompositionMode(QPainter::CompositionMode_Source);
        painter.drawImage(to,
            g.size() == to.size() ? g : g.scaled(to.size(), Qt::IgnoreAspectRatio, Qt::SmoothTransformation));
    }
    // the original over the result with alpha 255 - mask: where the mask is 0 it is the original
    for (int y = 0; y < result.height(); ++y) {
        uchar* out = result.scanLine(y);
        const uchar* orig = original.constScanLine(y);
        const uchar* m = mask.constScanLine(y);
        for (int x = 0; x < result.width(); ++x) {
            const int a = m[x];
            for (int c = 0; c < 3; ++c) {
                const int i = 3 * x + c;
                out[i] = uchar((out[i] * a + orig[i] * (255 - a) + 127) / 255);
            }
        }
    }
    return result;
}

PreparedInpaint prepareInpaintImages(GenerationParams& p, const QImage& init, const QImage& maskIn)
{
    PreparedInpaint out;
    QSize size(p.width, p.height);
    QImage image = rgb888(init);
    QImage mask = maskIn.isNull() ? QImage() : gray8(maskIn);
    p.inpainting = false;
    bool inverted = false;
    const OutpaintMargins margins = OutpaintMargins::of(p);
    if (margins.any()) {
        // the picture at the job's size, then the canvas around it; the user's mask goes with it
        if (image.size() != size)
            image = image.scaled(size, Qt::IgnoreAspectRatio, Qt::SmoothTransformation);
        QImage grown = outpaintMask(size, margins, 2 * std::max(p.maskBlurX, p.maskBlurY));
        if (!mask.isNull()) { // the user's mask (inverted here when asked) joins the new area's
            QImage user = gray8(mask.size() == size ? mask : mask.scaled(size));
            if (p.maskInvert)
                user.invertPixels();
            cv::Mat under
                = view(grown, CV_8UC1)(cv::Rect(margins.left, margins.up, size.width(), size.height()));
            cv::max(under, view(user, CV_8UC1), under);
        }
        inverted = true; // the new area is repainted whatever the mask mode
        mask = grown;
        image = outpaintCanvas(image, margins);
        p.width = size.width() + margins.left + margins.right;
        p.height = size.height() + margins.up + margins.down;
        size = QSize(p.width, p.height);
    }
    if (mask.isNull()) {
        out.image = rgb888(image.size() == size
                ? image
                : image.scaled(size, Qt::IgnoreAspectRatio, Qt::SmoothTransformation));
        return out;
    }
    if (mask.size() != image.size()) // a mask drawn at another size covers the same picture
        mask = mask.scaled(image.size());
    if (p.maskInvert && !inverted)
        mask.invertPixels();
    mask = blurMask(mask, p.maskBlurX, p.maskBlurY);
    if (p.inpaintFullRes) {
        const QRect found = maskCropRegion(mask, p.inpaintFullResPadding);
        if (found.isNull()) { // A1111: "Unable to perform Inpaint Only mask because mask is blank"
            out.image = rgb888(image.scaled(size, Qt::IgnoreAspectRatio, Qt::SmoothTransformation));
            return out;
        }
        const QRect crop = expandCropRegion(found, p.width, p.height, image.size());
        out.overlay = { image, mask, crop };
        out.image = image.copy(crop).scaled(size, Qt::IgnoreAspectRatio, Qt::SmoothTransformation);
        out.mask = mask.copy(crop).scaled(size, Qt::IgnoreAspectRatio, Qt::SmoothTransformation);
    } else {
        out.image = image.size() == size
            ? image
            : image.scaled(size, Qt::IgnoreAspectRatio, Qt::SmoothTransformation);
        out.mask
            = mask.size() == size ? mask : mask.scaled(size, Qt::IgnoreAspectRatio, Qt::SmoothTransformation);
        // processing.py: the overlay's mask is the blurred one doubled, so the original reaches
        // further into the blur's fringe
        QImage doubled = out.mask.copy();
        cv::Mat d = view(doubled, CV_8UC1);
        cv::Mat twice;
        d.convertTo(twice, CV_8UC1, 2.0); // saturates at 255
        twice.copyTo(d);
        out.overlay = { out.image, doubled, QRect() };
    }
    // smooth scaling may hand back 32-bit images
    out.image = rgb888(out.image);
    out.mask = gray8(out.mask);
    out.overlay.original = rgb888(out.overlay.original);
    out.overlay.mask = gray8(out.overlay.mask);
    if (p.inpaintingFill == 0)
        out.image = fillMaskedArea(out.image, out.mask);
    p.inpainting = true;
    return out;
}

} // namespace qd
