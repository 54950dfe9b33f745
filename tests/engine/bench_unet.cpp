// bench_unet: one full-size SD 1.5 UNet forward (64 x 64 latent = 512 x 512 px, batch 2 as with
// classifier-free guidance, fp32) on this machine. Weights follow the conformance fill rule over
// the real key names, so no checkpoint is needed. Prints seconds per forward and the threads used.
//   bench_unet [repeats=3] [threads=0 (all cores)]
// Also printed: CPU seconds per forward (all threads; includes OpenMP threads spinning while they
// wait, which OMP_WAIT_POLICY=PASSIVE avoids) and the machine's load, since a busy machine
// changes wall-clock figures a lot.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include <torch/torch.h>

#include "core/engine/EngineInfo.h"
#include "core/engine/models/FillRule.h"
#include "core/engine/models/UNetModel.h"

static double cpuSeconds()
{
    rusage r {};
    getrusage(RUSAGE_SELF, &r);
    return double(r.ru_utime.tv_sec + r.ru_stime.tv_sec)
        + 1e-6 * double(r.ru_utime.tv_usec + r.ru_stime.tv_usec);
}

int main(int argc, char** argv)
{
    const int repeats = argc > 1 ? std::max(1, std::atoi(argv[1])) : 3;
    const int threads = qd::configureThreads(argc > 2 ? std::atoi(argv[2]) : 0);
    c10::InferenceMode guard;
    using Clock = std::chrono::steady_clock;
    auto seconds = [](Clock::time_point a, Clock::time_point b) {
        return std::chrono::duration<double>(b - a).count();
    };

    const auto t0 = Clock::now();
    qd::UNetModel unet(qd::UNetConfig::sd15());
    // Fill every parameter in place with the rule's values for its single-file key.
    int64_t params = 0;
    for (auto& p : unet.named_parameters()) {
        qd::fillRule(std::string(qd::UNetModel::kPrefix) + p.key(), p.value().sizes().vec(),
            p.value().data_ptr<float>());
        params += p.value().numel();
    }
    const auto t1 = Clock::now();
    std::printf(
        "SD 1.5 UNet: %.1f M parameters, built and filled in %.2f s\n", params / 1e6, seconds(t0, t1));

    torch::manual_seed(0);
    const auto x = torch::randn({ 2, 4, 64, 64 });
    const auto t = torch::tensor({ 999.f, 999.f });
    const auto context = torch::randn({ 2, 77, 768 });
    double best = 1e30, total = 0, cpuTotal = 0;
    for (int i = 0; i <= repeats; ++i) {
        const double c0 = cpuSeconds();
        const auto a = Clock::now();
        const auto out = unet.forward(x, t, context);
        const auto b = Clock::now();
        const double c1 = cpuSeconds();
        if (!torch::isfinite(out).all().item<bool>()) {
            std::fprintf(stderr, "non-finite output\n");
            return 1;
        }
        if (i == 0) { // the first run pays for oneDNN's kernel generation and page faults
            std::printf("warm-up forward: %.2f s\n", seconds(a, b));
            continue;
        }
        best = std::min(best, seconds(a, b));
        total += seconds(a, b);
        cpuTotal += c1 - c0;
    }
    std::string load;
    std::getline(std::ifstream("/proc/loadavg"), load);
    const char* wait = std::getenv("OMP_WAIT_POLICY");
    std::printf("SD 1.5 UNet forward, 64x64 latent, batch 2, fp32, %d threads (%s): %.2f s per forward "
                "(mean of %d, best %.2f s), %.2f CPU s per forward; OMP_WAIT_POLICY=%s; load average %s\n",
        threads, qd::deviceSummary().c_str(), total / repeats, repeats, best, cpuTotal / repeats,
        wait ? wait : "(unset)", load.c_str());
    return 0;
}
