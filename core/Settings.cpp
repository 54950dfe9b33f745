#include "core/Settings.h"

#include "core/AppPaths.h"
#include "core/AtomicFile.h"
#include "core/metadata/Infotext.h"

#include <QFile>
#include <QRegularExpression>

#include <yaml-cpp/yaml.h>

#include <limits>

namespace qd
{

namespace
{

QString qs(const std::string& s)
{
    return QString::fromStdString(s);
}

// Reads values out of the YAML tree; every problem names the file, the line, the key and the value.
class Reader
{
public:
    Reader(QString path, QStringList* problems)
        : m_path(std::move(path))
        , m_problems(problems)
    {
    }

    void problem(const YAML::Node& at, const QString& message)
    {
        const int line = at.Mark().is_null() ? 0 : at.Mark().line + 1;
        *m_problems << QStringLiteral("%1:%2: %3").arg(m_path).arg(line).arg(message);
    }

    std::optional<QString> text(const YAML::Node& n, const QString& key)
    {
        if (n.IsNull())
            return QString();
        if (!n.IsScalar()) {
            problem(n, QStringLiteral("\"%1\" must be text; the default is used").arg(key));
            return std::nullopt;
        }
        return qs(n.Scalar());
    }

    std::optional<QString> choice(const YAML::Node& n, const QString& key, const QStringList& allowed)
    {
        const auto v = text(n, key);
        if (!v)
            return std::nullopt;
        if (!allowed.contains(*v)) {
            problem(n,
                QStringLiteral("\"%1\": \"%2\" is not one of: %3; the default is used")
                    .arg(key, *v, allowed.join(QStringLiteral(", "))));
            return std::nullopt;
        }
        return v;
    }

    std::optional<QString> matching(
        const YAML::Node& n, const QString& key, const QRegularExpression& re, const char* expected)
    {
        const auto v = text(n, key);
        if (v && !re.match(*v).hasMatch()) {
            problem(n,
                QStringLiteral("\"%1\": \"%2\" is not %3; the default is used")
                    .arg(key, *v, QLatin1String(expected)));
            return std::nullopt;
        }
        return v;
    }

    std::optional<qint64> integer(
        const YAML::Node& n, const QString& key, qint64 min, qint64 max, int multipleOf = 1)
    {
        bool ok = false;
        const qint64 v = n.IsScalar() ? qs(n.Scalar()).toLongLong(&ok) : 0;
        if (!ok || v < min || v > max || v % multipleOf != 0) {
            problem(n,
                QStringLiteral("\"%1\": \"%2\" is not a whole number from %3 to %4%5; the default is used")
                    .arg(key, n.IsScalar() ? qs(n.Scalar()) : QStringLiteral("(not a value)"))
                    .arg(min)
                    .arg(max)
                    .arg(multipleOf > 1 ? QStringLiteral(", a multiple of %1").arg(multipleOf) : QString()));
            return std::nullopt;
        }
        return v;
    }

    std::optional<double> number(const YAML::Node& n, const QString& key, double min, double max)
    {
        bool ok = false;
        const double v = n.IsScalar() ? qs(n.Scalar()).toDouble(&ok) : 0;
        if (!ok || v < min || v > max) {
            problem(n,
                QStringLiteral("\"%1\": \"%2\" is not a number from %3 to %4; the default is used")
                    .arg(key, n.IsScalar() ? qs(n.Scalar()) : QStringLiteral("(not a value)"))
                    .arg(min)
                    .arg(max));
            return std::nullopt;
        }
        return v;
    }

