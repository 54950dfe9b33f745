#pragma once
// The engine's public face: load a model, generate images. No torch types here (docs/style.md §2): the
// core, the CLI and the HTTP server see only std types.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "EngineError.h"
#include "GenerationParams.h"

namespace qd
{

// What kind of Stable Diffusion model a checkpoint holds: one type from the model library to the
// engine. Unknown: not detected yet, or the file fits none.
enum class ModelFamily { Unknown, SD1, SD2, SDXL };

const char* familyName(ModelFamily family); // "SD1", "SD2", "SDXL", "Unknown"
// The names familyName() writes and inspectCheckpoint()'s listing names ("sd1", "sdxl-refiner",
// "sd1-inpaint"), any case; Unknown for anything else.
ModelFamily familyFromName(const std::string& name);
// The built-in demo model, used when no checkpoint is given (docs/demo-model.md): the shapes model
// QDiffusion trained itself (resources/demo/qd-shapes.safetensors, 128 px), or, when the
// environment says QDIFFUSION_DEMO_MODEL=fill-rule, the conformance data's tiny SD1 model from the
// fill rule (256 px; the test suite's LoRA, embedding and ControlNet files are made for it).
enum class DemoModel { Shapes, FillRule };
DemoModel demoModel();
// "demo (shapes model)" / "demo (tiny fill-rule model)": the name the studio, the CLI and the API show.
std::string demoModelName();
// What it draws, for the line that says the demo model is in use.
std::string demoModelDescription();
// The square size a family was trained at: SD1 512, SD2 512 (the 768 px v-models are told apart
// only when loaded: ModelInfo::defaultSize), SDXL 1024; the demo model its own (128 or 256);
// Unknown 512.
int nativeSize(ModelFamily family, bool demo = false);
// The family of `checkpoint` (.safetensors, .ckpt, diffusers folder) from its YAML config (`config`,
// else NAME.yaml beside it), a diffusers folder's configs or its key names and shapes; no tensor
// data is read. An empty path is the demo model (SD1). Unknown when the file cannot be read or fits
// no family (loading it then says why).
ModelFamily detectModelFamily(const std::string& checkpoint, const std::string& config = std::string());

enum class PreviewMethod {
    None,
    Cheap, // latent -> RGB matrix on the predicted clean latent, every step (docs/reference.md §3)
    Taesd, // tiny VAE decoder from a user-provided taesd_decoder / taesdxl_decoder file
    FullVae, // the model's own VAE
};

// The names settings and command lines use: "none", "cheap", "taesd", "vae"; nullopt otherwise.
std::optional<PreviewMethod> previewMethodFromName(const std::string& name);

struct PreviewOptions {
    PreviewMethod method = PreviewMethod::Cheap;
    int interval = 1; // preview every N steps (Taesd / FullVae); Cheap runs every step
    std::string taesdPath; // for PreviewMethod::Taesd
};

// Cancellation shared between the caller's thread and the inference thread, checked at every model
// call. Interrupt: stop now and return the image decoded from the current state (A1111's
// Interrupt). Skip: stop now and return nothing for the current batch.
class CancelToken
{
public:
    enum State { Run = 0, Interrupt = 1, Skip = 2 };
    void interrupt() { set(Interrupt); }
    void skip() { set(Skip); }
    void reset() { set(Run); }
    State state() const { return State(m_state.load()); }
    bool stopRequested() const { return m_stop.load(); }
    // The flag the samplers poll before every model call.
    const std::atomic<bool>* stopFlag() const { return &m_stop; }

private:
    void set(State s)
    {
        m_state = s;
        m_stop = s != Run;
    }
    std::atomic<int> m_state { Run };
    std::atomic<bool> m_stop { false };
};

struct StepUpdate {
    int batchIndex = 0; // which model call of batchCount
    int step = 0; // 1-based step just finished, within its pass
    int totalSteps = 0; // of this pass
    int pass = 0; // 0: the (first) pass, 1: hires fix's second pass
    double sigma = 0;
    double timestep = 0;
    std::vector<Image> previews; // one per image of the batch; empty when none was made this step
};

// Pixels for img2img and inpainting; the front end decodes the files named in GenerationParams.
// With a mask the job is diffusers' inpainting (StableDiffusionInpaintPipeline): an ordinary model
// repaints the masked area by putting the noised original back elsewhere after every step, an
// inpainting model (9-channel UNet) sees the mask and the masked image; params.denoisingStrength
// below 1 starts from the noised image instead of pure noise.
// The folders a job's named assets are looked up in, in order. They travel with each job (not with
// the loaded model), so a folder added in the settings counts from the next job on.
struct AssetFolders {
    // Searched (with subfolders) for the files `<lora:NAME:weight>` prompt tags name; after them
    // models/Lora beside the checkpoint's folder (AUTOMATIC1111's layout:
    // models/Stable-diffusion/x.safetensors -> models/Lora).
    std::vector<std::string> loraDirs;
    // Searched (with subfolders) for textual-inversion embeddings (.pt, .bin, .safetensors) whose names
    // prompts may use; after them `embeddings` beside the models folder (A1111's layout:
    // models/Stable-diffusion/x.safetensors -> embeddings). Reread when a file changes.
    std::vector<std::string> embeddingDirs;
    std::vector<std::string> upscalerDirs; // ESRGAN-family upscaler files (A1111's models/ESRGAN, RealESRGAN)
    bool operator==(const AssetFolders& o) const
    {
        return loraDirs == o.loraDirs && embeddingDirs == o.embeddingDirs && upscalerDirs == o.upscalerDirs;
    }
    bool operator!=(const AssetFolders& o) const { return !(*this == o); }
};

// Hires fix's latent upscale modes (A1111's shared.latent_upscale_modes): "Latent", "Latent
// (antialiased)", "Latent (bicubic)", "Latent (bicubic antialiased)", "Latent (nearest)", "Latent
// (nearest-exact)". Any other hires upscaler name is an image upscaler (GenerationInputs::hiresUpscaler).
const std::vector<std::string>& latentUpscalerNames();
bool isLatentUpscaler(const std::string& name);

// Resizes an image to exactly width x height with a named image upscaler (hires fix with a
// non-latent upscaler; the front end resolves the name: Lanczos, an ESRGAN model, ...).
using ImageUpscaleFn = std::function<Image(const Image& image, int width, int height)>;

struct GenerationInputs {
    ImageUpscaleFn hiresUpscaler; // needed when params.enableHr names an image upscaler
    Image initImage; // params.width x params.height
    Image mask; // white = repaint (luminance >= 128 after a nearest-neighbour resize
                // to the generation size when its size differs); needs initImage
    AssetFolders assets;
};

struct GeneratedImage {
    Image image;
    GenerationParams params; // as used: the actual seed, size, model name and hash filled in
    bool interrupted = false; // decoded from an intermediate state
    // What the user should know although the image was made, e.g. a `<lora:NAME>` tag whose file
    // was not found (the image is made without it, as AUTOMATIC1111 does).
    std::vector<std::string> warnings;
};

struct ModelSpec {
    std::string checkpoint; // .safetensors / .ckpt / diffusers folder; empty = built-in demo model
    std::string config; // optional CompVis / Stability YAML; default: NAME.yaml beside the checkpoint
    std::string vae; // optional separate VAE file
    std::string device = "cpu"; // "cpu", "cuda", "cuda:N"
    std::string dtype = "fp32"; // "fp32", "fp16", "bf16"
    std::string prediction; // "" (from config / detection), "epsilon", "v"
    std::string hash; // the checkpoint's hash when known (the model library computes it)

