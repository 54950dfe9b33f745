#pragma once
// The ESRGAN-family upscaler cases (tests/data/conformance/upscaler: RRDBNet as spandrel runs it
// for AUTOMATIC1111 and ComfyUI, and A1111's tiled upscales) for the conformance runner.
#include <functional>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "conformance/Conformance.h"

namespace qd
{

// Runs every case of an upscaler_cases.json ("kind": forward, descriptor_pad, tiled_tensor,
// tiled_pil). The tiny models are built from upscaler_layouts.json (beside the cases file, else in
// options.dataDir) by the fill rule, written as files (.safetensors, and .pth in Real-ESRGAN's
// params_ema wrapper for the trunk layout) and loaded through RrdbNet::load. Floats within 1e-4,
// 8-bit images within 1.
std::vector<ConformanceResult> runUpscalerConformance(const ConformanceOptions& options,
    const nlohmann::json& file, const std::function<void(const ConformanceResult&)>& onResult);

} // namespace qd
