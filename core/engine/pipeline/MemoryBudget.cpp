#include "pipeline/MemoryBudget.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "EngineError.h"

namespace qd
{

namespace
{

// Tensors alive at once, in units of one activation of the level's width (docs/reliability.md):
// a residual block keeps its input, two normalised copies and two convolution outputs; a spatial
// transformer's feed-forward (GEGLU) holds an 8x wide projection and its halves.
constexpr int64_t kResBlockTensors = 6;
constexpr int64_t kTransformerTensors = 14;
// A VAE decoder level at image resolution: the upsampled input, its convolution, the residual
// blocks' normalised copies and outputs, measured on the demo model (docs/reliability.md).
constexpr int64_t kVaeLevelTensors = 6;

int64_t mult(const std::vector<int64_t>& m, size_t i)
{
    return m.empty() ? 1 : m[std::min(i, m.size() - 1)];
}

// Bytes per image pixel of one VAE decode at its widest level, for `batch` images.
int64_t vaeBytesPerPixel(const VaeConfig& vae, int64_t batch, int64_t elementBytes)
{
    int64_t worst = 0;
    const size_t levels = std::max<size_t>(1, vae.chMult.size());
    for (size_t l = 0; l < levels; ++l) {
        const int64_t in = vae.ch * mult(vae.chMult, l + 1 < levels ? l + 1 : l); // upsampled from below
        const int64_t out = vae.ch * mult(vae.chMult, l);
        const int64_t perPixel
            = kVaeLevelTensors * std::max(in, out) / (int64_t(1) << (2 * l)); // 4^-l pixels
        worst = std::max(worst, perPixel);
    }
    return worst * batch * elementBytes;
}

} // namespace

MemoryNeed estimateMemory(
    const UNetConfig& unet, const VaeConfig& vae, const VaeTiling& tiling, const MemoryRequest& r)
{
    MemoryNeed need;
    const int64_t f = vae.downscale();
    const int64_t n = r.batch * (r.cfg ? 2 : 1);
    const int64_t latentPixels = (r.width / f) * (r.height / f);

    // UNet: the skip connections of every level stay alive through the down path and are used up
    // on the way back; the widest level's working set comes on top.
    int64_t skips = 0, work = 0;
    for (int64_t l = 0; l < unet.levels(); ++l) {
        const int64_t pixels = latentPixels >> (2 * l);
        const int64_t width = unet.modelChannels * unet.channelMult[size_t(l)];
        skips += (unet.numResBlocks + 1) * width * pixels;
        const bool attention
            = std::find(unet.attentionResolutions.begin(), unet.attentionResolutions.end(), int64_t(1) << l)
            != unet.attentionResolutions.end();
        const int64_t depth = attention ? mult(unet.transformerDepth, size_t(l)) : 0;
        work
            = std::max(work, (2 * kResBlockTensors + (depth > 0 ? kTransformerTensors : 0)) * width * pixels);
    }
    const int64_t unetElements = n * (skips + work);
    need.unetStep = unetElements * r.computeBytes * (2 + r.controlNets) / 2;

    // VAE decode: the widest level at image resolution; the decoded images in float32 besides.
    const int64_t imageBytes = r.batch * 3 * r.width * r.height * 4 * 2;
    need.vaeWhole = vaeBytesPerPixel(vae, r.batch, r.vaeBytes) * r.width * r.height + imageBytes;
    // Whole-image statistics: measured on the demo model at 1024x1024, the peak was no lower than
    // without tiles (docs/reliability.md), so no saving is counted.
    need.vaeTiledStats = need.vaeWhole;
    // One tile at a time (tiles overlap inside their side); the middle block, with its attention
    // over all positions, runs on the whole latent first (models/VaeTiles.cpp).
    const int64_t tileArea
        = std::min(tiling.tileLatent * f, r.width) * std::min(tiling.tileLatent * f, r.height);
    const int64_t middle = kVaeLevelTensors * vae.ch * mult(vae.chMult, vae.chMult.size()) * latentPixels
        * r.batch * r.vaeBytes;
    need.vaeOneTile = vaeBytesPerPixel(vae, r.batch, r.vaeBytes) * tileArea + middle + imageBytes;
    return need;
}

int64_t availableMemory(const torch::Device& device)
{
    if (const char* cap = std::getenv("QD_MEMORY_LIMIT_MB"); cap && *cap) {
        char* end = nullptr;
        const long long mb = std::strtoll(cap, &end, 10);
        if (end && *end == '\0' && mb > 0)
            return int64_t(mb) << 20;
    }
    if (!device.is_cpu())
        return -1;
    int64_t available = -1;
    std::ifstream meminfo("/proc/meminfo");
    std::string key;
    int64_t kb = 0;
    std::string unit;
    while (meminfo >> key >> kb) {
        std::getline(meminfo, unit);
        if (key == "MemAvailable:") {
            available = kb * 1024;
            break;
        }
    }
    // A container's limit (cgroup v2) can be lower than the machine's free memory.
    std::ifstream limitFile("/sys/fs/cgroup/memory.max"), usedFile("/sys/fs/cgroup/memory.current");
    std::string limit;
    int64_t used = 0;
    if (limitFile >> limit && limit != "max" && usedFile >> used) {
        const int64_t room = std::max<int64_t>(0, std::atoll(limit.c_str()) - used);
        available = available < 0 ? room : std::min(available, room);
    }
    return available;
}

std::string formatBytes(int64_t bytes)
{
    char text[32];
    if (bytes >= (int64_t(1) << 30))
        std::snprintf(text, sizeof text, "%.1f GiB", double(bytes) / double(int64_t(1) << 30));
    else
        std::snprintf(text, sizeof text, "%lld MiB", (long long)((bytes + (1 << 20) - 1) >> 20));
    return text;
}

VaeTiling planMemory(const UNetConfig& unet, const VaeConfig& vae, const VaeTiling& tiling,
    const MemoryRequest& r, int64_t available)
{
    if (available < 0)
        return tiling;
    const MemoryNeed need = estimateMemory(unet, vae, tiling, r);
    const std::string what = std::to_string(r.width) + "x" + std::to_string(r.height)
        + (r.batch > 1 ? " with batch size " + std::to_string(r.batch) : std::string());
    const std::string tail = "; " + formatBytes(available) + " are available (free some memory, or ask for a "
        + "smaller size" + (r.batch > 1 ? " or batch size" : "") + ")";
    if (need.unetStep > available)
        throw EngineError(
            what + " needs about " + formatBytes(need.unetStep) + " of working memory for the UNet" + tail);
    VaeTiling planned = tiling;
    const int64_t latentPixels = (r.width / vae.downscale()) * (r.height / vae.downscale());
    const bool tilesAnyway = tiling.mode == VaeTiling::Mode::Always
        || (tiling.mode == VaeTiling::Mode::Auto && latentPixels > tiling.autoAboveLatentPixels);
    if (!tilesAnyway && need.vaeWhole <= available)
        return planned;
    if (tiling.mode == VaeTiling::Mode::Never)
        throw EngineError(what + " needs about " + formatBytes(need.vaeWhole)
            + " to decode without tiles (tiled decoding is turned off)" + tail);
    planned.mode = VaeTiling::Mode::Always;
    if (tiling.wholeImageStatistics && need.vaeTiledStats <= available)
        return planned;
    // One tile at a time, smaller ones until they fit, down to 32 latent pixels (as AutoencoderKL's
    // own out-of-memory fallback goes).
    planned.wholeImageStatistics = false;
    for (;;) {
        const int64_t oneTile = estimateMemory(unet, vae, planned, r).vaeOneTile;
        if (oneTile <= available)
            return planned;
        if (planned.tileLatent / 2 < 32)
            throw EngineError(
                what + " needs about " + formatBytes(oneTile) + " to decode the image even in tiles" + tail);
        planned.tileLatent /= 2;
        planned.overlapLatent = std::max<int64_t>(planned.overlapLatent / 2, 8);
    }
}

} // namespace qd
