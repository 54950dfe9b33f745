#include "pipeline/MemoryRelease.h"

#include <cstdlib> // defines __GLIBC__ on glibc

#include <torch/cuda.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

// Only CUDA (and ROCm) builds of LibTorch generate ATen/cuda/CUDAConfig.h: Debian's CPU build ships
// the c10/cuda headers but not the c10_cuda library, so those headers alone prove nothing. The file
// defines AT_ROCM_ENABLED() but no AT_CUDA_ENABLED() (seen in LibTorch 2.11 + CUDA 13, where
// this releases a freed 1 GiB tensor's block back to the driver).
#if __has_include(<ATen/cuda/CUDAConfig.h>) && __has_include(<c10/cuda/CUDACachingAllocator.h>)
#include <ATen/cuda/CUDAConfig.h>
#if !defined(AT_ROCM_ENABLED)
#define QD_CUDA_CACHING_ALLOCATOR 1
#elif !AT_ROCM_ENABLED()
#define QD_CUDA_CACHING_ALLOCATOR 1
#endif
#endif
#if defined(QD_CUDA_CACHING_ALLOCATOR)
#include <c10/cuda/CUDACachingAllocator.h>
#endif

namespace qd
{

void releaseFreedMemory()
{
#if defined(QD_CUDA_CACHING_ALLOCATOR)
    if (torch::cuda::is_available())
        c10::cuda::CUDACachingAllocator::emptyCache();
#endif
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
}

} // namespace qd
