// ApiServer::extras: POST /sdapi/v1/extra-single-image and /extra-batch-images, A1111's Extras
// upscale (api.py extras_single_image_api / extras_batch_images_api, models.py ExtrasBaseRequest).
// The fields and their checks are pydantic's (422 lists naming each field); the work (decoding,
// upscaling, encoding) runs on a one-thread pool so the event loop goes on answering progress and
// listings, and the request is answered when it is done. Each answered image is a PNG carrying its
// source's text chunks and the postprocessing infotext in a "postprocessing" chunk, as A1111's
// encode_pil_to_base64 writes image.info; html_info is that infotext as HTML. A nonzero GFPGAN or
// CodeFormer visibility is refused: QDiffusion has no face restorer.
#include <QFutureWatcher>
#include <QHttpServerRequest>
#include <QHttpServerResponder>
#include <QPointer>
#include <QTcpSocket>
#include <QThreadPool>
#include <QtConcurrent>

#include <cmath>

#include "core/generation/Extras.h"
#include "core/generation/JobBuilder.h"
#include "core/metadata/PngText.h"
#include "core/server/ApiListings.h"
#include "core/server/ApiServer.h"

namespace qd::api
{

namespace
{

struct ExtrasField {
    const char* name;
    char kind; // coerce(): 'i', 'f', 'b', 's'
    QJsonValue def;
    double ge = -INFINITY, le = INFINITY;
};

// models.py ExtrasBaseRequest, in its order
const QList<ExtrasField>& extrasFields()
{
    static const QList<ExtrasField> fields {
        { "resize_mode", 'i', 0 },
        { "show_extras_results", 'b', true },
        { "gfpgan_visibility", 'f', 0.0, 0, 1 },
        { "codeformer_visibility", 'f', 0.0, 0, 1 },
        { "codeformer_weight", 'f', 0.0, 0, 1 },
        { "upscaling_resize", 'f', 2.0, 1, 8 },
        { "upscaling_resize_w", 'i', 512, 1 },
        { "upscaling_resize_h", 'i', 512, 1 },
        { "upscaling_crop", 'b', true },
        { "upscaler_1", 's', "None" },
        { "upscaler_2", 's', "None" },
        { "extras_upscaler_2_visibility", 'f', 0.0, 0, 1 },
        { "upscale_first", 'b', false },
    };
    return fields;
}

QString number(double v)
{
    return v == std::floor(v) ? QString::number(qint64(v)) : QString::number(v);
}

struct ExtrasInput {
    QString name; // where it came from in the request, for errors: "image", "imageList[1]"
    QString base64;
};

struct ExtrasOutcome {
    ApiError error { 0, {}, {} }; // status 0: none
    QJsonArray images;
    QString htmlInfo;
};

// Runs on the pool: decode, upscale, encode.
ExtrasOutcome runExtras(const QList<ExtrasInput>& inputs, const ExtrasOptions& options,
    const std::vector<std::string>& dirs, const std::string& device, ImageFileFormat format, int quality)
{
    ExtrasOutcome out;
    ExtrasUpscaler upscaler;
    QString why;
    if (!upscaler.prepare(options, dirs, device, &why)) {
        out.error = ApiError::http(422, why);
        return out;
    }
    QString infotext; // postprocessing.py answers with the last image's
    for (const ExtrasInput& in : inputs) {
        QByteArray bytes;
        const QImage image = decodeBase64Image(in.base64, &why, &bytes);
        if (image.isNull()) { // A1111 answers 500; it is the request that is wrong
            out.error = ApiError::http(422, QStringLiteral("%1 in %2").arg(why, in.name));
            return out;
        }
        ImageMetadata source;
        ImageMetadata::readData(bytes, &source); // none is fine
        const ExtrasResult r = upscaler.run(image, source, &why);
        if (r.image.isNull()) {
            out.error = ApiError::http(422, QStringLiteral("%1: %2").arg(in.name, why));
            return out;
        }
        infotext = r.postprocessing;
        QByteArray encoded;
        if (format == ImageFileFormat::Png || format == ImageFileFormat::Unknown)
            png::encode(r.image, r.metadata.texts, &encoded, &why, 1);
        else
            encoded = ImageMetadata::encode(r.image, format, r.metadata, quality);
        out.images.append(QString::fromLatin1(encoded.toBase64()));
    }
    out.htmlInfo = plaintextToHtml(infotext);
    return out;
}

} // namespace

void ApiServer::extras(const QHttpServerRequest& request, QHttpServerResponder&& responder, bool batch)
{
    const QList<QPair<QByteArray, QByteArray>> cors = corsHeaders(request);
    auto fail = [&](ApiError e) {
        e.headers += cors;
        replyError(std::move(responder), e);
    };
    QJsonObject in;
    ApiError error;
    if (!parseJsonObject(request.body(), &in, &error))
        return fail(error);

    // ---- fields: coerced and range-checked as pydantic does, every error listed -------------------
    QJsonObject v;
    QJsonArray details;
    for (const ExtrasField& f : extrasFields()) {
        const QString name = QLatin1String(f.name);
        const QJsonValue given = in.value(name);
        v.insert(name, f.def);
        if (given.isUndefined() || given.isNull())
            continue;
        QJsonValue c;
        QString msg, type;
        if (!coerce(f.kind, given, &c, &msg, &type)) {
            details.append(ApiError::detail({ "body", name }, msg, type));
            continue;
        }
        if (name == QLatin1String("resize_mode")
            && !(given.isDouble() && (c.toInt() == 0 || c.toInt() == 1))) {
            details.append(ApiError::detail({ "body", name }, "unexpected value; permitted: 0, 1",
                "value_error.const", { { "given", given }, { "permitted", QJsonArray { 0, 1 } } }));
            continue;
        }
        if (f.kind == 'f' || f.kind == 'i') {
            const double d = c.toDouble();
            if (d < f.ge) {
                details.append(ApiError::detail({ "body", name },
                    "ensure this value is greater than or equal to " + number(f.ge),
                    "value_error.number.not_ge", { { "limit_value", f.ge } }));
                continue;
            }
            if (d > f.le) {
                details.append(ApiError::detail({ "body", name },
                    "ensure this value is less than or equal to " + number(f.le), "value_error.number.not_le",
                    { { "limit_value", f.le } }));
                continue;
            }
        }
        v.insert(name, c);
    }
    QList<ExtrasInput> inputs;
    if (batch) { // imageList: [{data, name}], both required
        const QJsonValue list = in.value("imageList");
        if (list.isUndefined() || list.isNull())
            details.append(
                ApiError::detail({ "body", "imageList" }, "field required", "value_error.missing"));
        else if (!list.isArray())
            details.append(
                ApiError::detail({ "body", "imageList" }, "value is not a valid list", "type_error.list"));
        const QJsonArray items = list.toArray();
        for (int i = 0; i < items.size(); ++i) {
            if (!items[i].isObject()) {
                details.append(ApiError::detail(
                    { "body", "imageList", i }, "value is not a valid dict", "type_error.dict"));
                continue;
            }
            const QJsonObject item = items[i].toObject();
            QString data;
            for (const char* key : { "data", "name" }) {
                const QJsonValue value = item.value(QLatin1String(key));
                QJsonValue c;
                QString msg, type;
                if (value.isUndefined() || value.isNull())
                    details.append(ApiError::detail({ "body", "imageList", i, QLatin1String(key) },
                        "field required", "value_error.missing"));
                else if (!coerce('s', value, &c, &msg, &type))
                    details.append(
                        ApiError::detail({ "body", "imageList", i, QLatin1String(key) }, msg, type));
                else if (QLatin1String(key) == QLatin1String("data"))
                    data = c.toString();
            }
            inputs.append({ QStringLiteral("imageList[%1]").arg(i), data });
        }
    } else {
        const QJsonValue image = in.value("image");
        QJsonValue c;
        QString msg, type;
        if (!image.isUndefined() && !image.isNull() && !coerce('s', image, &c, &msg, &type))
            details.append(ApiError::detail({ "body", "image" }, msg, type));
        inputs.append({ QStringLiteral("image"), c.toString() });
    }
    if (!details.isEmpty())
        return fail(ApiError::validation(details));
    if (!batch && inputs.first().base64.isEmpty())
        return fail(ApiError::http(404, QStringLiteral("Image not found")));
    for (const char* face : { "gfpgan_visibility", "codeformer_visibility" })
        if (v.value(QLatin1String(face)).toDouble() > 0)
            return fail(ApiError::http(422,
                QStringLiteral("Face restoration is not available: QDiffusion has no %1 model (%2 must be 0)")
                    .arg(face[0] == 'g' ? QStringLiteral("GFPGAN") : QStringLiteral("CodeFormer"),
                        QLatin1String(face))));

    ExtrasOptions options;
    options.scaleTo = v.value("resize_mode").toInt() == 1;
    options.scale = v.value("upscaling_resize").toDouble();
    options.width = v.value("upscaling_resize_w").toInt();
    options.height = v.value("upscaling_resize_h").toInt();
    options.crop = v.value("upscaling_crop").toBool();
    options.upscaler = v.value("upscaler_1").toString();
    options.upscaler2 = v.value("upscaler_2").toString();
    options.upscaler2Visibility = v.value("extras_upscaler_2_visibility").toDouble();
    QString why;
    if (!checkExtrasOptions(options, &why))
        return fail(ApiError::http(422, why));

    // ---- the work, off the event loop ---------------------------------------------------------------
    const JobBuilder builder(m_settings, m_library);
    const std::vector<std::string> dirs = builder.upscalerDirs();
    const std::string device = builder.deviceAndDtype().first;
    const ImageFileFormat format = imageFormatFromName(m_options.samplesFormat());
    const int quality = m_options.jpegQuality();
    if (!m_extrasPool) {
        m_extrasPool = std::make_unique<QThreadPool>();
        m_extrasPool->setMaxThreadCount(1);
    }
    auto holder = std::make_shared<QHttpServerResponder>(std::move(responder));
    QPointer<QTcpSocket> socket = holder->socket();
    auto* watcher = new QFutureWatcher<ExtrasOutcome>(this);
    connect(watcher, &QFutureWatcher<ExtrasOutcome>::finished, this, [=] {
        watcher->deleteLater();
        if (!socket || socket->state() != QAbstractSocket::ConnectedState)
            return;
        ExtrasOutcome o = watcher->result();
        if (o.error.status != 0) {
            o.error.headers += cors;
            return replyError(std::move(*holder), o.error);
        }
        QJsonObject body { { "html_info", o.htmlInfo } };
        if (batch)
            body.insert("images", o.images);
        else
            body.insert("image", o.images.first());
        reply(std::move(*holder), 200, body, cors);
    });
    watcher->setFuture(QtConcurrent::run(m_extrasPool.get(), [=] {
        try {
            return runExtras(inputs, options, dirs, device, format, quality);
        } catch (const std::exception& e) { // e.g. out of memory in a model
            ExtrasOutcome o;
            o.error = ApiError::http(500, QString::fromUtf8(e.what()), "EngineError");
            return o;
        }
    }));
}

} // namespace qd::api
