#include "core/generation/XyzPlot.h"

#include <QFileInfo>
#include <QRandomGenerator>
#include <QRegularExpression>

#include <cmath>

#include "core/generation/Styles.h"
#include "core/metadata/Infotext.h"

namespace qd
{

const QList<XyzAxisType>& xyzAxisTypes()
{
    using K = XyzKind;
    static const QList<XyzAxisType> table = {
        { "Nothing", K::Nothing, 0, true, 0 }, { "Seed", K::Int, 0, true, 0 },
        { "Var. seed", K::Int, 0, true, 0 }, { "Var. strength", K::Float, 0, true, 0 },
        { "Steps", K::Int, 0, true, 0 }, { "Hires steps", K::Int, 1, true, 0 },
        { "CFG Scale", K::Float, 0, true, 0 }, { "Image CFG Scale", K::Float, 2, false, 0 },
        { "Prompt S/R", K::Text, 0, true, 0 }, { "Prompt order", K::Text, 0, false, 0 },
        { "Sampler", K::Text, 1, true, 0 }, { "Hires sampler", K::Text, 1, true, 0 },
        { "Sampler", K::Text, 2, true, 0 }, { "Checkpoint name", K::Text, 0, true, 1.0 },
        { "Negative Guidance minimum sigma", K::Float, 0, false, 0 },
        { "Sigma Churn", K::Float, 0, false, 0 }, { "Sigma min", K::Float, 0, false, 0 },
        { "Sigma max", K::Float, 0, false, 0 }, { "Sigma noise", K::Float, 0, false, 0 },
        { "Schedule type", K::Text, 0, true, 0 }, { "Schedule min sigma", K::Float, 0, false, 0 },
        { "Schedule max sigma", K::Float, 0, false, 0 }, { "Schedule rho", K::Float, 0, false, 0 },
        { "Beta schedule alpha", K::Float, 0, false, 0 }, { "Beta schedule beta", K::Float, 0, false, 0 },
        { "Eta", K::Float, 0, true, 0 }, { "Clip skip", K::Int, 0, true, 0 },
        { "Denoising", K::Float, 0, true, 0 }, { "Initial noise multiplier", K::Float, 0, false, 0 },
        { "Extra noise", K::Float, 0, false, 0 }, { "Hires upscaler", K::Text, 1, true, 0 },
        { "Cond. Image Mask Weight", K::Float, 2, false, 0 }, { "VAE", K::Text, 0, true, 0.7 },
        { "Styles", K::Text, 0, true, 0 }, { "UniPC Order", K::Int, 0, false, 0.5 },
        { "Face restore", K::Text, 0, false, 0 }, { "Token merging ratio", K::Float, 0, false, 0 },
        { "Token merging ratio high-res", K::Float, 0, false, 0 },
        { "Always discard next-to-last sigma", K::Text, 0, false, 0 },
        { "SGM noise multiplier", K::Text, 0, false, 0 }, { "Refiner checkpoint", K::Text, 0, false, 1.0 },
        { "Refiner switch at", K::Float, 0, false, 0 }, { "RNG source", K::Text, 0, true, 0 },
        { "LoRA weight", K::Float, 0, true, 0 }, // QDiffusion's own
    };
    return table;
}

QStringList xyzAxisLabels(bool img2img, bool supportedOnly)
{
    QStringList out;
    for (const XyzAxisType& t : xyzAxisTypes())
        if ((t.scope == 0 || t.scope == (img2img ? 2 : 1)) && (t.supported || !supportedOnly))
            out << t.label;
    return out;
}

std::optional<XyzAxisType> findXyzAxisType(const QString& label)
{
    for (const XyzAxisType& t : xyzAxisTypes())
        if (t.label.compare(label.trimmed(), Qt::CaseInsensitive) == 0)
            return t;
    return std::nullopt;
}

QStringList splitXyzValues(const QString& text)
{
    QStringList out;
    const QList<QStringList> rows = parseCsv(text);
    for (const QStringList& row : rows) // csv.reader over several lines: all records, chained
        for (const QString& v : row)
            out << v.trimmed();
    return out;
}

namespace
{

// Python's repr of a float after A1111's round(x, 8): "7.0", "0.35".
QString pyFloat(double v)
{
    v = std::round(v * 1e8) / 1e8;
    QString s = QString::number(v, 'g', QLocale::FloatingPointShortest);
    if (!s.contains('.') && !s.contains('e') && !s.contains(QLatin1String("inf"))
        && !s.contains(QLatin1String("nan")))
        s += QLatin1String(".0");
    return s;
}

bool toInt(QString s, qint64* out)
{
    s.remove(' ');
    bool ok = false;
    *out = s.toLongLong(&ok);
    return ok;
}

bool toDouble(QString s, double* out)
{
    s.remove(' ');
    bool ok = false;
    *out = s.toDouble(&ok);
    return ok && std::isfinite(*out);
}

// numpy.linspace(start, stop, num)
QList<double> linspace(double start, double stop, int num)
{
    QList<double> out;
    for (int i = 0; i < num; ++i)
        out << (num == 1 ? start : start + (stop - start) * i / (num - 1));
    return out;
}

} // namespace

bool parseXyzValues(const QString& typeLabel, const QString& text, QStringList* values, QString* error)
{
    values->clear();
    const std::optional<XyzAxisType> type = findXyzAxisType(typeLabel);
    if (!type) {
        *error = QStringLiteral("Unknown X/Y/Z axis type '%1'").arg(typeLabel);
        return false;
    }
    if (type->kind == XyzKind::Nothing) {
        *values = { QString() };
        return true;
    }
    const QStringList items = splitXyzValues(text);
    // A1111's re_range / re_range_count (and their float twins): "1-5", "1-5 (+2)", "1-5 [3]"
    static const QRegularExpression intRange(
        QStringLiteral(R"(^\s*([+-]?\s*\d+)\s*-\s*([+-]?\s*\d+)(?:\s*\(([+-]\d+)\s*\))?\s*$)"));
    static const QRegularExpression intCount(
        QStringLiteral(R"(^\s*([+-]?\s*\d+)\s*-\s*([+-]?\s*\d+)(?:\s*\[(\d+)\s*\])?\s*$)"));
    static const QRegularExpression floatRange(QStringLiteral(
        R"(^\s*([+-]?\s*\d+(?:\.\d*)?)\s*-\s*([+-]?\s*\d+(?:\.\d*)?)(?:\s*\(([+-]\d+(?:\.\d*)?)\s*\))?\s*$)"));
    static const QRegularExpression floatCount(QStringLiteral(
        R"(^\s*([+-]?\s*\d+(?:\.\d*)?)\s*-\s*([+-]?\s*\d+(?:\.\d*)?)(?:\s*\[(\d+(?:\.\d*)?)\s*\])?\s*$)"));
    const int maxValues = 10000;
    for (const QString& item : items) {
        if (type->kind == XyzKind::Text) {
            *values << item;
            continue;
        }
        const bool isInt = type->kind == XyzKind::Int;
        const QRegularExpressionMatch range = (isInt ? intRange : floatRange).match(item);
        const QRegularExpressionMatch count = (isInt ? intCount : floatCount).match(item);
        if (range.hasMatch() && isInt) {
            qint64 a = 0, b = 0, step = 1;
            toInt(range.captured(1), &a);
            toInt(range.captured(2), &b);
            if (!range.captured(3).isEmpty())
                toInt(range.captured(3), &step);
            if (step == 0) {
                *error = QStringLiteral("%1: the step of '%2' is 0").arg(type->label, item);
                return false;
            }
            for (qint64 v = a; step > 0 ? v < b + 1 : v > b + 1; v += step) { // range(a, b + 1, step)
                *values << QString::number(v);
                if (values->size() > maxValues)
                    break;
            }
        } else if (range.hasMatch()) {
            double a = 0, b = 0, step = 1;
            toDouble(range.captured(1), &a);
            toDouble(range.captured(2), &b);
            if (!range.captured(3).isEmpty())
                toDouble(range.captured(3), &step);
            if (step == 0) {
                *error = QStringLiteral("%1: the step of '%2' is 0").arg(type->label, item);
                return false;
            }
            // numpy.arange(a, b + step, step): ceil((stop - start) / step) values
            const double n = std::ceil((b + step - a) / step);
            for (int i = 0; i < std::min(n, double(maxValues)); ++i)
                *values << pyFloat(a + i * step);
        } else if (count.hasMatch()) {
            double a = 0, b = 0, num = 1;
            toDouble(count.captured(1), &a);
            toDouble(count.captured(2), &b);
            if (!count.captured(3).isEmpty())
                toDouble(count.captured(3), &num);
            for (double v : linspace(a, b, std::min(int(num), maxValues)))
                *values << (isInt ? QString::number(qint64(v)) : pyFloat(v));
        } else if (isInt) {
            qint64 v = 0;
            if (!toInt(item, &v)) {
                *error = QStringLiteral("%1: '%2' is not a whole number or a range such as 1-5, 1-9 (+2) or "
                                        "10-20 [3]")
                             .arg(type->label, item);
                return false;
            }
            *values << QString::number(v);
        } else {
            double v = 0;
            if (!toDouble(item, &v)) {
                *error = QStringLiteral("%1: '%2' is not a number or a range such as 1-2 (+0.5) or 5-9 [3]")
                             .arg(type->label, item);
                return false;
            }
            *values << pyFloat(v);
        }
        if (values->size() > maxValues) {
            *error = QStringLiteral("%1: more than %2 values").arg(type->label).arg(maxValues);
            return false;
        }
    }
    if (values->isEmpty()) {
        *error = QStringLiteral("%1: no values").arg(type->label);
        return false;
    }
    return true;
}

QString xyzValueLabel(const QString& type, const QString& value)
{
    const QString t = findXyzAxisType(type) ? findXyzAxisType(type)->label : type;
    if (t == QLatin1String("Nothing"))
        return QString();
    if (t == QLatin1String("Prompt S/R") || t == QLatin1String("Sampler"))
        return value;
    if (t == QLatin1String("Checkpoint name"))
        return QFileInfo(value).fileName();
    return t + QStringLiteral(": ") + value;
}

int XyzPlan::count(int axis) const
{
    const XyzAxis& a = axis == 0 ? x : axis == 1 ? y : z;
    return std::max(1, int(a.values.size()));
}

QStringList XyzPlan::labels(int axis) const
{
    const XyzAxis& a = axis == 0 ? x : axis == 1 ? y : z;
    QStringList out;
    for (const QString& v : a.values)
        out << xyzValueLabel(a.type, v);
    return out;
}

namespace
{

QString matchLabel(const QString& value, const QStringList& labels)
{
    for (const QString& l : labels)
        if (l.compare(value.trimmed(), Qt::CaseInsensitive) == 0)
            return l;
    return QString();
}

std::string replaceAll(std::string s, const std::string& from, const std::string& to)
{
    if (from.empty())
        return s;
    for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
        s.replace(at, from.size(), to);
    return s;
}

int64_t randomSeed()
{
    return int64_t(QRandomGenerator::global()->bounded(quint64(4294967294ull))); // random.randrange
}

// Applies one axis value to a cell's request; false with *error.
bool applyValue(
    const XyzAxis& axis, const QString& value, JobRequest* r, const StyleDatabase* styles, QString* error)
{
    GenerationParams& p = r->params;
    const QString t = findXyzAxisType(axis.type)->label;
    const std::string v = value.toStdString();
    if (t == QLatin1String("Nothing"))
        return true;
    if (t == QLatin1String("Seed"))
        p.seed = value.toLongLong();
    else if (t == QLatin1String("Var. seed"))
        p.subseed = value.toLongLong();
    else if (t == QLatin1String("Var. strength"))
        p.subseedStrength = value.toDouble();
    else if (t == QLatin1String("Steps"))
        p.steps = value.toInt();
    else if (t == QLatin1String("Hires steps"))
        p.hrSteps = value.toInt();
    else if (t == QLatin1String("CFG Scale"))
        p.cfgScale = value.toDouble();
    else if (t == QLatin1String("Eta"))
        p.eta = value.toDouble();
    else if (t == QLatin1String("Clip skip"))
        p.clipSkip = value.toInt();
    else if (t == QLatin1String("Denoising"))
        p.denoisingStrength = value.toDouble();
    else if (t == QLatin1String("Hires upscaler"))
        p.hrUpscaler = v;
    else if (t == QLatin1String("Checkpoint name"))
        r->model = value;
    else if (t == QLatin1String("VAE"))
        r->vae = value;
    else if (t == QLatin1String("Prompt S/R")) {
        const std::string from = axis.values.first().toStdString();
        p.prompt = replaceAll(p.prompt, from, v);
        p.negativePrompt = replaceAll(p.negativePrompt, from, v);
    } else if (t == QLatin1String("Sampler") || t == QLatin1String("Hires sampler")) {
        QString label = matchLabel(value, samplerLabels());
        QString schedule = QString::fromStdString(p.scheduler);
        if (label.isEmpty()) { // "DPM++ 2M Karras"
            const auto [sampler, sched] = splitSamplerName(value, schedule);
            label = matchLabel(sampler, samplerLabels());
            schedule = sched;
        }
        if (label.isEmpty()) {
            *error = QStringLiteral("Unknown sampler: %1").arg(value);
            return false;
        }
        if (t == QLatin1String("Sampler")) {
            p.sampler = label.toStdString();
            p.scheduler = schedule.toStdString();
        } else {
            p.hrSampler = label.toStdString();
        }
    } else if (t == QLatin1String("Schedule type")) {
        const QString label = matchLabel(value, scheduleLabels());
        if (label.isEmpty()) {
            *error = QStringLiteral("Unknown schedule type: %1 (known: %2)")
                         .arg(value, scheduleLabels().join(", "));
            return false;
        }
        p.scheduler = label.toStdString();
    } else if (t == QLatin1String("RNG source")) {
        const QString rng = value.trimmed().toUpper();
        if (rng != QLatin1String("GPU") && rng != QLatin1String("CPU") && rng != QLatin1String("NV")) {
            *error = QStringLiteral("RNG source must be GPU, CPU or NV, not '%1'").arg(value);
            return false;
        }
        p.rngSource = rng.toStdString();
    } else if (t == QLatin1String("Styles")) { // p.styles.extend: applied after the request's own
        for (const QString& n : value.split(',')) {
            if (n.trimmed().isEmpty())
                continue;
            if (styles && !styles->find(n.trimmed())) {
                *error = QStringLiteral("Styles axis: style '%1' not found").arg(n.trimmed());
                return false;
            }
            r->styles << n.trimmed();
        }
    } else if (t == QLatin1String("LoRA weight")) {
        static const QRegularExpression tag(
            QStringLiteral("<(lora|lyco):([^:>]+)(?::[^:>]*)?((?::[^>]*)?)>"));
        for (std::string* s : { &p.prompt, &p.negativePrompt }) {
            QString text = QString::fromStdString(*s);
            text.replace(tag, QStringLiteral("<\\1:\\2:") + value + QStringLiteral("\\3>"));
            *s = text.toStdString();
        }
    } else {
        *error = QStringLiteral("The X/Y/Z axis '%1' is not supported by QDiffusion").arg(t);
        return false;
    }
    return true;
}

// Checks once per axis what applies to every cell alike.
bool checkAxis(const XyzAxis& axis, const JobRequest& base, bool img2img, QString* error)
{
    const std::optional<XyzAxisType> type = findXyzAxisType(axis.type);
    if (!type) {
        *error = QStringLiteral("Unknown X/Y/Z axis type '%1' (known: %2)")
                     .arg(axis.type, xyzAxisLabels(img2img, true).join(", "));
        return false;
    }
    if (!type->supported) {
        *error = QStringLiteral("The X/Y/Z axis '%1' is not supported by QDiffusion").arg(type->label);
        return false;
    }
    const std::string prompt = base.params.prompt, negative = base.params.negativePrompt;
    if (type->label == QLatin1String("Prompt S/R")) {
        const std::string from = axis.values.value(0).toStdString();
        if (prompt.find(from) == std::string::npos && negative.find(from) == std::string::npos) {
            *error = QStringLiteral("Prompt S/R did not find %1 in prompt or negative prompt.")
                         .arg(axis.values.value(0));
            return false;
        }
    }
    if (type->label == QLatin1String("LoRA weight")) {
        static const QRegularExpression tag(QStringLiteral("<(lora|lyco):[^>]+>"));
        if (!QString::fromStdString(prompt + negative).contains(tag)) {
            *error = QStringLiteral("LoRA weight: the prompt has no <lora:NAME:WEIGHT> tag to sweep");
            return false;
        }
    }
    return true;
}

} // namespace

bool planXyz(const JobRequest& base, const XyzAxis& xIn, const XyzAxis& yIn, const XyzAxis& zIn, bool img2img,
    XyzPlan* out, QString* error, const StyleDatabase* styles, bool keepRandomSeeds, int maxCells)
{
    *out = XyzPlan();
    XyzAxis axes[3] = { xIn, yIn, zIn };
    for (XyzAxis& a : axes) {
        if (a.type.trimmed().isEmpty())
            a.type = QStringLiteral("Nothing");
        if (a.values.isEmpty() && !parseXyzValues(a.type, a.text, &a.values, error))
            return false;
        if (!checkAxis(a, base, img2img, error))
            return false;
        a.type = findXyzAxisType(a.type)->label;
        if (a.text.isEmpty() && a.type != QLatin1String("Nothing"))
            a.text = csvRow(a.values);
        if (!keepRandomSeeds && (a.type == QLatin1String("Seed") || a.type == QLatin1String("Var. seed")))
            for (QString& v : a.values)
                if (v.isEmpty() || v == QLatin1String("-1"))
                    v = QString::number(randomSeed());
    }
    out->x = axes[0];
    out->y = axes[1];
    out->z = axes[2];
    out->base = base;
    if (!keepRandomSeeds) { // processing.fix_seed
        if (out->base.params.seed == -1)
            out->base.params.seed = randomSeed();
        if (out->base.params.subseed == -1)
            out->base.params.subseed = randomSeed();
    }
    const int n[3] = { out->count(0), out->count(1), out->count(2) };
    if (qint64(n[0]) * n[1] * n[2] > maxCells) {
        *error = QStringLiteral("The X/Y/Z plot would make %1 cells; at most %2 are allowed")
                     .arg(qint64(n[0]) * n[1] * n[2])
                     .arg(maxCells);
        return false;
    }

    // A1111's loop order: z, y, x unless one axis is costlier (it then runs slowest)
    const double cost[3] = { findXyzAxisType(axes[0].type)->cost, findXyzAxisType(axes[1].type)->cost,
        findXyzAxisType(axes[2].type)->cost };
    int first = 2, second = 1;
    if (cost[0] > cost[1] && cost[0] > cost[2]) {
        first = 0;
        second = cost[1] > cost[2] ? 1 : 2;
    } else if (cost[1] > cost[0] && cost[1] > cost[2]) {
        first = 1;
        second = cost[0] > cost[2] ? 0 : 2;
    } else if (cost[2] > cost[0] && cost[2] > cost[1]) {
        first = 2;
        second = cost[0] > cost[1] ? 0 : 1;
    }
    const int third = 3 - first - second;
    int idx[3] = { 0, 0, 0 };
    for (idx[first] = 0; idx[first] < n[first]; ++idx[first])
        for (idx[second] = 0; idx[second] < n[second]; ++idx[second])
            for (idx[third] = 0; idx[third] < n[third]; ++idx[third]) {
                XyzCell cell;
                cell.ix = idx[0];
                cell.iy = idx[1];
                cell.iz = idx[2];
                cell.request = out->base;
                for (int a = 0; a < 3; ++a)
                    if (!applyValue(axes[a], axes[a].values.value(idx[a]), &cell.request, styles, error))
                        return false;
                out->cells.push_back(std::move(cell));
            }
    return true;
}

bool parseXyzAxisSpec(const QString& spec, XyzAxis* out, QString* error)
{
    const qsizetype colon = spec.indexOf(':');
    if (colon <= 0) {
        *error = QStringLiteral("expected TYPE:VALUES (e.g. \"Steps:10,20\"), got '%1'").arg(spec);
        return false;
    }
    const std::optional<XyzAxisType> type = findXyzAxisType(spec.left(colon));
    if (!type) {
        *error = QStringLiteral("unknown axis type '%1' (known: %2)")
                     .arg(spec.left(colon).trimmed(), xyzAxisLabels(false, true).join(", "));
        return false;
    }
    out->type = type->label;
    out->text = spec.mid(colon + 1).trimmed();
    out->values.clear();
    return true;
}

void addXyzGridExtras(GenerationParams* params, const XyzPlan& plan, bool withZ)
{
    auto put = [params](const QString& key, const QString& value) {
        params->extra[key.toStdString()] = value.toStdString();
        if (std::find(params->extraOrder.begin(), params->extraOrder.end(), key.toStdString())
            == params->extraOrder.end())
            params->extraOrder.push_back(key.toStdString());
    };
    put(QStringLiteral("Script"), QStringLiteral("X/Y/Z plot"));
    const XyzAxis* axes[3] = { &plan.x, &plan.y, &plan.z };
    const char* names[3] = { "X", "Y", "Z" };
    for (int a = 0; a < (withZ ? 3 : 2); ++a) {
        if (axes[a]->type == QLatin1String("Nothing"))
            continue;
        const QString n = QLatin1String(names[a]);
        put(n + QStringLiteral(" Type"), axes[a]->type);
        put(n + QStringLiteral(" Values"), axes[a]->text);
        if (axes[a]->type == QLatin1String("Seed") || axes[a]->type == QLatin1String("Var. seed"))
            put(QStringLiteral("Fixed ") + n + QStringLiteral(" Values"), axes[a]->values.join(", "));
    }
}

} // namespace qd
