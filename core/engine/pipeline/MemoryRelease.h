#pragma once
// Memory that a released model leaves behind. Freeing a model's tensors does not by itself shrink
// the process: glibc keeps freed heap pages in its arenas for reuse (a 4 GB SD 1.5 model left about
// 400 MB resident after its release, tests/bench/bench_modelswitch), and LibTorch's CUDA caching
// allocator keeps freed blocks reserved on the GPU. Users switching models expect the memory back
// (docs/reference.md §7).
namespace qd
{

// Returns freed memory to the system: malloc_trim(0) where the C library is glibc, and the CUDA
// caching allocator's unused blocks where LibTorch was built with CUDA and a device is present.
// Call it after the last reference to a model is gone; it takes milliseconds and is harmless when
// there is nothing to return.
void releaseFreedMemory();

} // namespace qd
