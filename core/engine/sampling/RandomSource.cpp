#include "sampling/RandomSource.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Context.h>
#include <torch/torch.h>

#include "io/StateDict.h"

namespace qd
{

namespace
{

// One Philox4x32-10 block: counter (c0, c1, c2, c3), key (k0, k1) -> the first two output words.
inline void philox(uint32_t c[4], uint32_t k0, uint32_t k1)
{
    for (int round = 0; round < 10; ++round) {
        const uint64_t p0 = uint64_t(0xD2511F53u) * c[0];
        const uint64_t p1 = uint64_t(0xCD9E8D57u) * c[2];
        const uint32_t hi0 = uint32_t(p0 >> 32), lo0 = uint32_t(p0);
        const uint32_t hi1 = uint32_t(p1 >> 32), lo1 = uint32_t(p1);
        const uint32_t n0 = hi1 ^ c[1] ^ k0, n2 = hi0 ^ c[3] ^ k1;
        c[0] = n0;
        c[1] = lo1;
        c[2] = n2;
        c[3] = lo0;
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
}

std::string upper(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char ch) { return std::toupper(ch); });
    return s;
}

bool isCuda(const torch::Device& d)
{
    return d.is_cuda();
}

} // namespace

std::optional<RngSource> rngSourceFromName(const std::string& name)
{
    const std::string u = upper(name);
    if (u == "CPU")
        return RngSource::Cpu;
    if (u == "GPU")
        return RngSource::Gpu;
    if (u == "NV")
        return RngSource::Nv;
    return std::nullopt;
}

const char* rngSourceName(RngSource source)
{
    switch (source) {
    case RngSource::Cpu:
        return "CPU";
    case RngSource::Gpu:
        return "GPU";
    case RngSource::Nv:
        return "NV";
    }
    return "GPU";
}

torch::Tensor PhiloxGenerator::randn(at::IntArrayRef shape)
{
    int64_t n = 1;
    for (int64_t d : shape) {
        if (d < 0)
            throw EngineError("Philox randn: negative size in shape " + shapeString(shape));
        n *= d;
    }
    torch::Tensor out = torch::empty(shape, torch::TensorOptions().dtype(torch::kFloat32));
    float* data = out.data_ptr<float>();
    const uint32_t k0 = uint32_t(m_seed), k1 = uint32_t(m_seed >> 32);
    const uint32_t offset = uint32_t(m_offset);
    // A1111's constants: float32(2.3283064e-10) and float32(2.3283064e-10 * 6.2831855), used in double
    const double a = double(2.3283064e-10f), b = double(float(2.3283064e-10 * 6.2831855));
    at::parallel_for(0, n, 4096, [&](int64_t begin, int64_t end) {
        for (int64_t j = begin; j < end; ++j) {
            uint32_t c[4] = { offset, 0u, uint32_t(j), 0u };
            philox(c, k0, k1);
            const double u = c[0] * a + a / 2, v = c[1] * b + b / 2;
            data[j] = float(std::sqrt(-2.0 * std::log(u)) * std::sin(v));
        }
    });
    ++m_offset;
    return out;
}

RngSource effectiveRngSource(RngSource source, const torch::Device& device)
{
    return source == RngSource::Gpu && !isCuda(device) ? RngSource::Nv : source;
}

RandomStream::RandomStream(RngSource source, uint64_t seed, torch::Device device)
    : m_effective(effectiveRngSource(source, device))
    , m_device(device)
{
    switch (m_effective) {
    case RngSource::Cpu:
        m_torch = at::detail::createCPUGenerator(seed);
        break;
    case RngSource::Gpu: {
        // a fresh generator on the device: torch.Generator("cuda").manual_seed(seed)
        at::Generator g = at::globalContext().defaultGenerator(device).clone();
        g.set_current_seed(seed);
        m_torch = g;
        break;
    }
    case RngSource::Nv:
        m_philox.emplace(seed);
        break;
    }
}

torch::Tensor RandomStream::randn(at::IntArrayRef shape)
{
    if (m_philox)
        return m_philox->randn(shape).to(m_device);
    if (m_effective == RngSource::Gpu)
        return torch::randn(shape, m_torch, torch::TensorOptions().dtype(torch::kFloat32).device(m_device));
    return torch::randn(shape, m_torch, torch::TensorOptions().dtype(torch::kFloat32)).to(m_device);
}

torch::Tensor randnFrom(RngSource source, uint64_t seed, at::IntArrayRef shape, torch::Device device)
{
    return RandomStream(source, seed, device).randn(shape);
}

} // namespace qd
