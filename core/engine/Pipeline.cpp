#include "Pipeline.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>

#include <torch/torch.h>

#include "io/Checkpoint.h"
#include "io/DiffusersFolder.h"
#include "lora/Lora.h"
#include "models/LatentPreview.h"
#include "pipeline/ControlNetRun.h"
#include "pipeline/Generation.h"
#include "pipeline/Hires.h"
#include "pipeline/MemoryBudget.h"
#include "pipeline/SdModel.h"
#include "sampling/Noise.h"
#include "sampling/SamplingPlan.h"
#include "sampling/Schedules.h"
#include "text/Embeddings.h"
#include "text/PromptParser.h"

namespace fs = std::filesystem;

namespace qd
{

namespace
{

std::string joined(const std::vector<std::string>& names)
{
    std::string s;
    for (const auto& n : names)
        s += (s.empty() ? "" : ", ") + n;
    return s;
}

torch::ScalarType parseDtype(const std::string& dtype)
{
    if (dtype == "fp32" || dtype == "float32")
        return torch::kFloat32;
    if (dtype == "fp16" || dtype == "float16")
        return torch::kFloat16;
    if (dtype == "bf16" || dtype == "bfloat16")
        return torch::kBFloat16;
    throw EngineError("unknown dtype '" + dtype + "' (expected fp32, fp16 or bf16)");
}

// [B, 3, H, W] in [-1, 1] -> one image per batch row.
std::vector<Image> toImages(const torch::Tensor& decoded)
{
    std::vector<Image> out;
    const auto rgb01 = ((decoded.to(torch::kCPU, torch::kFloat32) + 1.0) / 2.0).clamp(0.0, 1.0);
    for (int64_t i = 0; i < rgb01.size(0); ++i)
        out.push_back(tensorToImage(rgb01[i]));
    return out;
}

// 8-bit RGB mask -> [1, 1, H, W] in [0, 1]: PIL's convert("L") luminance (ITU-R 601-2, its integer
// rounding), what diffusers' mask processor and AUTOMATIC1111 read a mask image as.
// GenerationParams::rngSource -> the source; "" is A1111's default, GPU.
RngSource resolveRngSource(const std::string& name)
{
    if (name.empty())
        return RngSource::Gpu;
    const auto source = rngSourceFromName(name);
    if (!source)
        throw EngineError("random number source '" + name + "' is not one of GPU, CPU, NV");
    return *source;
}

torch::Tensor maskToTensor(const Image& mask)
{
    if (mask.empty() || mask.pixels.size() != size_t(mask.width) * mask.height * 3)
        throw EngineError("mask image has " + std::to_string(mask.pixels.size()) + " bytes, expected "
            + std::to_string(size_t(mask.width) * mask.height * 3) + " for " + std::to_string(mask.width)
            + "x" + std::to_string(mask.height) + " RGB");
    auto rgb = torch::from_blob(
        const_cast<uint8_t*>(mask.pixels.data()), { mask.height, mask.width, 3 }, torch::kUInt8)
                   .to(torch::kInt32);
    // L = (19595 R + 38470 G + 7471 B + 2^15) >> 16
    const auto l
        = (rgb.select(2, 0) * 19595 + rgb.select(2, 1) * 38470 + rgb.select(2, 2) * 7471 + 32768) / 65536;
    return (l.to(torch::kFloat32) / 255.0).unsqueeze(0).unsqueeze(0);
}

// Sets a VAE tiling for one generation and puts the previous one back.
class VaeTilingScope
{
public:
    VaeTilingScope(AutoencoderKL& vae, const VaeTiling& tiling)
        : m_vae(vae)
        , m_saved(vae.tiling())
    {
        vae.setTiling(tiling);
    }
    ~VaeTilingScope() { m_vae.setTiling(m_saved); }
    VaeTilingScope(const VaeTilingScope&) = delete;
    VaeTilingScope& operator=(const VaeTilingScope&) = delete;

private:
    AutoencoderKL& m_vae;
    VaeTiling m_saved;
};

class SdPipeline final : public Pipeline
{
public:
    SdPipeline(std::unique_ptr<SdModel> model, ModelInfo info, std::string besideLoraDir)
        : m_model(std::move(model))
        , m_info(std::move(info))
        , m_besideLoraDir(std::move(besideLoraDir))
    {
    }

    ModelInfo info() const override { return m_info; }

