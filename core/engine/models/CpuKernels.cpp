#include "models/CpuKernels.h"

#include <cmath>
#include <cstring>
#include <limits>

#include <ATen/Parallel.h>
#include <torch/torch.h>

// The 64-byte vectors below only pass between inlined functions of this file, so the ABI note
// GCC makes for them in the non-AVX-512 clones does not apply.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

namespace qd::kernels
{

namespace
{

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(__INTEL_COMPILER)
#define QD_MULTIVERSION __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define QD_MULTIVERSION
#endif

constexpr int kW = 16; // lanes per vector: one AVX-512 register, two AVX2 ones
typedef float VecF __attribute__((vector_size(kW * sizeof(float))));
typedef int32_t VecI __attribute__((vector_size(kW * sizeof(int32_t))));

__attribute__((always_inline)) inline VecF splat(float v)
{
    return VecF {} + v;
}

__attribute__((always_inline)) inline VecF load(const float* p)
{
    VecF v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

__attribute__((always_inline)) inline void store(float* p, VecF v)
{
    std::memcpy(p, &v, sizeof v);
}

// The first `n` (< kW) values of p, the rest `fill`.
__attribute__((always_inline)) inline VecF loadPartial(const float* p, int64_t n, float fill)
{
    float tmp[kW];
    for (int i = 0; i < kW; ++i)
        tmp[i] = i < n ? p[i] : fill;
    return load(tmp);
}

__attribute__((always_inline)) inline void storePartial(float* p, VecF v, int64_t n)
{
    float tmp[kW];
    store(tmp, v);
    std::memcpy(p, tmp, size_t(n) * sizeof(float));
}

__attribute__((always_inline)) inline VecF vmax(VecF a, VecF b)
{
    return a > b ? a : b;
}

// Cephes expf: x = n ln2 + r (|r| <= ln2 / 2, ln2 split in two for exactness), e^r by a degree-6
// polynomial, 2^n from the exponent bits. Inputs below -87 give e^-87 (~1.6e-38) rather than a
// subnormal (they cost 100x on x86) or 0; the difference is far below float resolution of any sum
// they join.
__attribute__((always_inline)) inline VecF vexp(VecF x)
{
    x = vmax(x, splat(-87.0f));
    x = x < splat(88.0f) ? x : splat(88.0f);
    const VecF fx = x * 1.44269504088896341f + 0.5f;
    VecF n = __builtin_convertvector(__builtin_convertvector(fx, VecI), VecF); // toward zero ...
    n = n > fx ? n - 1.0f : n; // ... then floor
    const VecF r = x - n * 0.693359375f + n * 2.12194440e-4f;
    VecF p = splat(1.9875691500e-4f);
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * (r * r) + r + 1.0f;
    const VecI bits = (__builtin_convertvector(n, VecI) + 127) << 23;
    VecF scale;
    std::memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

// Abramowitz & Stegun 7.1.26: erf(x) = 1 - t (a1 + t (a2 + ...)) e^(-x^2), t = 1 / (1 + p |x|).
__attribute__((always_inline)) inline VecF verf(VecF x)
{
    const VecF ax = x < 0.0f ? -x : x;
    const VecF t = 1.0f / (ax * 0.3275911f + 1.0f);
    VecF y = splat(1.061405429f);
    y = y * t - 1.453152027f;
    y = y * t + 1.421413741f;
    y = y * t - 0.284496736f;
    y = y * t + 0.254829592f;
    const VecF r = 1.0f - y * t * vexp(-ax * ax);
    return x < 0.0f ? -r : r;
}

QD_MULTIVERSION void softmaxRow(float* x, int64_t n)
{
    const int64_t full = n / kW * kW;
    VecF vm = splat(-std::numeric_limits<float>::infinity());
    for (int64_t i = 0; i < full; i += kW)
        vm = vmax(vm, load(x + i));
    if (full < n)
        vm = vmax(vm, loadPartial(x + full, n - full, -std::numeric_limits<float>::infinity()));
    float m = vm[0];
    for (int i = 1; i < kW; ++i)
        m = std::max(m, vm[i]);
    VecF vs = splat(0.0f);
    for (int64_t i = 0; i < full; i += kW) {
        const VecF e = vexp(load(x + i) - m);
        store(x + i, e);
        vs += e;
    }
    if (full < n) {
        // the padding lanes hold e^-87, not 0: keep them out of the sum
        const VecF e = vexp(loadPartial(x + full, n - full, 0.0f) - m);
        storePartial(x + full, e, n - full);
        for (int64_t i = 0; i < n - full; ++i)
            vs[i] += e[i];
    }
    float sum = 0;
    for (int i = 0; i < kW; ++i)
        sum += vs[i];
    const float inv = 1.0f / sum;
    for (int64_t i = 0; i < full; i += kW)
        store(x + i, load(x + i) * inv);
    for (int64_t i = full; i < n; ++i)
        x[i] *= inv;
}

QD_MULTIVERSION void gegluRow(const float* a, const float* g, float* out, int64_t n)
{
    const int64_t full = n / kW * kW;
    auto one = [](VecF av, VecF gv) __attribute__((always_inline))
    {
        return av * (gv * 0.5f) * (verf(gv * 0.70710678118654752f) + 1.0f);
    };
    for (int64_t i = 0; i < full; i += kW)
        store(out + i, one(load(a + i), load(g + i)));
    if (full < n)
        storePartial(out + full,
            one(loadPartial(a + full, n - full, 0.0f), loadPartial(g + full, n - full, 0.0f)), n - full);
}

// Rows per task so that each has some tens of thousands of elements.
int64_t grainRows(int64_t n)
{
    return std::max<int64_t>(1, 32768 / std::max<int64_t>(n, 1));
}

} // namespace

void softmaxRows(float* data, int64_t rows, int64_t n)
{
    auto work = [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; ++r)
            softmaxRow(data + r * n, n);
    };
    if (at::in_parallel_region())
        work(0, rows);
    else
        at::parallel_for(0, rows, grainRows(n), work);
}

torch::Tensor geglu(const torch::Tensor& proj)
{
    const int64_t inner = proj.size(-1) / 2;
    if (!proj.device().is_cpu() || proj.scalar_type() != torch::kFloat || !proj.is_contiguous()) {
        const auto halves = proj.chunk(2, -1);
        torch::Tensor gated = at::gelu(halves[1]);
        return gated.mul_(halves[0]);
    }
    auto sizes = proj.sizes().vec();
    sizes.back() = inner;
    auto out = torch::empty(sizes, proj.options());
    const int64_t rows = proj.numel() / (2 * inner);
    const float* p = proj.data_ptr<float>();
    float* o = out.data_ptr<float>();
    at::parallel_for(0, rows, grainRows(inner), [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; ++r)
            gegluRow(p + r * 2 * inner, p + r * 2 * inner + inner, o + r * inner, inner);
    });
    return out;
}

} // namespace qd::kernels