    // Every field: two specs that compare equal load the same model the same way.
    bool operator==(const ModelSpec& o) const
    {
        return checkpoint == o.checkpoint && config == o.config && vae == o.vae && device == o.device
            && dtype == o.dtype && prediction == o.prediction && hash == o.hash;
    }
    bool operator!=(const ModelSpec& o) const { return !(*this == o); }
};

struct ModelInfo {
    std::string name; // file stem, or "demo (tiny fill-rule model)"
    std::string hash; // first 10 hex digits of the file's SHA-256; empty for folders / demo
    ModelFamily family = ModelFamily::Unknown;
    std::string prediction; // "epsilon" or "v"
    bool demo = false;
    int defaultSize = 512; // native resolution: nativeSize(family, demo), 768 for SD 2.x v-models
    std::string device;
    std::string dtype;
};

class Pipeline
{
public:
    using StepCallback = std::function<void(const StepUpdate&)>;

    // Throws EngineError naming the file and the problem.
    static std::unique_ptr<Pipeline> open(const ModelSpec& spec);
    virtual ~Pipeline() = default;

    virtual ModelInfo info() const = 0;

    // Runs batchCount model calls of batchSize images each (txt2img, img2img when inputs.initImage
    // is set, inpainting when inputs.mask is too). Validates params first (EngineError naming the
    // bad value). `<lora:NAME:w>` / `<lora:NAME:te:unet>` tags in the prompt merge those LoRAs for
    // this job (the weights go back when a later job names other or none) and add AUTOMATIC1111's
    // "Lora hashes" to each result's params.extra. A name with no file, a file that can't be read
    // and a LoRA for another architecture are left out, with a warning in each result naming the
    // file (and the layer), as A1111 does.
    virtual std::vector<GeneratedImage> generate(const GenerationParams& params,
        const GenerationInputs& inputs, const PreviewOptions& preview, const StepCallback& onStep,
        CancelToken* cancel)
        = 0;
};

// Checks every user-facing value (size a multiple of 8, steps >= 1, finite CFG, strength in [0, 1],
// a known sampler and schedule type, ...); throws EngineError naming the value and what is allowed.
void validateParams(const GenerationParams& params);
// "cpu", "cuda", "cuda:N" (and that CUDA is there), dtype "fp32" / "fp16" / "bf16".
void validateDevice(const std::string& device, const std::string& dtype);

} // namespace qd