    std::vector<GeneratedImage> generate(const GenerationParams& params, const GenerationInputs& inputs,
        const PreviewOptions& previewAsked, const StepCallback& onStep, CancelToken* cancel) override
    {
        validateParams(params);
        c10::InferenceMode guard;
        SdModel& m = *m_model;
        const bool img2img = !inputs.initImage.empty();
        const bool inpaint = img2img && !inputs.mask.empty();
        if (!inputs.mask.empty() && !img2img)
            throw EngineError("a mask was given without an init image (inpainting needs both)");

        // 0. LoRA: the prompt's <lora:...> tags (A1111 reads them from the positive prompt), merged
        // before the text encoders run; a job without tags restores the checkpoint's weights
        std::string loraHashes;
        std::vector<std::string> warnings;
        m.setLoras(lorasFor(params.prompt, inputs.assets, loraHashes, warnings));
        m.conditioner().setEmbeddings(embeddingsFor(inputs.assets, warnings));

        // A TAESD file that can't be read costs the job its fancy preview, not its image.
        PreviewOptions preview = previewAsked;
        if (preview.method == PreviewMethod::Taesd) {
            try {
                loadTaesd(preview.taesdPath);
            } catch (const EngineError& e) {
                warnings.push_back(std::string(e.what()) + "; showing the cheap preview instead");
                preview.method = PreviewMethod::Cheap;
            }
        }

        // 1. text: both prompts with the same chunk count (A1111 applies clip skip to both)
        ConditionerOptions copt;
        copt.clipSkip = params.clipSkip;
        // A clip skip deeper than this model's text encoders (the tiny demo model has 2 layers; SD's
        // have 12 or more) reads the first layer they have, and the user is told, instead of
        // failing every job made with that setting.
        int deepest = 12;
        for (const TextEncoderSlot& slot : m.conditioner().encoders())
            deepest = std::min(deepest, slot.model->config().layers - slot.layersFromEnd + 1);
        if (copt.clipSkip > deepest) {
            warnings.push_back("clip skip " + std::to_string(copt.clipSkip) + " is deeper than this model's "
                + "text encoder allows; clip skip " + std::to_string(deepest) + " was used");
            copt.clipSkip = deepest;
        }
        copt.zeroEmptyPrompt = m.family() == ModelFamily::SDXL; // A1111: zeros for an empty SDXL negative
        TextConditioning cond = m.conditioner().encode(params.prompt, copt);
        TextConditioning uncond = m.conditioner().encode(params.negativePrompt, copt);
        m.conditioner().equaliseChunks(cond, uncond, copt);
        std::vector<int> usedEmbeddings = cond.embeddings; // A1111 "TI hashes": both prompts' embeddings
        for (int e : uncond.embeddings)
            if (std::find(usedEmbeddings.begin(), usedEmbeddings.end(), e) == usedEmbeddings.end())
                usedEmbeddings.push_back(e);
        const std::string tiHashes
            = usedEmbeddings.empty() ? std::string() : m.conditioner().embeddings()->hashes(usedEmbeddings);
        const Conditioning c1 = m.conditioning(cond, params.width, params.height);
        const Conditioning u1 = m.conditioning(uncond, params.width, params.height);

        // 2. the plan: sampler, sigmas, timesteps
        const SamplingPlan fullPlan = makePlan(params.sampler, params.scheduler, params.steps,
            m.scheduleConfig(), m.family() == ModelFamily::SDXL);
        SamplingPlan plan = img2img ? fullPlan.withStrength(params.denoisingStrength) : fullPlan;
        if (params.eta >= 0)
            plan.options.eta = params.eta;

        // ControlNet units: models from the cache, control maps fitted to the output size
        const ControlRun control
            = makeControlRun(params, m_controlNets, m, params.width, params.height, false);

        VaeMoments initMoments; // img2img: the init image's posterior
        InpaintInputs inpaintInputs;
        if (img2img) {
            const Image& init = inputs.initImage;
            if (init.width != params.width || init.height != params.height)
                throw EngineError("init image is " + std::to_string(init.width) + "x"
                    + std::to_string(init.height) + ", expected the generation size "
                    + std::to_string(params.width) + "x" + std::to_string(params.height)
                    + " (resize it first)");
            if (inpaint) // [-1, 1] -> [0, 1], as diffusers' image processor takes it
                inpaintInputs = prepareInpaint(m, (imageToTensor(init) + 1.0) / 2.0,
                    maskToTensor(inputs.mask), params.width, params.height, params.denoisingStrength);
            else
                initMoments = m.encodeImage(imageToTensor(init));
        }

        // the random source and the rules that shape a batch's noise
        ImageNoiseOptions noiseOptions;
        noiseOptions.source = resolveRngSource(params.rngSource);
        noiseOptions.device = m.device();
        noiseOptions.subseedStrength = params.subseedStrength;
        noiseOptions.seedResizeFromW = params.seedResizeFromW;
        noiseOptions.seedResizeFromH = params.seedResizeFromH;
        // A1111 applies ENSD (and writes it) only for samplers that draw noise after the first
        const SamplerInfo& samplerInfo = *findSampler(plan.sampler).info;
        const bool laterDraws = samplerInfo.label == "DDIM" ? plan.options.eta > 0
                                                            : samplerInfo.usesNoise && plan.options.eta != 0;
        noiseOptions.ensd = laterDraws ? params.ensd : 0;

        // hires fix: the second pass's size, conditioning (its own prompts) and schedule
        const bool hires = params.enableHr && !img2img;
        HiresTarget hrTarget;
        std::optional<LatentUpscaleMode> hrLatent;
        Conditioning hrC, hrU;
        SamplingPlan hrFull, hrPlan;
        if (hires) {
            hrTarget = hiresTarget(params);
            hrLatent = latentUpscaleMode(params.hrUpscaler);
            if (!hrLatent && !inputs.hiresUpscaler)
                throw EngineError("hires fix: no upscaler named '" + params.hrUpscaler
                    + "' (latent modes: Latent, "
                    + "Latent (bicubic), ...; image upscalers are resolved by the front end)");
            if (hrTarget.finalWidth() < 8 || hrTarget.finalHeight() < 8 || hrTarget.width % 8
                || hrTarget.height % 8)
                throw EngineError("hires fix: target " + std::to_string(hrTarget.width) + "x"
                    + std::to_string(hrTarget.height) + " is not a positive multiple of 8");
            TextConditioning hc = cond, hu = uncond;
            if (!params.hrPrompt.empty() && params.hrPrompt != params.prompt)
                hc = m.conditioner().encode(params.hrPrompt, copt);
            if (!params.hrNegativePrompt.empty() && params.hrNegativePrompt != params.negativePrompt)
                hu = m.conditioner().encode(params.hrNegativePrompt, copt);
            m.conditioner().equaliseChunks(hc, hu, copt);
            hrC = m.conditioning(hc, hrTarget.width, hrTarget.height);
            hrU = m.conditioning(hu, hrTarget.width, hrTarget.height);
            const int hrSteps = params.hrSteps > 0 ? params.hrSteps : params.steps;
            hrFull = makePlan(params.hrSampler.empty() ? params.sampler : params.hrSampler,
                params.hrScheduler.empty() ? params.scheduler : params.hrScheduler,
                hiresScheduleSteps(hrSteps, params.denoisingStrength), m.scheduleConfig(),
                m.family() == ModelFamily::SDXL);
            hrPlan = hrFull.lastSteps(hrSteps);
            if (params.eta >= 0)
                hrPlan.options.eta = params.eta;
        }

        ControlRun hrControl; // the second pass reads the control maps at its own size
        if (hires)
            hrControl = makeControlRun(
                params, m_controlNets, m, hrTarget.finalWidth(), hrTarget.finalHeight(), true);

        // Memory: refuse what cannot fit before allocating it, and decode in tiles when the whole
        // image would not fit (pipeline/MemoryBudget.h).
        MemoryRequest need;
        need.width = hires ? hrTarget.finalWidth() : params.width;
        need.height = hires ? hrTarget.finalHeight() : params.height;
        need.batch = params.batchSize;
        need.cfg = params.cfgScale != 1.0;
        need.computeBytes = int64_t(c10::elementSize(m.dtype()));
        need.vaeBytes = int64_t(c10::elementSize(m.vae().parameters().front().scalar_type()));
        need.controlNets = int(params.controlNets.size());
        const VaeTilingScope tilingScope(m.vae(),
            planMemory(
                m.unetConfig(), m.vae().config(), m.vae().tiling(), need, availableMemory(m.device())));

        std::vector<GeneratedImage> results;
        const int B = params.batchSize;
        const int64_t h = params.height / 8, w = params.width / 8;
        for (int batch = 0; batch < params.batchCount; ++batch) {
            // 3. noise (docs/reference.md §8.2): image k of the whole job uses seed + k, or the seed
            // itself for every image when a variation strength is set, and variation seed + k;
            // each image draws from its own generator.
            ImageNoiseOptions nopt = noiseOptions;
            const int64_t first = int64_t(batch) * B;
            nopt.seeds = NoiseSource::consecutiveSeeds(uint64_t(params.seed + first), B);
            if (params.subseedStrength != 0) {
                nopt.seeds.assign(size_t(B), uint64_t(params.seed));
                nopt.subseeds = NoiseSource::consecutiveSeeds(uint64_t(params.subseed + first), B);
            }
            const std::vector<uint64_t>& seeds = nopt.seeds;
            const std::vector<uint64_t>& subseeds = nopt.subseeds;
            NoiseSource noise = NoiseSource::perImage(nopt);

            torch::Tensor lastDenoised;
            int stepNo = 0, pass = 0;
            auto callback = [&](const StepInfo& s) {
                lastDenoised = s.denoised;
                ++stepNo;
                if (!onStep)
                    return;
                StepUpdate u;
                u.batchIndex = batch;
                u.step = stepNo;
                u.totalSteps = s.total;
                u.pass = pass;
                u.sigma = s.sigma;
                u.timestep = s.timestep;
                u.previews = makePreviews(s.denoised, preview, stepNo, s.total);
                onStep(u);
            };
            BatchRequest req;
            req.cond = c1;
            req.uncond = u1;
            req.cfgScale = params.cfgScale;
            req.guidanceRescale = params.guidanceRescale;
            req.plan = plan;
            req.fullSigmas = fullPlan.sigmas;
            req.init = img2img && !inpaint ? &initMoments : nullptr;
            req.inpaint = inpaint ? &inpaintInputs : nullptr;
            req.strength = params.denoisingStrength;
            req.maskedContent = params.inpaintingFill;
            req.seeds = seeds;
            req.batch = B;
            req.latentHeight = h;
            req.latentWidth = w;
            req.onStep = callback;
            req.stop = cancel ? cancel->stopFlag() : nullptr;
            req.control = &control;
            torch::Tensor x;
            bool interrupted = false;
            try {
                x = sampleBatch(m, req, noise);
            } catch (const Cancelled&) {
                if (!cancel || cancel->state() != CancelToken::Interrupt || !lastDenoised.defined())
                    return results; // skipped: nothing for this batch
                x = lastDenoised; // interrupted: the latest predicted clean latent, as A1111 keeps
                interrupted = true;
            }

            // 4. hires fix: upscale (latents, or images through the front end's upscaler), then an
            // img2img pass with fresh noise from the same seeds (A1111's sample_hr_pass)
            if (hires && !interrupted) {
                BatchRequest hr = req;
                torch::Tensor start;
                VaeMoments upscaled;
                if (hrLatent) {
                    start = truncateLatents(
                        upscaleLatents(x, *hrLatent, hrTarget.width, hrTarget.height), hrTarget);
                    hr.initLatents = &start;
                } else {
                    std::vector<torch::Tensor> big;
                    for (const Image& low : toImages(m.decodeLatent(x)))
                        big.push_back(
                            imageToTensor(inputs.hiresUpscaler(low, hrTarget.width, hrTarget.height)));
                    upscaled = m.encodeImage(torch::cat(big, 0));
                    upscaled.mean = truncateLatents(upscaled.mean, hrTarget);
                    upscaled.std = truncateLatents(upscaled.std, hrTarget);
                    hr.init = &upscaled;
                }
                hr.inpaint = nullptr;
                hr.cond = hrC;
                hr.uncond = hrU;
                hr.plan = hrPlan;
                hr.fullSigmas = hrFull.sigmas;
                hr.control = &hrControl;
                hr.latentHeight = hrTarget.finalHeight() / 8;
                hr.latentWidth = hrTarget.finalWidth() / 8;
                NoiseSource hrNoise = NoiseSource::perImage(nopt);
                stepNo = 0; // steps count again within the second pass
                pass = 1;
                try {
                    x = sampleBatch(m, hr, hrNoise);
                } catch (const Cancelled&) {
                    if (!cancel || cancel->state() != CancelToken::Interrupt || !lastDenoised.defined())
                        return results;
                    x = lastDenoised;
                    interrupted = true;
                }
            }

            // 5. decode and describe
            const std::vector<Image> images = toImages(m.decodeLatent(x));
            for (int i = 0; i < B; ++i) {
                GeneratedImage g;
                g.image = images[size_t(i)];
                g.params = params;
                g.params.seed = int64_t(seeds[size_t(i)]);
                if (!subseeds.empty())
                    g.params.subseed = int64_t(subseeds[size_t(i)]);
                g.params.batchCount = 1;
                g.params.rngSource = rngSourceName(noiseOptions.source);
                g.params.ensd = noiseOptions.ensd;
                g.params.modelName = m_info.name;
                if (g.params.modelHash.empty())
                    g.params.modelHash = m_info.hash;
                if (!loraHashes.empty())
                    g.params.extra["Lora hashes"] = loraHashes;
                else
                    g.params.extra.erase("Lora hashes"); // from reused parameters, not this job
                if (!tiHashes.empty())
                    g.params.extra["TI hashes"] = tiHashes;
                else
                    g.params.extra.erase("TI hashes");
                for (auto it = g.params.extra.begin(); it != g.params.extra.end();) // from reused parameters
                    it = it->first.rfind("ControlNet ", 0) == 0 ? g.params.extra.erase(it) : std::next(it);
                for (size_t u = 0; u < params.controlNets.size(); ++u)
                    g.params.extra["ControlNet " + std::to_string(u)]
                        = controlNetInfotext(params.controlNets[u], control.labels[u]);
                g.interrupted = interrupted;
                g.warnings = warnings;
                results.push_back(std::move(g));
            }
            if (interrupted)
                break;
        }
        return results;
    }

private:
    // The LoRAs `<lora:NAME:...>` tags of `prompt` name, read once per file version, and A1111's
    // "Lora hashes" value for them ("name: hash12, ...", names without ':' and ',').
    std::vector<LoraUse> lorasFor(const std::string& prompt, const AssetFolders& assets, std::string& hashes,
        std::vector<std::string>& warnings)
    {
        std::vector<LoraUse> uses;
        // The job's folders, then models/Lora beside the checkpoint's folder.
        std::vector<std::string> loraDirs = assets.loraDirs;
        if (!m_besideLoraDir.empty())
            loraDirs.push_back(m_besideLoraDir);
        for (const ExtraNetwork& net : extractExtraNetworks(prompt).networks) {
            if (net.kind != "lora")
                continue; // other kinds (hypernet ...) are not supported; their tags are still removed
            const std::string path = findLoraFile(net.name, loraDirs);
            if (path.empty()) {
                std::string where;
                for (const auto& d : loraDirs)
                    where += (where.empty() ? "" : ", ") + d;
                warnings.push_back("<lora:" + net.name + ">: no LoRA file named '" + net.name
                    + "' (.safetensors, .pt, .ckpt) in "
                    + (where.empty() ? std::string("any LoRA folder (none set)") : where)
                    + "; the image is made without it");
                continue;
            }
            std::error_code ec;
            const auto stamp
                = fs::last_write_time(path, ec).time_since_epoch().count() ^ int64_t(fs::file_size(path, ec));
            CachedLora& cached = m_loraCache[path];
            const LoraUse use { nullptr, net.teMultiplier, net.unetMultiplier }; // weights only
            try {
                if (!cached.file || cached.stamp != stamp) {
                    cached.file = std::make_shared<const LoraFile>(LoraFile::read(path));
                    cached.hash = loraShortHash(path);
                    cached.stamp = stamp;
                    cached.fits = false;
                }
                if (!cached.fits) { // once per file version: this pipeline's model does not change
                    LoraPatcher::check(m_model->loraView(), { cached.file, use.textWeight, use.unetWeight });
                    cached.fits = true;
                }
            } catch (const EngineError& e) {
                // A file that can't be read, or a LoRA for another architecture: as A1111, the image
                // is made without it and the user is told why.
                m_loraCache.erase(path);
                warnings.push_back(std::string(e.what()) + "; the image is made without it");
                continue;
            }
            uses.push_back({ cached.file, use.textWeight, use.unetWeight });
            if (!cached.hash.empty()) {
                std::string alias;
                for (char ch : net.name)
                    if (ch != ':' && ch != ',')
                        alias += ch;
                hashes += (hashes.empty() ? "" : ", ") + alias + ": " + cached.hash;
            }
        }
        return uses;
    }