    void unknown(const YAML::Node& keyNode, const QString& section)
    {
        problem(keyNode,
            QStringLiteral("unknown key \"%1\"%2 (ignored; see docs/settings.md)")
                .arg(qs(keyNode.Scalar()), section.isEmpty() ? QString() : " in " + section));
    }

private:
    QString m_path;
    QStringList* m_problems;
};

// The generation keys shared by "defaults" and each preset. Returns false when `key` is not one.
bool readGenerationKey(Reader& r, const QString& key, const YAML::Node& v, Preset* out)
{
    static const QStringList samplers = samplerLabels();
    static const QStringList schedules = scheduleLabels();
    if (key == QLatin1String("prompt"))
        out->prompt = r.text(v, key);
    else if (key == QLatin1String("negative_prompt"))
        out->negativePrompt = r.text(v, key);
    else if (key == QLatin1String("sampler"))
        out->sampler = r.choice(v, key, samplers);
    else if (key == QLatin1String("schedule"))
        out->schedule = r.choice(v, key, schedules);
    else if (key == QLatin1String("steps"))
        out->steps = r.integer(v, key, 1, 1000);
    else if (key == QLatin1String("cfg_scale"))
        out->cfgScale = r.number(v, key, 0, 100);
    else if (key == QLatin1String("width"))
        out->width = r.integer(v, key, 64, 8192, 8);
    else if (key == QLatin1String("height"))
        out->height = r.integer(v, key, 64, 8192, 8);
    else if (key == QLatin1String("clip_skip"))
        out->clipSkip = r.integer(v, key, 1, 12);
    else if (key == QLatin1String("seed"))
        out->seed = r.integer(v, key, -1, std::numeric_limits<qint64>::max());
    else
        return false;
    return true;
}

QString yamlScalar(const QString& s)
{
    YAML::Emitter e;
    e << s.toStdString();
    return QString::fromUtf8(e.c_str());
}

void writeGenerationKeys(QString& y, const Preset& p, const QString& indent)
{
    auto line = [&](const char* key, const QString& value) {
        y += indent + QLatin1String(key) + ": " + value + '\n';
    };
    if (p.prompt)
        line("prompt", yamlScalar(*p.prompt));
    if (p.negativePrompt)
        line("negative_prompt", yamlScalar(*p.negativePrompt));
    if (p.sampler)
        line("sampler", yamlScalar(*p.sampler));
    if (p.schedule)
        line("schedule", yamlScalar(*p.schedule));
    if (p.steps)
        line("steps", QString::number(*p.steps));
    if (p.cfgScale)
        line("cfg_scale", formatInfotextNumber(*p.cfgScale));
    if (p.width)
        line("width", QString::number(*p.width));
    if (p.height)
        line("height", QString::number(*p.height));
    if (p.clipSkip)
        line("clip_skip", QString::number(*p.clipSkip));
    if (p.seed)
        line("seed", QString::number(*p.seed));
}

} // namespace

GenerationParams Preset::applyTo(GenerationParams p) const
{
    if (prompt)
        p.prompt = prompt->toStdString();
    if (negativePrompt)
        p.negativePrompt = negativePrompt->toStdString();
    if (sampler)
        p.sampler = sampler->toStdString();
    if (schedule)
        p.scheduler = schedule->toStdString();
    if (steps)
        p.steps = *steps;
    if (cfgScale)
        p.cfgScale = *cfgScale;
    if (width)
        p.width = *width;
    if (height)
        p.height = *height;
    if (clipSkip)
        p.clipSkip = *clipSkip;
    if (seed)
        p.seed = *seed;
    return p;
}

bool Preset::operator==(const Preset& o) const
{
    return name == o.name && prompt == o.prompt && negativePrompt == o.negativePrompt && sampler == o.sampler
        && schedule == o.schedule && steps == o.steps && cfgScale == o.cfgScale && width == o.width
        && height == o.height && clipSkip == o.clipSkip && seed == o.seed;
}

Settings Settings::load(LoadReport* report)
{
    return load(AppPaths::configFile(), report);
}

Settings Settings::load(const QString& path, LoadReport* report)
{
    LoadReport local;
    LoadReport& r = report ? *report : local;
    r = LoadReport();
    Settings s;
    QFile f(path);
    if (!f.exists()) {
        QString error;
        if (writeFileAtomically(path, s.toYaml().toUtf8(), &error))
            r.createdDefaultFile = true;
        else
            r.problems << QStringLiteral("%1: cannot write the default settings: %2").arg(path, error);
        return s;
    }
    r.fileExisted = true;
    if (!f.open(QIODevice::ReadOnly)) {
        r.problems << QStringLiteral("%1: cannot read: %2; defaults are used").arg(path, f.errorString());
        r.usedDefaults = true;
        return s;
    }
    YAML::Node root;
    try {
        root = YAML::Load(f.readAll().toStdString());
    } catch (const YAML::Exception& e) {
        r.problems << QStringLiteral("%1:%2:%3: %4; the whole file is ignored and defaults are used "
                                     "(the file is left as it is: fix it and restart)")
                          .arg(path)
                          .arg(e.mark.line + 1)
                          .arg(e.mark.column + 1)
                          .arg(qs(e.msg));
        r.usedDefaults = true;
        return s;
    }
    if (root.IsNull())
        return s; // an empty file: all defaults
    Reader rd(path, &r.problems);
    if (!root.IsMap()) {
        rd.problem(
            root, QStringLiteral("the file must be a list of \"key: value\" lines; defaults are used"));
        r.usedDefaults = true;
        return s;
    }

    static const QRegularExpression reDevice(QStringLiteral("^(auto|cpu|cuda(:\\d+)?)$"));
    static const QRegularExpression reLanguage(QStringLiteral("^(system|[a-z]{2,3}(_[A-Z]{2})?)$"));
    for (auto it = root.begin(); it != root.end(); ++it) {
        const QString key = qs(it->first.Scalar());
        const YAML::Node v = it->second; // a copy: the iterator hands out a temporary pair
        if (key == QLatin1String("model_folders")) {
            if (v.IsNull())
                continue;
            if (!v.IsSequence()) {
                rd.problem(v,
                    QStringLiteral(
                        "\"model_folders\" must be a list (\"- /path\" lines); the default is used"));
                continue;
            }
            for (const YAML::Node& item : v)
                if (const auto folder = rd.text(item, key); folder && !folder->isEmpty())
                    s.modelFolders << *folder;
        } else if (key == QLatin1String("output_folder")) {
            s.outputFolder = rd.text(v, key).value_or(s.outputFolder);
        } else if (key == QLatin1String("output_format")) {
            s.outputFormat = rd.choice(v, key, { "png", "jpeg", "webp" }).value_or(s.outputFormat);
        } else if (key == QLatin1String("image_quality")) {
            s.imageQuality = int(rd.integer(v, key, 1, 100).value_or(s.imageQuality));
        } else if (key == QLatin1String("device")) {
            s.device = rd.matching(v, key, reDevice, "auto, cpu, cuda or cuda:N").value_or(s.device);
        } else if (key == QLatin1String("precision")) {
            s.precision = rd.choice(v, key, { "auto", "fp32", "fp16", "bf16" }).value_or(s.precision);
        } else if (key == QLatin1String("random_source")) {
            s.randomSource = rd.choice(v, key, { "GPU", "CPU", "NV" }).value_or(s.randomSource);
        } else if (key == QLatin1String("eta_noise_seed_delta")) {
            s.etaNoiseSeedDelta = rd.integer(v, key, 0, qint64(0xFFFFFFFFll)).value_or(s.etaNoiseSeedDelta);
        } else if (key == QLatin1String("language")) {
            s.language = rd.matching(v, key, reLanguage, "system or a language code such as en, zh_CN")
                             .value_or(s.language);
        } else if (key == QLatin1String("theme")) {
            s.theme = rd.choice(v, key, { "system", "light", "dark" }).value_or(s.theme);
        } else if (key == QLatin1String("api")) {
            if (!v.IsMap()) {
                if (!v.IsNull())
                    rd.problem(v,
                        QStringLiteral("\"api\" must hold \"enabled:\", \"host:\", \"port:\" and \"auth:\"; "
                                       "defaults are used"));
                continue;
            }
            for (auto p = v.begin(); p != v.end(); ++p) {
                const QString k = qs(p->first.Scalar());
                if (k == QLatin1String("enabled"))
                    s.apiEnabled = rd.choice(p->second, "api.enabled", { "true", "false" })
                                       .value_or(s.apiEnabled ? "true" : "false")
                        == QLatin1String("true");
                else if (k == QLatin1String("host"))
                    s.apiHost = rd.text(p->second, "api.host").value_or(s.apiHost);
                else if (k == QLatin1String("port"))
                    s.apiPort = int(rd.integer(p->second, "api.port", 1, 65535).value_or(s.apiPort));
                else if (k == QLatin1String("auth"))
                    s.apiAuth = rd.text(p->second, "api.auth").value_or(s.apiAuth);
                else
                    rd.unknown(p->first, QStringLiteral("api"));
            }
        } else if (key == QLatin1String("preview")) {
            if (!v.IsMap()) {
                if (!v.IsNull())
                    rd.problem(v,
                        QStringLiteral(
                            "\"preview\" must hold \"method:\" and \"interval:\"; defaults are used"));
                continue;
            }
            for (auto p = v.begin(); p != v.end(); ++p) {
                const QString k = qs(p->first.Scalar());
                if (k == QLatin1String("method"))
                    s.previewMethod
                        = rd.choice(p->second, "preview.method", { "none", "cheap", "taesd", "vae" })
                              .value_or(s.previewMethod);
                else if (k == QLatin1String("interval"))
                    s.previewInterval
                        = int(rd.integer(p->second, "preview.interval", 1, 1000).value_or(s.previewInterval));
                else
                    rd.unknown(p->first, QStringLiteral("preview"));
            }
        } else if (key == QLatin1String("defaults")) {
            if (!v.IsMap()) {
                if (!v.IsNull())
                    rd.problem(
                        v, QStringLiteral("\"defaults\" must hold \"key: value\" lines; defaults are used"));
                continue;
            }
            Preset d;
            for (auto p = v.begin(); p != v.end(); ++p)
                if (!readGenerationKey(rd, qs(p->first.Scalar()), p->second, &d))
                    rd.unknown(p->first, QStringLiteral("defaults"));
            s.defaults = d.applyTo(s.defaults);
        } else if (key == QLatin1String("presets")) {
            if (v.IsNull())
                continue;
            if (!v.IsSequence()) {
                rd.problem(v,
                    QStringLiteral(
                        "\"presets\" must be a list (\"- name: ...\" entries); no presets are used"));
                continue;
            }
            for (const YAML::Node& item : v) {
                if (!item.IsMap() || !item["name"] || !item["name"].IsScalar()
                    || item["name"].Scalar().empty()) {
                    rd.problem(item, QStringLiteral("a preset needs a \"name:\"; this one is skipped"));
                    continue;
                }
                Preset preset;
                for (auto p = item.begin(); p != item.end(); ++p) {
                    const QString k = qs(p->first.Scalar());
                    if (k == QLatin1String("name"))
                        preset.name = qs(p->second.Scalar());
                    else if (!readGenerationKey(rd, k, p->second, &preset))
                        rd.unknown(p->first, QStringLiteral("preset \"%1\"").arg(qs(item["name"].Scalar())));
                }
                s.presets << preset;
            }
        } else {
            rd.unknown(it->first, QString());
        }
    }
    return s;
}

QString Settings::toYaml() const
{
    QString y;
    y += QStringLiteral(
        "# QDiffusion settings. Edit freely; lines starting with # are comments.\n"
        "# Every key is optional: a key left out, or with a value that cannot be used, takes its default\n"
        "# (all keys and values: docs/settings.md). Problems are reported with their line number, and a\n"
        "# file that cannot be read is never overwritten.\n\n"
        "# Extra folders searched for checkpoints (.safetensors, .ckpt, diffusers folders) besides the\n"
        "# built-in models folder, for example:\n"
        "#   model_folders:\n"
        "#     - /home/me/stable-diffusion-webui/models/Stable-diffusion\n");
    if (modelFolders.isEmpty()) {
        y += QStringLiteral("model_folders: []\n");
    } else {
        y += QStringLiteral("model_folders:\n");
        for (const QString& f : modelFolders)
            y += QStringLiteral("  - ") + yamlScalar(f) + '\n';
    }
    y += QStringLiteral("\n# Where generated images are saved; \"\" = the default folder.\noutput_folder: ")
        + yamlScalar(outputFolder) + '\n';
    y += QStringLiteral(
             "# File format of generated images: png, jpeg or webp (all three keep the parameters).\n"
             "output_format: ")
        + outputFormat + '\n';
    y += QStringLiteral("# JPEG / WebP quality, 1-100 (WebP at 100 is lossless).\nimage_quality: ")
        + QString::number(imageQuality) + "\n\n";
    y += QStringLiteral(
             "# Where the model runs: auto (a GPU when there is one), cpu, cuda, or cuda:N for GPU N.\n"
             "device: ")
        + device + '\n';
    y += QStringLiteral(
             "# Number format of the weights: auto (fp16 on a GPU, fp32 on the CPU), fp32, fp16, bf16.\n"
             "precision: ")
        + precision + "\n";
    y += QStringLiteral(
             "# Where random numbers come from (AUTOMATIC1111's \"Random number generator source\"): GPU\n"
             "# (its default: an NVIDIA GPU's numbers, also off CUDA), CPU (PyTorch's CPU generator) or NV.\n"
             "random_source: ")
        + randomSource + '\n';
    y += QStringLiteral(
             "# AUTOMATIC1111's \"Eta noise seed delta\" (ENSD) for samplers that add noise; 0 = off.\n"
             "eta_noise_seed_delta: ")
        + QString::number(etaNoiseSeedDelta) + "\n\n";
    y += QStringLiteral(
             "preview:\n"
             "  # Live preview while generating: none, cheap (instant colour approximation), taesd\n"
             "  # (tiny decoder: put taesd_decoder.safetensors in the models folder) or vae (exact, slow).\n"
             "  method: ")
        + previewMethod + '\n';
    y += QStringLiteral("  # For taesd and vae: decode every N steps.\n  interval: ")
        + QString::number(previewInterval) + "\n\n";
    y += QStringLiteral("# User-interface language: system, en, zh_CN.\nlanguage: ") + language + '\n';
    y += QStringLiteral("# Colour theme: system, light or dark.\ntheme: ") + theme + "\n\n";
    y += QStringLiteral("api:\n"
                        "  # Serve AUTOMATIC1111's HTTP API (/sdapi/v1) while the studio runs: its jobs join "
                        "the queue,\n"
                        "  # the live preview and the history. true or false.\n"
                        "  enabled: ")
        + (apiEnabled ? "true" : "false") + '\n';
    y += QStringLiteral("  # Address to listen on; another than 127.0.0.1 needs auth.\n  host: ")
        + yamlScalar(apiHost) + '\n';
    y += QStringLiteral("  port: ") + QString::number(apiPort) + '\n';
    y += QStringLiteral(
             "  # HTTP Basic credentials: user:password[,user:password...]; \"\" = none.\n  auth: ")
        + yamlScalar(apiAuth) + "\n\n";
    y += QStringLiteral("# Starting values for a new generation (samplers and schedules: docs/settings.md).\n"
                        "defaults:\n");
    Preset d;
    if (!defaults.prompt.empty())
        d.prompt = qs(defaults.prompt);
    if (defaults.seed != -1)
        d.seed = defaults.seed;
    d.negativePrompt = qs(defaults.negativePrompt);
    d.sampler = qs(defaults.sampler);
    d.schedule = qs(defaults.scheduler);
    d.steps = defaults.steps;
    d.cfgScale = defaults.cfgScale;
    d.width = defaults.width;
    d.height = defaults.height;
    d.clipSkip = defaults.clipSkip;
    writeGenerationKeys(y, d, QStringLiteral("  "));
    y += QStringLiteral(
        "\n# Named parameter sets; keys left out keep the current value. Keys: name, prompt,\n"
        "# negative_prompt, sampler, schedule, steps, cfg_scale, width, height, clip_skip, seed. Example:\n"
        "#   presets:\n"
        "#     - name: SDXL portrait\n"
        "#       sampler: DPM++ 2M\n"
        "#       schedule: Karras\n"
        "#       steps: 30\n"
        "#       width: 832\n"
        "#       height: 1216\n");
    if (presets.isEmpty()) {
        y += QStringLiteral("presets: []\n");
    } else {
        y += QStringLiteral("presets:\n");
        for (const Preset& p : presets) {
            y += QStringLiteral("  - name: ") + yamlScalar(p.name) + '\n';
            writeGenerationKeys(y, p, QStringLiteral("    "));
        }
    }
    return y;
}

bool Settings::save(const QString& path, QString* error) const
{
    QFile existing(path);
    if (existing.exists() && existing.open(QIODevice::ReadOnly)) {
        try {
            YAML::Load(existing.readAll().toStdString());
        } catch (const YAML::Exception& e) {
            if (error)
                *error = QStringLiteral("%1:%2: %3; not overwriting it: fix or remove the file first")
                             .arg(path)
                             .arg(e.mark.line + 1)
                             .arg(qs(e.msg));
            return false;
        }
    }
    return writeFileAtomically(path, toYaml().toUtf8(), error);
}

QString Settings::effectiveOutputFolder() const
{
    return outputFolder.isEmpty() ? AppPaths::outputDir() : outputFolder;
}

const Preset* Settings::preset(const QString& name) const
{
    for (const Preset& p : presets)
        if (p.name == name)
            return &p;
    return nullptr;
}

bool Settings::operator==(const Settings& o) const
{
    const auto& a = defaults;
    const auto& b = o.defaults;
    return modelFolders == o.modelFolders && outputFolder == o.outputFolder && outputFormat == o.outputFormat
        && imageQuality == o.imageQuality && device == o.device && precision == o.precision
        && randomSource == o.randomSource && etaNoiseSeedDelta == o.etaNoiseSeedDelta
        && previewMethod == o.previewMethod && previewInterval == o.previewInterval && language == o.language
        && theme == o.theme && apiEnabled == o.apiEnabled && apiHost == o.apiHost && apiPort == o.apiPort
        && apiAuth == o.apiAuth && presets == o.presets && a.sampler == b.sampler
        && a.scheduler == b.scheduler && a.steps == b.steps && a.cfgScale == b.cfgScale && a.width == b.width
        && a.height == b.height && a.clipSkip == b.clipSkip && a.negativePrompt == b.negativePrompt
        && a.prompt == b.prompt && a.seed == b.seed;
}

} // namespace qd
