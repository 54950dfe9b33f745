#include "core/metadata/Infotext.h"
#include "core/metadata/InfotextInpaint.h"

#include <QRegularExpression>

#include <charconv>
#include <cmath>
#include <set>

namespace qd
{

namespace
{

struct ScheduleName {
    const char* name; // A1111's internal name (also accepted by its API)
    const char* label; // what the infotext and the UI show
    const char* alias;
};

// modules/sd_schedulers.py `schedulers`, in A1111's order (the suffix search walks this list).
const ScheduleName kSchedules[] = {
    { "automatic", "Automatic", nullptr },
    { "uniform", "Uniform", nullptr },
    { "karras", "Karras", nullptr },
    { "exponential", "Exponential", nullptr },
    { "polyexponential", "Polyexponential", nullptr },
    { "sgm_uniform", "SGM Uniform", "SGMUniform" },
    { "kl_optimal", "KL Optimal", nullptr },
    { "align_your_steps", "Align Your Steps", nullptr },
    { "simple", "Simple", nullptr },
    { "normal", "Normal", nullptr },
    { "ddim", "DDIM", nullptr },
    { "beta", "Beta", nullptr },
};

// A1111's key order in create_infotext. Keys we model are written from GenerationParams; the others
// come from params.extra when present there.
const char* const kFixedKeys[] = {
    "Steps",
    "Sampler",
    "Schedule type",
    "CFG scale",
    "Image CFG scale",
    "Seed",
    "Face restoration",
    "Size",
    "Model hash",
    "Model",
    "FP8 weight",
    "Cache FP16 weight for LoRA",
    "VAE hash",
    "VAE",
    "Variation seed",
    "Variation seed strength",
    "Seed resize from",
    "Denoising strength",
    "Conditional mask weight",
    "Clip skip",
    "ENSD",
    "Token merging ratio",
    "Token merging ratio hr",
    "Init image hash",
    "RNG",
    "Tiling",
};
// A1111 writes these after the extra generation parameters.
const char* const kTailKeys[] = { "Version", "User" };
// Keys we model that A1111 writes among the extra parameters (Eta is added by the sampler; guidance
// rescale is not an A1111 setting, we keep it so that the image can be made again).
const QString kEta = QStringLiteral("Eta");
const QString kEtaDdim = QStringLiteral("Eta DDIM");

// A1111 (Sampler.initialize) writes the eta only when it differs from the sampler's default:
// "Eta DDIM" (default 0) for its CompVis-style samplers, "Eta" (default 1) for k-diffusion's.
bool usesDdimEta(const std::string& sampler)
{
    return sampler == "DDIM" || sampler == "PLMS" || sampler == "UniPC" || sampler == "DDIM CFG++";
}
const QString kGuidanceRescale = QStringLiteral("Guidance rescale");
// Hires fix keys, in the order A1111's txt2img adds them to its extra generation parameters.
const char* const kHiresKeys[] = { "Hires sampler", "Hires schedule type", "Hires prompt",
    "Hires negative prompt", "Hires upscale", "Hires resize", "Hires steps", "Hires upscaler" };

const std::set<std::string>& reservedKeys()
{
    static const std::set<std::string> keys = [] {
        std::set<std::string> k;
        for (const char* key : kFixedKeys)
            k.insert(key);
        for (const char* key : kTailKeys)
            k.insert(key);
        k.insert(kEta.toStdString());
        k.insert(kEtaDdim.toStdString());
        k.insert(kGuidanceRescale.toStdString());
        return k;
    }();
    return keys;
}

QString qs(const std::string& s)
{
    return QString::fromStdString(s);
}

// Python's str.strip(): QChar::isSpace() plus the separators U+001C..U+001F that Python also strips.
bool pyIsSpace(QChar c)
{
    return c.isSpace() || (c.unicode() >= 0x1c && c.unicode() <= 0x1f);
}
QString pyStrip(const QString& s)
{
    qsizetype begin = 0, end = s.size();
    while (begin < end && pyIsSpace(s[begin]))
        ++begin;
    while (end > begin && pyIsSpace(s[end - 1]))
        --end;
    return s.mid(begin, end - begin);
}

// Python's repr(float): shortest round-trip digits; exponent form when the decimal point would sit
// more than 4 places left of the digits or 16 right (CPython's format_float_short, mode 'r').
QString pythonFloatRepr(double v)
{
    if (std::isnan(v))
        return QStringLiteral("nan");
    if (std::isinf(v))
        return v > 0 ? QStringLiteral("inf") : QStringLiteral("-inf");
    char buf[64];
    const auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
    const std::string sci(buf, res.ptr);
    const size_t ePos = sci.find('e');
    std::string mantissa = sci.substr(0, ePos);
    const int exp10 = std::stoi(sci.substr(ePos + 1));
    const bool negative = !mantissa.empty() && mantissa[0] == '-';
    if (negative)
        mantissa.erase(0, 1);
    std::string digits;
    for (char c : mantissa)
        if (c != '.')
            digits += c;
    const int decpt = exp10 + 1; // value = 0.DIGITS * 10^decpt
    const int n = int(digits.size());
    std::string out;
    if (decpt <= -4 || decpt > 16) {
        out = digits.substr(0, 1);
        if (n > 1)
            out += "." + digits.substr(1);
        const int e = decpt - 1;
        char eb[16];
        std::snprintf(eb, sizeof eb, "e%c%02d", e < 0 ? '-' : '+', std::abs(e));
        out += eb;
    } else if (decpt <= 0) {
        out = "0." + std::string(size_t(-decpt), '0') + digits;
    } else if (decpt >= n) {
        out = digits + std::string(size_t(decpt - n), '0') + ".0";
    } else {
        out = digits.substr(0, size_t(decpt)) + "." + digits.substr(size_t(decpt));
    }
    return QString::fromStdString((negative ? "-" : "") + out);
}

// Decodes one JSON string literal ("..." with escapes) as Python's json.loads does in strict mode.
bool decodeJsonString(const QString& text, QString* out)
{
    if (text.size() < 2 || text.front() != '"' || text.back() != '"')
        return false;
    QString r;
    r.reserve(text.size());
    const int end = int(text.size()) - 1;
    for (int i = 1; i < end; ++i) {
        const QChar c = text[i];
        if (c == '"' || c.unicode() < 0x20)
            return false; // an unescaped quote or control character is invalid JSON
        if (c != '\\') {
            r += c;
            continue;
        }
        if (++i >= end)
            return false;
        switch (text[i].unicode()) {
        case '"':
            r += '"';
            break;
        case '\\':
            r += '\\';
            break;
        case '/':
            r += '/';
            break;
        case 'b':
            r += '\b';
            break;
        case 'f':
            r += '\f';
            break;
        case 'n':
            r += '\n';
            break;
        case 'r':
            r += '\r';
            break;
        case 't':
            r += '\t';
            break;
        case 'u': {
            if (i + 4 >= end) // four hex digits must follow, before the closing quote
                return false;
            uint code = 0;
            for (int k = 1; k <= 4; ++k) {
                const int digit
                    = QStringLiteral("0123456789abcdef0123456789ABCDEF").indexOf(text[i + k]) % 16;
                if (digit < 0)
                    return false;
                code = code * 16 + uint(digit);
            }
            r += QChar(char16_t(code));
            i += 4;
            break;
        }
        default:
            return false;
        }
    }
    *out = r;
    return true;
}

bool toInt64(const QString& s, qint64* out)
{
    bool ok = false;
    const qint64 v = s.trimmed().toLongLong(&ok);
    if (ok) {
        *out = v;
        return true;
    }
    // "20.0" still means 20 steps
    const double d = s.trimmed().toDouble(&ok);
    if (ok && std::isfinite(d) && d == std::floor(d) && std::abs(d) < 9.2e18) {
        *out = qint64(d);
        return true;
    }
    return false;
}

bool toDouble(const QString& s, double* out)
{
    bool ok = false;
    const double d = s.trimmed().toDouble(&ok);
    if (ok)
        *out = d;
    return ok;
}

} // namespace

QStringList samplerLabels()
{
    return { "Euler", "Euler a", "LMS", "Heun", "DPM2", "DPM2 a", "DPM++ 2M", "DPM++ 2M SDE", "DPM++ 2S a",
        "DPM++ SDE", "DPM++ 3M SDE", "DDIM", "PLMS", "UniPC", "LCM" };
}

QStringList scheduleLabels()
{
    QStringList labels;
    for (const auto& s : kSchedules)
        labels << QString::fromLatin1(s.label);
    return labels;
}

QString formatInfotextNumber(double value)
{
    if (std::isfinite(value) && value == std::floor(value) && std::abs(value) < 1e16)
        return QString::number(qint64(value));
    return pythonFloatRepr(value);
}

QString quoteInfotextValue(const QString& value)
{
    if (!value.contains(',') && !value.contains('\n') && !value.contains(':'))
        return value;
    // json.dumps(value, ensure_ascii=False)
    QString r;
    r.reserve(value.size() + 8);
    r += '"';
    for (const QChar c : value) {
        switch (c.unicode()) {
        case '"':
            r += QStringLiteral("\\\"");
            break;
        case '\\':
            r += QStringLiteral("\\\\");
            break;
        case '\n':
            r += QStringLiteral("\\n");
            break;
        case '\r':
            r += QStringLiteral("\\r");
            break;
        case '\t':
            r += QStringLiteral("\\t");
            break;
        case '\b':
            r += QStringLiteral("\\b");
            break;
        case '\f':
            r += QStringLiteral("\\f");
            break;
        default:
            if (c.unicode() < 0x20)
                r += QStringLiteral("\\u%1").arg(c.unicode(), 4, 16, QLatin1Char('0'));
            else
                r += c;
        }
    }
    r += '"';
    return r;
}

QString unquoteInfotextValue(const QString& value)
{
    QString decoded;
    return decodeJsonString(value, &decoded) ? decoded : value;
}

QPair<QString, QString> splitSamplerName(const QString& sampler, const QString& schedule)
{
    QString found = schedule;
    for (const auto& s : kSchedules)
        if (schedule == QLatin1String(s.name) || schedule == QLatin1String(s.label))
            found = QString::fromLatin1(s.label);
    QString name = sampler;
    for (const auto& s : kSchedules) {
        for (const char* option : { s.label, s.name, s.alias }) {
            if (!option)
                continue;
            const QString suffix = ' ' + QString::fromLatin1(option);
            if (name.endsWith(suffix)) {
                found = QString::fromLatin1(s.label);
                name.chop(suffix.size());
                break;
            }
        }
    }
    return { name, found };
}

QString toInfotext(const GenerationParams& p, const QString& version)
{
    QList<QPair<QString, QString>> pairs;
    auto add = [&](const QString& key, const QString& value) { pairs.append({ key, value }); };
    auto fromExtra = [&](const char* key) {
        const auto it = p.extra.find(key);
        if (it != p.extra.end())
            add(QString::fromLatin1(key), qs(it->second));
    };

    add("Steps", QString::number(p.steps));
    if (!p.sampler.empty())
        add("Sampler", qs(p.sampler));
    if (!p.scheduler.empty())
        add("Schedule type", qs(p.scheduler));
    add("CFG scale", formatInfotextNumber(p.cfgScale));
    fromExtra("Image CFG scale");
    add("Seed", QString::number(p.seed));
    fromExtra("Face restoration");
    add("Size", QStringLiteral("%1x%2").arg(p.width).arg(p.height));
    if (!p.modelHash.empty())
        add("Model hash", qs(p.modelHash));
    if (!p.modelName.empty())
        add("Model", qs(p.modelName));
    fromExtra("FP8 weight");
    fromExtra("Cache FP16 weight for LoRA");
    if (!p.vaeHash.empty())
        add("VAE hash", qs(p.vaeHash));
    if (!p.vaeName.empty())
        add("VAE", qs(p.vaeName));
    if (p.subseedStrength != 0) {
        add("Variation seed", QString::number(p.subseed));
        add("Variation seed strength", formatInfotextNumber(p.subseedStrength));
    }
    if (p.seedResizeFromW > 0 && p.seedResizeFromH > 0)
        add("Seed resize from", QStringLiteral("%1x%2").arg(p.seedResizeFromW).arg(p.seedResizeFromH));
    // img2img writes its strength; a txt2img infotext keeps the one it was read with (hires fix).
    if (!p.initImage.empty() || p.enableHr)
        add("Denoising strength", formatInfotextNumber(p.denoisingStrength));
    else
        fromExtra("Denoising strength");
    fromExtra("Conditional mask weight");
    if (p.clipSkip > 1)
        add("Clip skip", QString::number(p.clipSkip));
    // the generation leaves ensd at 0 when its sampler draws no noise after the first (A1111's rule)
    if (p.ensd != 0)
        add("ENSD", QString::number(p.ensd));
    for (const char* key : { "Token merging ratio", "Token merging ratio hr", "Init image hash" })
        fromExtra(key);
    if (!p.rngSource.empty() && p.rngSource != "GPU") // A1111's default goes unwritten
        add("RNG", qs(p.rngSource));
    fromExtra("Tiling");

    // Hires fix, first among the extra generation parameters as A1111's txt2img adds them
    if (p.enableHr) {
        if (!p.hrSampler.empty() && p.hrSampler != p.sampler)
            add("Hires sampler", qs(p.hrSampler));
        if (!p.hrScheduler.empty() && p.hrScheduler != p.scheduler)
            add("Hires schedule type", qs(p.hrScheduler));
        if (!p.hrPrompt.empty() && p.hrPrompt != p.prompt)
            add("Hires prompt", qs(p.hrPrompt));
        if (!p.hrNegativePrompt.empty() && p.hrNegativePrompt != p.negativePrompt)
            add("Hires negative prompt", qs(p.hrNegativePrompt));
        if (p.hrResizeX == 0 && p.hrResizeY == 0)
            add("Hires upscale", formatInfotextNumber(p.hrScale));
        else
            add("Hires resize", QStringLiteral("%1x%2").arg(p.hrResizeX).arg(p.hrResizeY));
        if (p.hrSteps > 0)
            add("Hires steps", QString::number(p.hrSteps));
        add("Hires upscaler", qs(p.hrUpscaler));
    }

    pairs.append(inpaintInfotextPairs(p)); // mask keys, first among A1111's img2img extras

    // Extra generation parameters: in the order read, then the rest sorted; Eta and guidance rescale
    // where they were read, else last (A1111's sampler adds Eta after the other extras).
    const auto& reserved = reservedKeys();
    std::set<std::string> written;
    bool etaWritten = false, rescaleWritten = false;
    const bool ddimEta = usesDdimEta(p.sampler);
    auto writeModelled = [&](const QString& key) {
        if (key == kEta && !etaWritten && p.eta >= 0 && p.eta != (ddimEta ? 0.0 : 1.0)) {
            add(ddimEta ? kEtaDdim : kEta, formatInfotextNumber(p.eta));
            etaWritten = true;
        } else if (key == kGuidanceRescale && !rescaleWritten && p.guidanceRescale != 0) {
            add(kGuidanceRescale, formatInfotextNumber(p.guidanceRescale));
            rescaleWritten = true;
        }
    };
    auto isHiresKey = [](const std::string& key) {
        return std::find(std::begin(kHiresKeys), std::end(kHiresKeys), key) != std::end(kHiresKeys);
    };
    for (const std::string& key : p.extraOrder) {
        const QString k = qs(key);
        if (p.enableHr && isHiresKey(key))
            continue; // written above from the fields
        if (k == kEta || k == kEtaDdim || k == kGuidanceRescale) {
            writeModelled(k == kEtaDdim ? kEta : k);
            continue;
        }
        const auto it = p.extra.find(key);
        if (it == p.extra.end() || reserved.count(key) || !written.insert(key).second)
            continue;
        add(k, qs(it->second));
    }
    for (const auto& [key, value] : p.extra)
        if (!reserved.count(key) && !(p.enableHr && isHiresKey(key)) && written.insert(key).second)
            add(qs(key), qs(value));
    writeModelled(kEta);
    writeModelled(kGuidanceRescale);

    if (!version.isEmpty())
        add("Version", version);
    else
        fromExtra("Version");
    fromExtra("User");

    QStringList parts;
    for (const auto& [key, value] : pairs)
        parts << (key == value ? key : key + QStringLiteral(": ") + quoteInfotextValue(value));
    const QString negative
        = p.negativePrompt.empty() ? QString() : QStringLiteral("\nNegative prompt: ") + qs(p.negativePrompt);
    return pyStrip(qs(p.prompt) + negative + '\n' + parts.join(QStringLiteral(", ")));
}

GenerationParams parseInfotext(const QString& text, QStringList* warnings)
{
    // infotext_utils.re_param; \s widened to what Python counts as whitespace (U+001C..U+001F too)
    static const QRegularExpression rePair(
        QStringLiteral(R"re([\s\x1c-\x1f]*(\w[\w \-/]+):[\s\x1c-\x1f]*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$))re"),
        QRegularExpression::UseUnicodePropertiesOption);
    static const QRegularExpression reSize(QStringLiteral(R"(^(\d+)x(\d+)$)"));
    bool hires = false, haveDenoise = false;

    GenerationParams p;
    auto warn = [&](const QString& key, const QString& value, const char* expected) {
        if (warnings)
            *warnings << QStringLiteral("infotext key \"%1\": value \"%2\" is not %3")
                             .arg(key, value, QLatin1String(expected));
    };

    QStringList lines = pyStrip(text).split('\n');
    QString last = lines.takeLast();
    QList<QPair<QString, QString>> pairs;
    for (auto it = rePair.globalMatch(last); it.hasNext();) {
        const auto m = it.next();
        pairs.append({ m.captured(1), m.captured(2) });
    }
    if (pairs.size() < 3) {
        lines.append(last);
        pairs.clear();
    }

    QString prompt, negative;
    bool doneWithPrompt = false;
    for (QString line : lines) {
        line = pyStrip(line);
        if (line.startsWith(QLatin1String("Negative prompt:"))) {
            doneWithPrompt = true;
            line = pyStrip(line.mid(16));
        }
        QString& target = doneWithPrompt ? negative : prompt;
        target += (target.isEmpty() ? QString() : QStringLiteral("\n")) + line;
    }
    p.prompt = prompt.toStdString();
    p.negativePrompt = negative.toStdString();

    QString sampler = qs(p.sampler), schedule = qs(p.scheduler);
    bool haveSampler = false;
    for (auto [key, value] : pairs) {
        if (value.isEmpty())
            continue; // A1111 indexes v[0] and drops the pair on the IndexError
        if (value.front() == '"' && value.back() == '"')
            value = unquoteInfotextValue(value);
        qint64 i = 0;
        double d = 0;
        if (key == QLatin1String("Steps")) {
            if (toInt64(value, &i) && i > 0 && i <= 100000)
                p.steps = int(i);
            else
                warn(key, value, "a positive whole number");
        } else if (key == QLatin1String("Sampler")) {
            sampler = value;
            haveSampler = true;
        } else if (key == QLatin1String("Schedule type")) {
            schedule = value;
        } else if (key == QLatin1String("CFG scale")) {
            if (toDouble(value, &d))
                p.cfgScale = d;
            else
                warn(key, value, "a number");
        } else if (key == QLatin1String("Seed")) {
            if (toInt64(value, &i))
                p.seed = i;
            else
                warn(key, value, "a whole number");
        } else if (key == QLatin1String("Size")) {
            const auto m = reSize.match(value);
            if (m.hasMatch() && m.captured(1).toInt() > 0 && m.captured(2).toInt() > 0) {
                p.width = m.captured(1).toInt();
                p.height = m.captured(2).toInt();
            } else {
                warn(key, value, "WIDTHxHEIGHT");
            }
        } else if (key == QLatin1String("Model hash")) {
            p.modelHash = value.toStdString();
        } else if (key == QLatin1String("Model")) {
            p.modelName = value.toStdString();
        } else if (key == QLatin1String("VAE hash")) {
            p.vaeHash = value.toStdString();
        } else if (key == QLatin1String("VAE")) {
            p.vaeName = value.toStdString();
        } else if (key == QLatin1String("Variation seed")) {
            if (toInt64(value, &i))
                p.subseed = i;
            else
                warn(key, value, "a whole number");
        } else if (key == QLatin1String("Variation seed strength")) {
            if (toDouble(value, &d))
                p.subseedStrength = d;
            else
                warn(key, value, "a number");
        } else if (key.startsWith(QLatin1String("Hires "))
            && std::find(std::begin(kHiresKeys), std::end(kHiresKeys), key.toStdString())
                != std::end(kHiresKeys)) {
            hires = true;
            // kept verbatim too: without a denoising strength hires fix stays off and the keys pass through
            if (!p.extra.count(key.toStdString()))
                p.extraOrder.push_back(key.toStdString());
            p.extra[key.toStdString()] = value.toStdString();
            if (key == QLatin1String("Hires sampler"))
                p.hrSampler = value.toStdString();
            else if (key == QLatin1String("Hires schedule type"))
                p.hrScheduler = value.toStdString();
            else if (key == QLatin1String("Hires prompt"))
                p.hrPrompt = value.toStdString();
            else if (key == QLatin1String("Hires negative prompt"))
                p.hrNegativePrompt = value.toStdString();
            else if (key == QLatin1String("Hires upscaler"))
                p.hrUpscaler = value.toStdString();
            else if (key == QLatin1String("Hires upscale") && !(toDouble(value, &d) && d >= 1.0 && d <= 8.0))
                warn(key, value, "a number from 1 to 8");
            else if (key == QLatin1String("Hires upscale"))
                p.hrScale = d;
            else if (key == QLatin1String("Hires steps") && !(toInt64(value, &i) && i >= 0 && i <= 1000))
                warn(key, value, "a whole number from 0 to 1000");
            else if (key == QLatin1String("Hires steps"))
                p.hrSteps = int(i);
            else if (key == QLatin1String("Hires resize")) {
                const auto m = reSize.match(value); // 0 allowed: "0x1024"
                if (m.hasMatch()) {
                    p.hrResizeX = m.captured(1).toInt();
                    p.hrResizeY = m.captured(2).toInt();
                } else {
                    warn(key, value, "WIDTHxHEIGHT");
                }
            }
        } else if (key == QLatin1String("Seed resize from")) {
            const auto m = reSize.match(value);
            if (m.hasMatch()) {
                p.seedResizeFromW = m.captured(1).toInt();
                p.seedResizeFromH = m.captured(2).toInt();
            } else {
                warn(key, value, "WIDTHxHEIGHT");
            }
        } else if (key == QLatin1String("ENSD")) {
            if (toInt64(value, &i))
                p.ensd = i;
            else
                warn(key, value, "a whole number");
        } else if (key == QLatin1String("RNG")) {
            const QString v = value.trimmed().toUpper();
            if (v == QLatin1String("GPU") || v == QLatin1String("CPU") || v == QLatin1String("NV"))
                p.rngSource = v.toStdString();
            else
                warn(key, value, "GPU, CPU or NV");
        } else if (key == QLatin1String("Clip skip")) {
            if (toInt64(value, &i) && i >= 1 && i <= 12)
                p.clipSkip = int(i);
            else
                warn(key, value, "a whole number from 1 to 12");
        } else if (key == kEta || key == kEtaDdim || key == kGuidanceRescale) {
            if (toDouble(value, &d)) {
                (key == kGuidanceRescale ? p.guidanceRescale : p.eta) = d;
                // remember where it stood so that a re-save writes it there again
                if (std::find(p.extraOrder.begin(), p.extraOrder.end(), key.toStdString())
                    == p.extraOrder.end())
                    p.extraOrder.push_back(key.toStdString());
            } else {
                warn(key, value, "a number");
            }
        } else if (const char* expected = nullptr; readInpaintInfotextKey(key, value, p, &expected)) {
            if (expected)
                warn(key, value, expected);
        } else {
            if (key == QLatin1String("Denoising strength")) {
                if (toDouble(value, &d)) {
                    p.denoisingStrength = d;
                    haveDenoise = true;
                } else {
                    warn(key, value, "a number");
                }
            }
            // kept verbatim (decoded) so that a re-save writes it again; the last of duplicates wins
            const std::string k = key.toStdString();
            if (!p.extra.count(k))
                p.extraOrder.push_back(k);
            p.extra[k] = value.toStdString();
        }
    }
    // A1111's paste turns hires fix on when the strength and a hires key are there; the strength then
    // belongs to the hires pass, not kept as an extra
    if (hires && haveDenoise) {
        p.enableHr = true;
        std::vector<std::string> modelled(std::begin(kHiresKeys), std::end(kHiresKeys));
        modelled.push_back("Denoising strength");
        for (const std::string& k : modelled) {
            p.extra.erase(k);
            p.extraOrder.erase(std::remove(p.extraOrder.begin(), p.extraOrder.end(), k), p.extraOrder.end());
        }
    }
    // A1111 (parse_generation_parameters): no "RNG" key means its default source, GPU
    if (!pairs.isEmpty() && p.rngSource.empty())
        p.rngSource = "GPU";
    if (haveSampler || !schedule.isEmpty()) {
        const auto [name, sched] = splitSamplerName(sampler, schedule);
        p.sampler = name.toStdString();
        p.scheduler = sched.toStdString();
    }
    return p;
}

} // namespace qd
