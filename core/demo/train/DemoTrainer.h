#pragma once
// Trains QDiffusion's demo model from nothing but the shapes data set (issue 15,
// docs/demo-model.md): first a small AutoencoderKL on the drawn scenes, then a small SD 1.x UNet
// together with a small CLIP text encoder on the VAE's latents (epsilon prediction, SD's
// scaled-linear schedule, 10 % empty prompts for classifier-free guidance). The result is one
// single-file .safetensors plus its LDM .yaml, which the engine loads like any SD 1.x checkpoint.
//
// Deterministic for a seed (every step draws its scenes and noise from (seed, stage, step)), and
// resumable: the whole state (weights, Adam moments, the averaged weights, the latent cache) is
// saved every `saveEvery` steps under the output folder and picked up by the next run.
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>

#include "core/demo/train/DemoNets.h"

namespace qd::demo
{

struct DemoTrainOptions {
    std::string outDir; // state, and the exported model
    std::string modelName = "qd-shapes"; // OUT/NAME.safetensors + NAME.yaml
    uint64_t seed = 1;
    DemoNetConfig net;
    int imageSize = 128;
    // Stage 1: the VAE.
    int vaeSteps = 3000;
    int vaeBatch = 8;
    int vaeCrop = 64; // trained on random crops of this size (0: whole images)
    double vaeLr = 2e-3;
    double klWeight = 1e-6;
    // Then this many steps on whole images (batch vaeFullBatch, a tenth of the learning rate): what
    // the VAE learned on crops does not carry over to whole pictures as it is (GroupNorm statistics,
    // the mid-block attention's span), so the stage ends at the size the model is used at.
    int vaeFullSteps = 600;
    int vaeFullBatch = 4;
    double vaeFullLr = 2e-4;
    // Weight of the pixels that differ from the scene's background in the L1 loss (1: plain L1). The
    // shapes cover a few per cent of a picture: without more weight the VAE learns the backgrounds
    // first and blurs small shapes.
    double vaeShapeWeight = 1.0;
    // The latent cache the UNet trains on: this many scenes, encoded once.
    int latentScenes = 8192;
    // Stage 2: UNet + text encoder.
    int unetSteps = 20000;
    int unetBatch = 64;
    double unetLr = 1e-3;
    int warmupSteps = 200;
    double emaDecay = 0.999;
    double minSnrGamma = 5.0; // loss weight min(SNR, gamma) / SNR (Hang et al. 2023); 0 = off
    double dropPrompt = 0.1; // share of empty prompts (classifier-free guidance)
    bool holdOut = true; // leave the held-out colour x shape pairs out of training
    // Running.
    std::string device = "cpu";
    int threads = 0; // 0: leave LibTorch's setting
    int logEvery = 50;
    int saveEvery = 500;
    // Every this many UNet steps (and after the VAE stage), pictures of 8 fixed prompts from the
    // averaged weights (DDIM, 20 steps, CFG 5) go to OUT/samples-STEP.png (0 = never; needs
    // OpenCV's imgcodecs).
    int sampleEvery = 1000;
    bool fp16Export = true;
    // Stop (state saved, nothing exported) after this many steps of this run; 0 = run to the end.
    // A long training can so be done in slices; the result is the same as one uninterrupted run.
    int64_t stopAfter = 0;
    // Stop once the VAE stage is done (state saved, ready for the UNet stage): look at
    // vae-reconstruction.png before spending the UNet's time. A later run with more VAE steps
    // continues the VAE (fresh Adam moments) as long as the UNet stage has not begun.
    bool vaeOnly = false;
};

struct DemoTrainResult {
    std::string modelPath, yamlPath; // empty when the run stopped early (stopAfter)
    double scaleFactor = 0;
    double finalVaeLoss = 0, finalUnetLoss = 0;
    int64_t parameters = 0;
};

// Runs (or resumes) the training; progress, loss and ETA go to `log`. Throws std::runtime_error
// naming what failed (an unwritable folder, a state file from another configuration).
DemoTrainResult trainDemoModel(const DemoTrainOptions& options, std::ostream& log);

} // namespace qd::demo
