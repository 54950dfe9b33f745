#pragma once
// Seeded Gaussian noise: every random draw of a generation, in order. CPU draws come from LibTorch
// CPU generators (at::detail::createCPUGenerator), which reproduce PyTorch's
// torch.Generator("cpu").manual_seed(seed) bit for bit; GPU and NV draws from RandomStream.
#include <cstdint>
#include <optional>
#include <vector>

#include <ATen/core/Generator.h>
#include <torch/types.h>

#include "sampling/RandomSource.h"

namespace qd
{

// One standard-normal float32 CPU tensor of `shape` from a fresh CPU generator seeded with `seed`.
torch::Tensor randnLike(at::IntArrayRef shape, uint64_t seed);

// AUTOMATIC1111's slerp (modules/rng.py): spherical interpolation from `low` (val = 0) to `high`
// (val = 1), with norms and dot products over dim 1, and a plain blend when the inputs are nearly
// parallel (mean dot > 0.9995; A1111 blends low*val + high*(1-val) there, kept as is).
torch::Tensor slerp(double val, const torch::Tensor& low, const torch::Tensor& high);

// AUTOMATIC1111's ImageRNG (modules/rng.py): how a batch's images get their noise.
struct ImageNoiseOptions {
    RngSource source = RngSource::Cpu;
    torch::Device device = torch::kCPU; // where GPU draws are made (CUDA) and every draw ends up
    std::vector<uint64_t> seeds; // one per image of the batch
    std::vector<uint64_t> subseeds; // variation seeds (image i uses subseeds[i], 0 beyond the list)
    double subseedStrength = 0.0; // 0: no variation
    // "Seed resize from": the seed's noise drawn at this pixel size and its centre pasted into the
    // noise of the real size; off unless both are > 0.
    int seedResizeFromW = 0, seedResizeFromH = 0;
    // "Eta noise seed delta" (ENSD): after the initial noise each image's generator is replaced by a
    // fresh one seeded seed_i + ensd; 0 = off.
    int64_t ensd = 0;
};

// The source of every random draw of a generation, in order: the initial latent noise first, then
// each noise the sampler asks for (ancestral steps, DDIM with eta, DDPM, LCM). Two layouts:
// - single(): one CPU generator for the whole batch, each draw of the full [B, ...] shape (diffusers
//   with one torch.Generator: the conformance cases).
// - perImage(): A1111's layout. Image i has its own generator seeded with its seed; the first draw
//   is the initial noise (with the variation seed, seed resize and ENSD rules), every later draw is
//   the next [C, H, W] of each image's generator, stacked. Image i then looks the same whatever the
//   batch size.
class NoiseSource
{
public:
    static NoiseSource single(uint64_t seed);
    static NoiseSource fromGenerator(at::Generator generator);
    static NoiseSource perImage(const ImageNoiseOptions& options);
    // Shorthand: CPU generators, optional variation seeds and ENSD.
    static NoiseSource perImage(std::vector<uint64_t> seeds, std::vector<uint64_t> subseeds = {},
        double strength = 0.0, int64_t ensd = 0);
    // Seeds seed, seed + 1, ... for a batch of `batch` images (A1111's default batch seeds).
    static std::vector<uint64_t> consecutiveSeeds(uint64_t seed, int batch);

    // The next standard-normal draw of `shape` (float32, on the options' device; CPU for single()).
    // perImage() needs shape[0] == the number of seeds.
    torch::Tensor next(at::IntArrayRef shape);
    // next(x.sizes()) moved to x's device and dtype.
    torch::Tensor like(const torch::Tensor& x);
    // Noise for sampling a VAE posterior (img2img, inpainting). single(): the next draw, diffusers'
    // order. perImage(): drawn aside, from a fresh CPU generator per image seeded with its seed, so
    // the images' own generators keep A1111's sequence (A1111 samples the posterior from torch's
    // global generator, which no seed pins down).
    torch::Tensor encoderNoise(at::IntArrayRef shape);
    int64_t draws() const { return m_draws; }

    bool isPerImage() const { return m_perImage; }
    const ImageNoiseOptions& options() const { return m_options; }
    // The source that draws: GPU off CUDA is NV.
    RngSource effectiveSource() const { return effectiveRngSource(m_options.source, m_options.device); }

private:
    torch::Tensor initialImageNoise(size_t i, at::IntArrayRef one);

    std::vector<at::Generator> m_generators; // single()
    std::vector<RandomStream> m_streams; // perImage()
    bool m_perImage = false;
    ImageNoiseOptions m_options;
    int64_t m_draws = 0;
};

} // namespace qd
