#include "pipeline/ControlNetRun.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include <torch/torch.h>

#include "io/FileHash.h"
#include "pipeline/SdModel.h"

namespace qd
{

namespace
{

namespace F = torch::nn::functional;
using torch::Tensor;

// The extension's soft injection: residual k (down 0..11, then mid) scaled by 0.825^(12 - k).
constexpr double kSoftBase = 0.825;
constexpr int kSoftTop = 12;

// A number as the extension's infotext shows it: whole numbers without a fraction (the UI's
// sliders hand Python ints for them), others as Python's shortest repr.
std::string number(double v)
{
    if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e15)
        return std::to_string(int64_t(v));
    char buf[40];
    for (int precision = 1; precision <= 17; ++precision) {
        std::snprintf(buf, sizeof buf, "%.*g", precision, v);
        if (std::strtod(buf, nullptr) == v)
            break;
    }
    return buf;
}

// cv2.threshold(..., THRESH_BINARY + THRESH_OTSU) on a [H, W] uint8 map: 255 above Otsu's level.
Tensor otsuBinary(const Tensor& gray)
{
    const Tensor hist = torch::bincount(gray.flatten().to(torch::kLong), {}, 256).to(torch::kDouble);
    const auto h = hist.accessor<double, 1>();
    const double n = double(gray.numel());
    double mu = 0;
    for (int i = 0; i < 256; ++i)
        mu += i * h[i] / n;
    double q1 = 0, mu1 = 0, best = 0;
    int level = 0;
    const double eps = 1.1920929e-07; // FLT_EPSILON, as OpenCV's getThreshVal_Otsu_8u
    for (int i = 0; i < 256; ++i) {
        const double p = h[i] / n;
        mu1 *= q1;
        q1 += p;
        const double q2 = 1.0 - q1;
        if (std::min(q1, q2) < eps || std::max(q1, q2) > 1.0 - eps)
            continue;
        mu1 = (mu1 + i * p) / q1;
        const double mu2 = (mu - q1 * mu1) / q2;
        const double sigma = q1 * q2 * (mu1 - mu2) * (mu1 - mu2);
        if (sigma > best) {
            best = sigma;
            level = i;
        }
    }
    return (gray > level).to(torch::kUInt8) * 255;
}

// The extension's high_quality_resize of an [H, W, 3] uint8 map to width x height: nearest for
// maps of 3..199 colours, area when shrinking, bicubic when growing; two-colour black / white maps
// are averaged to grey and re-binarised with Otsu's threshold. (Its non-maximum suppression and
// thinning of one-pixel edges after the resize are not reproduced.)
Tensor highQualityResize(const Tensor& map, int width, int height)
{
    const int64_t h = map.size(0), w = map.size(1);
    if (h == height && w == width)
        return map;
    const Tensor packed
        = (map.to(torch::kInt32) * torch::tensor({ 65536, 256, 1 }, torch::kInt32)).sum(2).flatten();
    const Tensor sorted = std::get<0>(packed.sort());
    const int64_t colours = 1 + (sorted.slice(0, 1) != sorted.slice(0, 0, -1)).sum().item<int64_t>();
    const bool binary = colours == 2 && map.min().item<int>() < 16 && map.max().item<int>() > 240;
    const bool smaller = int64_t(width) * height < h * w;
    auto options = F::InterpolateFuncOptions().size(std::vector<int64_t> { height, width });
    if (colours > 2 && colours < 200)
        options = options.mode(torch::kNearest);
    else if (smaller)
        options = options.mode(torch::kArea);
    else
        options = options.mode(torch::kBicubic).align_corners(false);
    const Tensor x = map.permute({ 2, 0, 1 }).unsqueeze(0).to(torch::kFloat32); // [H,W,3] -> [1,3,H,W]
    Tensor y = F::interpolate(x, options).round().clamp(0, 255)[0].permute({ 1, 2, 0 }).to(torch::kUInt8);
    if (binary) {
        const Tensor grey = y.to(torch::kFloat32).mean(2).clamp(0, 255).to(torch::kUInt8); // astype truncates
        y = otsuBinary(grey).unsqueeze(2).expand({ -1, -1, 3 }).contiguous();
    }
    return y;
}

// np.median over the border pixels per channel, cast to uint8 (truncating a .5).
Tensor borderMedian(const Tensor& map)
{
    const Tensor borders
        = torch::cat({ map.select(0, 0), map.select(0, -1), map.select(1, 0), map.select(1, -1) }, 0)
              .to(torch::kFloat64); // [2W + 2H, 3]
    const Tensor s = std::get<0>(borders.sort(0));
    const int64_t n = s.size(0);
    const Tensor median = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    return median.floor().to(torch::kUInt8);
}

} // namespace

