#pragma once
// `generate`'s ControlNet flags, one unit per --controlnet:
//   --controlnet MODEL --control-image FILE [--control-preprocessor canny] [--control-weight W]
//   [--control-start S] [--control-end E] [--control-mode balanced|prompt|controlnet]
//   [--control-resize just|crop|fill] [--control-res N] [--control-threshold-a A] [--control-threshold-b B]
// Each per-unit flag is given once (for every unit) or once per --controlnet, in order.
#include <string>
#include <vector>

#include <QList>

#include "core/generation/ControlUnits.h"

namespace CLI
{
class App;
}

namespace qd::cli
{

struct ControlNetFlags {
    std::vector<std::string> models, images, preprocessors, modes, resizes;
    std::vector<double> weights, starts, ends, thresholdsA, thresholdsB;
    std::vector<int> resolutions;
    std::vector<std::string> dirs; // --controlnet-dir: where model names are looked up
};

void addControlNetFlags(CLI::App* sub, ControlNetFlags& flags);
// The units the flags describe (images read from their files, model names resolved to files in the
// --controlnet-dir folders and `moreDirs`); false with *error naming the flag.
bool controlUnitsFromFlags(const ControlNetFlags& flags, const QStringList& moreDirs,
    QList<ControlUnitRequest>* units, std::string* error);

} // namespace qd::cli
