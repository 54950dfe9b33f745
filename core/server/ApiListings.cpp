#include "core/server/ApiListings.h"

#include "core/library/ExtraNetworks.h"

#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>

#include "core/engine/EngineInfo.h"
#include "core/library/ModelLibrary.h"
#include "core/metadata/ImageMetadata.h"
#include "core/metadata/Infotext.h"
#include "core/metadata/PngText.h"
#include "core/server/ApiRequest.h"

namespace qd::api
{

QJsonArray samplersListing()
{
    // A1111's order (sd_samplers_kdiffusion.py, then sd_samplers_timesteps.py) and its per-sampler
    // options, pydantic turning the values into strings; only the samplers the engine has.
    struct S {
        const char* label;
        QJsonObject options;
    };
    const QList<S> all = {
        { "DPM++ 2M", { { "scheduler", "karras" } } },
        { "DPM++ SDE",
            { { "scheduler", "karras" }, { "second_order", "True" }, { "brownian_noise", "True" } } },
        { "DPM++ 2M SDE", { { "scheduler", "exponential" }, { "brownian_noise", "True" } } },
        { "DPM++ 2S a", { { "scheduler", "karras" }, { "uses_ensd", "True" }, { "second_order", "True" } } },
        { "DPM++ 3M SDE",
            { { "scheduler", "exponential" }, { "discard_next_to_last_sigma", "True" },
                { "brownian_noise", "True" } } },
        { "Euler a", { { "uses_ensd", "True" } } },
        { "Euler", {} },
        { "LMS", {} },
        { "Heun", { { "second_order", "True" } } },
        { "DPM2",
            { { "scheduler", "karras" }, { "discard_next_to_last_sigma", "True" },
                { "second_order", "True" } } },
        { "DPM2 a",
            { { "scheduler", "karras" }, { "discard_next_to_last_sigma", "True" }, { "uses_ensd", "True" },
                { "second_order", "True" } } },
        { "DDIM", {} },
        { "PLMS", {} },
        { "UniPC", {} },
        { "LCM", {} },
    };
    const QStringList ours = samplerLabels();
    QJsonArray out;
    for (const S& s : all)
        if (ours.contains(QLatin1String(s.label)))
            out.append(QJsonObject { { "name", QLatin1String(s.label) },
                { "aliases", QJsonArray::fromStringList(samplerAliases(QLatin1String(s.label))) },
                { "options", s.options } });
    return out;
}

QJsonArray schedulersListing()
{
    // sd_schedulers.py: name, label, aliases, default_rho (-1 when none), need_inner_model
    struct S {
        const char* name;
        const char* label;
        const char* alias;
        double rho;
        bool inner;
    };
    const S all[] = { { "automatic", "Automatic", nullptr, -1, false },
        { "uniform", "Uniform", nullptr, -1, true }, { "karras", "Karras", nullptr, 7.0, false },
        { "exponential", "Exponential", nullptr, -1, false },
        { "polyexponential", "Polyexponential", nullptr, 1.0, false },
        { "sgm_uniform", "SGM Uniform", "SGMUniform", -1, true },
        { "kl_optimal", "KL Optimal", nullptr, -1, false },
        { "align_your_steps", "Align Your Steps", nullptr, -1, false },
        { "simple", "Simple", nullptr, -1, true }, { "normal", "Normal", nullptr, -1, true },
        { "ddim", "DDIM", nullptr, -1, true }, { "beta", "Beta", nullptr, -1, true } };
    const QStringList ours = scheduleLabels();
    QJsonArray out;
    for (const S& s : all)
        if (ours.contains(QLatin1String(s.label)))
            out.append(QJsonObject { { "name", QLatin1String(s.name) }, { "label", QLatin1String(s.label) },
                { "aliases", s.alias ? QJsonValue(QJsonArray { QLatin1String(s.alias) }) : QJsonValue() },
                { "default_rho", s.rho }, { "need_inner_model", s.inner } });
    return out;
}

QJsonArray sdModelsListing(const ModelLibrary* library, const QString& demoTitle)
{
    QJsonArray out;
    if (library)
        for (const ModelEntry& e : library->entries())
            out.append(QJsonObject { { "title", e.title() }, { "model_name", e.apiModelName },
                { "hash", e.sha256.isEmpty() ? QJsonValue() : QJsonValue(e.hash()) },
                { "sha256", e.sha256.isEmpty() ? QJsonValue() : QJsonValue(e.sha256) },
                { "filename", e.path },
                { "config", e.config.isEmpty() ? QJsonValue() : QJsonValue(e.config) } });
    out.append(QJsonObject { { "title", demoTitle }, { "model_name", "demo" }, { "hash", QJsonValue() },
        { "sha256", QJsonValue() }, { "filename", "" }, { "config", QJsonValue() } });
    return out;
}

QJsonArray sdVaeListing(const ModelLibrary* library)
{
    QJsonArray out;
    if (library)
        for (const VaeEntry& v : library->vaes())
            out.append(QJsonObject { { "model_name", v.name }, { "filename", v.path } });
    return out;
}

QJsonArray lorasListing(const QStringList& folders)
{
    // A1111's Lora extension: name (file stem), alias, path, metadata (the safetensors header's
    // __metadata__)
    QJsonArray out;
    for (const ExtraNetworkEntry& e : scanLoras(folders)) {
        QJsonObject metadata;
        for (auto it = e.metadata.begin(); it != e.metadata.end(); ++it)
            metadata.insert(it.key(), it.value());
        out.append(QJsonObject {
            { "name", e.name }, { "alias", e.name }, { "path", e.path }, { "metadata", metadata } });
    }
    return out;
}

QJsonObject embeddingsListing(const QStringList& folders)
{
    // api.py get_embeddings: {loaded: {name: {step, sd_checkpoint, sd_checkpoint_name, shape,
    // vectors}}, skipped: {...}}; here the files that can't be read are the skipped ones
    QJsonObject loaded, skipped;
    for (const ExtraNetworkEntry& e : scanEmbeddings(folders)) {
        const QJsonObject item { { "step", e.step >= 0 ? QJsonValue(e.step) : QJsonValue() },
            { "sd_checkpoint", QJsonValue() },
            { "sd_checkpoint_name", e.trainedOn.isEmpty() ? QJsonValue() : QJsonValue(e.trainedOn) },
            { "shape", e.error.isEmpty() ? QJsonValue(e.width) : QJsonValue() }, { "vectors", e.vectors } };
        (e.error.isEmpty() ? loaded : skipped).insert(e.name, item);
    }
    return QJsonObject { { "loaded", loaded }, { "skipped", skipped } };
}

QJsonObject memoryListing()
{
    QJsonObject ram;
    QFile meminfo(QStringLiteral("/proc/meminfo"));
    if (meminfo.open(QIODevice::ReadOnly)) {
        qint64 total = 0, available = 0;
        for (const QByteArray& line : meminfo.readAll().split('\n')) {
            const QList<QByteArray> parts = line.simplified().split(' ');
            if (parts.size() >= 2 && parts[0] == "MemTotal:")
                total = parts[1].toLongLong() * 1024;
            if (parts.size() >= 2 && parts[0] == "MemAvailable:")
                available = parts[1].toLongLong() * 1024;
        }
        ram = { { "free", double(available) }, { "used", double(total - available) },
            { "total", double(total) } };
    } else {
        ram = { { "error", "unavailable" } };
    }
    return { { "ram", ram }, { "cuda", QJsonObject { { "error", "unavailable" } } } };
}

QByteArray encodeApiImage(const QImage& image, const QString& infotext, ImageFileFormat format, int quality)
{
    QByteArray bytes;
    if (format == ImageFileFormat::Png || format == ImageFileFormat::Unknown) {
        QString error;
        png::Texts texts;
        if (!infotext.isEmpty())
            texts.append({ QStringLiteral("parameters"), infotext });
        if (!png::encode(image, texts, &bytes, &error, 1))
            qWarning("API: %s", qPrintable(error));
    } else {
        ImageMetadata meta;
        if (!infotext.isEmpty())
            meta.setInfotext(infotext);
        bytes = ImageMetadata::encode(image, format, meta, quality);
    }
    return bytes.toBase64();
}

bool pngInfo(const QString& base64, QJsonObject* out, ApiError* error)
{
    *out = { { "info", "" }, { "items", QJsonObject() }, { "parameters", QJsonObject() } };
    QString s = base64.trimmed();
    if (s.isEmpty()) // api.py: an empty image gives an empty answer
        return true;
    if (s.startsWith("data:image/"))
        s = s.section(';', 1).section(',', 1, 1);
    const auto decoded
        = QByteArray::fromBase64Encoding(s.toLatin1(), QByteArray::AbortOnBase64DecodingErrors);
    ImageMetadata meta;
    if (!decoded || !ImageMetadata::readData(decoded.decoded, &meta)) {
        *error = ApiError::http(422, QStringLiteral("Invalid encoded image"));
        return false;
    }
    QJsonObject items;
    for (const auto& [key, value] : meta.texts)
        if (key != QLatin1String("parameters"))
            items.insert(key, value);
    QString info = meta.infotext();
    if (info.isEmpty()) { // another tool's metadata (ComfyUI, InvokeAI, NovelAI): as A1111 would write it
        const ParsedParams parsed = meta.params();
        if (parsed.found)
            info = toInfotext(parsed.params);
    }
    // infotext_utils.parse_generation_parameters: Prompt, Negative prompt, then the last line's pairs
    // as strings ("Size" split into Size-1 / Size-2), and the defaults of keys left out
    QJsonObject params;
    if (!info.isEmpty()) {
        const GenerationParams p = parseInfotext(info);
        params.insert("Prompt", QString::fromStdString(p.prompt));
        params.insert("Negative prompt", QString::fromStdString(p.negativePrompt));
        const QString last = info.trimmed().section('\n', -1);
        static const QRegularExpression pair(R"re(\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$))re");
        QJsonObject pairs;
        auto it = pair.globalMatch(last);
        while (it.hasNext()) {
            const auto m = it.next();
            const QString key = m.captured(1).trimmed();
            const QString value = unquoteInfotextValue(m.captured(2).trimmed());
            static const QRegularExpression size(R"(^(\d+)x(\d+)$)");
            const auto sm = size.match(value);
            if (sm.hasMatch()) {
                pairs.insert(key + "-1", sm.captured(1));
                pairs.insert(key + "-2", sm.captured(2));
            } else {
                pairs.insert(key, value);
            }
        }
        if (pairs.size() >= 3)
            for (auto kv = pairs.begin(); kv != pairs.end(); ++kv)
                params.insert(kv.key(), kv.value());
        if (!params.contains("Clip skip"))
            params.insert("Clip skip", "1");
        if (!params.contains("Schedule type"))
            params.insert("Schedule type", QString::fromStdString(p.scheduler));
        if (!params.contains("RNG"))
            params.insert("RNG", "GPU");
    }
    *out = { { "info", info }, { "items", items }, { "parameters", params } };
    return true;
}

} // namespace qd::api
