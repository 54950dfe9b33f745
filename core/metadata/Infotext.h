#pragma once
// AUTOMATIC1111's "infotext" (docs/reference.md §1) <-> GenerationParams.
//
// Writing follows A1111's processing.create_infotext (modules/processing.py, v1.10): the prompt, an
// optional "Negative prompt:" line, then one line of `Key: value` pairs joined by ", " in A1111's key
// order, values JSON-quoted when they hold ',', ':' or a newline, the whole text stripped.
// Reading follows infotext_utils.parse_generation_parameters: the last line counts as parameters only
// when A1111's pair pattern finds at least 3 pairs in it; quoted values are JSON-decoded.
#include "core/engine/GenerationParams.h"

#include <QPair>
#include <QString>
#include <QStringList>

namespace qd
{

// The infotext of one image. `version` goes into the "Version" key (A1111 writes e.g. "v1.10.1");
// when empty, a "Version" kept in params.extra is written instead.
QString toInfotext(const GenerationParams& params, const QString& version = QString());

// Parses an A1111 infotext. Missing keys keep GenerationParams' defaults (A1111's: Clip skip 1,
// Schedule type Automatic, ...); a parameters line without "RNG" means A1111's default source,
// "GPU" (NV off CUDA). Keys we do not model go to params.extra in the order read.
// Values that cannot be read (e.g. "Steps: many") are reported in *warnings and skipped.
GenerationParams parseInfotext(const QString& text, QStringList* warnings = nullptr);

// A1111's infotext_utils.quote/unquote: a value with ',', ':' or '\n' becomes a JSON string
// (json.dumps(..., ensure_ascii=False)); a value in double quotes is JSON-decoded, or kept as it is
// when it is not valid JSON.
QString quoteInfotextValue(const QString& value);
QString unquoteInfotextValue(const QString& value);

// Old sampler names carry the schedule: "DPM++ 2M Karras" -> ("DPM++ 2M", "Karras"), as A1111's
// sd_samplers.get_sampler_and_scheduler strips any schedule label, name or alias from the end.
// A name without such a suffix keeps `schedule`.
QPair<QString, QString> splitSamplerName(const QString& sampler, const QString& schedule);

// The A1111 labels of docs/reference.md §2.
QStringList samplerLabels();
QStringList scheduleLabels();

// Python's repr() of a float, except that integral values print without ".0" (A1111's UI hands
// integral slider values to the infotext as ints: "CFG scale: 7", "CFG scale: 7.5").
QString formatInfotextNumber(double value);

} // namespace qd
