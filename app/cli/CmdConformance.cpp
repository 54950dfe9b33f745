// qdiffusion-cli conformance: runs every case of a conformance cases file against its goldens and
// prints one line per case (PASS / FAIL, or SKIP with the reason for a case it cannot run), then
// "N passed, M failed, K skipped". Exit 1 on any failure or when nothing passed.
#include <cstdio>
#include <iostream>

#include "CliCommon.h"
#include "Commands.h"
#include "core/engine/EngineInfo.h"
#include "core/engine/conformance/Conformance.h"
#include "core/engine/pipeline/Resources.h"

namespace qd::cli
{

Command addConformance(CLI::App& app)
{
    auto o = std::make_shared<ConformanceOptions>();
    CLI::App* sub
        = app.add_subcommand("conformance", "Check generations against diffusers' recorded outputs");
    sub->add_option("--goldens", o->goldens, "goldens.safetensors (inputs and expected tensors)")->required();
    sub->add_option("--cases", o->cases, "cases.json (the cases to run)")->required();
    sub->add_option("--data", o->dataDir,
        "Folder with tiny_layouts.json and the *-tiny.yaml configs "
        "(default: the project's copy of the conformance data)");
    sub->add_option("--filter", o->filter, "Run only cases whose name contains this");
    sub->add_option("--device", o->device, "cpu, cuda or cuda:N (float32 either way)")->capture_default_str();
    return { sub, [o] {
                configureThreads();
                if (o->dataDir.empty())
                    o->dataDir = std::string(QD_SOURCE_DIR) + "/tests/data/conformance";
                int passed = 0, failed = 0, skipped = 0;
                try {
                    runConformance(*o, [&](const ConformanceResult& r) {
                        if (r.skipped) {
                            std::printf("SKIP %-38s -- %s\n", r.name.c_str(), r.message.c_str());
                            std::fflush(stdout);
                            ++skipped;
                            return;
                        }
                        if (!r.detail.empty()) {
                            std::printf("%-4s %-38s %s%s%s\n", r.passed ? "PASS" : "FAIL", r.name.c_str(),
                                r.detail.c_str(), r.message.empty() ? "" : "  -- ", r.message.c_str());
                            std::fflush(stdout);
                            (r.passed ? passed : failed)++;
                            return;
                        }
                        std::printf("%-4s %-38s noise %.1e  latents %.2e (tol %.0e, %d steps)  image %.2e "
                                    "(tol %.0e)%s%s\n",
                            r.passed ? "PASS" : "FAIL", r.name.c_str(), r.noiseError, r.latentError,
                            o->latentTol, r.steps, r.imageError, o->imageTol,
                            r.message.empty() ? "" : "  -- ", r.message.c_str());
                        std::fflush(stdout);
                        (r.passed ? passed : failed)++;
                    });
                } catch (const std::exception& e) {
                    return badInput(e.what());
                }
                std::printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
                return failed == 0 && passed > 0 ? 0 : 1;
            } };
}

} // namespace qd::cli
