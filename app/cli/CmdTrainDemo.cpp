// qdiffusion-cli train-demo OUT: trains the built-in demo model from the shapes data set
// (core/demo/train/DemoTrainer.h, docs/demo-model.md). Resumes from OUT's state when there is one.
#include <iostream>
#include <memory>

#include "Commands.h"
#include "core/demo/train/DemoTrainer.h"
#include "core/engine/EngineInfo.h"

namespace qd::cli
{

Command addTrainDemoCommand(CLI::App& app)
{
    auto o = std::make_shared<demo::DemoTrainOptions>();
    CLI::App* sub = app.add_subcommand("train-demo",
        "Train the demo model (coloured shapes) from scratch: a VAE, then a UNet and text encoder; "
        "resumes from the folder's saved state");
    sub->add_option("OUT", o->outDir, "Folder for the training state and the exported model")->required();
    sub->add_option("--name", o->modelName, "Exported file name (NAME.safetensors + NAME.yaml)")
        ->capture_default_str();
    sub->add_option("--seed", o->seed, "Seed of the data, the initial weights and every draw")
        ->capture_default_str();
    sub->add_option("--vae-steps", o->vaeSteps, "VAE training steps")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    sub->add_option("--vae-batch", o->vaeBatch, "VAE batch size")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    sub->add_option("--vae-crop", o->vaeCrop, "VAE trains on random crops of this size (0: whole images)")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    sub->add_option("--vae-lr", o->vaeLr, "VAE learning rate")->capture_default_str();
    sub->add_option("--vae-full-steps", o->vaeFullSteps, "VAE steps on whole images after the crops")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    sub->add_option("--vae-full-batch", o->vaeFullBatch, "Batch size of those steps")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    sub->add_option("--vae-full-lr", o->vaeFullLr, "Learning rate of those steps")->capture_default_str();
    sub->add_option("--vae-shape-weight", o->vaeShapeWeight,
           "Weight of the shape pixels (those unlike the background) in the VAE's loss")
        ->capture_default_str();
    sub->add_option("--latent-scenes", o->latentScenes, "Scenes encoded once for the UNet to learn from")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    sub->add_option("--unet-steps", o->unetSteps, "UNet + text encoder training steps")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    sub->add_option("--unet-batch", o->unetBatch, "UNet batch size")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    sub->add_option("--unet-lr", o->unetLr, "UNet learning rate (cosine decay to a tenth)")
        ->capture_default_str();
    sub->add_option("--ema", o->emaDecay, "Decay of the averaged weights that are exported")
        ->capture_default_str();
    sub->add_option("--model-channels", o->net.modelChannels, "UNet base channels (a multiple of 32)")
        ->capture_default_str();
    sub->add_option("--text-width", o->net.textWidth, "Text encoder width (= the UNet's context size)")
        ->capture_default_str();
    sub->add_flag("!--no-hold-out", o->holdOut, "Train on the held-out colour x shape pairs too");
    sub->add_flag("!--fp32", o->fp16Export, "Export fp32 weights (default fp16)");
    sub->add_option("--device", o->device, "cpu or cuda")->capture_default_str();
    sub->add_option("--threads", o->threads, "CPU threads (default: every core)");
    sub->add_option("--log-every", o->logEvery, "Print loss, speed and ETA every N steps")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    sub->add_option("--save-every", o->saveEvery, "Save the resumable state every N steps")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    sub->add_option("--sample-every", o->sampleEvery,
           "Write pictures of 8 fixed prompts every N UNet steps (0: never)")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    sub->add_flag(
        "--vae-only", o->vaeOnly, "Stop when the VAE stage is done (state saved for the UNet stage)");
    sub->add_option(
           "--stop-after", o->stopAfter, "Stop after N steps of this run, state saved (0: run to the end)")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    return { sub, [o] {
                if (o->threads <= 0)
                    o->threads = configureThreads();
                try {
                    const auto r = demo::trainDemoModel(*o, std::cout);
                    if (!r.modelPath.empty())
                        std::cout << "model: " << r.modelPath << "\nconfig: " << r.yamlPath
                                  << "\nscale factor: " << r.scaleFactor << "\n";
                    return 0;
                } catch (const std::exception& e) {
                    std::cerr << "train-demo: " << e.what() << "\n";
                    return 1;
                }
            } };
}

} // namespace qd::cli
