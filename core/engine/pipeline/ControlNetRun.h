#pragma once
// ControlNet units as one sampling pass runs them (engine-internal): which steps a unit guides,
// how its residuals are scaled (sd-webui-controlnet's control modes), the control image fitted to
// the output size, and the infotext value the extension writes.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <torch/types.h>

#include "ControlNetNames.h"
#include "GenerationParams.h"
#include "controlnet/ControlNet.h"
#include "sampling/Denoiser.h"

namespace qd
{

class SdModel;

struct ControlUnitRun {
    std::shared_ptr<ControlNetModel> model;
    torch::Tensor hint; // [1, 3, H, W] RGB in [0, 1] at the pass's output size
    double weight = 1.0;
    double start = 0.0, end = 1.0;
    // sd-webui-controlnet's soft_injection (residual k scaled by 0.825^(12 - k)) and cfg_injection
    // (residuals only on the conditional rows of the CFG batch)
    bool soft = false;
    bool condOnly = false;
};

struct ControlRun {
    std::vector<ControlUnitRun> units;
    ControlGuidanceRule rule = ControlGuidanceRule::Extension;
    std::vector<std::string> labels; // per unit, "NAME [hash8]" (makeControlRun)
    bool empty() const { return units.empty(); }
};

// Whether step `step` (0-based) of `steps` is guided by a unit with guidance start / end (the
// rules of ControlGuidanceRule).
bool controlGuides(ControlGuidanceRule rule, int step, int steps, double start, double end);

// The unit's settings for a pass: soft / cfg injection from its control mode, plus the
// extension's forced soft injection for canny and mlsd maps in hires fix's second pass.
ControlUnitRun controlUnitRun(
    const ControlNetUnit& unit, std::shared_ptr<ControlNetModel> model, torch::Tensor hint, bool hiresPass);

// The sum of the guiding units' residuals for one model call at step `step` of `steps`: xIn
// [R, 4, h, w] the UNet's scaled input (the first 4 channels), t [R], cond its "context" (and
// "y"); the first `uncondRows` rows are the unconditional half. Empty when no unit guides.
UNetResiduals controlResiduals(const ControlRun& run, int step, int steps, const torch::Tensor& xIn,
    const torch::Tensor& t, const Conditioning& cond, int64_t uncondRows);

// The control map fitted to width x height as the extension's detectmap_proc does (Just Resize,
// Crop and Resize, Resize and Fill; its interpolation choice by colour count and direction, and
// Otsu re-binarisation of two-colour maps) -> [1, 3, height, width] float in [0, 1].
torch::Tensor fitControlImage(const Image& image, ControlResizeMode mode, int width, int height);

// "Module: canny, Model: NAME [hash8], Weight: 1, Resize Mode: Crop and Resize, Processor Res:
// 512, Threshold A: 100, Threshold B: 200, Guidance Start: 0, Guidance End: 1, Pixel Perfect:
// False, Control Mode: Balanced" (ControlNetUnit.serialize; numbers as Python prints them).
std::string controlNetInfotext(const ControlNetUnit& unit, const std::string& modelName);

// The ControlNets a pipeline has loaded, by file: read once per file version (modification time
// and size), on the SD model's device and dtype, checked against its UNet.
class ControlNetCache
{
public:
    struct Entry {
        std::shared_ptr<ControlNetModel> model;
        std::string label; // "NAME [hash8]": file stem and AUTOMATIC1111's old 8-digit model hash
    };
    // Throws EngineError naming the file when it can't be read or does not fit `sd` (e.g. an SD 1.x
    // ControlNet beside an SDXL model).
    const Entry& get(const std::string& path, const SdModel& sd);

private:
    struct Slot {
        Entry entry;
        std::string stamp;
    };
    std::map<std::string, Slot> m_slots;
};

// The units of `params` for a pass at width x height (hires fix's second pass: `hiresPass`), their
// models from `cache`, control images fitted and moved to the model's device.
ControlRun makeControlRun(const GenerationParams& params, ControlNetCache& cache, const SdModel& sd,
    int width, int height, bool hiresPass);

} // namespace qd
