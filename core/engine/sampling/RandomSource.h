#pragma once
// Where standard-normal numbers come from, as AUTOMATIC1111's setting "Random number generator
// source" (modules/rng.py) chooses:
// - Cpu: PyTorch's CPU generator (torch.Generator("cpu").manual_seed(seed)), bit for bit; also what
//   diffusers draws with a CPU generator.
// - Gpu: the CUDA device's own generator (torch.Generator("cuda").manual_seed(seed)). Off CUDA the
//   same numbers come from Philox below, so an image made on an NVIDIA GPU can be made anywhere.
// - Nv: NVIDIA's Philox4x32-10 normal draws computed on the CPU (A1111's rng_philox.py), equal to
//   CUDA's randn from a fresh generator, the k-th draw at Philox offset k (docs/reference.md §8).
#include <cstdint>
#include <optional>
#include <string>

#include <ATen/core/Generator.h>
#include <torch/types.h>

namespace qd
{

enum class RngSource { Cpu, Gpu, Nv };

// "CPU", "GPU", "NV" (any case) -> the source; nullopt for anything else.
std::optional<RngSource> rngSourceFromName(const std::string& name);
const char* rngSourceName(RngSource source); // "CPU", "GPU", "NV"

// AUTOMATIC1111's NV generator: Philox4x32-10 keyed by the 64-bit seed; element j of the k-th
// randn call uses counter (k, 0, j, 0) and Box-Muller over output words 0 and 1 in double.
class PhiloxGenerator
{
public:
    explicit PhiloxGenerator(uint64_t seed)
        : m_seed(seed)
    {
    }
    // The next draw: float32 CPU tensor of `shape` (row-major; the shape only groups the values).
    torch::Tensor randn(at::IntArrayRef shape);
    uint64_t seed() const { return m_seed; }
    uint64_t offset() const { return m_offset; }

private:
    uint64_t m_seed;
    uint64_t m_offset = 0;
};

// One seeded stream of standard-normal draws from a source: image i's generator in a batch, a
// variation seed's noise, one node of a Brownian tree. Cpu draws on the CPU; Gpu draws with the
// CUDA generator when `device` is CUDA, else with Philox (the numbers a CUDA GPU gives); Nv with
// Philox on the CPU. Every draw is float32 on `device`.
class RandomStream
{
public:
    RandomStream(RngSource source, uint64_t seed, torch::Device device = torch::kCPU);
    torch::Tensor randn(at::IntArrayRef shape);
    // Which generator actually draws: Gpu off CUDA reads Nv.
    RngSource effectiveSource() const { return m_effective; }

private:
    RngSource m_effective;
    torch::Device m_device;
    at::Generator m_torch; // Cpu, or Gpu on CUDA
    std::optional<PhiloxGenerator> m_philox; // Nv, or Gpu elsewhere
};

// A fresh stream's first draw: RandomStream(source, seed, device).randn(shape).
torch::Tensor randnFrom(
    RngSource source, uint64_t seed, at::IntArrayRef shape, torch::Device device = torch::kCPU);

// The source that draws for `source` on `device` (Gpu off CUDA -> Nv).
RngSource effectiveRngSource(RngSource source, const torch::Device& device);

} // namespace qd