    // The embeddings of the job's folders (then `embeddings` beside the models folder) that fit this
    // model, read again when a file is added, changed or removed. Skipped files are not warned
    // about: a folder of SD1 embeddings is normal beside an SDXL model.
    std::shared_ptr<const EmbeddingSet> embeddingsFor(
        const AssetFolders& assets, std::vector<std::string>& warnings)
    {
        std::vector<std::string> dirs = assets.embeddingDirs;
        if (!m_besideLoraDir.empty())
            dirs.push_back((fs::path(m_besideLoraDir).parent_path().parent_path() / "embeddings").string());
        std::string stamp;
        for (const std::string& f : findEmbeddingFiles(dirs)) {
            std::error_code ec;
            stamp += f + '|' + std::to_string(fs::last_write_time(f, ec).time_since_epoch().count()) + '|'
                + std::to_string(fs::file_size(f, ec)) + '\n';
        }
        if (stamp.empty())
            return nullptr;
        if (!m_embeddings || stamp != m_embeddingStamp) {
            try {
                m_embeddings
                    = EmbeddingSet::load(dirs, m_model->conditioner().contextDim(), ClipTokenizer::shared());
            } catch (const std::exception& e) {
                warnings.push_back(std::string("textual inversion embeddings: ") + e.what());
                return nullptr;
            }
            m_embeddingStamp = stamp;
        }
        return m_embeddings;
    }

