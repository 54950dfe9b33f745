#pragma once
// Network annotators for ControlNet preprocessors (public, torch-free): what sd-webui-controlnet runs
// with a downloaded network where a classical filter is not enough. Front ends size the picture
// (core/generation/ControlPreprocessors.cpp) and pass the weight file from the annotators folder.
#include <string>

#include "Image.h"

namespace qd
{

// annotator/hed (ControlNetHED_Apache2, ControlNetHED.pth): the soft-edge map of an RGB picture,
// sigmoid of the mean of five side outputs resized to the picture, as 8-bit grey in RGB. The network
// is loaded once per file version. Throws EngineError naming the file for one that is not that network.
Image runHedAnnotator(const std::string& weightsPath, const Image& rgb);

} // namespace qd
