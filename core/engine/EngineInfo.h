#pragma once
// Facts about the engine build and the machine it runs on, for --version, logs and benchmarks.
#include <string>

namespace qd
{

std::string engineVersion(); // QDiffusion version
std::string torchVersion(); // LibTorch version the engine was built against, e.g. "1.13.1"
bool cudaAvailable();
std::string deviceSummary(); // "CPU (2 threads)" or "CUDA: NVIDIA H100 ..."

// LibTorch starts with one intra-op thread on some machines; use every core unless the user (or
// QD_NUM_THREADS) says otherwise. n <= 0 means "all cores". Returns the count in force.
int configureThreads(int n = 0);

// OpenMP (LibTorch's threads) spins between parallel regions by default, fighting OpenBLAS's own
// threads for the same cores: a CLIP-L encode measured 3.3 s spinning vs 0.42 s passive on 2 busy
// cores. libgomp reads OMP_WAIT_POLICY when it loads, before main(), so when it is unset this sets
// it to PASSIVE and re-executes the program once (argv unchanged). Call first thing in main().
void ensurePassiveOpenMpWait(char** argv);

// Lowers the calling thread's CPU priority by `niceIncrement` (Linux: the thread's nice value; a
// no-op elsewhere). Threads it starts later, LibTorch's OpenMP team among them, inherit it. The
// inference thread calls it so that, on a machine with few cores, the GUI thread gets a core as soon
// as it wakes. (OpenBLAS's worker threads, started by the main thread, keep their priority.)
void lowerCurrentThreadPriority(int niceIncrement);

} // namespace qd
