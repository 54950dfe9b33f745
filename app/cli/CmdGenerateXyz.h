#pragma once
// qdiffusion-cli generate --xyz-x "Steps:10,20" --xyz-y "CFG Scale:5,7,9" [--xyz-z ...]: AUTOMATIC1111's
// X/Y/Z plot from the command line (core/generation/XyzPlot.h). Each cell is an ordinary job saved
// as OUTDIR/samples/NNNNN.png with its own infotext; the labelled grid goes beside them as
// OUTDIR/samples/xyz_grid-NNNN.png with the grid's infotext.
#include <string>
#include <vector>

#include "core/Settings.h"
#include "core/generation/JobBuilder.h"

namespace qd::cli
{

struct XyzCliOptions {
    std::string x, y, z; // "TYPE:VALUES"; "" = Nothing
    bool keepRandomSeeds = false;
    bool any() const { return !x.empty() || !y.empty() || !z.empty(); }
};

// Runs the plot over `base` (built by generate's flags); exit code as the commands': 0, 1, 2.
int runXyzPlot(const XyzCliOptions& xyz, const JobRequest& base, const Settings& settings,
    const std::vector<std::string>& loraDirs, const std::string& outdir, bool json);

} // namespace qd::cli
