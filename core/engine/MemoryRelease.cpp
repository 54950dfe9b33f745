#include "MemoryRelease.h"

#include <cstdlib> // defines __GLIBC__ on glibc

#include <torch/cuda.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

// Only CUDA builds of LibTorch generate ATen/cuda/CUDAConfig.h (Debian's CPU build ships the c10/cuda
// headers but not the c10_cuda library, so those headers alone prove nothing).
#if __has_include(<ATen/cuda/CUDAConfig.h>)
#include <ATen/cuda/CUDAConfig.h>
#if AT_CUDA_ENABLED()
#include <c10/cuda/CUDACachingAllocator.h>
#define QD_CUDA_CACHING_ALLOCATOR 1
#endif
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