    std::vector<Image> makePreviews(
        const torch::Tensor& denoised, const PreviewOptions& preview, int step, int total)
    {
        const bool due = step == total || preview.interval <= 1 || step % preview.interval == 0;
        switch (preview.method) {
        case PreviewMethod::None:
            return {};
        case PreviewMethod::Cheap: {
            if (!m_cheapMatrix.defined()) // once: a host-to-device copy each step would wait for the GPU
                m_cheapMatrix = cheapPreviewBytesMatrix(m_model->family()).to(m_model->device());
            return cheapPreviewImages(denoised, m_cheapMatrix);
        }
        case PreviewMethod::Taesd: {
            if (!due)
                return {};
            loadTaesd(preview.taesdPath);
            std::vector<Image> out;
            const auto rgb = m_taesd->forward(denoised.to(m_model->device(), torch::kFloat32)).clamp(0, 1);
            for (int64_t i = 0; i < rgb.size(0); ++i)
                out.push_back(tensorToImage(rgb[i]));
            return out;
        }
        case PreviewMethod::FullVae:
            if (!due)
                return {};
            return toImages(m_model->decodeLatent(denoised));
        }
        return {};
    }

    void loadTaesd(const std::string& path)
    {
        if (m_taesd && m_taesdPath == path)
            return;
        TaesdDecoder decoder;
        decoder->loadFile(path); // throws EngineError naming the file
        decoder->to(m_model->device());
        m_taesd = decoder;
        m_taesdPath = path;
    }

