#include "core/generation/ControlUnits.h"

#include "core/generation/ControlPreprocessors.h"
#include "core/generation/CvImage.h"
#include "core/library/ModelHash.h"
#include "core/metadata/Infotext.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>

#include <algorithm>
#include <cmath>
#include <set>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

namespace qd
{

namespace
{

const char* const kResizeNames[] = { "Just Resize", "Crop and Resize", "Resize and Fill" };
const char* const kModeNames[]
    = { "Balanced", "My prompt is more important", "ControlNet is more important" };

template <typename E, size_t N> std::optional<E> parseEnum(const QString& text, const char* const (&names)[N])
{
    const QString t = text.trimmed();
    bool isInt = false;
    const int i = t.toInt(&isInt);
    if (isInt)
        return i >= 0 && i < int(N) ? std::optional<E>(E(i)) : std::nullopt;
    for (size_t k = 0; k < N; ++k)
        if (t.compare(QLatin1String(names[k]), Qt::CaseInsensitive) == 0)
            return E(k);
    return std::nullopt;
}

QString pyBool(bool b)
{
    return b ? QStringLiteral("True") : QStringLiteral("False");
}

// The value the extension records for a slider left at -1 (bound_check_params: out of range -> the
// slider's default; a hidden slider's default is 0.5).
double sliderValue(double v, const ControlPreprocessor* p, int i)
{
    const QList<PreprocessorSlider> sliders = p ? p->sliders() : QList<PreprocessorSlider>();
    if (i < sliders.size()) {
        const PreprocessorSlider& s = sliders[i];
        return v < s.minimum || v > s.maximum ? s.value : v;
    }
    return v < 0 || v > 1 ? 0.5 : v;
}

} // namespace

QString controlResizeModeName(ControlResizeMode mode)
{
    return QLatin1String(kResizeNames[int(mode)]);
}

std::optional<ControlResizeMode> parseControlResizeMode(const QString& text)
{
    static const QList<QPair<QString, QString>> aliases = { { "Inner Fit (Scale to Fit)", "Crop and Resize" },
        { "Outer Fit (Shrink to Fit)", "Resize and Fill" }, { "Scale to Fit (Inner Fit)", "Crop and Resize" },
        { "Envelope (Outer Fit)", "Resize and Fill" } };
    QString t = text.trimmed();
    for (const auto& [alias, name] : aliases)
        if (t == alias)
            t = name;
    return parseEnum<ControlResizeMode>(t, kResizeNames);
}

QString controlModeName(ControlMode mode)
{
    return QLatin1String(kModeNames[int(mode)]);
}

std::optional<ControlMode> parseControlMode(const QString& text)
{
    return parseEnum<ControlMode>(text, kModeNames);
}

QString controlUnitInfotext(const ControlUnitRequest& unit, const QString& modelTitle)
{
    const ControlPreprocessor* p = findControlPreprocessor(unit.module);
    const int res = unit.processorRes < 64 || unit.processorRes > 2048 ? 512 : unit.processorRes;
    const QStringList fields = {
        QStringLiteral("Module: %1").arg(unit.module),
        QStringLiteral("Model: %1").arg(modelTitle.isEmpty() ? unit.model : modelTitle),
        QStringLiteral("Weight: %1").arg(formatInfotextNumber(unit.weight)),
        QStringLiteral("Resize Mode: %1").arg(controlResizeModeName(unit.resizeMode)),
        QStringLiteral("Processor Res: %1").arg(res),
        QStringLiteral("Threshold A: %1").arg(formatInfotextNumber(sliderValue(unit.thresholdA, p, 0))),
        QStringLiteral("Threshold B: %1").arg(formatInfotextNumber(sliderValue(unit.thresholdB, p, 1))),
        QStringLiteral("Guidance Start: %1").arg(formatInfotextNumber(unit.guidanceStart)),
        QStringLiteral("Guidance End: %1").arg(formatInfotextNumber(unit.guidanceEnd)),
        QStringLiteral("Pixel Perfect: %1").arg(pyBool(unit.pixelPerfect)),
        QStringLiteral("Control Mode: %1").arg(controlModeName(unit.controlMode)),
    };
    return fields.join(QStringLiteral(", "));
}

std::optional<ControlUnitRequest> parseControlUnitInfotext(const QString& value, QString* error)
{
    auto fail = [&](const QString& why) {
        if (error)
            *error = QStringLiteral("ControlNet unit \"%1\": %2").arg(value, why);
        return std::nullopt;
    };
    ControlUnitRequest u;
    bool any = false;
    for (const QString& item : value.split(QLatin1Char(','))) {
        const int colon = item.indexOf(QStringLiteral(": "));
        if (colon < 0)
            return fail(QStringLiteral("'%1' is not 'Key: value'").arg(item.trimmed()));
        const QString key = item.left(colon).trimmed().toLower(), v = item.mid(colon + 2).trimmed();
        bool ok = true;
        if (key == QLatin1String("module"))
            u.module = v;
        else if (key == QLatin1String("model"))
            u.model = v;
        else if (key == QLatin1String("weight"))
            u.weight = v.toDouble(&ok);
        else if (key == QLatin1String("resize mode")) {
            const auto m = parseControlResizeMode(v);
            ok = m.has_value();
            u.resizeMode = m.value_or(u.resizeMode);
        } else if (key == QLatin1String("processor res"))
            u.processorRes = int(std::lround(v.toDouble(&ok)));
        else if (key == QLatin1String("threshold a"))
            u.thresholdA = v.toDouble(&ok);
        else if (key == QLatin1String("threshold b"))
            u.thresholdB = v.toDouble(&ok);
        else if (key == QLatin1String("guidance start"))
            u.guidanceStart = v.toDouble(&ok);
        else if (key == QLatin1String("guidance end"))
            u.guidanceEnd = v.toDouble(&ok);
        else if (key == QLatin1String("pixel perfect"))
            u.pixelPerfect = v == QLatin1String("True");
        else if (key == QLatin1String("control mode")) {
            const auto m = parseControlMode(v);
            ok = m.has_value();
            u.controlMode = m.value_or(u.controlMode);
        } // other keys (Low Vram, Hr Option, ... of other versions) are not ours to keep
        if (!ok)
            return fail(QStringLiteral("cannot read %1 '%2'").arg(item.left(colon).trimmed(), v));
        any = true;
    }
    if (!any)
        return fail(QStringLiteral("empty"));
    return u;
}

QList<ControlUnitRequest> controlUnitsFromExtras(const QList<QPair<QString, QString>>& extras)
{
    static const QRegularExpression key(QStringLiteral("^ControlNet (\\d+)$"));
    QList<QPair<int, ControlUnitRequest>> found;
    for (const auto& [k, v] : extras) {
        const QRegularExpressionMatch m = key.match(k);
        if (!m.hasMatch())
            continue;
        if (auto u = parseControlUnitInfotext(unquoteInfotextValue(v)))
            found.append({ m.captured(1).toInt(), *u });
    }
    std::stable_sort(
        found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    QList<ControlUnitRequest> out;
    for (const auto& f : found)
        out << f.second;
    return out;
}

int pixelPerfectResolution(const QSize& image, int width, int height, ControlResizeMode mode)
{
    const double k0 = double(height) / image.height(), k1 = double(width) / image.width();
    const double k = mode == ControlResizeMode::ResizeAndFill ? std::min(k0, k1) : std::max(k0, k1);
    return int(std::nearbyint(k * std::min(image.width(), image.height()))); // np.round
}

namespace
{

// high_quality_resize (scripts/controlnet.py): nearest for maps of 3..199 colours, area down, cubic up;
// a two-colour black-and-white map is thresholded back to two colours (Otsu) after resizing.
// (The extension also thins one-pixel edges after enlarging them; that refinement is not done here.)
cv::Mat highQualityResize(const cv::Mat& x, cv::Size size)
{
    if (x.cols == size.width && x.rows == size.height)
        return x.clone();
    const bool smaller = size.area() < x.size().area();
    std::set<uint32_t> colours;
    for (int y = 0; y < x.rows && colours.size() < 200; ++y) {
        const uchar* p = x.ptr<uchar>(y);
        for (int c = 0; c < x.cols && colours.size() < 200; ++c, p += 3)
            colours.insert(uint32_t(p[0]) << 16 | uint32_t(p[1]) << 8 | p[2]);
    }
    const size_t count = colours.size();
    bool binary = false;
    if (count == 2) {
        double lo = 0, hi = 0;
        cv::minMaxLoc(x.reshape(1), &lo, &hi);
        binary = lo < 16 && hi > 240;
    }
    const int interpolation = count > 2 && count < 200 ? cv::INTER_NEAREST
        : smaller                                      ? cv::INTER_AREA
                                                       : cv::INTER_CUBIC;
    cv::Mat y;
    cv::resize(x, y, size, 0, 0, interpolation);
    if (binary) {
        cv::Mat grey, bw;
        cv::cvtColor(y, grey, cv::COLOR_RGB2GRAY); // ~ the mean of the three equal channels
        cv::threshold(grey, bw, 0, 255, cv::THRESH_BINARY | cv::THRESH_OTSU);
        cv::cvtColor(bw, y, cv::COLOR_GRAY2RGB);
    }
    return y;
}

} // namespace

QImage fitControlMap(const QImage& map, ControlResizeMode mode, int width, int height)
{
    const bool inpaint = map.hasAlphaChannel();
    const QImage rgb = cvimage::rgb888(map);
    const cv::Mat src = cvimage::view(rgb, CV_8UC3);
    cv::Mat alpha;
    if (inpaint) {
        const QImage a = map.convertToFormat(QImage::Format_Alpha8);
        alpha = cvimage::view(a, CV_8UC1).clone();
    }
    auto resizeAlpha = [&](cv::Size size) {
        if (alpha.empty())
            return;
        cv::Mat a;
        cv::resize(alpha, a, size, 0, 0, cv::INTER_LINEAR);
        alpha = a > 127;
    };
    cv::Mat out, outAlpha;
    const double k0 = double(height) / src.rows, k1 = double(width) / src.cols;
    auto safeint = [](double v) { return int(std::nearbyint(v)); };
    if (mode == ControlResizeMode::JustResize) {
        out = highQualityResize(src, cv::Size(width, height));
        resizeAlpha(cv::Size(width, height));
        outAlpha = alpha;
    } else if (mode == ControlResizeMode::ResizeAndFill) {
        // the whole map inside, centred, over the median colour of its border
        const double k = std::min(k0, k1);
        std::vector<uchar> border[3];
        auto addPixel = [&](int y, int x) {
            const uchar* p = src.ptr<uchar>(y) + 3 * x;
            for (int c = 0; c < 3; ++c)
                border[c].push_back(p[c]);
        };
        for (int x = 0; x < src.cols; ++x) {
            addPixel(0, x);
            addPixel(src.rows - 1, x);
        }
        for (int y = 0; y < src.rows; ++y) {
            addPixel(y, 0);
            addPixel(y, src.cols - 1);
        }
        cv::Scalar fill;
        for (int c = 0; c < 3; ++c) { // np.median, then the map's dtype (uint8: truncated)
            std::vector<uchar>& v = border[c];
            std::sort(v.begin(), v.end());
            const size_t n = v.size();
            fill[c] = n % 2 ? v[n / 2] : std::floor((int(v[n / 2 - 1]) + int(v[n / 2])) / 2.0);
        }
        const cv::Size inner(safeint(src.cols * k), safeint(src.rows * k));
        const cv::Mat fitted = highQualityResize(src, inner);
        out = cv::Mat(height, width, CV_8UC3, fill);
        const int padH = std::max(0, (height - inner.height) / 2),
                  padW = std::max(0, (width - inner.width) / 2);
        const cv::Rect dst(
            padW, padH, std::min(inner.width, width - padW), std::min(inner.height, height - padH));
        fitted(cv::Rect(0, 0, dst.width, dst.height)).copyTo(out(dst));
        if (!alpha.empty()) {
            resizeAlpha(inner);
            outAlpha = cv::Mat(height, width, CV_8UC1, cv::Scalar(255));
            alpha(cv::Rect(0, 0, dst.width, dst.height)).copyTo(outAlpha(dst));
        }
    } else {
        // cover the target, cut the overflow evenly from both sides
        const double k = std::max(k0, k1);
        const cv::Size inner(safeint(src.cols * k), safeint(src.rows * k));
        const cv::Mat fitted = highQualityResize(src, inner);
        const int padH = std::max(0, (inner.height - height) / 2),
                  padW = std::max(0, (inner.width - width) / 2);
        const cv::Rect crop(
            padW, padH, std::min(width, inner.width - padW), std::min(height, inner.height - padH));
        out = fitted(crop).clone();
        if (!alpha.empty()) {
            resizeAlpha(inner);
            outAlpha = alpha(crop).clone();
        }
        if (out.cols != width || out.rows != height) // rounding left it a pixel short
            cv::resize(out, out, cv::Size(width, height), 0, 0, cv::INTER_NEAREST);
        if (!outAlpha.empty() && (outAlpha.cols != width || outAlpha.rows != height))
            cv::resize(outAlpha, outAlpha, cv::Size(width, height), 0, 0, cv::INTER_NEAREST);
    }
    QImage result = cvimage::fromMat(out, QImage::Format_RGB888);
    if (!outAlpha.empty()) {
        result = result.convertToFormat(QImage::Format_ARGB32);
        for (int y = 0; y < result.height(); ++y) {
            auto* line = reinterpret_cast<QRgb*>(result.scanLine(y));
            const uchar* a = outAlpha.ptr<uchar>(y);
            for (int x = 0; x < result.width(); ++x)
                line[x] = (line[x] & 0x00ffffffu) | (uint32_t(a[x]) << 24);
        }
    }
    return result;
}

QList<ControlNetModelEntry> listControlNetModels(const QStringList& dirs)
{
    static const QStringList suffixes = { QStringLiteral("safetensors"), QStringLiteral("pth"),
        QStringLiteral("pt"), QStringLiteral("ckpt"), QStringLiteral("bin") };
    QList<ControlNetModelEntry> out;
    QStringList seen;
    for (const QString& dir : dirs) {
        if (dir.isEmpty() || !QFileInfo(dir).isDir())
            continue;
        QDirIterator it(dir, QDir::Files | QDir::Dirs | QDir::NoDotAndDotDot, QDirIterator::Subdirectories);
        while (it.hasNext()) {
            const QFileInfo f(it.next());
            const QString path = f.canonicalFilePath();
            if (seen.contains(path))
                continue;
            if (f.isDir()) {
                // a diffusers ControlNet: config.json naming the class, beside its weights
                QFile config(f.filePath() + QStringLiteral("/config.json"));
                if (config.open(QIODevice::ReadOnly)
                    && QJsonDocument::fromJson(config.readAll())
                           .object()
                           .value("_class_name")
                           .toString()
                           .contains(QLatin1String("ControlNet"))) {
                    out.append({ f.fileName(), path, QString() });
                    seen << path;
                }
                continue;
            }
            if (!suffixes.contains(f.suffix().toLower()))
                continue;
            // a diffusers folder's own weights are the folder's, not a file of their own
            if (QFileInfo::exists(f.path() + QStringLiteral("/config.json")))
                continue;
            out.append({ f.completeBaseName(), path, legacyModelHash(path) });
            seen << path;
        }
    }
    std::sort(out.begin(), out.end(), [](const ControlNetModelEntry& a, const ControlNetModelEntry& b) {
        return a.name.compare(b.name, Qt::CaseInsensitive) < 0;
    });
    return out;
}

std::optional<ControlNetModelEntry> findControlNetModel(const QString& nameOrPath, const QStringList& dirs)
{
    const QString wanted = nameOrPath.trimmed();
    if (wanted.isEmpty() || wanted.compare(QLatin1String("None"), Qt::CaseInsensitive) == 0)
        return std::nullopt;
    const QFileInfo asPath(wanted);
    if (asPath.isAbsolute() && asPath.exists())
        return ControlNetModelEntry { asPath.completeBaseName(), asPath.canonicalFilePath(),
            asPath.isFile() ? legacyModelHash(asPath.filePath()) : QString() };
    // "name [hash]": the name decides (a hash of another copy still finds the file by name)
    static const QRegularExpression titled(QStringLiteral("^(.*?)\\s*\\[[0-9a-fA-F]+\\]$"));
    const QRegularExpressionMatch m = titled.match(wanted);
    const QString name = m.hasMatch() ? m.captured(1) : wanted;
    for (const ControlNetModelEntry& e : listControlNetModels(dirs))
        if (e.title().compare(wanted, Qt::CaseInsensitive) == 0
            || e.name.compare(name, Qt::CaseInsensitive) == 0)
            return e;
    return std::nullopt;
}

} // namespace qd
