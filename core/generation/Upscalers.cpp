// LibTorch before Qt: Qt's `slots` macro would break LibTorch's headers.
#include <torch/torch.h>

#include "core/engine/upscale/Rrdb.h"
#include "core/engine/upscale/UpscaleTiles.h"
#include "core/generation/Upscalers.h"

#include <QDirIterator>
#include <QFileInfo>

#include <memory>

#include <opencv2/imgproc.hpp>

namespace qd
{

namespace
{

// A1111's ESRGAN_tile / ESRGAN_tile_overlap defaults
constexpr int kTile = 192, kTileOverlap = 8;

Image resizeTo(const Image& im, int width, int height, int interpolation)
{
    const cv::Mat src(im.height, im.width, CV_8UC3, const_cast<uint8_t*>(im.pixels.data()));
    cv::Mat dst;
    cv::resize(src, dst, cv::Size(width, height), 0, 0, interpolation);
    Image out;
    out.width = width;
    out.height = height;
    out.pixels.assign(dst.data, dst.data + size_t(width) * height * 3);
    return out;
}

Image lanczos(const Image& im, int width, int height)
{
    return resizeTo(im, width, height, cv::INTER_LANCZOS4);
}

Image runModel(const RrdbNet& net, const Image& im)
{
    torch::Tensor rgb
        = torch::from_blob(const_cast<uint8_t*>(im.pixels.data()), { im.height, im.width, 3 }, torch::kUInt8);
    const torch::Tensor out
        = upscaleImage8([&net](const torch::Tensor& x) { return net.upscale(x); }, rgb, kTile, kTileOverlap);
    Image r;
    r.height = int(out.size(0));
    r.width = int(out.size(1));
    r.pixels.assign(out.data_ptr<uint8_t>(), out.data_ptr<uint8_t>() + out.numel());
    return r;
}

QStringList upscalerFiles(const std::vector<std::string>& dirs)
{
    QStringList out;
    for (const std::string& dir : dirs) {
        QDirIterator it(QString::fromStdString(dir), { "*.pth", "*.safetensors", "*.pt" }, QDir::Files,
            QDirIterator::Subdirectories);
        while (it.hasNext())
            out << it.next();
    }
    return out;
}

} // namespace

QString findUpscalerFile(const QString& name, const std::vector<std::string>& dirs)
{
    for (const QString& path : upscalerFiles(dirs))
        if (QFileInfo(path).completeBaseName() == name)
            return path;
    return {};
}

QList<UpscalerEntry> listUpscalers(const std::vector<std::string>& dirs)
{
    QList<UpscalerEntry> out { { "None", {}, 0 }, { "Lanczos", {}, 0 }, { "Nearest", {}, 0 } };
    for (const QString& path : upscalerFiles(dirs)) {
        try {
            const RrdbNet net = RrdbNet::load(path.toStdString());
            out.append({ QFileInfo(path).completeBaseName(), path, net.config().scale() });
        } catch (const std::exception&) {
            // not an ESRGAN-family file (another architecture): not offered
        }
    }
    return out;
}

ImageUpscaleFn makeImageUpscaler(
    const QString& name, const std::vector<std::string>& dirs, const std::string& device, QString* error)
{
    if (name == QLatin1String("None") || name.isEmpty())
        return [](const Image& im, int w, int h) { return lanczos(im, w, h); };
    std::function<Image(const Image&, double)> step; // one do_upscale
    if (name == QLatin1String("Lanczos") || name == QLatin1String("Nearest")) {
        const int interpolation = name == QLatin1String("Lanczos") ? cv::INTER_LANCZOS4 : cv::INTER_NEAREST;
        step = [interpolation](const Image& im, double scale) {
            return resizeTo(im, int(im.width * scale), int(im.height * scale), interpolation);
        };
    } else {
        const QString path = findUpscalerFile(name, dirs);
        if (path.isEmpty()) {
            if (error) {
                QStringList names { "None", "Lanczos", "Nearest" };
                for (const QString& f : upscalerFiles(dirs))
                    names << QFileInfo(f).completeBaseName();
                *error = QStringLiteral("no upscaler named '%1' (available: %2)").arg(name, names.join(", "));
            }
            return nullptr;
        }
        std::shared_ptr<RrdbNet> net;
        try {
            net = std::make_shared<RrdbNet>(RrdbNet::load(path.toStdString(), torch::Device(device)));
        } catch (const std::exception& e) {
            if (error)
                *error = QString::fromUtf8(e.what());
            return nullptr;
        }
        step = [net](const Image& im, double) { return runModel(*net, im); };
    }
    return [step](const Image& im, int w, int h) {
        // images.resize_image(0, ...): the upscaler only when it enlarges, Lanczos for the exact size
        Image cur = im;
        const double scale = std::max(double(w) / im.width, double(h) / im.height);
        if (scale > 1.0) {
            // Upscaler.upscale: towards the size rounded down to 8, at most three passes
            const int destW = int(im.width * scale) / 8 * 8, destH = int(im.height * scale) / 8 * 8;
            for (int pass = 0; pass < 3 && (cur.width < destW || cur.height < destH); ++pass) {
                const Image next = step(cur, scale);
                const bool grew = next.width != cur.width || next.height != cur.height;
                cur = next;
                if (!grew)
                    break;
            }
            if (cur.width != destW || cur.height != destH)
                cur = lanczos(cur, destW, destH);
        }
        if (cur.width != w || cur.height != h)
            cur = lanczos(cur, w, h);
        return cur;
    };
}

} // namespace qd
