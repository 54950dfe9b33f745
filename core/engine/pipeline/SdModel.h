#pragma once
// A loaded Stable Diffusion model (engine-internal, torch-facing): text conditioner, UNet, VAE and
// the noise schedule, built from a StateDict and a ModelConfig (SD1, SD2 and SDXL differ in config,
// not in code paths: docs/style.md §4).
#include <memory>
#include <string>

#include <torch/types.h>

#include "lora/Lora.h"
#include "models/AutoencoderKL.h"
#include "models/ModelConfig.h"
#include "models/UNetModel.h"
#include "sampling/Denoiser.h"
#include "sampling/NoiseSchedule.h"
#include "text/Conditioner.h"

namespace qd
{

struct SdLoadOptions {
    torch::Device device = torch::kCPU;
    torch::ScalarType dtype = torch::kFloat32; // weights and UNet / text encoder compute
    std::string vaePath; // a separate VAE file (first_stage_model.* or bare keys)
};

class SdModel
{
public:
    // Builds every part from `sd` (single-file key names). `config`: the YAML / diffusers config
    // when there is one; parts it leaves null are detected from the weights. `source` names the
    // file in errors.
    static std::unique_ptr<SdModel> fromStateDict(const StateDict& sd, ModelConfig config,
        const std::string& source, const SdLoadOptions& options = {});

    // A checkpoint file or diffusers folder, with the config from `configPath`, else NAME.yaml beside
    // it, else the diffusers configs, else detection (SD2 epsilon vs v decided as AUTOMATIC1111 does).
    static std::unique_ptr<SdModel> fromFile(
        const std::string& path, const std::string& configPath, const SdLoadOptions& options = {});

    // The built-in demo model (demoModel(), Pipeline.h): the trained shapes model, or the conformance
    // tiny SD1 model from the fill rule.
    static std::unique_ptr<SdModel> demo(const SdLoadOptions& options = {});

    const ModelConfig& config() const { return m_config; }
    ModelFamily family() const { return m_config.family; }
    Prediction prediction() const { return m_config.prediction; }
    void overridePrediction(Prediction p) { m_config.prediction = p; }
    NoiseScheduleConfig scheduleConfig() const;
    torch::Device device() const { return m_device; }
    torch::ScalarType dtype() const { return m_dtype; }
    const Conditioner& conditioner() const { return *m_conditioner; }
    Conditioner& conditioner() { return *m_conditioner; }
    UNetModel& unet() { return *m_unet; }
    const UNetConfig& unetConfig() const { return m_unet->config(); }
    AutoencoderKL& vae() { return *m_vae; }
    int64_t unetInChannels() const;

    // The sampler's model call: xIn [B, 4 (9), h, w] float32, t [B] -> eps or v, float32.
    // `residuals`: what ControlNets add to the UNet (models/UNetModel.h).
    torch::Tensor unetCall(const torch::Tensor& xIn, const torch::Tensor& t, const Conditioning& cond,
        const UNetResiduals* residuals = nullptr);

    // Prompt conditioning for one image: "context" (+ SDXL "y" from pooled and the size numbers).
    Conditioning conditioning(const TextConditioning& text, int width, int height) const;

    // [B, 3, H, W] in [-1, 1] -> posterior of the scaled latent (mean and std already multiplied by
    // the scale factor); decode takes a scaled latent and returns [-1, 1].
    VaeMoments encodeImage(const torch::Tensor& image);
    torch::Tensor decodeLatent(const torch::Tensor& latent);

    // LoRA: merges `loras` into the UNet and text-encoder weights, after putting back the weights
    // the previous set changed (nothing happens when the set is unchanged; an empty list restores
    // the checkpoint's weights exactly). Throws EngineError (weights restored) for a layer this
    // model has no weight for.
    void setLoras(const std::vector<LoraUse>& loras);
    const std::vector<LoraUse>& loras() const { return m_loras.applied(); }
    // The weights a LoRA may change, by single-file key (same storage as the modules), and what
    // the name mapping needs to know about the architecture.
    LoraModelView loraView();

private:
    SdModel() = default;
    ModelConfig m_config;
    torch::Device m_device = torch::kCPU;
    torch::ScalarType m_dtype = torch::kFloat32;
    std::unique_ptr<Conditioner> m_conditioner;
    std::shared_ptr<UNetModel> m_unet;
    std::shared_ptr<AutoencoderKL> m_vae;
    LoraPatcher m_loras;
};

// AUTOMATIC1111's test for SD 2.x checkpoints without a config: run the UNet once on a constant
// input at t = 999; a v-prediction model's output sits far below the input (mean(out - x) < -1).
bool looksLikeVPrediction(UNetModel& unet);

} // namespace qd
