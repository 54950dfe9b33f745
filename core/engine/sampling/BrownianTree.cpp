#include "sampling/BrownianTree.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "io/StateDict.h"

namespace qd
{

namespace
{

// numpy/random/bit_generator.pyx (SeedSequence), 32-bit words.
constexpr uint32_t kInitA = 0x43b0d7e5, kMultA = 0x931e8875, kInitB = 0x8b51f9dd, kMultB = 0x58f38ded;
constexpr uint32_t kMixMultL = 0xca01f9dd, kMixMultR = 0x4973f715;
constexpr int kXShift = 16;

uint32_t hashmix(uint32_t value, uint32_t& hashConst)
{
    value ^= hashConst;
    hashConst *= kMultA;
    value *= hashConst;
    value ^= value >> kXShift;
    return value;
}

uint32_t mix(uint32_t x, uint32_t y)
{
    uint32_t result = kMixMultL * x - kMixMultR * y;
    result ^= result >> kXShift;
    return result;
}

// An integer as numpy coerces it: little-endian 32-bit words, [0] for 0.
void appendWords(uint64_t v, std::vector<uint32_t>& out)
{
    do {
        out.push_back(uint32_t(v & 0xffffffffu));
        v >>= 32;
    } while (v != 0);
}

// torchsde's depth limit is reached long before this; it only guards a degenerate range.
constexpr int kMaxDepth = 64;
// Left-child W of nodes above this depth stay cached: the upper levels every query walks through.
constexpr int kCachedDepth = 12;

} // namespace

std::vector<uint32_t> seedSequenceState(
    uint64_t entropy, const std::vector<uint64_t>& spawnKey, int nWords, int poolSize)
{
    std::vector<uint32_t> run;
    appendWords(entropy, run);
    std::vector<uint32_t> spawn;
    for (uint64_t k : spawnKey)
        appendWords(k, spawn);
    if (!spawn.empty() && int(run.size()) < poolSize)
        run.resize(size_t(poolSize), 0u);
    std::vector<uint32_t> entropyArray = run;
    entropyArray.insert(entropyArray.end(), spawn.begin(), spawn.end());

    std::vector<uint32_t> pool(size_t(poolSize), 0u);
    uint32_t hashConst = kInitA;
    for (size_t i = 0; i < pool.size(); ++i)
        pool[i] = hashmix(i < entropyArray.size() ? entropyArray[i] : 0u, hashConst);
    for (size_t src = 0; src < pool.size(); ++src)
        for (size_t dst = 0; dst < pool.size(); ++dst)
            if (src != dst)
                pool[dst] = mix(pool[dst], hashmix(pool[src], hashConst));
    for (size_t src = pool.size(); src < entropyArray.size(); ++src)
        for (size_t dst = 0; dst < pool.size(); ++dst)
            pool[dst] = mix(pool[dst], hashmix(entropyArray[src], hashConst));

    std::vector<uint32_t> state(size_t(std::max(nWords, 0)));
    uint32_t h = kInitB;
    for (size_t i = 0; i < state.size(); ++i) {
        uint32_t v = pool[i % pool.size()];
        v ^= h;
        h *= kMultB;
        v *= h;
        v ^= v >> kXShift;
        state[i] = v;
    }
    return state;
}

double round6(double v)
{
    char buf[64];
    const auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, 6);
    double out = v;
    std::from_chars(buf, res.ptr, out);
    return out;
}

BrownianTree::BrownianTree(
    uint64_t seed, double t0, double t1, std::vector<int64_t> shape, RngSource source, torch::Device device)
    : m_seed(seed)
    , m_start(round6(t0))
    , m_end(round6(t1))
    , m_shape(std::move(shape))
    , m_source(source)
    , m_device(device)
{
    if (!(t1 > t0) || !std::isfinite(t0) || !std::isfinite(t1))
        throw EngineError("Brownian tree: the range [" + std::to_string(t0) + ", " + std::to_string(t1)
            + "] is empty (expected the smallest positive sigma below the largest)");
    m_root = draw(0, 0, true) * double(float(std::sqrt(t1 - t0)));
}

