#pragma once
// The engine as core's front ends (ui/, app/gui) see it: the parameters of one generation
// (GenerationParams) and the facts and process set-up of the engine build (EngineInfo: versions,
// CUDA, threads, the OpenMP wait policy). Front ends include engine types only through this header
// and core's other public headers, so each include line shows its layer (docs/architecture.md; the
// layering_check test).
#include "core/engine/EngineInfo.h"
#include "core/engine/GenerationParams.h"
