#include "models/FillRule.h"

#include <cmath>

#include <ATen/Parallel.h>

namespace qd
{

uint32_t fnv1a32(std::string_view bytes)
{
    uint32_t h = 0x811C9DC5u;
    for (unsigned char c : bytes) {
        h ^= c;
        h *= 0x01000193u;
    }
    return h;
}

static inline uint32_t fmix32(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x85EBCA6Bu;
    x ^= x >> 13;
    x *= 0xC2B2AE35u;
    x ^= x >> 16;
    return x;
}

void fillRule(std::string_view key, const std::vector<int64_t>& shape, float* out)
{
    int64_t numel = 1;
    for (int64_t d : shape)
        numel *= d;
    const uint32_t h = fnv1a32(key);
    const bool oneD = shape.size() == 1;
    const bool isWeight = key.size() >= 7 && key.substr(key.size() - 7) == ".weight";
    // The README's four branches, evaluated in its operation order so the double result (and thus
    // the single rounding to float32) is exactly the reference one.
    enum class Kind { NormScale, Bias, Embedding, FanIn } kind;
    if (oneD && isWeight)
        kind = Kind::NormScale;
    else if (oneD)
        kind = Kind::Bias;
    else if (key.find("embedding") != std::string_view::npos)
        kind = Kind::Embedding;
    else
        kind = Kind::FanIn;
    const double sqrt3 = std::sqrt(3.0);
    const double embScale = 0.02 * sqrt3;
    const double fanIn = shape.empty() || shape[0] == 0 ? 1.0 : double(numel / shape[0]);
    const double sqrtFanIn = std::sqrt(fanIn);
    at::parallel_for(0, numel, 1 << 16, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) {
            const uint32_t x = fmix32(h ^ uint32_t(uint64_t(i) * 0x9E3779B1ull));
            const double u = double(x >> 8) * (1.0 / 8388608.0) - 1.0;
            double v;
            switch (kind) {
            case Kind::NormScale:
                v = 1.0 + 0.1 * u;
                break;
            case Kind::Bias:
                v = 0.02 * u;
                break;
            case Kind::Embedding:
                v = embScale * u;
                break;
            default:
                v = u * sqrt3 / sqrtFanIn;
                break;
            }
            out[i] = float(v);
        }
    });
}

torch::Tensor fillRuleTensor(std::string_view key, const std::vector<int64_t>& shape)
{
    auto t = torch::empty(shape, torch::kFloat32);
    fillRule(key, shape, t.data_ptr<float>());
    return t;
}

} // namespace qd
