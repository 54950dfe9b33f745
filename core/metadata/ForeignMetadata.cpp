#include "core/metadata/ForeignMetadata.h"

#include "core/metadata/Infotext.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMap>

#include <cmath>

namespace qd
{

namespace
{

std::string ss(const QString& s)
{
    return s.toStdString();
}

bool fail(QString* error, const QString& message)
{
    if (error)
        *error = message;
    return false;
}

bool parseObject(const QString& json, const char* what, QJsonObject* out, QString* error)
{
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(json.toUtf8(), &pe);
    if (pe.error != QJsonParseError::NoError)
        return fail(error,
            QStringLiteral("%1: invalid JSON at offset %2: %3")
                .arg(QLatin1String(what))
                .arg(pe.offset)
                .arg(pe.errorString()));
    if (!doc.isObject())
        return fail(error, QStringLiteral("%1: expected a JSON object").arg(QLatin1String(what)));
    *out = doc.object();
    return true;
}

// A checkpoint file name as A1111 names the model: no folder, no extension.
QString modelNameFromFile(const QString& file)
{
    QString name = QFileInfo(QString(file).replace('\\', '/')).fileName();
    for (const char* ext : { ".safetensors", ".ckpt", ".pt", ".pth", ".bin", ".gguf" })
        if (name.endsWith(QLatin1String(ext), Qt::CaseInsensitive))
            return name.chopped(int(qstrlen(ext)));
    return name;
}

// ---- ComfyUI graph (API format: {"id": {"class_type": ..., "inputs": {...}}}) -------------------

class ComfyGraph
{
public:
    explicit ComfyGraph(QJsonObject nodes)
        : m_nodes(std::move(nodes))
    {
    }

    QJsonObject node(const QString& id) const { return m_nodes.value(id).toObject(); }
    QString type(const QJsonObject& n) const { return n.value("class_type").toString(); }
    QJsonObject inputs(const QJsonObject& n) const { return n.value("inputs").toObject(); }

    static bool isLink(const QJsonValue& v)
    {
        const QJsonArray a = v.toArray();
        return v.isArray() && a.size() == 2 && (a[0].isString() || a[0].isDouble());
    }
    static QString linkTarget(const QJsonValue& v)
    {
        const QJsonValue id = v.toArray().at(0);
        return id.isString() ? id.toString() : QString::number(id.toInteger());
    }

    // A scalar input, following links to primitive nodes (one scalar input, or "value"/"seed"/...).
    QJsonValue scalar(const QJsonValue& v, int depth = 0) const
    {
        if (!isLink(v) || depth > 8)
            return v;
        const QJsonObject in = inputs(node(linkTarget(v)));
        for (const char* key : { "value", "seed", "noise_seed", "int", "float", "string", "text", "number" })
            if (in.contains(key))
                return scalar(in.value(key), depth + 1);
        if (in.size() == 1)
            return scalar(in.begin().value(), depth + 1);
        return QJsonValue();
    }

    // The prompt text behind a CONDITIONING input: through combine / area / ControlNet nodes to the
    // text encoders. Several encoders are joined with "\n".
    QString text(const QJsonValue& v, int depth = 0) const
    {
        if (!isLink(v) || depth > 16)
            return QString();
        const QJsonObject n = node(linkTarget(v));
        const QJsonObject in = inputs(n);
        if (type(n).contains(QLatin1String("CLIPTextEncode"))) {
            for (const char* key : { "text", "text_g", "prompt" })
                if (in.contains(key))
                    return scalar(in.value(key)).toString();
            return QString();
        }
        QStringList parts;
        for (auto it = in.begin(); it != in.end(); ++it)
            if (it.key().startsWith(QLatin1String("conditioning")) || it.key() == QLatin1String("positive")) {
                const QString t = text(it.value(), depth + 1);
                if (!t.isEmpty())
                    parts << t;
            }
        return parts.join('\n');
    }

    // Follows `key` inputs backwards until a node that has `wanted`; returns that node.
    QJsonObject findUpstream(const QJsonValue& v, const char* key, const char* wanted, int depth = 0) const
    {
        if (!isLink(v) || depth > 32)
            return QJsonObject();
        const QJsonObject n = node(linkTarget(v));
        const QJsonObject in = inputs(n);
        if (in.contains(wanted))
            return n;
        return findUpstream(in.value(key), key, wanted, depth + 1);
    }

