// qdiffusion-cli bench: times one generation phase by phase (load, text, sampling steps, VAE) and
// reports peak memory. Builds with LibTorch alone, so it runs on a bare CUDA machine too.
#include <chrono>
#include <cstdio>
#include <iostream>

#include <sys/resource.h>

#include <torch/cuda.h>

#include "CliCommon.h"
#include "Commands.h"
#include "core/engine/EngineInfo.h"
#include "core/engine/Pipeline.h"

namespace qd::cli
{

namespace
{

struct BenchOptions {
    std::string ckpt, config, device = "cpu", dtype = "fp32", sampler = "Euler",
                              prompt = "a fantasy landscape, epic mountains and sunset";
    std::string preview = "none", taesd, controlnet;
    int steps = 20, width = 512, height = 512, batch = 1, runs = 1, threads = 0, previewInterval = 1;
    double cfg = 7.0;
};

double peakRssMiB()
{
    rusage u {};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss / 1024.0;
}

double since(std::chrono::steady_clock::time_point t)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

int run(const BenchOptions& o)
{
    const int threads = configureThreads(o.threads);
    GenerationParams p;
    p.prompt = o.prompt;
    p.negativePrompt = "blurry, low quality";
    p.sampler = o.sampler;
    p.steps = o.steps;
    p.cfgScale = o.cfg;
    p.width = o.width;
    p.height = o.height;
    p.batchSize = o.batch;
    p.seed = 1234;
    try {
        validateParams(p);
        validateDevice(o.device, o.dtype);
    } catch (const EngineError& e) {
        return badInput(e.what());
    }
    ModelSpec spec;
    spec.checkpoint = o.ckpt;
    spec.config = o.config;
    spec.device = o.device;
    spec.dtype = o.dtype;
    PreviewOptions preview;
    preview.method = previewMethodFromName(o.preview).value_or(PreviewMethod::None); // CLI11 checked it
    preview.interval = o.previewInterval;
    preview.taesdPath = o.taesd;
    if (preview.method == PreviewMethod::Taesd && o.taesd.empty())
        return badInput(
            "--preview taesd needs --taesd FILE (taesd_decoder.safetensors or taesdxl_decoder.safetensors)");
    auto t0 = std::chrono::steady_clock::now();
    std::unique_ptr<Pipeline> pipeline;
    try {
        pipeline = Pipeline::open(spec);
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
    const double loadSecs = since(t0);
    const ModelInfo info = pipeline->info();
    std::printf("model      %s (%s, %s)\ndevice     %s %s, %d CPU threads, LibTorch %s\n", info.name.c_str(),
        familyName(info.family), info.prediction.c_str(), o.device.c_str(), o.dtype.c_str(), threads,
        torchVersion().c_str());
    std::printf("size       %dx%d, batch %d, %d steps of %s, CFG %.1f, preview %s\n", o.width, o.height,
        o.batch, o.steps, o.sampler.c_str(), o.cfg, o.preview.c_str());
    std::printf("load       %.2f s\n", loadSecs);
    // With --controlnet the same runs again with one unit (a synthetic map at the image size): the
    // unit's cost per step, against the plain step
    std::vector<double> perStepOf; // [plain, with ControlNet]
    for (int config = 0; config < (o.controlnet.empty() ? 1 : 2); ++config) {
        if (config == 1) {
            ControlNetUnit unit;
            unit.model = o.controlnet;
            unit.image.width = o.width;
            unit.image.height = o.height;
            unit.image.pixels.resize(size_t(o.width) * o.height * 3);
            for (size_t i = 0; i < unit.image.pixels.size(); ++i)
                unit.image.pixels[i] = uint8_t((i / 3 % size_t(o.width)) * 255 / size_t(o.width));
            p.controlNets = { unit };
            std::printf("with one ControlNet unit (%s)\n", o.controlnet.c_str());
        }
        double best = 0;
        for (int run = 0; run < o.runs; ++run) {
            std::vector<double> stepTimes;
            auto last = std::chrono::steady_clock::now();
            const auto start = last;
            double firstStepAt = 0;
            const bool cuda = o.device.rfind("cuda", 0) == 0;
            pipeline->generate(
                p, {}, preview,
                [&](const StepUpdate& u) {
                    if (cuda) // GPU work is asynchronous: a step ends when its kernels do
                        torch::cuda::synchronize();
                    const auto now = std::chrono::steady_clock::now();
                    if (stepTimes.empty())
                        firstStepAt = std::chrono::duration<double>(now - start).count();
                    stepTimes.push_back(std::chrono::duration<double>(now - last).count());
                    last = now;
                },
                nullptr);
            const double total = since(start);
            double steady = 0;
            for (size_t i = 1; i < stepTimes.size(); ++i)
                steady += stepTimes[i];
            const double perStep = stepTimes.size() > 1 ? steady / double(stepTimes.size() - 1) : firstStepAt;
            const double tail = since(last); // VAE decode after the last step
            std::printf("run %d      total %.2f s | text + first step %.2f s | %.3f s/step (%.2f it/s) | "
                        "decode %.2f s\n",
                run + 1, total, firstStepAt, perStep, perStep > 0 ? 1.0 / perStep : 0.0, tail);
            best = run == 0 ? perStep : std::min(best, perStep);
        }
        perStepOf.push_back(best);
    }
    if (perStepOf.size() == 2 && perStepOf[0] > 0)
        std::printf("ControlNet +%.3f s/step: %.0f %% of the plain step (best runs)\n",
            perStepOf[1] - perStepOf[0], 100.0 * (perStepOf[1] - perStepOf[0]) / perStepOf[0]);
    std::printf("peak RSS   %.0f MiB\n", peakRssMiB());
    return 0;
}

} // namespace

Command addBench(CLI::App& app)
{
    auto o = std::make_shared<BenchOptions>();
    CLI::App* sub = app.add_subcommand("bench", "Time a generation phase by phase and print the figures");
    sub->add_option("--ckpt", o->ckpt, "Checkpoint (none = the demo model)");
    sub->add_option("--config", o->config, "Model config YAML");
    sub->add_option("--device", o->device, "cpu, cuda or cuda:N")->capture_default_str();
    sub->add_option("--dtype", o->dtype, "fp32, fp16 or bf16")->capture_default_str();
    sub->add_option("--sampler", o->sampler, "Sampler label")->capture_default_str();
    sub->add_option("--steps", o->steps, "Sampling steps")->capture_default_str();
    sub->add_option("--W", o->width, "Width")->capture_default_str();
    sub->add_option("--H", o->height, "Height")->capture_default_str();
    sub->add_option("--batch-size", o->batch, "Images per batch")->capture_default_str();
    sub->add_option("--cfg-scale", o->cfg, "CFG scale (1 skips the unconditional pass)")
        ->capture_default_str();
    sub->add_option("--runs", o->runs, "Timed runs after loading")->capture_default_str();
    sub->add_option("--threads", o->threads, "CPU threads (0 = all cores)")->capture_default_str();
    sub->add_option("--preview", o->preview, "Per-step preview: none, cheap, taesd or vae")
        ->capture_default_str()
        ->check(CLI::IsMember({ "none", "cheap", "taesd", "vae" }));
    sub->add_option("--preview-interval", o->previewInterval, "Preview every N steps (taesd, vae)")
        ->capture_default_str();
    sub->add_option("--taesd", o->taesd, "TAESD decoder file for --preview taesd");
    sub->add_option("--controlnet", o->controlnet,
        "Also time the steps with this ControlNet (make-checkpoint --arch controlnet-sd15) and print its "
        "cost");
    return { sub, [o] { return run(*o); } };
}

} // namespace qd::cli