bool controlGuides(ControlGuidanceRule rule, int step, int steps, double start, double end)
{
    if (steps <= 0)
        return false;
    if (rule == ControlGuidanceRule::Diffusers) // keep = 1 - (i / N < s or (i + 1) / N > e)
        return !(double(step) / steps < start || double(step + 1) / steps > end);
    const double percent = double(step) / steps; // the extension's guidance_schedule_handler
    return !(percent < start || percent > end);
}

ControlUnitRun controlUnitRun(
    const ControlNetUnit& unit, std::shared_ptr<ControlNetModel> model, torch::Tensor hint, bool hiresPass)
{
    ControlUnitRun run;
    run.model = std::move(model);
    run.hint = std::move(hint);
    run.weight = unit.weight;
    run.start = unit.guidanceStart;
    run.end = unit.guidanceEnd;
    // ControlParams(soft_injection = mode != BALANCED, cfg_injection = mode == CONTROL); in the
    // hires pass canny and mlsd maps are always soft ("can significantly reduce artifacts")
    run.soft = unit.controlMode != ControlMode::Balanced
        || (hiresPass
            && (unit.module.find("canny") != std::string::npos
                || unit.module.find("mlsd") != std::string::npos));
    run.condOnly = unit.controlMode == ControlMode::ControlNetImportant;
    return run;
}

UNetResiduals controlResiduals(const ControlRun& run, int step, int steps, const Tensor& xIn, const Tensor& t,
    const Conditioning& cond, int64_t uncondRows)
{
    UNetResiduals total;
    const Tensor& context = cond.tensors.at("context");
    const auto y = cond.tensors.find("y");
    for (const ControlUnitRun& unit : run.units) {
        if (!controlGuides(run.rule, step, steps, unit.start, unit.end))
            continue;
        UNetResiduals r
            = unit.model->forward(xIn, unit.hint, t, context, y == cond.tensors.end() ? Tensor() : y->second);
        Tensor rowMask; // cfg injection: 0 on the unconditional rows, 1 on the conditional ones
        if (unit.condOnly && uncondRows > 0) {
            rowMask = torch::ones({ xIn.size(0), 1, 1, 1 }, r.mid.options());
            rowMask.slice(0, 0, uncondRows).zero_();
        }
        const size_t n = r.down.size();
        auto scaled = [&](const Tensor& residual, size_t k) {
            const double s = unit.weight * (unit.soft ? std::pow(kSoftBase, double(kSoftTop - int(k))) : 1.0);
            Tensor out = residual * s;
            return rowMask.defined() ? out * rowMask : out;
        };
        for (size_t k = 0; k < n; ++k)
            r.down[k] = scaled(r.down[k], k);
        r.mid = scaled(r.mid, n);
        if (total.empty()) {
            total = std::move(r);
            continue;
        }
        for (size_t k = 0; k < n && k < total.down.size(); ++k)
            total.down[k] = total.down[k] + r.down[k];
        total.mid = total.mid + r.mid;
    }
    return total;
}

Tensor fitControlImage(const Image& image, ControlResizeMode mode, int width, int height)
{
    if (image.empty() || image.pixels.size() != size_t(image.width) * image.height * 3)
        throw EngineError("ControlNet control image has " + std::to_string(image.pixels.size())
            + " bytes for " + std::to_string(image.width) + "x" + std::to_string(image.height)
            + ", expected RGB");
    Tensor map = torch::from_blob(
        const_cast<uint8_t*>(image.pixels.data()), { image.height, image.width, 3 }, torch::kUInt8)
                     .clone();
    if (mode == ControlResizeMode::JustResize) {
        map = highQualityResize(map, width, height);
    } else {
        const double k0 = double(height) / image.height, k1 = double(width) / image.width;
        const double k = mode == ControlResizeMode::ResizeAndFill ? std::min(k0, k1) : std::max(k0, k1);
        const int nw = int(std::nearbyint(image.width * k)), nh = int(std::nearbyint(image.height * k));
        if (mode == ControlResizeMode::ResizeAndFill) {
            const Tensor fill = borderMedian(map);
            const Tensor resized = highQualityResize(map, nw, nh);
            Tensor canvas = fill.view({ 1, 1, 3 }).expand({ height, width, 3 }).clone();
            const int ph = std::max(0, (height - nh) / 2), pw = std::max(0, (width - nw) / 2);
            const int ch = std::min(nh, height - ph), cw = std::min(nw, width - pw);
            canvas.slice(0, ph, ph + ch).slice(1, pw, pw + cw).copy_(resized.slice(0, 0, ch).slice(1, 0, cw));
            map = canvas;
        } else {
            const Tensor resized = highQualityResize(map, nw, nh);
            const int ph = std::max(0, (nh - height) / 2), pw = std::max(0, (nw - width) / 2);
            map = resized.slice(0, ph, ph + height).slice(1, pw, pw + width);
        }
    }
    if (map.size(0) != height || map.size(1) != width)
        throw EngineError("ControlNet control image: fitting it to " + std::to_string(width) + "x"
            + std::to_string(height) + " made " + shapeString(map.sizes()));
    return (map.permute({ 2, 0, 1 }).unsqueeze(0).to(torch::kFloat32) / 255.0).contiguous(); // [1, 3, H, W]
}

