#pragma once
// Two element-wise kernels for float32 on the CPU, where Debian's LibTorch 1.13 evaluates exp()
// and erf() one element at a time (measured 1.7 ns per exp, against 0.2 ns vectorised): the
// attention softmax and the GEGLU gate are a tenth of a CPU UNet step that way. Vectorised here
// with GCC / Clang vector extensions, compiled for AVX-512, AVX2 and the baseline and picked at
// run time. exp() is Cephes' expf (within 2 ulp), erf() Abramowitz & Stegun 7.1.26 (within
// 1.5e-7), as in ATen's own vectorised versions.
#include <cstdint>

#include <torch/types.h>

namespace qd::kernels
{

// Softmax over each row of a contiguous float32 block [rows, n], in place, rows spread over
// LibTorch's threads unless already inside a parallel region.
void softmaxRows(float* data, int64_t rows, int64_t n);

// GEGLU (Shazeer 2020) with the exact (erf) GELU: proj [..., 2 * inner] -> [..., inner],
// out = proj[..., :inner] * gelu(proj[..., inner:]). Any dtype / device; float32 CPU tensors take
// the vectorised path.
torch::Tensor geglu(const torch::Tensor& proj);

} // namespace qd::kernels