    QStringList samplerIds() const
    {
        QStringList ids;
        for (auto it = m_nodes.begin(); it != m_nodes.end(); ++it) {
            const QString t = type(it.value().toObject());
            if (t == QLatin1String("KSampler") || t == QLatin1String("KSamplerAdvanced"))
                ids << it.key();
        }
        // lowest node id first: the base pass, not a later hires / refiner pass
        std::sort(ids.begin(), ids.end(), [](const QString& a, const QString& b) {
            return a.toLongLong() != b.toLongLong() ? a.toLongLong() < b.toLongLong() : a < b;
        });
        return ids;
    }

private:
    QJsonObject m_nodes;
};

bool parseComfyGraph(const QJsonObject& nodes, GenerationParams* out, QString* error)
{
    const ComfyGraph g(nodes);
    const QStringList ids = g.samplerIds();
    if (ids.isEmpty())
        return fail(error, QStringLiteral("ComfyUI graph: no KSampler or KSamplerAdvanced node"));
    // prefer the sampler that starts from an empty latent (the first pass)
    QString chosen = ids.first();
    for (const QString& id : ids) {
        const QJsonObject latent
            = g.findUpstream(g.inputs(g.node(id)).value("latent_image"), "samples", "width");
        if (g.type(latent).startsWith(QLatin1String("Empty"))) { // EmptyLatentImage, EmptySD3LatentImage
            chosen = id;
            break;
        }
    }
    const QJsonObject in = g.inputs(g.node(chosen));
    GenerationParams p;
    const QJsonValue seed = g.scalar(in.contains("noise_seed") ? in.value("noise_seed") : in.value("seed"));
    if (seed.isDouble())
        p.seed = seed.toInteger();
    if (const QJsonValue steps = g.scalar(in.value("steps")); steps.isDouble())
        p.steps = steps.toInt();
    if (const QJsonValue cfg = g.scalar(in.value("cfg")); cfg.isDouble())
        p.cfgScale = cfg.toDouble();
    if (const QJsonValue s = g.scalar(in.value("sampler_name")); s.isString())
        p.sampler = ss(a1111SamplerFromComfy(s.toString()));
    if (const QJsonValue s = g.scalar(in.value("scheduler")); s.isString())
        p.scheduler = ss(a1111ScheduleFromComfy(s.toString()));
    p.prompt = ss(g.text(in.value("positive")));
    p.negativePrompt = ss(g.text(in.value("negative")));

    const QJsonObject latent = g.findUpstream(in.value("latent_image"), "samples", "width");
    if (!latent.isEmpty()) {
        const QJsonObject li = g.inputs(latent);
        const QJsonValue w = g.scalar(li.value("width")), h = g.scalar(li.value("height"));
        if (w.isDouble() && h.isDouble()) {
            p.width = w.toInt();
            p.height = h.toInt();
        }
    }
    if (const QJsonValue d = g.scalar(in.value("denoise")); d.isDouble() && d.toDouble() < 1.0) {
        p.denoisingStrength = d.toDouble();
        p.extra["Denoising strength"] = ss(formatInfotextNumber(d.toDouble()));
    }
    for (const char* key : { "ckpt_name", "unet_name" }) {
        const QJsonObject loader = g.findUpstream(in.value("model"), "model", key);
        if (!loader.isEmpty()) {
            p.modelName = ss(modelNameFromFile(g.scalar(g.inputs(loader).value(key)).toString()));
            break;
        }
    }
    // CLIPSetLastLayer's stop_at_clip_layer -2 is A1111's Clip skip 2
    const QJsonValue positive = in.value("positive");
    if (ComfyGraph::isLink(positive)) {
        const QJsonObject enc = g.node(ComfyGraph::linkTarget(positive));
        const QJsonObject clipSkip
            = g.findUpstream(g.inputs(enc).value("clip"), "clip", "stop_at_clip_layer");
        const QJsonValue layer = g.scalar(g.inputs(clipSkip).value("stop_at_clip_layer"));
        if (layer.isDouble() && layer.toInt() < 0)
            p.clipSkip = -layer.toInt();
    }
    *out = p;
    return true;
}

// Widget order of the ComfyUI core nodes we read from a UI workflow (nodes' widgets_values).
const QMap<QString, QStringList>& workflowWidgets()
{
    static const QMap<QString, QStringList> m = {
        { "KSampler",
            { "seed", "control_after_generate", "steps", "cfg", "sampler_name", "scheduler", "denoise" } },
        { "KSamplerAdvanced",
            { "add_noise", "noise_seed", "control_after_generate", "steps", "cfg", "sampler_name",
                "scheduler", "start_at_step", "end_at_step", "return_with_leftover_noise" } },
        { "CLIPTextEncode", { "text" } },
        { "EmptyLatentImage", { "width", "height", "batch_size" } },
        { "CheckpointLoaderSimple", { "ckpt_name" } },
        { "UNETLoader", { "unet_name", "weight_dtype" } },
        { "CLIPSetLastLayer", { "stop_at_clip_layer" } },
        { "LoraLoader", { "lora_name", "strength_model", "strength_clip" } },
        { "PrimitiveNode", { "value" } },
    };
    return m;
}

} // namespace

QString a1111SamplerFromComfy(const QString& name)
{
    static const QMap<QString, QString> m = {
        { "euler", "Euler" },
        { "euler_ancestral", "Euler a" },
        { "heun", "Heun" },
        { "dpm_2", "DPM2" },
        { "dpm_2_ancestral", "DPM2 a" },
        { "lms", "LMS" },
        { "dpm_fast", "DPM fast" },
        { "dpm_adaptive", "DPM adaptive" },
        { "dpmpp_2s_ancestral", "DPM++ 2S a" },
        { "dpmpp_sde", "DPM++ SDE" },
        { "dpmpp_sde_gpu", "DPM++ SDE" },
        { "dpmpp_2m", "DPM++ 2M" },
        { "dpmpp_2m_sde", "DPM++ 2M SDE" },
        { "dpmpp_2m_sde_gpu", "DPM++ 2M SDE" },
        { "dpmpp_3m_sde", "DPM++ 3M SDE" },
        { "dpmpp_3m_sde_gpu", "DPM++ 3M SDE" },
        { "ddim", "DDIM" },
        { "ddim_v3", "DDIM" },
        { "plms", "PLMS" },
        { "uni_pc", "UniPC" },
        { "uni_pc_bh2", "UniPC" },
        { "lcm", "LCM" },
        { "restart", "Restart" },
    };
    QString key = name.trimmed().toLower();
    if (key.startsWith(QLatin1String("k_"))) // NovelAI: k_euler_ancestral
        key = key.mid(2);
    return m.value(key, name);
}

QString a1111ScheduleFromComfy(const QString& name)
{
    static const QMap<QString, QString> m = {
        { "normal", "Normal" },
        { "karras", "Karras" },
        { "exponential", "Exponential" },
        { "sgm_uniform", "SGM Uniform" },
        { "simple", "Simple" },
        { "ddim_uniform", "DDIM" },
        { "beta", "Beta" },
        { "kl_optimal", "KL Optimal" },
        { "polyexponential", "Polyexponential" },
        { "native", "Automatic" },
        { "uniform", "Uniform" },
        { "align_your_steps", "Align Your Steps" },
    };
    const QString key = name.trimmed().toLower();
    if (key.startsWith(QLatin1String("ays"))) // AYS SD1 / AYS SDXL custom nodes
        return QStringLiteral("Align Your Steps");
    return m.value(key, name);
}

bool parseComfyUiPrompt(const QString& promptJson, GenerationParams* out, QString* error)
{
    QJsonObject nodes;
    if (!parseObject(promptJson, "ComfyUI prompt", &nodes, error))
        return false;
    return parseComfyGraph(nodes, out, error);
}

bool parseComfyUiWorkflow(const QString& workflowJson, GenerationParams* out, QString* error)
{
    QJsonObject wf;
    if (!parseObject(workflowJson, "ComfyUI workflow", &wf, error))
        return false;
    // links: [link id, origin node, origin slot, target node, target slot, type]
    QMap<qint64, QJsonArray> links;
    for (const QJsonValue& l : wf.value("links").toArray()) {
        const QJsonArray a = l.toArray();
        if (a.size() >= 3)
            links.insert(a[0].toInteger(), QJsonArray { QString::number(a[1].toInteger()), a[2] });
    }
    // Rebuild the API-format graph the prompt chunk would hold.
    QJsonObject nodes;
    for (const QJsonValue& nv : wf.value("nodes").toArray()) {
        const QJsonObject n = nv.toObject();
        const QString type = n.value("type").toString();
        QJsonObject inputs;
        const QStringList names = workflowWidgets().value(type);
        const QJsonArray widgets = n.value("widgets_values").toArray();
        for (int i = 0; i < names.size() && i < widgets.size(); ++i)
            inputs.insert(names[i], widgets[i]);
        for (const QJsonValue& iv : n.value("inputs").toArray()) {
            const QJsonObject input = iv.toObject();
            if (input.value("link").isDouble() && links.contains(input.value("link").toInteger()))
                inputs.insert(input.value("name").toString(), links.value(input.value("link").toInteger()));
        }
        nodes.insert(QString::number(n.value("id").toInteger()),
            QJsonObject { { "class_type", type }, { "inputs", inputs } });
    }
    if (nodes.isEmpty())
        return fail(error, QStringLiteral("ComfyUI workflow: no \"nodes\" array"));
    return parseComfyGraph(nodes, out, error);
}

bool parseInvokeAiMetadata(const QString& json, GenerationParams* out, QString* error)
{
    QJsonObject o;
    if (!parseObject(json, "InvokeAI metadata", &o, error))
        return false;
    if (!o.contains("positive_prompt") && !o.contains("steps"))
        return fail(error, QStringLiteral("InvokeAI metadata: neither \"positive_prompt\" nor \"steps\""));
    GenerationParams p;
    p.prompt = ss(o.value("positive_prompt").toString());
    p.negativePrompt = ss(o.value("negative_prompt").toString());
    if (o.value("steps").isDouble())
        p.steps = o.value("steps").toInt();
    if (o.value("cfg_scale").isDouble())
        p.cfgScale = o.value("cfg_scale").toDouble();
    if (o.value("cfg_rescale_multiplier").isDouble())
        p.guidanceRescale = o.value("cfg_rescale_multiplier").toDouble();
    if (o.value("seed").isDouble())
        p.seed = o.value("seed").toInteger();
    if (o.value("width").isDouble() && o.value("height").isDouble()) {
        p.width = o.value("width").toInt();
        p.height = o.value("height").toInt();
    }
    // InvokeAI's clip_skip counts skipped layers: 0 is A1111's Clip skip 1
    if (o.value("clip_skip").isDouble())
        p.clipSkip = o.value("clip_skip").toInt() + 1;
    if (o.value("strength").isDouble()
        && o.value("generation_mode").toString().contains(QLatin1String("img2img"))) {
        p.denoisingStrength = o.value("strength").toDouble();
        p.extra["Denoising strength"] = ss(formatInfotextNumber(p.denoisingStrength));
    }
    // Schedulers are diffusers' classes; "_k" means Karras sigmas. Without it diffusers spaces the
    // timesteps evenly, which A1111 calls "Normal" for the samplers whose own default is Karras.
    QString sched = o.value("scheduler").toString();
    if (!sched.isEmpty()) {
        QString schedule = QStringLiteral("Automatic");
        if (sched.endsWith(QLatin1String("_k"))) {
            sched.chop(2);
            schedule = QStringLiteral("Karras");
        }
        static const QMap<QString, QString> m = {
            { "ddim", "DDIM" },
            { "ddpm", "DDPM" },
            { "deis", "DEIS" },
            { "lms", "LMS" },
            { "pndm", "PLMS" },
            { "heun", "Heun" },
            { "euler", "Euler" },
            { "euler_a", "Euler a" },
            { "kdpm_2", "DPM2" },
            { "kdpm_2_a", "DPM2 a" },
            { "dpmpp_2s", "DPM++ 2S" },
            { "dpmpp_2m", "DPM++ 2M" },
            { "dpmpp_sde", "DPM++ SDE" },
            { "dpmpp_2m_sde", "DPM++ 2M SDE" },
            { "unipc", "UniPC" },
            { "lcm", "LCM" },
            { "tcd", "TCD" },
        };
        const QString sampler = m.value(sched, sched);
        if (schedule == QLatin1String("Automatic") && sampler.startsWith(QLatin1String("DPM")))
            schedule = QStringLiteral("Normal");
        p.sampler = ss(sampler);
        p.scheduler = ss(schedule);
    }
    const QJsonObject model = o.value("model").toObject();
    const QString modelName
        = model.contains("name") ? model.value("name").toString() : model.value("model_name").toString();
    p.modelName = ss(modelName);
    const QString hash = model.value("hash").toString();
    if (!hash.isEmpty())
        p.extra["Model hash (InvokeAI)"] = ss(hash); // blake3, not A1111's SHA-256 prefix
    const QJsonObject vae = o.value("vae").toObject();
    if (!vae.isEmpty())
        p.vaeName
            = ss(vae.contains("name") ? vae.value("name").toString() : vae.value("model_name").toString());
    *out = p;
    return true;
}

bool parseNovelAiComment(
    const QString& commentJson, const QString& source, GenerationParams* out, QString* error)
{
    QJsonObject o;
    if (!parseObject(commentJson, "NovelAI Comment", &o, error))
        return false;
    if (!o.contains("prompt") || !o.contains("steps"))
        return fail(error, QStringLiteral("NovelAI Comment: expected \"prompt\" and \"steps\""));
    GenerationParams p;
    p.prompt = ss(o.value("prompt").toString());
    p.negativePrompt = ss(o.value("uc").toString());
    p.steps = o.value("steps").toInt(p.steps);
    if (o.value("scale").isDouble())
        p.cfgScale = o.value("scale").toDouble();
    if (o.value("cfg_rescale").isDouble())
        p.guidanceRescale = o.value("cfg_rescale").toDouble();
    if (o.value("seed").isDouble())
        p.seed = o.value("seed").toInteger();
    if (o.value("width").isDouble() && o.value("height").isDouble()) {
        p.width = o.value("width").toInt();
        p.height = o.value("height").toInt();
    }
    if (o.value("sampler").isString())
        p.sampler = ss(a1111SamplerFromComfy(o.value("sampler").toString()));
    p.scheduler = ss(a1111ScheduleFromComfy(o.value("noise_schedule").toString(QStringLiteral("native"))));
    if (o.value("strength").isDouble() && o.contains("image")) {
        p.denoisingStrength = o.value("strength").toDouble();
        p.extra["Denoising strength"] = ss(formatInfotextNumber(p.denoisingStrength));
    }
    p.modelName = ss(source);
    *out = p;
    return true;
}

ParsedParams paramsFromTexts(const QList<QPair<QString, QString>>& texts)
{
    auto value = [&](const char* key) {
        for (const auto& [k, v] : texts)
            if (k == QLatin1String(key))
                return v;
        return QString();
    };
    ParsedParams r;
    const QString a1111 = value("parameters");
    if (!a1111.trimmed().isEmpty()) {
        r.params = parseInfotext(a1111, &r.warnings);
        r.found = true;
        r.source = QStringLiteral("parameters");
        return r;
    }
    auto attempt = [&](const char* key, auto parse) {
        const QString v = value(key);
        if (v.isEmpty())
            return false;
        QString error;
        if (parse(v, &r.params, &error)) {
            r.found = true;
            r.source = QLatin1String(key);
            return true;
        }
        r.warnings << error;
        return false;
    };
    if (attempt("prompt",
            [](const QString& v, GenerationParams* p, QString* e) { return parseComfyUiPrompt(v, p, e); })
        || attempt("workflow",
            [](const QString& v, GenerationParams* p, QString* e) { return parseComfyUiWorkflow(v, p, e); })
        || attempt("invokeai_metadata",
            [](const QString& v, GenerationParams* p, QString* e) { return parseInvokeAiMetadata(v, p, e); }))
        return r;
    const QString source = value("Source");
    attempt("Comment", [&](const QString& v, GenerationParams* p, QString* e) {
        return parseNovelAiComment(v, source, p, e);
    });
    return r;
}

} // namespace qd
