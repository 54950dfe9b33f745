#pragma once
// Everything that defines one generation, as a plain value (std types only: the GUI, the CLI, the
// HTTP API and the infotext reader/writer all share it). Names and defaults follow AUTOMATIC1111.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "Image.h"

namespace qd
{

// sd-webui-controlnet's "Control Mode": Balanced; "My prompt is more important" (PromptImportant:
// residual i of 13 scaled by 0.825^(12 - i)); "ControlNet is more important" (ControlNetImportant:
// the same soft scales, and the residuals reach only the conditional half of the CFG batch).
enum class ControlMode { Balanced, PromptImportant, ControlNetImportant };
// How the control image is fitted to the generation size (the extension's "Resize Mode"): Just
// Resize (stretch), Crop and Resize (cover, centre crop), Resize and Fill (fit, pad with the
// border's median colour).
enum class ControlResizeMode { JustResize, CropAndResize, ResizeAndFill };
// Which steps a unit guides. Extension: step i of N is guided when start <= i / N <= end (what
// AUTOMATIC1111 users get); Diffusers: when i / N >= start and (i + 1) / N <= end (diffusers'
// control_guidance_start / _end). 10 steps, end 0.6: 7 guided steps vs 6.
enum class ControlGuidanceRule { Extension, Diffusers };

// One ControlNet unit (sd-webui-controlnet's ControlNetUnit). The front end runs the
// preprocessor; the engine takes its output and records the rest in the infotext.
struct ControlNetUnit {
    std::string model; // ControlNet file or diffusers folder (see controlnet/ControlNet.h)
    Image image; // the preprocessed control map, RGB; any size (fitted by resizeMode)
    // Inpaint ControlNets: white where the picture is to be repainted (the extension's mask); those
    // pixels reach the ControlNet as -1. Empty: none. Same size as `image`.
    Image mask;
    double weight = 1.0; // "Control Weight" (diffusers' controlnet_conditioning_scale)
    double guidanceStart = 0.0; // "Starting Control Step", fraction of the steps
    double guidanceEnd = 1.0; // "Ending Control Step"
    ControlMode controlMode = ControlMode::Balanced;
    ControlResizeMode resizeMode = ControlResizeMode::CropAndResize;
    // Recorded only (the infotext's "ControlNet N" value): what the front end did to the image.
    std::string module = "none"; // preprocessor name, e.g. "canny"
    int processorRes = 512;
    double thresholdA = -1, thresholdB = -1; // the preprocessor's sliders; -1 = not used
    bool pixelPerfect = false;
};

struct GenerationParams {
    std::string prompt;
    std::string negativePrompt;
    std::string sampler = "Euler a"; // A1111 label (docs/reference.md §2), e.g. "DPM++ 2M"
    std::string scheduler = "Automatic"; // A1111 "Schedule type": Automatic, Karras, Exponential, ...
    int steps = 20;
    double cfgScale = 7.0;
    double guidanceRescale = 0.0;
    int64_t seed = -1; // -1: pick a random seed when the job starts
    int64_t subseed = -1; // variation seed
    double subseedStrength = 0.0; // variation strength, 0 = off
    // A1111 "Seed resize from": the seed's noise as drawn at this size, centred; -1 (or 0) = off
    int seedResizeFromW = -1;
    int seedResizeFromH = -1;
    // Random number source (A1111 "RNG"): "GPU", "CPU" or "NV"; "" = the app's setting. GPU off
    // CUDA draws NV's numbers (docs/reference.md §8.1).
    std::string rngSource;
    int64_t ensd = 0; // A1111 "Eta noise seed delta": later draws come from seed + ensd; 0 = off
    int width = 512;
    int height = 512;
    int batchSize = 1; // images per model call
    int batchCount = 1; // model calls (n_iter)
    int clipSkip = 1; // 1 = last layer, 2 = penultimate, ...
    double eta = -1.0; // DDIM / ancestral eta; < 0 means the sampler's default
    // Hires fix (A1111 txt2img "Hires. fix"): after the first pass at width x height, upscale and run a
    // second img2img pass at denoisingStrength (docs/reference.md §10)
    bool enableHr = false;
    double hrScale = 2.0; // used when hrResizeX and hrResizeY are both 0
    int hrResizeX = 0; // target size; one of them 0 keeps the aspect ratio
    int hrResizeY = 0;
    std::string hrUpscaler
        = "Latent"; // a latent mode ("Latent (bicubic)" ...), "None", "Lanczos", "Nearest", an ESRGAN model
    int hrSteps = 0; // second-pass steps; 0 = steps
    std::string hrSampler; // "" = sampler
    std::string hrScheduler; // "" = scheduler
    std::string hrPrompt; // "" = prompt
    std::string hrNegativePrompt; // "" = negativePrompt
    // img2img / inpainting
    std::string initImage; // file path; empty for txt2img
    std::string maskImage; // file path; white = repaint
    double denoisingStrength = 0.75;
    // Inpainting as A1111's img2img does it (docs/reference.md §1 keys in brackets); GUI defaults
    int maskBlurX = 4; // ["Mask blur"] Gaussian sigma in px; kernel 2 * int(2.5 * blur + 0.5) + 1
    int maskBlurY = 4;
    int inpaintingFill = 1; // ["Masked content"] 0 fill, 1 original, 2 latent noise, 3 latent nothing
    bool inpaintFullRes = false; // ["Inpaint area"] false: Whole picture, true: Only masked
    int inpaintFullResPadding = 32; // ["Masked area padding"] px around the mask (Only masked)
    bool maskInvert = false; // ["Mask mode"] Inpaint not masked
    bool inpainting = false; // a mask was used (set when the job runs): the infotext writes the keys
    // Outpainting: the init image extended by these px (each rounded up to 8) and the new area inpainted
    int outpaintLeft = 0, outpaintRight = 0, outpaintUp = 0, outpaintDown = 0;
    // ControlNet units; their residuals add up. Each writes infotext key "ControlNet N" (0-based).
    std::vector<ControlNetUnit> controlNets;
    ControlGuidanceRule controlGuidanceRule = ControlGuidanceRule::Extension;
    // model identity (filled when the job runs)
    std::string modelName;
    std::string modelHash; // first 10 hex digits of the checkpoint's SHA-256
    std::string vaeName;
    std::string vaeHash;
    // Infotext keys we do not model (Hires upscale, Lora hashes, ...), kept verbatim so a re-save
    // loses nothing.
    std::map<std::string, std::string> extra;
    // The order in which the `extra` keys appeared in the infotext read (A1111 writes them in insertion
    // order); keys missing here are written after these, sorted. Empty for parameters made in-app.
    std::vector<std::string> extraOrder;
};

} // namespace qd
