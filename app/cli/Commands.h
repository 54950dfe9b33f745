#pragma once
// Each subcommand of qdiffusion-cli registers itself on the CLI11 app and returns the callback that
// runs it. Exit codes: 0 success, 1 runtime failure, 2 bad input.
#include <functional>

#include <CLI/CLI.hpp>

namespace qd::cli
{

using Runner = std::function<int()>;

struct Command {
    CLI::App* sub;
    Runner run;
};

// tokenize "PROMPT" [--json] [--chunks] (CmdTokenize.cpp)
Command addTokenizeCommand(CLI::App& app);
// conformance --goldens F --cases F [--data DIR] (CmdConformance.cpp)
Command addConformance(CLI::App& app);
// rng-check [--device cuda]: the GPU source on CUDA against NV on the CPU (CmdRngCheck.cpp)
Command addRngCheck(CLI::App& app);
// bench [--ckpt F] ... : phase timings and peak memory (CmdBench.cpp)
Command addBench(CLI::App& app);
#ifdef QD_WITH_QT
// generate: CompVis txt2img.py flags + modern ones (CmdGenerate.cpp; needs Qt for image files)
Command addGenerate(CLI::App& app);
// serve [--host H] [--port N] ...: the AUTOMATIC1111 HTTP API (CmdServe.cpp)
Command addServe(CLI::App& app);
// preprocess INPUT... --module canny ...: ControlNet preprocessors on image files (CmdPreprocess.cpp)
Command addPreprocess(CLI::App& app);
// upscale INPUT... [--upscaler NAME] [--scale F | --width W --height H [--crop]] ... (CmdUpscale.cpp)
Command addUpscale(CLI::App& app);
#endif
// Checkpoint files (CmdMakeCheckpoint.cpp, CmdInspect.cpp, CmdBenchLoad.cpp).
Command addMakeCheckpointCommand(CLI::App& app);
Command addInspectCommand(CLI::App& app);
Command addBenchLoadCommand(CLI::App& app);
#ifdef QD_WITH_DEMO_TRAIN
// train-demo OUT [--vae-steps N] [--unet-steps N] ...: trains the demo model (CmdTrainDemo.cpp)
Command addTrainDemoCommand(CLI::App& app);
#endif

} // namespace qd::cli
