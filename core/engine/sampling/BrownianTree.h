#pragma once
// The Brownian-tree noise of the SDE samplers (DPM++ SDE, DPM++ 2M SDE, DPM++ 3M SDE) as
// AUTOMATIC1111 runs them: k-diffusion's BrownianTreeNoiseSampler over one torchsde BrownianTree
// per image seed. The noise a step adds then depends only on the image's seed and the step's
// sigmas, so an image is the same whatever the batch size. The algorithm, with the numbers that
// must match bit for bit, is written down in docs/reference.md §8.3.
#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include <torch/types.h>

#include "sampling/RandomSource.h"

namespace qd
{

// numpy's SeedSequence(entropy, spawn_key, pool_size).generate_state(nWords) (uint32 words).
std::vector<uint32_t> seedSequenceState(
    uint64_t entropy, const std::vector<uint64_t>& spawnKey, int nWords, int poolSize = 24);

// `v` correctly rounded to 6 decimals and read back (Python's round(v, 6)).
double round6(double v);

// One image's tree: W over [t0, t1] and its halves, refined until an interval's ends are the
// 6-decimal roundings of the query times. Node draws come from fresh generators of `source`.
class BrownianTree
{
public:
    BrownianTree(uint64_t seed, double t0, double t1, std::vector<int64_t> shape, RngSource source,
        torch::Device device = torch::kCPU);
    // W(tb) - W(ta) for ta < tb (clamped into the tree's range); float32 [C, H, W].
    torch::Tensor increment(double ta, double tb);
    const torch::Tensor& rootW() const { return m_root; }

private:
    struct Node {
        double start, end;
        uint64_t key;
        int depth;
    };
    torch::Tensor draw(uint64_t key, int depth, bool root);
    // W of the left child of `node` whose own W is `w` (cached for the upper levels).
    torch::Tensor leftW(const Node& node, const torch::Tensor& w, double mid);
    void locate(
        const Node& node, const torch::Tensor& w, double a, double b, std::vector<torch::Tensor>& out);

    uint64_t m_seed;
    double m_start, m_end;
    std::vector<int64_t> m_shape;
    RngSource m_source;
    torch::Device m_device;
    torch::Tensor m_root;
    std::map<std::pair<uint64_t, int>, torch::Tensor> m_cache; // left-child W by parent (key, depth)
};

// k-diffusion's BrownianTreeNoiseSampler for a batch: one tree per seed over [sigmaMin, sigmaMax]
// (the full schedule's smallest positive and largest sigma, as float32).
class BrownianNoise
{
public:
    BrownianNoise(const std::vector<uint64_t>& seeds, std::vector<int64_t> imageShape, double sigmaMin,
        double sigmaMax, RngSource source, torch::Device device = torch::kCPU);
    // The trees for a schedule: its smallest positive and its largest sigma.
    static BrownianNoise forSchedule(const std::vector<uint64_t>& seeds, std::vector<int64_t> imageShape,
        const std::vector<double>& sigmas, RngSource source, torch::Device device = torch::kCPU);
    // The noise for a step from `sigma` down to `sigmaNext` (both read as float32): [B, C, H, W],
    // standard normal per image.
    torch::Tensor operator()(double sigma, double sigmaNext);
    std::vector<BrownianTree>& trees() { return m_trees; }

private:
    std::vector<BrownianTree> m_trees;
};

} // namespace qd
