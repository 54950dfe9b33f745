#pragma once
// Facts about the engine build and the machine it runs on, for --version, logs and benchmarks.
#include <string>

namespace qd {

std::string engineVersion();   // QDiffusion version
std::string torchVersion();    // LibTorch version the engine was built against, e.g. "1.13.1"
bool cudaAvailable();
std::string deviceSummary();   // "CPU (2 threads)" or "CUDA: NVIDIA H100 ..."

// LibTorch starts with one intra-op thread on some machines; use every core unless the user (or
// QD_NUM_THREADS) says otherwise. n <= 0 means "all cores". Returns the count in force.
int configureThreads(int n = 0);

} // namespace qd
