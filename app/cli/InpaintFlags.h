#pragma once
// `generate`'s inpainting and outpainting flags (A1111's img2img inpaint controls), kept beside
// CmdGenerate.cpp so that its option list stays readable.
#include <string>

#include "core/engine/GenerationParams.h"

namespace CLI
{
class App;
}

namespace qd::cli
{

struct InpaintFlags {
    int maskBlur = 4;
    std::string fill = "original"; // fill | original | latent-noise | latent-nothing
    bool fullRes = false;
    int padding = 32;
    bool invert = false;
    std::string outpaint; // "LEFT,RIGHT,UP,DOWN" in px
};

void addInpaintFlags(CLI::App* sub, InpaintFlags& flags);
// Sets the flags' fields in p; false with *error naming the bad flag value.
bool applyInpaintFlags(const InpaintFlags& flags, GenerationParams& p, std::string* error);

} // namespace qd::cli
