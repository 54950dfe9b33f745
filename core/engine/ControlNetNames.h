#pragma once
// The names sd-webui-controlnet gives the ControlNet modes (public, torch-free: front ends parse them).
#include "GenerationParams.h"

namespace qd
{

const char* controlModeName(ControlMode mode); // "Balanced", "My prompt is more important", ...
const char* controlResizeModeName(ControlResizeMode mode); // "Just Resize", "Crop and Resize", ...

} // namespace qd
