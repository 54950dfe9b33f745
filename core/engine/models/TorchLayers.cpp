#include "models/TorchLayers.h"

#include "models/CpuKernels.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <new>

#ifdef __unix__
#include <dlfcn.h>
#endif

#include <ATen/Parallel.h>

#include <torch/torch.h>
#include <torch/version.h>

namespace qd::layers
{

namespace
{
// Debian's LibTorch multiplies matrices with OpenBLAS, which runs its own thread pool beside
// LibTorch's OpenMP one. Attention makes thousands of small products alternating with softmaxes;
// handing each to OpenBLAS's pool made the two pools' threads spin against each other (measured
// 2-3x slower on two cores). While alive, this makes OpenBLAS (found at run time) single-threaded
// so OpenMP threads can each run their own products; with other BLAS builds (MKL runs
// single-threaded inside OpenMP regions by itself) it does nothing.
class SingleThreadedBlas
{
public:
    SingleThreadedBlas()
    {
#ifdef __unix__
        static const auto get = reinterpret_cast<int (*)()>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
        static const auto set
            = reinterpret_cast<void (*)(int)>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
#else
        int (*get)() = nullptr;
        void (*set)(int) = nullptr;
#endif
        if (get && set && at::get_num_threads() > 1) {
            m_set = set;
            m_previous = get();
            set(1);
        }
    }
    ~SingleThreadedBlas()
    {
        if (m_set)
            m_set(m_previous);
    }
    SingleThreadedBlas(const SingleThreadedBlas&) = delete;
    SingleThreadedBlas& operator=(const SingleThreadedBlas&) = delete;

private:
    void (*m_set)(int) = nullptr;
    int m_previous = 0;
};

} // namespace

Linear::Linear(int64_t in, int64_t out, bool withBias, const torch::TensorOptions& options)
{
    weight = register_parameter("weight", torch::empty({ out, in }, options), /*requires_grad=*/false);
    if (withBias)
        bias = register_parameter("bias", torch::empty({ out }, options), false);
}

torch::Tensor Linear::forward(const torch::Tensor& x) const
{
    return at::linear(x, weight, bias);
}

Conv2d::Conv2d(int64_t in, int64_t out, int64_t kernel, int64_t stride_, int64_t padding_,
    const torch::TensorOptions& options)
    : stride(stride_)
    , padding(padding_)
{
    weight = register_parameter("weight", torch::empty({ out, in, kernel, kernel }, options), false);
    bias = register_parameter("bias", torch::empty({ out }, options), false);
}

torch::Tensor Conv2d::forward(const torch::Tensor& x) const
{
    return at::conv2d(x, weight, bias, { stride, stride }, { padding, padding });
}

torch::Tensor Conv2d::forwardTokens(const torch::Tensor& tokens) const
{
    TORCH_CHECK(weight.size(2) == 1 && weight.size(3) == 1, "forwardTokens needs a 1x1 convolution");
    // [out, in, 1, 1] -> [out, in]: a view, no copy
    return at::linear(tokens, weight.view({ weight.size(0), weight.size(1) }), bias);
}

GroupNorm::GroupNorm(int64_t groups_, int64_t channels, double eps_, const torch::TensorOptions& options)
    : groups(groups_)
    , eps(eps_)
{
    weight = register_parameter("weight", torch::empty({ channels }, options), false);
    bias = register_parameter("bias", torch::empty({ channels }, options), false);
}

torch::Tensor GroupNorm::forward(const torch::Tensor& x) const
{
    return at::group_norm(x, groups, weight, bias, eps, /*cudnn_enabled=*/true);
}

void GroupNorm::accumulate(const torch::Tensor& x, const torch::Tensor& share, GroupStats& stats) const
{
    // Per channel sum_p w(p) x(p) and sum_p w(p) x(p)^2 as matrix-vector products, then summed
    // over each group's channels, in float64.
    const int64_t n = x.size(0), c = x.size(1), hw = x.size(2) * x.size(3);
    const auto w = share.to(x.options()).reshape({ hw });
    const auto flat = x.reshape({ n, c, hw });
    const auto s1 = at::matmul(flat, w).to(torch::kFloat64).view({ n, groups, c / groups }).sum(-1);
    const auto s2 = at::matmul(flat * flat, w).to(torch::kFloat64).view({ n, groups, c / groups }).sum(-1);
    stats.sum = stats.sum.defined() ? stats.sum + s1 : s1;
    stats.sumSq = stats.sumSq.defined() ? stats.sumSq + s2 : s2;
    stats.count += share.sum().item<double>() * double(c / groups);
}

torch::Tensor GroupNorm::forward(const torch::Tensor& x, const GroupStats& stats) const
{
    // (x - mean) * rstd * weight + bias = x * scale + shift, per sample and channel
    const int64_t n = x.size(0), c = x.size(1);
    const auto rstd = stats.rstd.to(x.options()).unsqueeze(-1),
               mean = stats.mean.to(x.options()).unsqueeze(-1);
    const auto scale = weight.view({ 1, groups, c / groups }) * rstd; // [N, G, C/G]
    const auto shift = bias.view({ 1, groups, c / groups }) - mean * scale; // [N, G, C/G]
    return at::addcmul(shift.reshape({ n, c, 1, 1 }), x, scale.reshape({ n, c, 1, 1 }));
}

void GroupStats::finish(double eps)
{
    const auto m = sum / count;
    const auto var = (sumSq / count - m * m).clamp_min(0.0); // biased, as group_norm
    mean = m.to(torch::kFloat32);
    rstd = (var + eps).rsqrt().to(torch::kFloat32);
}

LayerNorm::LayerNorm(int64_t dim, double eps_, const torch::TensorOptions& options)
    : eps(eps_)
{
    weight = register_parameter("weight", torch::empty({ dim }, options), false);
    bias = register_parameter("bias", torch::empty({ dim }, options), false);
}

torch::Tensor LayerNorm::forward(const torch::Tensor& x) const
{
    return at::layer_norm(x, { weight.size(0) }, weight, bias, eps, /*cudnn_enable=*/true);
}

torch::Tensor attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, int64_t heads)
{
    const int64_t n = q.size(0), lq = q.size(1), c = q.size(2);
    const int64_t d = c / heads;
#if TORCH_VERSION_MAJOR >= 2
    // [N, L, H*D] -> [N, H, L, D] as views; the fused kernel reads the strides directly.
    auto split = [&](const torch::Tensor& t) { return t.view({ n, t.size(1), heads, d }).transpose(1, 2); };
    auto out = at::scaled_dot_product_attention(split(q), split(k), split(v));
    return out.transpose(1, 2).reshape({ n, lq, c }); // [N, H, Lq, D] -> [N, Lq, H*D]
#else
    // Each (sample, head) pair is a strided [L, D] slice of the [N, L, H*D] tensors (row stride
    // H*D), which BLAS reads in place: no head split / merge copies. The work is cut into
    // (sample, head, block of queries) items spread over the threads, each running its matrix
    // products and softmax single-threaded on a private score block of about 4 MiB: Debian's
    // OpenBLAS would otherwise wake its own thread pool for every small product, and with few
    // cores its threads and the OpenMP ones steal each other's cores (measured: 2-3x slower).
    const int64_t lk = k.size(1);
    const double scale = 1.0 / std::sqrt(double(d));
    const torch::Tensor qs = q * scale; // scale once, on the small side
    auto out = torch::empty({ n, lq, c }, q.options());
    const bool lowPrecision = q.scalar_type() != torch::kFloat && q.scalar_type() != torch::kDouble;
    const int64_t chunk = std::clamp<int64_t>((int64_t(4) << 20) / (4 * std::max<int64_t>(lk, 1)), 16, lq);
    const int64_t blocks = (lq + chunk - 1) / chunk;
    SingleThreadedBlas blasGuard;
    const bool inference = c10::InferenceMode::is_enabled(); // thread-local: pass it to the workers
    at::parallel_for(0, n * heads * blocks, 1, [&](int64_t begin, int64_t end) {
        c10::InferenceMode inferenceGuard(inference);
        auto scoresBuf = torch::empty({ chunk, lk }, q.options());
        for (int64_t item = begin; item < end; ++item) {
            const int64_t b = item / (heads * blocks), h = item / blocks % heads, r = item % blocks * chunk;
            const int64_t rows = std::min(chunk, lq - r);
            const auto kt = k[b].narrow(1, h * d, d).t(); // [D, Lk]
            const auto vh = v[b].narrow(1, h * d, d); // [Lk, D]
            auto scores = scoresBuf.narrow(0, 0, rows);
            at::mm_out(scores, qs[b].narrow(1, h * d, d).narrow(0, r, rows), kt);
            auto outRows = out[b].narrow(1, h * d, d).narrow(0, r, rows); // written in place
            if (lowPrecision) {
                at::mm_out(outRows, at::softmax(scores, -1, torch::kFloat).to(q.scalar_type()), vh);
            } else {
                kernels::softmaxRows(scores.data_ptr<float>(), rows, lk); // in place
                at::mm_out(outRows, scores, vh);
            }
        }
    });
    return out;
#endif
}

bool isOutOfMemory(const std::exception& e)
{
    if (dynamic_cast<const std::bad_alloc*>(&e))
        return true;
    const char* what = e.what();
    // CUDA: "CUDA out of memory"; CPU: "DefaultCPUAllocator: can't allocate memory"
    return std::strstr(what, "out of memory") || std::strstr(what, "can't allocate memory");
}

} // namespace qd::layers
