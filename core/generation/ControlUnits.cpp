#include "core/generation/ControlUnits.h"

#include "core/engine/ControlNetNames.h"
#include "core/generation/ControlPreprocessors.h"
#include "core/generation/EngineImage.h"
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

namespace qd
{

namespace
{

// One of the three values of E (the extension's 0 / 1 / 2), by number or by the engine's name.
template <typename E> std::optional<E> parseEnum(const QString& text, const char* (*name)(E))
{
    const QString t = text.trimmed();
    bool isInt = false;
    const int i = t.toInt(&isInt);
    if (isInt)
        return i >= 0 && i < 3 ? std::optional<E>(E(i)) : std::nullopt;
    for (int k = 0; k < 3; ++k)
        if (t.compare(QLatin1String(name(E(k))), Qt::CaseInsensitive) == 0)
            return E(k);
    return std::nullopt;
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

std::optional<ControlResizeMode> parseControlResizeMode(const QString& text)
{
    static const QList<QPair<QString, QString>> aliases = { { "Inner Fit (Scale to Fit)", "Crop and Resize" },
        { "Outer Fit (Shrink to Fit)", "Resize and Fill" }, { "Scale to Fit (Inner Fit)", "Crop and Resize" },
        { "Envelope (Outer Fit)", "Resize and Fill" } };
    QString t = text.trimmed();
    for (const auto& [alias, name] : aliases)
        if (t == alias)
            t = name;
    return parseEnum<ControlResizeMode>(t, controlResizeModeName);
}

std::optional<ControlMode> parseControlMode(const QString& text)
{
    return parseEnum<ControlMode>(text, controlModeName);
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
    // sd-webui-controlnet numbers a unit by its place among all units, disabled ones included: unit N
    // goes to place N, the places between stay disabled. Numbers past kMaxUnits are not units a
    // person set up (and must not make a huge list).
    constexpr int kMaxUnits = 16;
    static const QRegularExpression key(QStringLiteral("^ControlNet (\\d+)$"));
    QList<ControlUnitRequest> out;
    for (const auto& [k, v] : extras) {
        const QRegularExpressionMatch m = key.match(k);
        const int n = m.hasMatch() ? m.captured(1).toInt() : -1;
        if (n < 0 || n >= kMaxUnits)
            continue;
        if (auto u = parseControlUnitInfotext(unquoteInfotextValue(v))) {
            while (out.size() <= n) {
                ControlUnitRequest off;
                off.enabled = false;
                out << off;
            }
            out[n] = *u;
        }
    }
    return out;
}

int pixelPerfectResolution(const QSize& image, int width, int height, ControlResizeMode mode)
{
    const double k0 = double(height) / image.height(), k1 = double(width) / image.width();
    const double k = mode == ControlResizeMode::ResizeAndFill ? std::min(k0, k1) : std::max(k0, k1);
    return int(std::nearbyint(k * std::min(image.width(), image.height()))); // np.round
}

bool toEngineControlUnit(const ControlUnitRequest& u, int index, const QImage& init, const QImage& initMask,
    int width, int height, const QString& annotatorsDir, ControlNetUnit* out, QString* error)
{
    const QString unit = QStringLiteral("ControlNet unit %1").arg(index);
    const QImage picture = u.image.isNull() ? init : u.image;
    if (picture.isNull()) {
        *error = unit + QStringLiteral(": no control image (give one, or use img2img's init image)");
        return false;
    }
    const ControlPreprocessor* p = findControlPreprocessor(u.module);
    if (!p) {
        *error = unit + QStringLiteral(": unknown preprocessor '%1'").arg(u.module);
        return false;
    }
    PreprocessOptions o;
    o.resolution = u.pixelPerfect ? pixelPerfectResolution(picture.size(), width, height, u.resizeMode)
        : u.processorRes < 64 || u.processorRes > 2048 ? 512
                                                       : u.processorRes;
    const double a = sliderValue(u.thresholdA, p, 0), b = sliderValue(u.thresholdB, p, 1);
    o.a = a;
    o.b = b;
    o.mask = u.mask.isNull() ? initMask : u.mask;
    if (o.mask.isNull() && p->needsMask()) { // the extension: no mask, nothing masked
        o.mask = QImage(picture.size(), QImage::Format_Grayscale8);
        o.mask.fill(0);
    }
    QString why;
    const QImage map = preprocessControlImage(u.module, picture, o, annotatorsDir, &why);
    if (map.isNull()) {
        *error = unit + QStringLiteral(": ") + why;
        return false;
    }
    ControlNetUnit& e = *out;
    e = ControlNetUnit();
    e.model = u.model.toStdString();
    e.image = fromQImage(map);
    if (map.hasAlphaChannel()) { // an inpaint map: transparent where the mask repaints
        QImage m(map.size(), QImage::Format_RGB888);
        for (int y = 0; y < map.height(); ++y) {
            const auto* line = reinterpret_cast<const QRgb*>(map.constScanLine(y));
            uchar* o8 = m.scanLine(y);
            for (int x = 0; x < map.width(); ++x)
                std::fill_n(o8 + 3 * x, 3, qAlpha(line[x]) < 128 ? 255 : 0);
        }
        e.mask = fromQImage(m);
    }
    e.weight = u.weight;
    e.guidanceStart = u.guidanceStart;
    e.guidanceEnd = u.guidanceEnd;
    e.controlMode = u.controlMode;
    e.resizeMode = u.resizeMode;
    e.module = u.module.toStdString();
    e.processorRes = o.resolution;
    e.thresholdA = a;
    e.thresholdB = b;
    e.pixelPerfect = u.pixelPerfect;
    return true;
}

QString controlMapPath(const QString& imagePath, int unit)
{
    const QFileInfo f(imagePath);
    return f.dir().filePath(QStringLiteral("controlnet/%1-%2.png").arg(f.completeBaseName()).arg(unit));
}

namespace
{

// The ControlNet files and folders of `dirs`, by name; `hashes`: with their old 8-hex hash (a 64 KiB
// read each, only for listings: a lookup by name hashes just the file it finds).
QList<ControlNetModelEntry> scanControlNetModels(const QStringList& dirs, bool hashes)
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
            out.append({ f.completeBaseName(), path, hashes ? legacyModelHash(path) : QString() });
            seen << path;
        }
    }
    std::sort(out.begin(), out.end(), [](const ControlNetModelEntry& a, const ControlNetModelEntry& b) {
        return a.name.compare(b.name, Qt::CaseInsensitive) < 0;
    });
    return out;
}

} // namespace

QList<ControlNetModelEntry> listControlNetModels(const QStringList& dirs)
{
    return scanControlNetModels(dirs, true);
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
    for (ControlNetModelEntry e : scanControlNetModels(dirs, false))
        if (e.name.compare(name, Qt::CaseInsensitive) == 0) {
            if (QFileInfo(e.path).isFile())
                e.hash = legacyModelHash(e.path);
            return e;
        }
    return std::nullopt;
}

} // namespace qd
