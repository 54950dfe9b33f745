#pragma once
// Finds QDiffusion's data files (CLIP vocabulary, default model configs, preview matrices, shape
// tables) in the source tree, beside an installed binary, or where QDIFFUSION_RESOURCES points.
#include <string>

namespace qd
{

// Full path of resources/<name>; throws EngineError listing the folders searched when absent.
std::string resourcePath(const std::string& name);

} // namespace qd