const ControlNetCache::Entry& ControlNetCache::get(const std::string& path, const SdModel& sd)
{
    namespace fs = std::filesystem;
    std::error_code ec;
    if (path.empty() || !fs::exists(path, ec))
        throw EngineError("ControlNet model '" + path + "': no such file or folder");
    const std::string stamp = std::to_string(fs::last_write_time(path, ec).time_since_epoch().count()) + "/"
        + (fs::is_regular_file(path, ec) ? std::to_string(fs::file_size(path, ec)) : std::string("dir"));
    Slot& slot = m_slots[path];
    if (slot.entry.model && slot.stamp == stamp)
        return slot.entry;
    slot = {};
    const std::string name
        = fs::is_directory(path, ec) ? fs::path(path).filename().string() : fs::path(path).stem().string();
    ControlNetLoadOptions o;
    o.device = sd.device();
    o.dtype = sd.dtype();
    try {
        auto model = loadControlNet(path, o);
        const ModelFamily f = sd.family();
        const std::string words = f == ModelFamily::SD1 ? "SD 1.x"
            : f == ModelFamily::SD2                     ? "SD 2.x"
            : f == ModelFamily::SDXL                    ? "SDXL"
                                                        : unetFamilyWords(sd.unetConfig());
        checkControlNetFits(model->config(), sd.unetConfig(), words, name);
        // sd-webui-controlnet lists models as "NAME [model_hash]" (A1111's old hash)
        const std::string hash = fs::is_regular_file(path, ec) ? fileSha256(path, 0x100000, 8, 0x10000) : "";
        slot.entry = { std::move(model), hash.empty() ? name : name + " [" + hash + "]" };
        slot.stamp = stamp;
    } catch (...) {
        m_slots.erase(path);
        throw;
    }
    return slot.entry;
}

ControlRun makeControlRun(const GenerationParams& params, ControlNetCache& cache, const SdModel& sd,
    int width, int height, bool hiresPass)
{
    ControlRun run;
    run.rule = params.controlGuidanceRule;
    for (const ControlNetUnit& unit : params.controlNets) {
        const ControlNetCache::Entry& e = cache.get(unit.model, sd);
        Tensor hint = fitControlImage(unit.image, unit.resizeMode, width, height);
        if (!unit.mask.empty()) // sd-webui-controlnet's inpaint hint: -1 where the mask repaints
            hint
                = torch::where(fitControlImage(unit.mask, unit.resizeMode, width, height).mean(1, true) > 0.5,
                    torch::full_like(hint, -1.0), hint);
        hint = hint.to(e.model->device(), sd.dtype());
        run.units.push_back(controlUnitRun(unit, e.model, hint, hiresPass));
        run.labels.push_back(e.label);
    }
    return run;
}

const char* controlModeName(ControlMode mode)
{
    switch (mode) {
    case ControlMode::Balanced:
        return "Balanced";
    case ControlMode::PromptImportant:
        return "My prompt is more important";
    case ControlMode::ControlNetImportant:
        return "ControlNet is more important";
    }
    return "Balanced";
}

const char* controlResizeModeName(ControlResizeMode mode)
{
    switch (mode) {
    case ControlResizeMode::JustResize:
        return "Just Resize";
    case ControlResizeMode::CropAndResize:
        return "Crop and Resize";
    case ControlResizeMode::ResizeAndFill:
        return "Resize and Fill";
    }
    return "Crop and Resize";
}

std::string controlNetInfotext(const ControlNetUnit& u, const std::string& modelName)
{
    return "Module: " + u.module + ", Model: " + modelName + ", Weight: " + number(u.weight)
        + ", Resize Mode: " + controlResizeModeName(u.resizeMode)
        + ", Processor Res: " + std::to_string(u.processorRes) + ", Threshold A: " + number(u.thresholdA)
        + ", Threshold B: " + number(u.thresholdB) + ", Guidance Start: " + number(u.guidanceStart)
        + ", Guidance End: " + number(u.guidanceEnd) + ", Pixel Perfect: "
        + (u.pixelPerfect ? "True" : "False") + ", Control Mode: " + controlModeName(u.controlMode);
}

} // namespace qd
