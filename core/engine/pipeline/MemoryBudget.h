#pragma once
// Working memory of one generation (engine-internal), estimated before anything is allocated, so
// that an oversized request fails with a message naming its size and the memory it needs instead of
// being killed by the system half-way (on the CPU, Linux grants large allocations it cannot back
// and the kernel's out-of-memory killer ends the process later). The estimates count activations
// only (the model's weights are already resident) and lean high; docs/reliability.md gives the
// measurements behind them.
#include <cstdint>
#include <string>

#include <torch/types.h>

#include "models/AutoencoderKL.h"
#include "models/UNetConfig.h"
#include "models/VaeConfig.h"

namespace qd
{

struct MemoryNeed {
    int64_t unetStep = 0; // one UNet call (both CFG halves, ControlNets included)
    int64_t vaeWhole = 0; // decoding one batch without tiles
    int64_t vaeTiledStats = 0; // tiles sharing whole-image GroupNorm statistics
    int64_t vaeOneTile = 0; // one tile at a time, each normalised on its own
};

struct MemoryRequest {
    int64_t width = 512, height = 512; // the largest pass (hires fix: its final size)
    int64_t batch = 1;
    bool cfg = true; // an unconditional half beside the conditional one
    int64_t computeBytes = 4; // bytes per UNet element (2 for fp16 / bf16)
    int64_t vaeBytes = 4; // bytes per VAE element
    int controlNets = 0; // ControlNet units, each about a UNet encoder half
};

MemoryNeed estimateMemory(
    const UNetConfig& unet, const VaeConfig& vae, const VaeTiling& tiling, const MemoryRequest& request);

// Bytes the process can still use on `device`: on the CPU the kernel's MemAvailable, capped by the
// cgroup's memory.max, or QD_MEMORY_LIMIT_MB when set (users cap it; tests use it); -1 when unknown
// (a CUDA device: LibTorch raises its own out-of-memory error there, which the VAE's tiling catches).
int64_t availableMemory(const torch::Device& device);

// "1.5 GiB", "380 MiB"
std::string formatBytes(int64_t bytes);

// Checks a request against the memory available: throws EngineError naming the size, the batch, the
// memory needed and the memory available when even the smallest way does not fit, and returns the
// VAE tiling that fits (tiles instead of the whole image, then tiles without shared statistics).
VaeTiling planMemory(const UNetConfig& unet, const VaeConfig& vae, const VaeTiling& tiling,
    const MemoryRequest& request, int64_t available);

} // namespace qd
