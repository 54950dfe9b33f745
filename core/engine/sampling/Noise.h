#pragma once
// Seeded Gaussian noise. All draws come from LibTorch CPU generators (at::detail::createCPUGenerator),
// which reproduce PyTorch's torch.Generator("cpu").manual_seed(seed) bit for bit, so CPU and CUDA
// runs start from the same latents as diffusers and AUTOMATIC1111 (RNG "CPU").
#include <cstdint>
#include <vector>

#include <ATen/core/Generator.h>
#include <torch/types.h>

namespace qd
{

// One standard-normal float32 CPU tensor of `shape` from a fresh generator seeded with `seed`.
torch::Tensor randnLike(at::IntArrayRef shape, uint64_t seed);

// AUTOMATIC1111's slerp (modules/rng.py): spherical interpolation from `low` (val = 0) to `high`
// (val = 1), with norms and dot products over dim 1, and a plain blend when the inputs are nearly
// parallel (mean dot > 0.9995; A1111 blends low*val + high*(1-val) there, kept as is).
torch::Tensor slerp(double val, const torch::Tensor& low, const torch::Tensor& high);

// The source of every random draw of a generation, in order: the initial latent noise first, then
// each noise the sampler asks for (ancestral / SDE steps, DDPM, LCM). Two layouts:
// - single(): one generator for the whole batch, each draw of the full [B, ...] shape (diffusers
//   with one torch.Generator; its batch case).
// - perImage(): image i has its own generator (seed + i by A1111's default), each draw made image
//   by image as [1, ...] (A1111's ImageRNG; diffusers with a list of generators). Image i then
//   looks the same whatever the batch size.
class NoiseSource
{
public:
    static NoiseSource single(uint64_t seed);
    static NoiseSource fromGenerator(at::Generator generator);
    // Variation seeds (A1111 "Variation seed" / "Variation strength"): when `strength` > 0, each
    // image's first draw is slerp(strength, noise(seed_i), noise(subseed_i)), the subseed noise from
    // a fresh generator. `ensd` > 0 (A1111 "ENSD", eta noise seed delta) reseeds each generator
    // with seed_i + ensd after the first draw.
    static NoiseSource perImage(std::vector<uint64_t> seeds, std::vector<uint64_t> subseeds = {},
        double strength = 0.0, uint64_t ensd = 0);
    // Seeds seed, seed + 1, ... for a batch of `batch` images (A1111's default batch seeds).
    static std::vector<uint64_t> consecutiveSeeds(uint64_t seed, int batch);

    // The next standard-normal draw of `shape` (float32, CPU). perImage() needs shape[0] == the
    // number of seeds.
    torch::Tensor next(at::IntArrayRef shape);
    // next(x.sizes()) moved to x's device and dtype.
    torch::Tensor like(const torch::Tensor& x);
    int64_t draws() const { return m_draws; }

private:
    std::vector<at::Generator> m_generators;
    bool m_perImage = false;
    std::vector<uint64_t> m_seeds, m_subseeds;
    double m_strength = 0.0;
    uint64_t m_ensd = 0;
    int64_t m_draws = 0;
};

} // namespace qd
