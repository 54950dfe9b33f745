#include "core/server/ApiControlNet.h"

#include <QJsonArray>
#include <QJsonDocument>

#include <cmath>

#include "core/generation/ControlPreprocessors.h"
#include "core/server/ApiListings.h"
#include "core/server/ApiRequest.h"

namespace qd::api
{

namespace
{

// The extension's API version (external_code.get_api_version) that its clients check.
constexpr int kApiVersion = 2;
constexpr int kUnitCount = 3; // control_net_unit_count's default

QImage decodeImageField(const QJsonValue& v, const QString& where, ApiError* error)
{
    QString why;
    const QImage img = decodeBase64Image(v.toString(), &why);
    if (img.isNull())
        *error = ApiError::http(422, QStringLiteral("%1: %2").arg(where, why));
    return img;
}

QJsonObject sliderJson(const QString& label, double value, double min, double max, double step)
{
    return { { "name", label }, { "value", value }, { "min", min }, { "max", max }, { "step", step } };
}

} // namespace

bool parseControlNetArgs(const QJsonValue& script, QList<ControlUnitRequest>* out, ApiError* error)
{
    out->clear();
    const QJsonArray args = script.toObject().value("args").toArray();
    for (int i = 0; i < args.size(); ++i) {
        const QJsonObject a = args[i].toObject();
        const QString unitName = QStringLiteral("ControlNet unit %1").arg(i);
        auto fail = [&](const QString& why) {
            *error = ApiError::http(422, QStringLiteral("%1: %2").arg(unitName, why));
            return false;
        };
        if (!args[i].isObject())
            return fail(QStringLiteral("expected an object of unit fields"));
        if (!a.value("enabled").toBool(false))
            continue; // the extension's default: a unit the request does not enable does not run
        ControlUnitRequest u;
        // image: base64, {"image", "mask"}, or [image, mask]; the old name input_image
        QJsonValue image = a.contains("image") ? a.value("image") : a.value("input_image");
        QJsonValue mask = a.contains("mask") ? a.value("mask") : a.value("mask_image");
        if (image.isObject()) {
            mask = image.toObject().value("mask");
            image = image.toObject().value("image");
        } else if (image.isArray()) {
            const QJsonArray pair = image.toArray();
            if (pair.size() != 2)
                return fail(QStringLiteral("image as a list must be [image, mask]"));
            image = pair[0];
            mask = pair[1];
        }
        if (image.isString() && !image.toString().isEmpty()) {
            u.image = decodeImageField(image, unitName + QStringLiteral(" image"), error);
            if (u.image.isNull())
                return false;
        }
        if (mask.isString() && !mask.toString().isEmpty()) {
            u.mask = decodeImageField(mask, unitName + QStringLiteral(" mask"), error);
            if (u.mask.isNull())
                return false;
        }
        u.module = a.value("module").toString(QStringLiteral("none"));
        if (!findControlPreprocessor(u.module))
            return fail(QStringLiteral("module(%1) not found in supported modules.").arg(u.module));
        u.model = a.value("model").toString(QStringLiteral("None"));
        u.weight = a.value("weight").toDouble(1.0);
        if (!(u.weight >= 0.0 && u.weight <= 2.0))
            return fail(QStringLiteral("weight %1 is outside 0..2").arg(u.weight));
        // resize_mode / control_mode: a name or the extension's 0 / 1 / 2
        auto enumText = [&](const char* field) {
            const QJsonValue v = a.value(QLatin1String(field));
            return v.isDouble() ? QString::number(v.toInt()) : v.toString();
        };
        auto badEnum = [&](const char* field) {
            return fail(QStringLiteral("unknown %1 %2")
                            .arg(QLatin1String(field),
                                QString::fromUtf8(QJsonDocument(QJsonArray { a.value(QLatin1String(field)) })
                                                      .toJson(QJsonDocument::Compact))));
        };
        if (a.contains("resize_mode")) {
            const auto m = parseControlResizeMode(enumText("resize_mode"));
            if (!m)
                return badEnum("resize_mode");
            u.resizeMode = *m;
        }
        if (a.contains("control_mode")) {
            const auto m = parseControlMode(enumText("control_mode"));
            if (!m)
                return badEnum("control_mode");
            u.controlMode = *m;
        }
        u.processorRes = a.value("processor_res").toInt(-1);
        u.thresholdA = a.value("threshold_a").toDouble(-1);
        u.thresholdB = a.value("threshold_b").toDouble(-1);
        u.guidanceStart = a.value("guidance_start").toDouble(0.0);
        u.guidanceEnd = a.value("guidance_end").toDouble(a.value("guidance").toDouble(1.0));
        if (!(u.guidanceStart >= 0 && u.guidanceStart <= 1) || !(u.guidanceEnd >= 0 && u.guidanceEnd <= 1))
            return fail(QStringLiteral("guidance_start and guidance_end must be within 0..1"));
        if (u.guidanceStart > u.guidanceEnd)
            return fail(QStringLiteral("guidance_start(%1) > guidance_end(%2)")
                            .arg(u.guidanceStart)
                            .arg(u.guidanceEnd));
        u.pixelPerfect = a.value("pixel_perfect").toBool(false);
        out->append(u);
    }
    return true;
}

bool serveControlNetRoute(const QString& path, bool post, const QByteArray& body, const QUrlQuery& query,
    const ControlNetFolders& folders, int* status, QJsonValue* reply)
{
    if (!path.startsWith(QLatin1String("/controlnet/")))
        return false;
    const QString name = path.mid(int(qstrlen("/controlnet/")));
    auto answer = [&](int code, const QJsonValue& v) {
        *status = code;
        *reply = v;
        return true;
    };
    auto fail = [&](const ApiError& e) { return answer(e.status, e.body); };
    const bool aliasNames
        = query.queryItemValue("alias_names").compare(QLatin1String("true"), Qt::CaseInsensitive) == 0;
    if (!post && name == QLatin1String("version"))
        return answer(200, QJsonObject { { "version", kApiVersion } });
    if (!post && name == QLatin1String("settings"))
        return answer(200, QJsonObject { { "control_net_unit_count", kUnitCount } });
    if (!post && name == QLatin1String("model_list")) {
        QJsonArray list { QStringLiteral("None") };
        for (const ControlNetModelEntry& e : listControlNetModels(folders.models))
            list.append(e.title());
        return answer(200, QJsonObject { { "model_list", list } });
    }
    if (!post && name == QLatin1String("module_list")) {
        QJsonArray list;
        QJsonObject detail;
        for (const ControlPreprocessor* p : controlPreprocessors()) {
            const QString key = aliasNames ? p->label() : p->name();
            list.append(key);
            QJsonArray sliders;
            if (p->usesResolution())
                sliders.append(sliderJson(QStringLiteral("Resolution"), 512, 64, 2048, 8));
            for (const PreprocessorSlider& s : p->sliders())
                sliders.append(sliderJson(s.label, s.value, s.minimum, s.maximum, s.step));
            detail.insert(key,
                QJsonObject { { "model_free", p->unavailableReason(folders.annotators).isEmpty() },
                    { "sliders", sliders } });
        }
        return answer(200, QJsonObject { { "module_list", list }, { "module_detail", detail } });
    }
    if (post && name == QLatin1String("detect")) {
        QJsonObject b;
        ApiError e;
        if (!parseJsonObject(body, &b, &e))
            return fail(e);
        const QString module = b.value("controlnet_module").toString(QStringLiteral("none"));
        const ControlPreprocessor* p = findControlPreprocessor(module);
        if (!p)
            return fail(ApiError::http(422, QStringLiteral("Module not available")));
        const QJsonArray images = b.value("controlnet_input_images").toArray();
        const QJsonArray masks = b.value("controlnet_masks").toArray();
        if (images.isEmpty())
            return fail(ApiError::http(422, QStringLiteral("No image selected")));
        if (p->needsMask() && masks.size() != images.size())
            return fail(ApiError::http(
                422, QStringLiteral("Preprocessor %1 requires `controlnet_masks` param.").arg(module)));
        PreprocessOptions o;
        o.resolution = b.value("controlnet_processor_res").toInt(-1);
        const double a = b.value("controlnet_threshold_a").toDouble(-1),
                     bb = b.value("controlnet_threshold_b").toDouble(-1);
        const QList<PreprocessorSlider> sliders = p->sliders();
        // out of a slider's range (the -1 default included): the slider's default, as the extension does
        auto inRange = [&](double v, int i) {
            return i < sliders.size() && v >= sliders[i].minimum && v <= sliders[i].maximum
                ? v
                : std::numeric_limits<double>::quiet_NaN();
        };
        o.a = inRange(a, 0);
        o.b = inRange(bb, 1);
        if (o.resolution < 64 || o.resolution > 2048)
            o.resolution = 512;
        QJsonArray out;
        for (int i = 0; i < images.size(); ++i) {
            const QImage img
                = decodeImageField(images[i], QStringLiteral("controlnet_input_images[%1]").arg(i), &e);
            if (img.isNull())
                return fail(e);
            o.mask = QImage();
            if (i < masks.size()) {
                o.mask = decodeImageField(masks[i], QStringLiteral("controlnet_masks[%1]").arg(i), &e);
                if (o.mask.isNull())
                    return fail(e);
            }
            QString why;
            const QImage map = preprocessControlImage(module, img, o, folders.annotators, &why);
            if (map.isNull())
                return fail(ApiError::http(422, why));
            out.append(QString::fromLatin1(encodeApiImage(map, QString(), ImageFileFormat::Png, 100)));
        }
        return answer(200, QJsonObject { { "info", "Success" }, { "images", out } });
    }
    return fail(ApiError::plain(404, QStringLiteral("Not Found")));
}

} // namespace qd::api