    struct CachedLora {
        std::shared_ptr<const LoraFile> file;
        std::string hash;
        int64_t stamp = 0; // modification time ^ size
        bool fits = false; // LoraPatcher::check passed against this pipeline's model
    };
    std::unique_ptr<SdModel> m_model;
    ModelInfo m_info;
    std::string m_besideLoraDir; // models/Lora beside the checkpoint's folder; "" for the demo model
    std::map<std::string, CachedLora> m_loraCache;
    std::shared_ptr<const EmbeddingSet> m_embeddings;
    std::string m_embeddingStamp; // the embedding files' names, times and sizes when last read
    torch::Tensor m_cheapMatrix; // cheapPreviewBytesMatrix on the model's device
    TaesdDecoder m_taesd { nullptr };
    std::string m_taesdPath;
    ControlNetCache m_controlNets;
};

} // namespace

std::unique_ptr<Pipeline> Pipeline::open(const ModelSpec& spec)
{
    validateDevice(spec.device, spec.dtype);
    SdLoadOptions opts;
    opts.device = torch::Device(spec.device);
    opts.dtype = parseDtype(spec.dtype);
    opts.vaePath = spec.vae;
    ModelInfo info;
    std::unique_ptr<SdModel> model;
    if (spec.checkpoint.empty()) {
        model = SdModel::demo(opts);
        info.name = demoModelName();
        info.demo = true;
    } else {
        if (!fs::exists(spec.checkpoint))
            throw EngineError(spec.checkpoint + ": no such checkpoint file or folder");
        model = SdModel::fromFile(spec.checkpoint, spec.config, opts);
        info.name = fs::path(spec.checkpoint).stem().string();
        if (fs::is_directory(spec.checkpoint))
            info.name = fs::path(spec.checkpoint).filename().string();
        info.hash = spec.hash;
    }
    if (!spec.prediction.empty()) {
        if (spec.prediction != "epsilon" && spec.prediction != "v")
            throw EngineError("prediction '" + spec.prediction + "' is not 'epsilon' or 'v'");
        model->overridePrediction(spec.prediction == "v" ? Prediction::V : Prediction::Epsilon);
    }
    info.family = model->family();
    info.prediction = predictionName(model->prediction());
    // SD 2.x v-models (768-v) were trained at 768 px; what a family's size is otherwise
    info.defaultSize = info.family == ModelFamily::SD2 && model->prediction() == Prediction::V
        ? 768
        : nativeSize(info.family, info.demo);
    info.device = spec.device;
    info.dtype = spec.dtype;
    std::string besideLoraDir;
    if (!spec.checkpoint.empty()) // models/Stable-diffusion/x -> models/Lora
        besideLoraDir = (fs::absolute(spec.checkpoint).parent_path().parent_path() / "Lora").string();
    return std::make_unique<SdPipeline>(std::move(model), info, std::move(besideLoraDir));
}

const char* familyName(ModelFamily family)
{
    switch (family) {
    case ModelFamily::SD1:
        return "SD1";
    case ModelFamily::SD2:
        return "SD2";
    case ModelFamily::SDXL:
        return "SDXL";
    case ModelFamily::Unknown:
        break;
    }
    return "Unknown";
}

ModelFamily familyFromName(const std::string& name)
{
    std::string n;
    for (char c : name)
        n += char(std::tolower(static_cast<unsigned char>(c)));
    // the listings' variants: "sdxl-refiner", "sd1-inpaint"
    const std::string base = n.substr(0, n.find('-'));
    if (base == "sd1")
        return ModelFamily::SD1;
    if (base == "sd2")
        return ModelFamily::SD2;
    if (base == "sdxl")
        return ModelFamily::SDXL;
    return ModelFamily::Unknown;
}

DemoModel demoModel()
{
    const char* v = std::getenv("QDIFFUSION_DEMO_MODEL");
    return v && std::string(v) == "fill-rule" ? DemoModel::FillRule : DemoModel::Shapes;
}

std::string demoModelName()
{
    return demoModel() == DemoModel::FillRule ? "demo (tiny fill-rule model)" : "demo (shapes model)";
}

std::string demoModelDescription()
{
    return demoModel() == DemoModel::FillRule
        ? "a tiny fill-rule model: it draws abstract images"
        : "a small model trained by QDiffusion to draw coloured shapes (circle, square, triangle, star, "
          "ring, cross) on a plain background, 128 x 128; this first version gets the background right "
          "almost always and the shape's colour and kind about half the time";
}

int nativeSize(ModelFamily family, bool demo)
{
    if (demo)
        return demoModel() == DemoModel::FillRule ? 256 : 128;
    return family == ModelFamily::SDXL ? 1024 : 512;
}

ModelFamily detectModelFamily(const std::string& checkpoint, const std::string& config)
{
    if (checkpoint.empty())
        return ModelFamily::SD1; // the demo model
    try {
        // As SdModel::fromFile decides: a YAML config first, then what the file itself says.
        const std::string yaml = !config.empty() ? config : configBeside(checkpoint);
        if (!yaml.empty())
            return ModelConfig::fromYaml(yaml).family;
        if (detectCheckpointFormat(checkpoint) == CheckpointFormat::Diffusers)
            return familyFromName(diffusersFamily(checkpoint));
        return familyFromName(inspectCheckpoint(checkpoint).family);
    } catch (const std::exception&) {
        return ModelFamily::Unknown;
    }
}

void validateParams(const GenerationParams& p)
{
    auto fail = [](const std::string& msg) { throw EngineError(msg); };
    if (p.width < 8 || p.height < 8 || p.width % 8 || p.height % 8)
        fail("size " + std::to_string(p.width) + "x" + std::to_string(p.height)
            + " is not a multiple of 8 pixels (e.g. 512x512, 520x776)");
    if (p.width > 8192 || p.height > 8192)
        fail("size " + std::to_string(p.width) + "x" + std::to_string(p.height)
            + " is larger than 8192 pixels");
    if (p.steps < 1 || p.steps > 1000)
        fail("steps " + std::to_string(p.steps) + " is outside 1..1000");
    if (!std::isfinite(p.cfgScale) || p.cfgScale < 0 || p.cfgScale > 100)
        fail("CFG scale " + std::to_string(p.cfgScale) + " is not a number in 0..100");
    if (!std::isfinite(p.guidanceRescale) || p.guidanceRescale < 0 || p.guidanceRescale > 1)
        fail("guidance rescale " + std::to_string(p.guidanceRescale) + " is outside [0, 1]");
    if (!std::isfinite(p.denoisingStrength) || p.denoisingStrength < 0 || p.denoisingStrength > 1)
        fail("denoising strength " + std::to_string(p.denoisingStrength) + " is outside [0, 1]");
    if (!std::isfinite(p.subseedStrength) || p.subseedStrength < 0 || p.subseedStrength > 1)
        fail("variation strength " + std::to_string(p.subseedStrength) + " is outside [0, 1]");
    if (p.batchSize < 1 || p.batchSize > 64)
        fail("batch size " + std::to_string(p.batchSize) + " is outside 1..64");
    if (p.batchCount < 1 || p.batchCount > 10000)
        fail("batch count " + std::to_string(p.batchCount) + " is outside 1..10000");
    if (p.clipSkip < 1 || p.clipSkip > 12)
        fail("clip skip " + std::to_string(p.clipSkip) + " is outside 1..12");
    if (p.seed < -1 || p.seed > int64_t(0xFFFFFFFFFFFFll))
        fail("seed " + std::to_string(p.seed) + " is not -1 (random) or a number from 0");
    if (p.subseedStrength != 0 && (p.subseed < -1 || p.subseed > int64_t(0xFFFFFFFFFFFFll)))
        fail("variation seed " + std::to_string(p.subseed) + " is not -1 (random) or a number from 0");
    const bool resize = p.seedResizeFromW > 0 && p.seedResizeFromH > 0; // A1111: both, or off
    if (resize
        && (p.seedResizeFromW < 8 || p.seedResizeFromH < 8 || p.seedResizeFromW > 8192
            || p.seedResizeFromH > 8192))
        fail("seed resize from " + std::to_string(p.seedResizeFromW) + "x" + std::to_string(p.seedResizeFromH)
            + " is not a size from 8x8 to 8192x8192 (or -1 for off)");
    if (p.ensd < -int64_t(0xFFFFFFFFFFFFll) || p.ensd > int64_t(0xFFFFFFFFFFFFll))
        fail("eta noise seed delta " + std::to_string(p.ensd) + " is out of range");
    for (size_t u = 0; u < p.controlNets.size(); ++u) {
        const ControlNetUnit& c = p.controlNets[u];
        const std::string unit = "ControlNet unit " + std::to_string(u);
        if (c.model.empty())
            fail(unit + ": no model");
        if (c.image.empty())
            fail(unit + ": no control image");
        if (!c.mask.empty() && (c.mask.width != c.image.width || c.mask.height != c.image.height))
            fail(unit + ": mask is " + std::to_string(c.mask.width) + "x" + std::to_string(c.mask.height)
                + ", the control image " + std::to_string(c.image.width) + "x"
                + std::to_string(c.image.height));
        if (!std::isfinite(c.weight) || c.weight < 0 || c.weight > 10)
            fail(unit + ": weight " + std::to_string(c.weight) + " is outside 0..10");
        if (!(c.guidanceStart >= 0 && c.guidanceStart <= 1 && c.guidanceEnd >= 0 && c.guidanceEnd <= 1))
            fail(unit + ": guidance start " + std::to_string(c.guidanceStart) + " / end "
                + std::to_string(c.guidanceEnd) + " is outside [0, 1]");
    }
    resolveRngSource(p.rngSource); // throws on a name that is not GPU, CPU or NV
    findSampler(p.sampler); // throws, listing the valid labels
    const auto& types = scheduleTypes();
    if (!p.scheduler.empty() && std::find(types.begin(), types.end(), p.scheduler) == types.end())
        fail("unknown schedule type '" + p.scheduler + "' (valid: " + joined(types) + ")");
}

std::optional<PreviewMethod> previewMethodFromName(const std::string& name)
{
    if (name == "none")
        return PreviewMethod::None;
    if (name == "cheap")
        return PreviewMethod::Cheap;
    if (name == "taesd")
        return PreviewMethod::Taesd;
    if (name == "vae")
        return PreviewMethod::FullVae;
    return std::nullopt;
}

void validateDevice(const std::string& device, const std::string& dtype)
{
    parseDtype(dtype);
    if (device == "cpu")
        return;
    if (device.rfind("cuda", 0) != 0)
        throw EngineError("unknown device '" + device + "' (expected cpu, cuda or cuda:N)");
    int index = 0;
    if (device.size() > 4) {
        if (device[4] != ':' || device.size() == 5
            || device.find_first_not_of("0123456789", 5) != std::string::npos)
            throw EngineError("unknown device '" + device + "' (expected cpu, cuda or cuda:N)");
        index = std::stoi(device.substr(5));
    }
    if (!torch::cuda::is_available())
        throw EngineError("device '" + device + "' asked for, but this LibTorch build ("
            + std::string(TORCH_VERSION) + ") sees no CUDA device");
    if (index >= int(torch::cuda::device_count()))
        throw EngineError("device '" + device + "' asked for, but only "
            + std::to_string(torch::cuda::device_count()) + " CUDA device(s) exist");
}

} // namespace qd
