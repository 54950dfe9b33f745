// qdiffusion-cli bench-load: how long loading a checkpoint takes from the page cache and how much
// memory it needs at its peak (getrusage), the figures issue 3 sets goals for.
#include <chrono>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <vector>

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <torch/torch.h>

#include "Commands.h"
#include "core/engine/io/Checkpoint.h"

namespace qd::cli
{

namespace
{

double seconds(std::chrono::steady_clock::time_point since)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

uint64_t peakRssBytes()
{
    rusage u {};
    getrusage(RUSAGE_SELF, &u);
    return uint64_t(u.ru_maxrss) * 1024; // Linux reports KiB
}

uint64_t currentRssBytes()
{
    long pages = 0, resident = 0;
    if (FILE* f = std::fopen("/proc/self/statm", "r")) {
        if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2)
            resident = 0;
        std::fclose(f);
    }
    return uint64_t(resident) * uint64_t(sysconf(_SC_PAGESIZE));
}

// Reads the file once with read() into a small buffer: its pages land in the page cache without
// entering this process's resident set.
uint64_t warmPageCache(const std::string& path)
{
    const int fd = ::open(path.c_str(), O_RDONLY);
    if (fd < 0)
        throw EngineError(path + ": cannot open");
    std::vector<char> buf(16 << 20);
    uint64_t total = 0;
    ssize_t n;
    while ((n = ::read(fd, buf.data(), buf.size())) > 0)
        total += uint64_t(n);
    ::close(fd);
    return total;
}

double gb(uint64_t bytes)
{
    return double(bytes) / 1e9;
}

int benchLoad(const std::string& path, const std::string& dtypeName, bool touch)
{
    const CheckpointFormat format = detectCheckpointFormat(path);
    auto t0 = std::chrono::steady_clock::now();
    const uint64_t fileBytes = format == CheckpointFormat::Diffusers ? 0 : warmPageCache(path);
    const double warm = seconds(t0);
    const uint64_t baseline = currentRssBytes();

    CheckpointLoadOptions options;
    if (dtypeName == "fp32")
        options.floatDtype = torch::kFloat32;
    else if (dtypeName == "fp16")
        options.floatDtype = torch::kFloat16;
    else if (dtypeName == "bf16")
        options.floatDtype = torch::kBFloat16;
    t0 = std::chrono::steady_clock::now();
    StateDict sd = loadCheckpoint(path, options);
    const double load = seconds(t0);

    // Tensors that kept their dtype may still be unread pages of the mapping: read one byte per
    // page so the figures include getting every weight into memory.
    t0 = std::chrono::steady_clock::now();
    uint64_t tensorBytes = 0, checksum = 0;
    for (const auto& [k, t] : sd) {
        const uint64_t n = uint64_t(t.numel()) * t.element_size();
        tensorBytes += n;
        if (touch) {
            const auto* p = static_cast<const volatile unsigned char*>(t.data_ptr());
            for (uint64_t i = 0; i < n; i += 4096)
                checksum += p[i];
        }
    }
    const double touched = seconds(t0);
    const uint64_t peak = peakRssBytes();

    std::cout << std::fixed << std::setprecision(3);
    std::cout << "file:          " << path << " (" << formatName(format) << ", " << gb(fileBytes) << " GB)\n"
              << "page cache:    warmed in " << warm << " s\n"
              << "tensors:       " << sd.size() << ", " << gb(tensorBytes) << " GB as loaded ("
              << (options.floatDtype ? dtypeName : std::string("stored dtypes kept")) << ")\n"
              << "load:          " << load << " s\n";
    if (touch)
        std::cout << "touch:         " << touched << " s (one byte per page of every tensor; checksum "
                  << checksum << ")\n"
                  << "load + touch:  " << load + touched << " s (goal <= 2 s)\n";
    std::cout << "RSS before:    " << gb(baseline) << " GB (process, LibTorch)\n"
              << "peak RSS:      " << gb(peak) << " GB\n";
    if (fileBytes > 0 && !options.floatDtype)
        std::cout << "peak / file:   " << double(peak) / double(fileBytes)
                  << " (goal <= 1.3 with the stored dtype kept)\n";
    if (options.floatDtype)
        std::cout << "peak / loaded: " << double(peak) / double(tensorBytes)
                  << " (goal <= 1.1 when converting)\n";
    return 0;
}

} // namespace

Command addBenchLoadCommand(CLI::App& app)
{
    struct Options {
        std::string path;
        std::string dtype = "keep";
        bool noTouch = false;
    };
    auto o = std::make_shared<Options>();
    CLI::App* sub = app.add_subcommand("bench-load",
        "Time loading a checkpoint from the page cache and report the "
        "peak memory");
    sub->add_option("FILE", o->path, "Checkpoint file or diffusers folder")->required();
    sub->add_option("--dtype", o->dtype, "Convert floating tensors on load: keep, fp32, fp16 or bf16")
        ->check(CLI::IsMember({ "keep", "fp32", "fp16", "bf16" }));
    sub->add_flag("--no-touch", o->noTouch, "Do not read the loaded tensors' pages");
    return { sub, [o] {
                try {
                    return benchLoad(o->path, o->dtype, !o->noTouch);
                } catch (const std::exception& e) {
                    std::cerr << "error: " << e.what() << "\n";
                    return 1;
                }
            } };
}

} // namespace qd::cli
