#include "core/generation/ControlPreprocessors.h"

#include "core/engine/Annotators.h"
#include "core/generation/CvImage.h"
#include "core/generation/EngineImage.h"

#include <QDir>
#include <QFileInfo>

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <random>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

namespace qd
{

namespace
{

using cvimage::fromMat;
using cvimage::rgb888;
using cvimage::view;

double orDefault(double v, const QList<PreprocessorSlider>& sliders, int i)
{
    return std::isnan(v) ? sliders.value(i).value : v;
}

cv::Mat matOf(const QImage& rgb)
{
    return view(rgb, CV_8UC3).clone();
}

QImage rgbOf(const cv::Mat& m)
{
    if (m.channels() == 1) {
        cv::Mat c;
        cv::cvtColor(m, c, cv::COLOR_GRAY2RGB);
        return fromMat(c, QImage::Format_RGB888);
    }
    return fromMat(m, QImage::Format_RGB888);
}

// resize_image_with_pad (scripts/utils.py): the shorter side to `resolution`, the result padded to
// multiples of 64 by repeating its edge; `fn` runs on the padded image and the pad is cut off again.
QImage withPad(const QImage& rgb, int resolution, const std::function<cv::Mat(const cv::Mat&)>& fn)
{
    const cv::Mat img = matOf(rgb);
    const double k = double(resolution) / double(std::min(img.rows, img.cols));
    const int h = int(std::nearbyint(img.rows * k)), w = int(std::nearbyint(img.cols * k)); // np.round
    cv::Mat resized;
    cv::resize(img, resized, cv::Size(w, h), 0, 0, k > 1 ? cv::INTER_CUBIC : cv::INTER_AREA);
    auto pad64 = [](int x) { return (x + 63) / 64 * 64 - x; };
    cv::Mat padded;
    cv::copyMakeBorder(resized, padded, 0, pad64(h), 0, pad64(w), cv::BORDER_REPLICATE);
    return rgbOf(fn(padded)(cv::Rect(0, 0, w, h)).clone());
}

int resolutionOf(const PreprocessOptions& o)
{
    return o.resolution > 0 ? o.resolution : 512;
}

// numpy's .clip(0, 255).astype(np.uint8): clipped, then truncated (cv::Mat::convertTo would round)
cv::Mat clipTruncU8(const cv::Mat& f32)
{
    cv::Mat out(f32.size(), CV_8U);
    for (int y = 0; y < f32.rows; ++y) {
        const float* in = f32.ptr<float>(y);
        uchar* o = out.ptr<uchar>(y);
        for (int x = 0; x < f32.cols; ++x)
            o[x] = uchar(std::clamp(in[x], 0.0f, 255.0f));
    }
    return out;
}

// min over the channels of a float image: [H, W, 3] -> [H, W]
cv::Mat channelMin(const cv::Mat& m)
{
    std::vector<cv::Mat> c;
    cv::split(m, c);
    cv::Mat out = cv::min(c[0], c[1]);
    return cv::min(out, c[2]);
}

// ---- the classical preprocessors ---------------------------------------------------------------

class None : public ControlPreprocessor
{
public:
    QString name() const override { return QStringLiteral("none"); }
    bool usesResolution() const override { return false; }
    QImage run(const QImage& rgb, const PreprocessOptions&) const override { return rgb888(rgb).copy(); }
};

class Invert : public ControlPreprocessor
{
public:
    QString name() const override { return QStringLiteral("invert"); }
    QString label() const override { return QStringLiteral("invert (from white bg & black line)"); }
    bool usesResolution() const override { return false; }
    QImage run(const QImage& rgb, const PreprocessOptions&) const override
    {
        QImage out = rgb888(rgb).copy();
        out.invertPixels();
        return out;
    }
};

class Canny : public ControlPreprocessor
{
public:
    QString name() const override { return QStringLiteral("canny"); }
    QList<PreprocessorSlider> sliders() const override
    {
        return { { QStringLiteral("Low Threshold"), 1, 255, 100, 1 },
            { QStringLiteral("High Threshold"), 1, 255, 200, 1 } };
    }
    QImage run(const QImage& rgb, const PreprocessOptions& o) const override
    {
        const double low = orDefault(o.a, sliders(), 0), high = orDefault(o.b, sliders(), 1);
        return withPad(rgb, resolutionOf(o), [&](const cv::Mat& img) {
            cv::Mat edges; // on all three channels: the strongest gradient wins, as cv2.Canny does
            cv::Canny(img, edges, int(low), int(high));
            return edges;
        });
    }
};

// A difference of Gaussians (sigma 0.5 and 5), darkest channel: lines darker than their
// surroundings come out positive.
cv::Mat darkDoG(const cv::Mat& img)
{
    cv::Mat f, g1, g2;
    img.convertTo(f, CV_32FC3);
    cv::GaussianBlur(f, g1, cv::Size(0, 0), 0.5);
    cv::GaussianBlur(f, g2, cv::Size(0, 0), 5.0);
    return channelMin(g2 - g1);
}

class ScribbleXdog : public ControlPreprocessor
{
public:
    QString name() const override { return QStringLiteral("scribble_xdog"); }
    QList<PreprocessorSlider> sliders() const override
    {
        return { { QStringLiteral("XDoG Threshold"), 1, 64, 32, 1 } };
    }
    QImage run(const QImage& rgb, const PreprocessOptions& o) const override
    {
        const double threshold = orDefault(o.a, sliders(), 0);
        return withPad(rgb, resolutionOf(o), [&](const cv::Mat& img) {
            // dog = uint8(clip(255 - min(g2 - g1))); white where 2 * (255 - dog) > threshold
            cv::Mat dog;
            clipTruncU8(255.0f - darkDoG(img)).convertTo(dog, CV_32F);
            cv::Mat out = (2.0f * (255.0f - dog)) > float(threshold);
            return out;
        });
    }
};

class Threshold : public ControlPreprocessor
{
public:
    QString name() const override { return QStringLiteral("threshold"); }
    QList<PreprocessorSlider> sliders() const override
    {
        return { { QStringLiteral("Binarization Threshold"), 0, 255, 127, 1 } };
    }
    QImage run(const QImage& rgb, const PreprocessOptions& o) const override
    {
        const double t = orDefault(o.a, sliders(), 0);
        return withPad(rgb, resolutionOf(o), [&](const cv::Mat& img) {
            cv::Mat m;
            channelMin(img).copyTo(m);
            cv::Mat out = m > t;
            return out;
        });
    }
};

class LineartStandard : public ControlPreprocessor
{
public:
    QString name() const override { return QStringLiteral("lineart_standard"); }
    QString label() const override { return QStringLiteral("lineart_standard (from white bg & black line)"); }
    QImage run(const QImage& rgb, const PreprocessOptions& o) const override
    {
        return withPad(rgb, resolutionOf(o), [&](const cv::Mat& img) {
            cv::Mat x, g;
            img.convertTo(x, CV_32FC3);
            cv::GaussianBlur(x, g, cv::Size(0, 0), 6.0);
            cv::Mat intensity = cv::max(cv::min(channelMin(g - x), 255.0), 0.0);
            // normalised by the median of the clearly-dark pixels (at least 16), then * 127
            std::vector<float> strong;
            for (int y = 0; y < intensity.rows; ++y)
                for (int c = 0; c < intensity.cols; ++c)
                    if (const float v = intensity.at<float>(y, c); v > 8)
                        strong.push_back(v);
            double median = 0;
            if (!strong.empty()) { // np.median: the mean of the two middle values for an even count
                const size_t n = strong.size();
                std::nth_element(strong.begin(), strong.begin() + n / 2, strong.end());
                median = strong[n / 2];
                if (n % 2 == 0)
                    median = (median + *std::max_element(strong.begin(), strong.begin() + n / 2)) / 2;
            }
            return clipTruncU8(intensity / std::max(16.0, median) * 127.0);
        });
    }
};

// Soft edges without a network: the gradient magnitude of a lightly blurred image, normalised to its
// 99th percentile, so strong and faint edges both show as grey levels (the HED / PiDiNet maps'
// look, for softedge ControlNets, when those networks are not available).
class SoftEdgeClassic : public ControlPreprocessor
{
public:
    QString name() const override { return QStringLiteral("softedge_sobel"); }
    QList<PreprocessorSlider> sliders() const override
    {
        return { { QStringLiteral("Smoothing Sigma"), 0.5, 8, 1.5, 0.1 } };
    }
    QImage run(const QImage& rgb, const PreprocessOptions& o) const override
    {
        const double sigma = orDefault(o.a, sliders(), 0);
        return withPad(rgb, resolutionOf(o), [&](const cv::Mat& img) {
            cv::Mat gray, f, dx, dy, mag;
            cv::cvtColor(img, gray, cv::COLOR_RGB2GRAY);
            gray.convertTo(f, CV_32F);
            cv::GaussianBlur(f, f, cv::Size(0, 0), sigma);
            cv::Sobel(f, dx, CV_32F, 1, 0);
            cv::Sobel(f, dy, CV_32F, 0, 1);
            cv::magnitude(dx, dy, mag);
            std::vector<float> v(mag.begin<float>(), mag.end<float>());
            const size_t at = v.size() * 99 / 100;
            std::nth_element(v.begin(), v.begin() + at, v.end());
            cv::Mat out;
            cv::Mat(mag * (255.0 / std::max(1e-3f, v[at]))).convertTo(out, CV_8U);
            return out;
        });
    }
};

class BlurGaussian : public ControlPreprocessor
{
public:
    QString name() const override { return QStringLiteral("blur_gaussian"); }
    QList<PreprocessorSlider> sliders() const override
    {
        return { { QStringLiteral("Sigma"), 0.01, 64, 9, 0.01 } };
    }
    QImage run(const QImage& rgb, const PreprocessOptions& o) const override
    {
        const double sigma = orDefault(o.a, sliders(), 0);
        const QImage sized = withPad(rgb, resolutionOf(o), [](const cv::Mat& m) { return m; });
        cv::Mat out;
        cv::GaussianBlur(matOf(sized), out, cv::Size(0, 0), sigma);
        return rgbOf(out);
    }
};

class TileResample : public ControlPreprocessor
{
public:
    QString name() const override { return QStringLiteral("tile_resample"); }
    bool usesResolution() const override { return false; }
    QList<PreprocessorSlider> sliders() const override
    {
        return { { QStringLiteral("Down Sampling Rate"), 1, 8, 1, 0.01 } };
    }
    QImage run(const QImage& rgb, const PreprocessOptions& o) const override
    {
        const double rate = orDefault(o.a, sliders(), 0);
        if (rate < 1.1)
            return rgb888(rgb).copy();
        const cv::Mat img = matOf(rgb888(rgb));
        cv::Mat out;
        cv::resize(img, out, cv::Size(int(img.cols / rate), int(img.rows / rate)), 0, 0, cv::INTER_AREA);
        return rgbOf(out);
    }
};

class ColorGrid : public ControlPreprocessor
{
public:
    QString name() const override { return QStringLiteral("t2ia_color_grid"); }
    QImage run(const QImage& rgb, const PreprocessOptions& o) const override
    {
        // annotator/color: the shorter side to the resolution, then 64-pixel cells of average colour
        const cv::Mat img = matOf(rgb888(rgb));
        const int res = resolutionOf(o);
        const bool tall = img.rows >= img.cols;
        const int w = tall ? res : int(std::lround(double(img.cols) / img.rows * res));
        const int h = tall ? int(std::lround(double(img.rows) / img.cols * res)) : res;
        cv::Mat sized, cells, out;
        cv::resize(img, sized, cv::Size(w, h), 0, 0, cv::INTER_AREA);
        cv::resize(sized, cells, cv::Size(std::max(1, w / 64), std::max(1, h / 64)), 0, 0, cv::INTER_CUBIC);
        cv::resize(cells, out, cv::Size(w, h), 0, 0, cv::INTER_NEAREST);
        return rgbOf(out);
    }
};

class Shuffle : public ControlPreprocessor
{
public:
    QString name() const override { return QStringLiteral("shuffle"); }
    QImage run(const QImage& rgb, const PreprocessOptions& o) const override
    {
        const QImage sized = withPad(rgb, resolutionOf(o), [](const cv::Mat& m) { return m; });
        const cv::Mat img = matOf(sized);
        const int H = img.rows, W = img.cols, F = 256;
        std::mt19937_64 rng(o.seed);
        std::uniform_real_distribution<double> uniform(0.0, 1.0);
        // make_noise_disk: coarse uniform noise, cubic-upscaled, cropped, stretched to [0, 1]
        auto noiseDisk = [&] {
            cv::Mat noise(H / F + 2, W / F + 2, CV_64F);
            for (auto it = noise.begin<double>(); it != noise.end<double>(); ++it)
                *it = uniform(rng);
            cv::Mat big;
            cv::resize(noise, big, cv::Size(W + 2 * F, H + 2 * F), 0, 0, cv::INTER_CUBIC);
            cv::Mat crop = big(cv::Rect(F, F, W, H)).clone();
            double lo = 0, hi = 0;
            cv::minMaxLoc(crop, &lo, &hi);
            crop = (crop - lo) / std::max(1e-12, hi - lo);
            return crop;
        };
        cv::Mat x, y, out;
        cv::Mat(noiseDisk() * double(W - 1)).convertTo(x, CV_32F);
        cv::Mat(noiseDisk() * double(H - 1)).convertTo(y, CV_32F);
        cv::remap(img, out, x, y, cv::INTER_LINEAR);
        return rgbOf(out);
    }
};

// recolor_luminance / recolor_intensity: one channel of LAB / HSV, gamma-corrected, as grey RGB. The
// extension converts its RGB array with the BGR codes; kept so its maps are matched.
class Recolor : public ControlPreprocessor
{
public:
    Recolor(const char* name, int code, int channel)
        : m_name(QString::fromLatin1(name))
        , m_code(code)
        , m_channel(channel)
    {
    }
    QString name() const override { return m_name; }
    bool usesResolution() const override { return false; }
    QList<PreprocessorSlider> sliders() const override
    {
        return { { QStringLiteral("Gamma Correction"), 0.1, 2, 1, 0.001 } };
    }
    QImage run(const QImage& rgb, const PreprocessOptions& o) const override
    {
        const double gamma = orDefault(o.a, sliders(), 0);
        cv::Mat converted, channel, f;
        cv::cvtColor(matOf(rgb888(rgb)), converted, m_code);
        cv::extractChannel(converted, channel, m_channel);
        channel.convertTo(f, CV_32F, 1.0 / 255.0);
        cv::pow(f, gamma, f);
        return rgbOf(clipTruncU8(f * 255.0));
    }

private:
    QString m_name;
    int m_code, m_channel;
};

// inpaint / inpaint_only: the picture with the mask as alpha 0; the engine turns masked pixels into
// -1 for the inpaint ControlNet.
class Inpaint : public ControlPreprocessor
{
public:
    Inpaint(const char* name, const char* label)
        : m_name(QString::fromLatin1(name))
        , m_label(QString::fromLatin1(label))
    {
    }
    QString name() const override { return m_name; }
    QString label() const override { return m_label; }
    bool usesResolution() const override { return false; }
    bool needsMask() const override { return true; }
    QImage run(const QImage& rgb, const PreprocessOptions& o) const override
    {
        QImage out = rgb.convertToFormat(QImage::Format_ARGB32);
        const QImage mask = cvimage::gray8(o.mask.size() == out.size() ? o.mask : o.mask.scaled(out.size()));
        for (int y = 0; y < out.height(); ++y) {
            auto* line = reinterpret_cast<QRgb*>(out.scanLine(y));
            const uchar* m = mask.constScanLine(y);
            for (int x = 0; x < out.width(); ++x)
                if (m[x] > 127)
                    line[x] = qRgba(qRed(line[x]), qGreen(line[x]), qBlue(line[x]), 0);
        }
        return out;
    }

private:
    QString m_name, m_label;
};

// ---- the network annotators: listed, run only where QDiffusion has the network -------------------

// softedge_hed: annotator/hed's network (ControlNetHED.pth) on the sized, padded picture.
class SoftEdgeHed : public ControlPreprocessor
{
public:
    static QString weights() { return QStringLiteral("hed/ControlNetHED.pth"); }
    QString name() const override { return QStringLiteral("softedge_hed"); }
    QString unavailableReason(const QString& annotatorsDir) const override
    {
        if (annotatorsDir.isEmpty() || !QFileInfo::exists(QDir(annotatorsDir).filePath(weights())))
            return QStringLiteral("needs the annotator weights %1 in the annotators folder").arg(weights());
        return {};
    }
    QImage run(const QImage& rgb, const PreprocessOptions& o) const override
    {
        const QString file = QDir(o.annotatorsDir).filePath(weights());
        return withPad(rgb, resolutionOf(o), [&](const cv::Mat& img) {
            const Image map
                = runHedAnnotator(file.toStdString(), fromQImage(fromMat(img, QImage::Format_RGB888)));
            return matOf(toQImage(map));
        });
    }
};

class Network : public ControlPreprocessor
{
public:
    Network(const char* name, const char* weights)
        : m_name(QString::fromLatin1(name))
        , m_weights(QString::fromLatin1(weights))
    {
    }
    QString name() const override { return m_name; }
    QString unavailableReason(const QString& annotatorsDir) const override
    {
        const QString file = QDir(annotatorsDir).filePath(m_weights);
        if (annotatorsDir.isEmpty() || !QFileInfo::exists(file))
            return QStringLiteral("needs the annotator weights %1 in the annotators folder").arg(m_weights);
        return QStringLiteral("%1 is there, but QDiffusion cannot run this annotator's network yet; "
                              "preprocess the image elsewhere and use \"none\"")
            .arg(file);
    }
    QImage run(const QImage&, const PreprocessOptions&) const override { return {}; }

private:
    QString m_name, m_weights;
};

std::vector<std::unique_ptr<ControlPreprocessor>> makeAll()
{
    std::vector<std::unique_ptr<ControlPreprocessor>> all;
    all.push_back(std::make_unique<None>());
    all.push_back(std::make_unique<Canny>());
    all.push_back(std::make_unique<Invert>());
    all.push_back(std::make_unique<ScribbleXdog>());
    all.push_back(std::make_unique<Threshold>());
    all.push_back(std::make_unique<LineartStandard>());
    all.push_back(std::make_unique<SoftEdgeClassic>());
    all.push_back(std::make_unique<TileResample>());
    all.push_back(std::make_unique<BlurGaussian>());
    all.push_back(std::make_unique<ColorGrid>());
    all.push_back(std::make_unique<Shuffle>());
    all.push_back(std::make_unique<Recolor>("recolor_luminance", cv::COLOR_BGR2Lab, 0));
    all.push_back(std::make_unique<Recolor>("recolor_intensity", cv::COLOR_BGR2HSV, 2));
    all.push_back(std::make_unique<Inpaint>("inpaint", "inpaint_global_harmonious"));
    all.push_back(std::make_unique<Inpaint>("inpaint_only", "inpaint_only"));
    all.push_back(std::make_unique<SoftEdgeHed>());
    // where the extension's downloads put each network's weights (annotator/downloads/...)
    const std::pair<const char*, const char*> networks[] = {
        { "depth_midas", "midas/dpt_hybrid-midas-501f0c75.pt" },
        { "depth_zoe", "zoedepth/ZoeD_M12_N.pt" },
        { "depth_leres", "leres/res101.pth" },
        { "depth_anything", "depth_anything/depth_anything_vitl14.pth" },
        { "openpose", "openpose/body_pose_model.pth" },
        { "openpose_full", "openpose/body_pose_model.pth" },
        { "dw_openpose_full", "dw_openpose/dw-ll_ucoco_384.onnx" },
        { "softedge_pidinet", "pidinet/table5_pidinet.pth" },
        { "scribble_hed", "hed/ControlNetHED.pth" },
        { "lineart_realistic", "lineart/sk_model.pth" },
        { "lineart_anime", "lineart_anime/netG.pth" },
        { "mlsd", "mlsd/mlsd_large_512_fp32.pth" },
        { "normal_bae", "normal_bae/scannet.pt" },
        { "seg_ofade20k", "oneformer/250_16_swin_l_oneformer_ade20k_160k.pth" },
    };
    for (const auto& [name, weights] : networks)
        all.push_back(std::make_unique<Network>(name, weights));
    return all;
}

} // namespace

const QList<const ControlPreprocessor*>& controlPreprocessors()
{
    static const std::vector<std::unique_ptr<ControlPreprocessor>> owned = makeAll();
    static const QList<const ControlPreprocessor*> list = [] {
        QList<const ControlPreprocessor*> l;
        for (const auto& p : owned)
            l << p.get();
        return l;
    }();
    return list;
}

const ControlPreprocessor* findControlPreprocessor(const QString& name)
{
    // the extension's older names (scripts/preprocessor/legacy, its API's module aliases)
    static const QList<QPair<QString, QString>> aliases = { { "color", "t2ia_color_grid" },
        { "binary", "threshold" }, { "pidinet", "softedge_pidinet" }, { "hed", "softedge_hed" },
        { "depth", "depth_midas" }, { "tile_gaussian", "blur_gaussian" }, { "canny_edge", "canny" } };
    QString wanted = name.trimmed();
    for (const auto& [alias, real] : aliases)
        if (wanted.compare(alias, Qt::CaseInsensitive) == 0)
            wanted = real;
    for (const ControlPreprocessor* p : controlPreprocessors())
        if (p->name().compare(wanted, Qt::CaseInsensitive) == 0
            || p->label().compare(wanted, Qt::CaseInsensitive) == 0)
            return p;
    return nullptr;
}

QImage preprocessControlImage(const QString& name, const QImage& image, const PreprocessOptions& options,
    const QString& annotatorsDir, QString* error)
{
    auto fail = [&](const QString& why) {
        if (error)
            *error = why;
        return QImage();
    };
    const ControlPreprocessor* p = findControlPreprocessor(name);
    if (!p)
        return fail(QStringLiteral("unknown ControlNet preprocessor '%1'").arg(name));
    if (const QString why = p->unavailableReason(annotatorsDir); !why.isEmpty())
        return fail(QStringLiteral("ControlNet preprocessor '%1': %2").arg(p->name(), why));
    if (image.isNull() || image.width() < 1 || image.height() < 1)
        return fail(QStringLiteral("ControlNet preprocessor '%1': no image to process").arg(p->name()));
    if (p->needsMask() && options.mask.isNull())
        return fail(QStringLiteral("ControlNet preprocessor '%1' needs a mask").arg(p->name()));
    if (options.resolution > 8192)
        return fail(
            QStringLiteral("ControlNet preprocessor resolution %1 is above 8192").arg(options.resolution));
    PreprocessOptions o = options;
    o.annotatorsDir = annotatorsDir;
    try {
        return p->run(rgb888(image), o);
    } catch (const std::exception& e) { // a network annotator's file that is not the network
        return fail(
            QStringLiteral("ControlNet preprocessor '%1': %2").arg(p->name(), QString::fromUtf8(e.what())));
    }
}

} // namespace qd
