#include "core/demo/train/DemoTrainer.h"

#include <ATen/CPUGeneratorImpl.h>

#ifdef QD_DEMO_PNG
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#endif

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <map>
#include <random>
#include <sstream>
#include <stdexcept>
#include <unordered_map>

#include "core/demo/ShapesDataset.h"
#include "core/engine/io/SafeTensors.h"
#include "core/engine/text/ClipTokenizer.h"

namespace qd::demo
{

using torch::Tensor;
namespace fs = std::filesystem;

namespace
{

enum Stage : int { StageVae = 1, StageUnet = 2, StageDone = 3 };

// Per-step randomness: a function of (seed, stage, step) only, so a resumed run draws what an
// uninterrupted one would have drawn.
uint64_t stepSeed(uint64_t seed, int stage, int64_t step)
{
    std::seed_seq seq { uint32_t(seed), uint32_t(seed >> 32), uint32_t(stage), uint32_t(step),
        uint32_t(step >> 32) };
    std::mt19937_64 rng(seq);
    return rng();
}

Tensor imageTensor(const cv::Mat& rgb)
{
    Tensor t = torch::from_blob(rgb.data, { rgb.rows, rgb.cols, 3 }, torch::kUInt8).clone();
    return t.permute({ 2, 0, 1 }).to(torch::kFloat32).div_(127.5).sub_(1.0);
}

// AdamW written out, so that its moments are plain tensors saved with the rest of the state.
struct Adam {
    std::vector<Tensor> params, m, v;
    int64_t steps = 0;
    double beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0.0;
    explicit Adam(std::vector<Tensor> p)
        : params(std::move(p))
    {
        for (const auto& t : params) {
            m.push_back(torch::zeros_like(t));
            v.push_back(torch::zeros_like(t));
        }
    }
    void step(double lr)
    {
        torch::NoGradGuard g;
        ++steps;
        const double bc1 = 1 - std::pow(beta1, double(steps)), bc2 = 1 - std::pow(beta2, double(steps));
        for (size_t i = 0; i < params.size(); ++i) {
            const Tensor& grad = params[i].grad();
            if (!grad.defined())
                continue;
            if (weightDecay > 0)
                params[i].mul_(1 - lr * weightDecay);
            m[i].mul_(beta1).add_(grad, 1 - beta1);
            v[i].mul_(beta2).addcmul_(grad, grad, 1 - beta2);
            params[i].addcdiv_(m[i], (v[i] / bc2).sqrt_().add_(eps), -lr / bc1);
        }
    }
    void zeroGrad()
    {
        for (auto& p : params)
            if (p.grad().defined())
                p.grad().zero_();
    }
};

double clipGradNorm(const std::vector<Tensor>& params, double maxNorm)
{
    torch::NoGradGuard g;
    double total = 0;
    for (const auto& p : params)
        if (p.grad().defined())
            total += p.grad().pow(2).sum().item<double>();
    total = std::sqrt(total);
    if (total > maxNorm)
        for (const auto& p : params)
            if (p.grad().defined())
                p.grad().mul_(maxNorm / (total + 1e-6));
    return total;
}

std::string formatDuration(double seconds)
{
    const int64_t s = int64_t(seconds + 0.5);
    std::ostringstream o;
    o << s / 3600 << ':' << std::setw(2) << std::setfill('0') << (s / 60) % 60 << ':' << std::setw(2)
      << s % 60;
    return o.str();
}

// Loss, speed and time left, every `every` steps.
class Progress
{
public:
    Progress(std::ostream& log, std::string what, int64_t total, int64_t first, int every)
        : m_log(log)
        , m_what(std::move(what))
        , m_total(total)
        , m_first(first)
        , m_every(every)
        , m_start(std::chrono::steady_clock::now())
    {
    }
    void add(int64_t step, double loss, int64_t items)
    {
        m_itemsDone += items;
        m_sum += loss;
        ++m_count;
        if ((step + 1) % m_every != 0 && step + 1 != m_total)
            return;
        const double elapsed
            = std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
        const double perStep = elapsed / double(step + 1 - m_first);
        m_last = m_sum / m_count;
        const auto precision = m_log.precision(); // the figures below change it; give it back
        m_log << m_what << " step " << step + 1 << '/' << m_total << "  loss " << std::setprecision(5)
              << m_last << "  " << std::setprecision(3) << double(m_itemsDone) / elapsed
              << " samples/s  elapsed " << formatDuration(elapsed) << "  ETA "
              << formatDuration(perStep * double(m_total - step - 1)) << std::endl;
        m_log.precision(precision);
        m_sum = 0;
        m_count = 0;
    }
    double last() const { return m_last; }

private:
    std::ostream& m_log;
    std::string m_what;
    int64_t m_total, m_first;
    int m_every;
    int64_t m_itemsDone = 0;
    std::chrono::steady_clock::time_point m_start;
    double m_sum = 0, m_last = 0;
    int m_count = 0;
};

// A double as text that reads back to the same double (std::to_string keeps six decimals: a resumed
// run would scale its latents differently).
std::string exactText(double v)
{
    std::ostringstream s;
    s.precision(17);
    s << v;
    return s.str();
}

std::string netSignature(const DemoNetConfig& c)
{
    return ldmYaml(c, 0.0);
}

// Pictures [N, 3, H, W] in [-1, 1] side by side, 8 a row, as a PNG (nothing without imgcodecs).
void writeGrid(const std::string& path, const Tensor& images, std::ostream& log)
{
#ifdef QD_DEMO_PNG
    const Tensor u8 = ((images.detach().cpu().clamp(-1, 1) + 1) * 127.5).round().to(torch::kUInt8);
    const int64_t n = u8.size(0), h = u8.size(2), w = u8.size(3), cols = std::min<int64_t>(8, n);
    const int64_t rows = (n + cols - 1) / cols;
    cv::Mat grid(int(rows * h), int(cols * w), CV_8UC3, cv::Scalar(255, 255, 255));
    for (int64_t i = 0; i < n; ++i) {
        const Tensor hwc = u8[i].permute({ 1, 2, 0 }).contiguous();
        cv::Mat rgb(int(h), int(w), CV_8UC3, hwc.data_ptr<uint8_t>());
        cv::Mat bgr;
        cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
        bgr.copyTo(grid(cv::Rect(int((i % cols) * w), int((i / cols) * h), int(w), int(h))));
    }
    if (cv::imwrite(path, grid))
        log << "wrote " << path << std::endl;
#else
    (void)path, (void)images, (void)log;
#endif
}

const char* kSamplePrompts[] = { "a red circle on a blue background",
    "a large yellow star on a black background", "a small green triangle on the left, white background",
    "two blue squares at the top, yellow background", "a pink ring on a grey background",
    "a white cross on a brown background", "a red star on a green background",
    "a purple circle on an orange background" };

} // namespace

DemoTrainResult trainDemoModel(const DemoTrainOptions& o, std::ostream& log)
{
    if (o.outDir.empty())
        throw std::runtime_error("train-demo: no output folder given");
    std::error_code ec;
    fs::create_directories(o.outDir, ec);
    if (ec)
        throw std::runtime_error("train-demo: cannot create " + o.outDir + ": " + ec.message());
    if (o.threads > 0)
        torch::set_num_threads(o.threads);
    const torch::Device device(o.device);
    torch::manual_seed(o.seed);

    DemoVae vae(o.net);
    DemoUNet unet(o.net);
    DemoTextEncoder text(o.net);
    vae->to(device);
    unet->to(device);
    text->to(device);

    const fs::path statePath = fs::path(o.outDir) / "train-state.safetensors";
    const fs::path latentPath = fs::path(o.outDir) / "train-latents.safetensors";
    int stage = StageVae;
    int64_t step = 0;
    double scaleFactor = 0;
    const int64_t vaeTotal = int64_t(o.vaeSteps) + o.vaeFullSteps;
    int64_t vaeDone = 0; // VAE steps the state's weights have had

    std::vector<Tensor> vaeParams = vae->parameters(), denoiseParams = unet->parameters();
    for (auto& p : text->parameters())
        denoiseParams.push_back(p);
    Adam vaeAdam(vaeParams), unetAdam(denoiseParams);
    std::vector<Tensor> ema;

    auto weights = [&] { return checkpointWeights(*unet, *vae, *text); };
    auto saveState = [&]() {
        StateDict sd = weights();
        for (auto& [k, t] : sd)
            t = t.cpu();
        Adam& adam = stage == StageVae ? vaeAdam : unetAdam;
        for (size_t i = 0; i < adam.params.size(); ++i) {
            sd["adam.m." + std::to_string(i)] = adam.m[i].cpu();
            sd["adam.v." + std::to_string(i)] = adam.v[i].cpu();
        }
        for (size_t i = 0; i < ema.size(); ++i)
            sd["ema." + std::to_string(i)] = ema[i].cpu();
        saveSafetensors(statePath.string(), sd,
            { { "stage", std::to_string(stage) }, { "step", std::to_string(step) },
                { "adam_steps", std::to_string(adam.steps) }, { "scale_factor", exactText(scaleFactor) },
                { "seed", std::to_string(o.seed) }, { "net", netSignature(o.net) },
                { "vae_done", std::to_string(vaeDone) } });
    };

    if (fs::exists(statePath)) {
        const auto meta = safetensorsMetadata(statePath.string());
        auto get = [&](const char* key) {
            const auto it = meta.find(key);
            if (it == meta.end())
                throw std::runtime_error(statePath.string() + ": not a train-demo state (no '" + key + "')");
            return it->second;
        };
        if (get("net") != netSignature(o.net) || get("seed") != std::to_string(o.seed))
            throw std::runtime_error(statePath.string()
                + " was written by a run with other network sizes or another seed; remove it or use another "
                  "folder");
        const StateDict sd = loadSafetensors(statePath.string());
        torch::NoGradGuard g;
        for (auto& [k, t] : weights())
            t.copy_(sd.at(k));
        stage = std::stoi(get("stage"));
        step = std::stoll(get("step"));
        scaleFactor = std::stod(get("scale_factor"));
        Adam& adam = stage == StageVae ? vaeAdam : unetAdam;
        adam.steps = std::stoll(get("adam_steps"));
        for (size_t i = 0; i < adam.params.size(); ++i) {
            adam.m[i].copy_(sd.at("adam.m." + std::to_string(i)));
            adam.v[i].copy_(sd.at("adam.v." + std::to_string(i)));
        }
        for (size_t i = 0; sd.count("ema." + std::to_string(i)); ++i)
            ema.push_back(sd.at("ema." + std::to_string(i)).to(device));
        const auto done = meta.find("vae_done");
        // (states written before the whole-image steps existed had only the crop steps)
        vaeDone = done != meta.end() ? std::stoll(done->second)
                                     : (stage == StageVae ? step : int64_t(o.vaeSteps));
        log << "resuming " << statePath.string() << ": stage " << stage << ", step " << step << std::endl;
        if (stage == StageDone && step < o.unetSteps) { // exported before, now asked for more UNet steps
            stage = StageUnet;
            log << "continuing the UNet from step " << step << " to " << o.unetSteps << std::endl;
        }
        if (stage == StageUnet && step == 0 && vaeDone < vaeTotal) {
            // The VAE stage ended with fewer steps than now asked and the UNet has not started: go on
            // with the VAE (fresh Adam moments); its latents and scale factor are made anew.
            stage = StageVae;
            step = vaeDone;
            scaleFactor = 0;
            log << "continuing the VAE from step " << step << " to " << vaeTotal << std::endl;
        }
    }

    int64_t params = 0;
    for (auto* m : std::initializer_list<const torch::nn::Module*> { vae.get(), unet.get(), text.get() })
        for (const auto& p : m->parameters())
            params += p.numel();
    log << "demo model: " << params << " parameters (UNet " <<
        [&] {
            int64_t n = 0;
            for (const auto& p : unet->parameters())
                n += p.numel();
            return n;
        }()
        << "), device " << o.device << ", " << torch::get_num_threads() << " threads" << std::endl;

    DemoTrainResult result;
    result.parameters = params;
    int64_t ran = 0; // steps of this run, for stopAfter
    auto stopHere = [&]() {
        if (o.stopAfter <= 0 || ++ran < o.stopAfter)
            return false;
        ++step;
        saveState();
        log << "stopped after " << ran << " steps; state saved in " << statePath.string() << std::endl;
        return true;
    };

    // ---- stage 1: the VAE ---------------------------------------------------------------------
    if (stage == StageVae) {
        vae->train();
        Progress progress(log, "vae", vaeTotal, step, o.logEvery);
        for (; step < vaeTotal; ++step) {
            std::mt19937_64 rng(stepSeed(o.seed, StageVae, step));
            std::vector<Tensor> images, backgrounds;
            const bool whole = step >= o.vaeSteps;
            for (int i = 0; i < (whole ? o.vaeFullBatch : o.vaeBatch); ++i) {
                const Scene scene = sampleScene(rng, o.holdOut);
                Tensor img = imageTensor(drawScene(scene, o.imageSize));
                const cv::Vec3b bg = namedColours()[size_t(scene.background)].rgb;
                backgrounds.push_back(
                    torch::tensor({ float(bg[0]), float(bg[1]), float(bg[2]) }) / 127.5 - 1.0);
                if (!whole && o.vaeCrop > 0 && o.vaeCrop < o.imageSize) {
                    const int x = randomInt(rng, o.imageSize - o.vaeCrop + 1) & ~7;
                    const int y = randomInt(rng, o.imageSize - o.vaeCrop + 1) & ~7;
                    img = img.slice(1, y, y + o.vaeCrop).slice(2, x, x + o.vaeCrop);
                }
                images.push_back(img);
            }
            const Tensor x = torch::stack(images).to(device);
            auto gen = at::detail::createCPUGenerator(stepSeed(o.seed, StageVae + 10, step));
            const auto [mean, logvar] = vae->encode(x);
            const Tensor eps = torch::randn(mean.sizes(), gen, torch::kFloat32).to(device);
            const Tensor z = mean + torch::exp(0.5 * logvar) * eps;
            const Tensor rec = vae->decode(z);
            // LDM's loss with its ratio: summed L1 over pixels + 1e-6 x summed KL, here per pixel.
            const Tensor kl = 0.5 * (mean.pow(2) + logvar.exp() - 1.0 - logvar).sum() / double(x.size(0));
            Tensor l1 = (rec - x).abs();
            if (o.vaeShapeWeight != 1.0) {
                const Tensor bg = torch::stack(backgrounds).view({ -1, 3, 1, 1 }).to(device);
                const Tensor shape = ((x - bg).abs().amax(1, true) > 0.05).to(torch::kFloat32);
                l1 = l1 * (1.0 + (o.vaeShapeWeight - 1.0) * shape);
            }
            const Tensor loss = l1.mean() + o.klWeight * kl / double(x[0].numel());
            vaeAdam.zeroGrad();
            loss.backward();
            clipGradNorm(vaeParams, 1.0);
            const double warm = std::min(1.0, double(step + 1) / double(std::max(1, o.warmupSteps)));
            vaeAdam.step(whole
                    ? o.vaeFullLr
                    : o.vaeLr * warm * 0.5 * (1 + std::cos(M_PI * double(step) / double(o.vaeSteps))));
            vaeDone = step + 1;
            progress.add(step, loss.item<double>(), x.size(0));
            if (stopHere())
                return result;
            if ((step + 1) % o.saveEvery == 0)
                ++step, saveState(), --step;
        }
        result.finalVaeLoss = progress.last();
        if (o.sampleEvery > 0) { // eight scenes above their reconstructions
            torch::NoGradGuard g;
            vae->eval();
            std::mt19937_64 rng(stepSeed(o.seed, 7, 0));
            std::vector<Tensor> images;
            for (int i = 0; i < 8; ++i)
                images.push_back(imageTensor(drawScene(sampleScene(rng, false), o.imageSize)));
            const Tensor x = torch::stack(images).to(device);
            writeGrid((fs::path(o.outDir) / "vae-reconstruction.png").string(),
                torch::cat({ x, vae->decode(vae->encode(x).first) }), log);
        }
        stage = StageUnet;
        step = 0;
        saveState();
        if (o.vaeOnly) {
            log << "VAE stage done (" << vaeDone << " steps); state saved in " << statePath.string()
                << std::endl;
            return result;
        }
    }

    // ---- the latent cache ----------------------------------------------------------------------
    std::vector<Scene> scenes;
    {
        std::mt19937_64 rng(stepSeed(o.seed, 5, 0));
        for (int i = 0; i < o.latentScenes; ++i)
            scenes.push_back(sampleScene(rng, o.holdOut));
    }
    Tensor latMean, latStd;
    if (fs::exists(latentPath)) {
        const auto meta = safetensorsMetadata(latentPath.string());
        const auto it = meta.find("vae_done");
        if (it != meta.end() && it->second == std::to_string(vaeDone)) { // encoded by these VAE weights
            const StateDict sd = loadSafetensors(latentPath.string());
            latMean = sd.at("mean").to(torch::kFloat32);
            latStd = sd.at("std").to(torch::kFloat32);
        }
    }
    if (!latMean.defined() || latMean.size(0) != o.latentScenes) {
        vae->eval();
        torch::NoGradGuard g;
        std::vector<Tensor> means, stds;
        const auto start = std::chrono::steady_clock::now();
        for (int i = 0; i < o.latentScenes; i += 8) {
            std::vector<Tensor> images;
            for (int j = i; j < std::min(o.latentScenes, i + 8); ++j)
                images.push_back(imageTensor(drawScene(scenes[size_t(j)], o.imageSize)));
            const auto [mean, logvar] = vae->encode(torch::stack(images).to(device));
            means.push_back(mean.cpu());
            stds.push_back(torch::exp(0.5 * logvar).cpu());
        }
        latMean = torch::cat(means);
        latStd = torch::cat(stds);
        saveSafetensors(latentPath.string(), { { "mean", latMean }, { "std", latStd } },
            { { "vae_done", std::to_string(vaeDone) } });
        log << "encoded " << o.latentScenes << " scenes in "
            << formatDuration(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count())
            << std::endl;
    }
    if (scaleFactor <= 0) {
        // As SD chose 0.18215: one over the standard deviation of the latents the UNet sees.
        scaleFactor = 1.0 / latMean.std().item<double>();
        log << "latent scale factor " << scaleFactor << std::endl;
    }
    result.scaleFactor = scaleFactor;

    // ---- stage 2: UNet and text encoder -----------------------------------------------------
    const Tensor betas = torch::linspace(std::sqrt(0.00085), std::sqrt(0.012), 1000, torch::kFloat64).pow(2);
    const Tensor alphasCumprod = torch::cumprod(1.0 - betas, 0);
    std::unordered_map<std::string, std::vector<int64_t>> tokenCache;
    auto tokens = [&](const std::string& prompt) -> const std::vector<int64_t>& {
        auto it = tokenCache.find(prompt);
        if (it == tokenCache.end()) {
            const auto ids = ClipTokenizer::shared().encodePadded(prompt);
            it = tokenCache.emplace(prompt, std::vector<int64_t>(ids.begin(), ids.end())).first;
        }
        return it->second;
    };
    if (ema.empty())
        for (const auto& p : denoiseParams)
            ema.push_back(p.detach().clone());
    // DDIM (eta 0) with classifier-free guidance, on the averaged weights: how training is going.
    auto writeSamples = [&](int64_t atStep) {
        torch::NoGradGuard g;
        std::vector<Tensor> live;
        for (size_t i = 0; i < ema.size(); ++i) {
            live.push_back(denoiseParams[i].detach().clone());
            denoiseParams[i].copy_(ema[i]);
        }
        unet->eval();
        text->eval();
        const int64_t n = int64_t(std::size(kSamplePrompts)), side = o.imageSize / o.net.downFactor();
        std::vector<int64_t> ids;
        for (int64_t i = 0; i < 2 * n; ++i) {
            const auto& t = tokens(i < n ? std::string(kSamplePrompts[i]) : std::string());
            ids.insert(ids.end(), t.begin(), t.end());
        }
        const Tensor context = text->forward(torch::tensor(ids).view({ 2 * n, -1 }).to(device));
        auto gen = at::detail::createCPUGenerator(stepSeed(o.seed, 9, 0));
        Tensor x = torch::randn({ n, o.net.latentChannels, side, side }, gen, torch::kFloat32).to(device);
        const int steps = 20;
        for (int k = 0; k < steps; ++k) {
            const int64_t t = 999 - k * (1000 / steps), prev = t - 1000 / steps;
            const double a = alphasCumprod[t].item<double>(),
                         ap = prev >= 0 ? alphasCumprod[prev].item<double>() : 1.0;
            const Tensor both = unet->forward(
                torch::cat({ x, x }), torch::full({ 2 * n }, double(t), x.options()), context);
            const auto parts = both.chunk(2);
            const Tensor eps = parts[1] + 5.0 * (parts[0] - parts[1]);
            const Tensor x0 = (x - std::sqrt(1 - a) * eps) / std::sqrt(a);
            x = std::sqrt(ap) * x0 + std::sqrt(1 - ap) * eps;
        }
        writeGrid((fs::path(o.outDir) / ("samples-" + std::to_string(atStep) + ".png")).string(),
            vae->decode(x / scaleFactor), log);
        for (size_t i = 0; i < ema.size(); ++i)
            denoiseParams[i].copy_(live[i]);
        unet->train();
        text->train();
    };
    if (stage == StageUnet) {
        unet->train();
        text->train();
        Progress progress(log, "unet", o.unetSteps, step, o.logEvery);
        const int64_t B = o.unetBatch;
        for (; step < o.unetSteps; ++step) {
            std::mt19937_64 rng(stepSeed(o.seed, StageUnet, step));
            std::vector<int64_t> index(static_cast<size_t>(B)), ids, ts(static_cast<size_t>(B));
            for (int64_t i = 0; i < B; ++i) {
                index[size_t(i)] = randomInt(rng, o.latentScenes);
                const bool drop = randomUnit(rng) < o.dropPrompt;
                const auto& t
                    = tokens(drop ? std::string() : promptOf(scenes[size_t(index[size_t(i)])], rng));
                ids.insert(ids.end(), t.begin(), t.end());
                ts[size_t(i)] = randomInt(rng, 1000);
            }
            const Tensor idx = torch::tensor(index);
            const Tensor t = torch::tensor(ts);
            auto gen = at::detail::createCPUGenerator(stepSeed(o.seed, StageUnet + 10, step));
            const Tensor e1 = torch::randn(
                { B, o.net.latentChannels, latMean.size(2), latMean.size(3) }, gen, torch::kFloat32);
            const Tensor noise = torch::randn(e1.sizes(), gen, torch::kFloat32);
            const Tensor z0 = (latMean.index_select(0, idx) + latStd.index_select(0, idx) * e1) * scaleFactor;
            const Tensor ab = alphasCumprod.index_select(0, t).to(torch::kFloat32).view({ B, 1, 1, 1 });
            const Tensor xt = (ab.sqrt() * z0 + (1 - ab).sqrt() * noise).to(device);
            const Tensor context = text->forward(torch::tensor(ids).view({ B, -1 }).to(device));
            const Tensor pred = unet->forward(xt, t.to(torch::kFloat32).to(device), context);
            Tensor perSample = (pred - noise.to(device)).pow(2).mean({ 1, 2, 3 });
            if (o.minSnrGamma > 0) {
                const Tensor snr = (ab / (1 - ab)).view({ B });
                perSample = perSample * (snr.clamp_max(o.minSnrGamma) / snr).to(device);
            }
            const Tensor loss = perSample.mean();
            unetAdam.zeroGrad();
            loss.backward();
            clipGradNorm(denoiseParams, 1.0);
            const double warm = std::min(1.0, double(step + 1) / double(std::max(1, o.warmupSteps)));
            unetAdam.step(o.unetLr * warm
                * (0.1 + 0.9 * 0.5 * (1 + std::cos(M_PI * double(step) / double(o.unetSteps)))));
            {
                torch::NoGradGuard g;
                const double decay = std::min(o.emaDecay, double(1 + step) / double(10 + step));
                for (size_t i = 0; i < ema.size(); ++i)
                    ema[i].mul_(decay).add_(denoiseParams[i].detach(), 1 - decay);
            }
            progress.add(step, loss.item<double>(), B);
            if (stopHere())
                return result;
            if ((step + 1) % o.saveEvery == 0)
                ++step, saveState(), --step;
            if (o.sampleEvery > 0 && ((step + 1) % o.sampleEvery == 0 || step + 1 == o.unetSteps))
                writeSamples(step + 1);
        }
        result.finalUnetLoss = progress.last();
        stage = StageDone;
        saveState();
    }

    // ---- export: the averaged weights, in the single-file layout ---------------------------------
    {
        torch::NoGradGuard g;
        for (size_t i = 0; i < ema.size(); ++i)
            denoiseParams[i].copy_(ema[i]);
    }
    StateDict sd = weights();
    for (auto& [k, t] : sd)
        t = o.fp16Export ? t.cpu().to(torch::kFloat16) : t.cpu();
    const fs::path model = fs::path(o.outDir) / (o.modelName + ".safetensors");
    const fs::path yaml = fs::path(o.outDir) / (o.modelName + ".yaml");
    saveSafetensors(model.string(), sd,
        { { "qdiffusion.demo", "trained by qdiffusion-cli train-demo" }, { "seed", std::to_string(o.seed) },
            { "vae_steps", std::to_string(vaeDone) }, { "unet_steps", std::to_string(o.unetSteps) } });
    {
        std::ofstream f(yaml);
        f << ldmYaml(o.net, scaleFactor);
        if (!f)
            throw std::runtime_error("train-demo: cannot write " + yaml.string());
    }
    log << "wrote " << model.string() << " (" << fs::file_size(model) << " bytes) and " << yaml.string()
        << std::endl;
    result.modelPath = model.string();
    result.yamlPath = yaml.string();
    return result;
}

} // namespace qd::demo
