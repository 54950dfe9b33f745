#include "EngineInfo.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <thread>

#include <unistd.h>
#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#endif

#include <torch/torch.h>
#include <torch/version.h>

namespace qd
{

std::string engineVersion()
{
    return QD_VERSION;
}

std::string torchVersion()
{
    return TORCH_VERSION;
}

bool cudaAvailable()
{
    return torch::cuda::is_available();
}

std::string deviceSummary()
{
    std::string s = "CPU (" + std::to_string(at::get_num_threads()) + " threads)";
    if (cudaAvailable())
        s += ", CUDA devices: " + std::to_string(torch::cuda::device_count());
    return s;
}

int configureThreads(int n)
{
    if (n <= 0) {
        if (const char* env = std::getenv("QD_NUM_THREADS"))
            n = std::atoi(env);
    }
    if (n <= 0)
        n = int(std::max(1u, std::thread::hardware_concurrency()));
    at::set_num_threads(n);
    return at::get_num_threads();
}

void ensurePassiveOpenMpWait(char** argv)
{
    if (std::getenv("OMP_WAIT_POLICY"))
        return;
    setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
    execv("/proc/self/exe", argv); // returns only on failure: then run on as we are
}

void lowerCurrentThreadPriority(int niceIncrement)
{
#ifdef __linux__
    // On Linux, setpriority(PRIO_PROCESS, tid) sets one thread's nice value (man 2 setpriority, BUGS).
    const id_t tid = id_t(syscall(SYS_gettid));
    errno = 0;
    const int current = getpriority(PRIO_PROCESS, tid);
    if (errno == 0)
        setpriority(PRIO_PROCESS, tid, std::min(19, current + niceIncrement)); // best effort
#else
    (void)niceIncrement;
#endif
}

} // namespace qd
