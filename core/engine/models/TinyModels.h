#pragma once
// The conformance models: tiny SD1 / SD2 / SDXL (and the 9-channel SD1 inpainting variant) whose
// every tensor follows the fill rule over its single-file key. Used by the tests, the conformance
// subcommand and the built-in demo model.
#include <string>

#include "io/StateDict.h"

namespace qd
{

// `model` is "sd1", "sd2", "sdxl" or "sd1inp"; `layoutsJson` is tiny_layouts.json (its
// ldm_shapes list every key and shape). sd1inp is sd1 with a 9-channel first convolution.
StateDict tinyStateDict(const std::string& model, const std::string& layoutsJson);

} // namespace qd
