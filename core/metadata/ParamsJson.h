#pragma once
// GenerationParams <-> JSON, every field (the history database keeps one object per image). Keys
// follow AUTOMATIC1111's API names where it has them (prompt, negative_prompt, sampler_name, ...).
// 64-bit seeds stay exact (Qt 6 keeps JSON integers as qint64).
#include "core/engine/GenerationParams.h"

#include <QJsonObject>

namespace qd
{

QJsonObject paramsToJson(const GenerationParams& params);
// Missing keys keep GenerationParams' defaults.
GenerationParams paramsFromJson(const QJsonObject& json);

} // namespace qd