torch::Tensor BrownianTree::draw(uint64_t key, int depth, bool root)
{
    const std::vector<uint32_t> words
        = root ? seedSequenceState(m_seed, {}, 3) : seedSequenceState(m_seed, { key, uint64_t(depth) }, 4);
    return randnFrom(m_source, words[0], m_shape, m_device);
}

torch::Tensor BrownianTree::leftW(const Node& node, const torch::Tensor& w, double mid)
{
    const auto id = std::make_pair(node.key, node.depth);
    if (node.depth < kCachedDepth) {
        const auto it = m_cache.find(id);
        if (it != m_cache.end())
            return it->second;
    }
    const double ld = mid - node.start, rd = node.end - mid, hr = 1.0 / (node.end - node.start);
    const torch::Tensor n = draw(node.key, node.depth, false);
    torch::Tensor left
        = (w * double(float(ld))) * double(float(hr)) + n * double(float(std::sqrt(ld * rd * hr)));
    if (node.depth < kCachedDepth)
        m_cache.emplace(id, left);
    return left;
}

void BrownianTree::locate(
    const Node& node, const torch::Tensor& w, double a, double b, std::vector<torch::Tensor>& out)
{
    if (node.start == a && node.end == b) {
        out.push_back(w);
        return;
    }
    const double mid = round6(0.5 * (node.end + node.start));
    if (node.depth >= kMaxDepth || mid <= node.start || mid >= node.end)
        throw EngineError(
            "Brownian tree: cannot resolve [" + std::to_string(a) + ", " + std::to_string(b) + "]");
    const torch::Tensor left = leftW(node, w, mid);
    const Node l { node.start, mid, 2 * node.key, node.depth + 1 };
    const Node r { mid, node.end, 2 * node.key + 1, node.depth + 1 };
    if (b <= mid) {
        locate(l, left, a, b, out);
    } else if (a >= mid) {
        locate(r, w - left, a, b, out);
    } else {
        locate(l, left, a, mid, out);
        locate(r, w - left, mid, b, out);
    }
}

torch::Tensor BrownianTree::increment(double ta, double tb)
{
    const double a = round6(std::clamp(ta, m_start, m_end)), b = round6(std::clamp(tb, m_start, m_end));
    if (!(a < b))
        return torch::zeros(m_shape, torch::TensorOptions().dtype(torch::kFloat32).device(m_device));
    std::vector<torch::Tensor> parts;
    locate(Node { m_start, m_end, 0, 0 }, m_root, a, b, parts);
    torch::Tensor sum = parts[0];
    for (size_t i = 1; i < parts.size(); ++i)
        sum = sum + parts[i];
    return sum;
}

BrownianNoise::BrownianNoise(const std::vector<uint64_t>& seeds, std::vector<int64_t> imageShape,
    double sigmaMin, double sigmaMax, RngSource source, torch::Device device)
{
    const double t0 = double(float(sigmaMin)), t1 = double(float(sigmaMax));
    m_trees.reserve(seeds.size());
    for (uint64_t seed : seeds)
        m_trees.emplace_back(seed, t0, t1, imageShape, source, device);
}

BrownianNoise BrownianNoise::forSchedule(const std::vector<uint64_t>& seeds, std::vector<int64_t> imageShape,
    const std::vector<double>& sigmas, RngSource source, torch::Device device)
{
    double lo = INFINITY, hi = 0;
    for (double s : sigmas) {
        if (s > 0)
            lo = std::min(lo, s);
        hi = std::max(hi, s);
    }
    return BrownianNoise(seeds, std::move(imageShape), lo, hi, source, device);
}

torch::Tensor BrownianNoise::operator()(double sigma, double sigmaNext)
{
    const float s = float(sigma), sn = float(sigmaNext);
    const double lo = std::min(s, sn), hi = std::max(s, sn);
    const double sign = sn < s ? -1.0 : 1.0;
    const double scale = double(std::sqrt(std::fabs(sn - s)));
    if (!(scale > 0))
        throw EngineError("Brownian noise: the step " + std::to_string(sigma) + " -> "
            + std::to_string(sigmaNext) + " has no length");
    std::vector<torch::Tensor> w;
    w.reserve(m_trees.size());
    for (auto& tree : m_trees)
        w.push_back(tree.increment(lo, hi));
    return torch::stack(w) * sign / scale;
}

} // namespace qd
