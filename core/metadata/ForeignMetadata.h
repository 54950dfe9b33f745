#pragma once
// Generation parameters written by other tools, mapped onto GenerationParams where they map:
// ComfyUI (`prompt` API graph / `workflow` UI graph), InvokeAI (`invokeai_metadata`), NovelAI
// (`Comment`). Sampler and schedule names become A1111 labels (docs/reference.md §2); a name without
// an A1111 equivalent is kept as the tool wrote it.
#include "core/engine/GenerationParams.h"

#include <QList>
#include <QPair>
#include <QString>
#include <QStringList>

namespace qd
{

// Each returns false and sets *error when the JSON holds nothing usable.
bool parseComfyUiPrompt(const QString& promptJson, GenerationParams* out, QString* error = nullptr);
bool parseComfyUiWorkflow(const QString& workflowJson, GenerationParams* out, QString* error = nullptr);
bool parseInvokeAiMetadata(const QString& json, GenerationParams* out, QString* error = nullptr);
// `source` is NovelAI's "Source" text chunk (e.g. "Stable Diffusion XL C1E1DE52"): the model.
bool parseNovelAiComment(
    const QString& commentJson, const QString& source, GenerationParams* out, QString* error = nullptr);

// ComfyUI / NovelAI sampler and scheduler names -> A1111 labels ("dpmpp_2m" -> "DPM++ 2M",
// "sgm_uniform" -> "SGM Uniform"); unknown names come back unchanged.
QString a1111SamplerFromComfy(const QString& name);
QString a1111ScheduleFromComfy(const QString& name);

// The generation parameters of an image, from its text chunks (PNG tEXt/iTXt keys; the EXIF
// UserComment of JPEG/WebP arrives as "parameters"). Sources in order of preference: A1111
// "parameters", ComfyUI "prompt", ComfyUI "workflow", InvokeAI "invokeai_metadata", NovelAI "Comment".
struct ParsedParams {
    bool found = false;
    QString source; // "parameters", "prompt", "workflow", "invokeai_metadata" or "Comment"
    GenerationParams params;
    QStringList warnings; // values that could not be read, and sources that failed to parse
};
ParsedParams paramsFromTexts(const QList<QPair<QString, QString>>& texts);

} // namespace qd
