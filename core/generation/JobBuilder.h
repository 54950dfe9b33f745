#pragma once
// What a generation job means, decided once: the GUI, the CLI and the HTTP API server hand a
// JobRequest (the user's parameters and choices, as they were made) to a JobBuilder, which resolves
// it against the settings and the model library into a complete GenerationJob: the checkpoint and
// its detected family, device and dtype from "auto", the VAE as A1111 resolves sd_vae, the TAESD
// decoder for that family, the LoRA and embedding folders and the output folder. prepareInputs()
// then draws the random seed and reads, converts and resizes the init image and the mask, on the
// thread that runs the job. Front ends add dialogs, never policy.
#include <QImage>
#include <QMetaType>
#include <QString>
#include <QStringList>

#include <memory>
#include <optional>
#include <utility>

#include "core/Settings.h"
#include "core/engine/GenerationParams.h"
#include "core/engine/Pipeline.h"
#include "core/generation/ControlUnits.h"

namespace qd
{

class ModelLibrary;
struct ModelEntry;
struct InpaintOverlay;

// A job as it travels through the queue: value semantics, complete once built.
struct GenerationJob {
    int id = 0; // set by the queue
    GenerationParams params; // seed -1 and width/height 0 are settled by prepareInputs()
    ModelSpec model; // which checkpoint, on which device (empty checkpoint = the demo model)
    ModelFamily family = ModelFamily::Unknown; // detected from the checkpoint's weights
    PreviewOptions preview;
    AssetFolders assets; // where <lora:...> and embedding names are looked up
    QString outputDir; // where finished images are saved ("" = the settings' folder)
    QImage initImage; // an init image handed over in memory (API, pasted); else params.initImage names a file
    QImage maskImage; // likewise for the mask
    // ControlNet units, their models resolved to paths; prepareInputs preprocesses them into
    // params.controlNets once the size is known (annotators: where network annotators' weights are)
    QList<ControlUnitRequest> controlUnits;
    QString annotatorsDir;
    // Set by prepareInputs when inpainting: how each generated image goes back into the picture
    // (applyInpaintOverlay, core/generation/Inpainting.h)
    std::shared_ptr<const InpaintOverlay> inpaintOverlay;

    bool isDemo() const { return model.checkpoint.empty(); }
    // The size a job with width / height 0 and no init image gets.
    int nativeSize() const { return qd::nativeSize(family, isDemo()); }
};

// What a front end knows when the user asks for an image.
struct JobRequest {
    GenerationParams params; // width / height 0: the init image's size, else the model's native size
    // A library title ("name [hash10]"), name, model name, hash or path; without a library a file
    // or folder. "" = the library's first checkpoint, the demo model when there is none.
    QString model;
    // The built-in demo model even when the library has checkpoints (the API's "demo" choice); the
    // library's folders still give the job its LoRAs, embeddings and upscalers.
    bool demoModel = false;
    QString config; // a YAML config for the checkpoint; "" = the library's / NAME.yaml beside it
    QString vae = QStringLiteral("Automatic"); // "Automatic", "None", or a VAE file name / path
    QString outputDir; // "" = the settings' folder
    QImage initImage; // in-memory images (API base64, drag and drop) instead of params' file paths
    QImage maskImage;
    QStringList styles; // prompt styles applied, in order, when the job is built (Styles.h)
    // ControlNet units (ControlUnits.h); disabled ones are dropped, models resolved to files in the
    // ControlNet folders (or beside the checkpoint) when the job is built
    QList<ControlUnitRequest> controlUnits;
    QString stylesFile; // their styles.csv; "" = StyleDatabase::defaultPath()
};

class JobBuilder
{
public:
    // `library` may be null (the CLI with --ckpt FILE): then `model` names a file or folder.
    JobBuilder(Settings settings, const ModelLibrary* library);

    // The complete job, or nullopt with *error naming what was wrong (unknown model, VAE or value).
    std::optional<GenerationJob> build(const JobRequest& request, QString* error) const;

    // Device and dtype as the settings resolve "auto": the GPU in fp16 when the engine sees one,
    // else the CPU in fp32.
    std::pair<std::string, std::string> deviceAndDtype() const;

    // The folders searched for models' companions: the library's (AppPaths::modelsDir(), then the
    // settings' ones); without a library the settings' ones.
    QStringList modelFolders() const;
    // Where `<lora:NAME>` tags are looked for: models/Lora in each model folder, and models/Lora
    // beside an A1111 Stable-diffusion folder (the engine also looks there); with `existingOnly`
    // the folders that exist now (a job takes them all: one may be made while it waits).
    QStringList loraFolders(bool existingOnly = true) const;
    // Where textual-inversion embeddings are looked for: embeddings in each model folder, and
    // A1111's embeddings folder beside its models folder (`existingOnly` as above).
    QStringList embeddingFolders(bool existingOnly = true) const;
    // ControlNet models: ControlNet in each model folder and beside it (A1111's models/ControlNet);
    // their preprocessors' network weights: annotators in each model folder.
    QStringList controlNetFolders(bool existingOnly = true) const;
    QStringList annotatorFolders(bool existingOnly = true) const;
    // Where ESRGAN-family upscaler files are looked for: ESRGAN and RealESRGAN in each model folder
    // (AUTOMATIC1111's models/ESRGAN, models/RealESRGAN).
    std::vector<std::string> upscalerDirs() const;
    // The TAESD decoder for `family` (taesdxl_decoder for SDXL, else taesd_decoder; .safetensors or
    // A1111's .pth) in each model folder or its VAE-approx folder; when there is none, where it
    // belongs (the engine then warns, naming that file, and previews cheaply).
    QString taesdDecoder(ModelFamily family) const;
    // An entry's family: the library's when it knows it, else detected from the file's keys
    // (remembered by path, size and modification time).
    static ModelFamily familyOf(const ModelEntry& entry);

    const Settings& settings() const { return m_settings; }

private:
    Settings m_settings;
    const ModelLibrary* m_library;
};

// Settles what a job leaves open, on the thread that runs it: a seed of -1 becomes a random one
// (recorded in params, so the infotext carries the seed actually used); the init image and mask
// are read (files or the job's in-memory images), converted to RGB and resized to the job's size
// as A1111's "Just resize" does; with a mask or outpainting margins they are prepared as A1111's
// inpainting does (prepareInpaintImages: blur, invert, Only masked crop, fill) and the job keeps the
// overlay for the results; a width or height of 0 takes the init
// image's, rounded down to 8, else `nativeSize`. The job's asset folders go with the inputs. Throws
// EngineError naming the file or value that was wrong.
GenerationInputs prepareInputs(GenerationJob& job, int nativeSize);

} // namespace qd

Q_DECLARE_METATYPE(qd::GenerationJob)
