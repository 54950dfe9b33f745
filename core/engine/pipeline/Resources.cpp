#include "pipeline/Resources.h"

#include <cstdlib>
#include <filesystem>
#include <vector>

#include "io/StateDict.h"

namespace fs = std::filesystem;

namespace qd
{

std::string resourcePath(const std::string& name)
{
    std::vector<fs::path> dirs;
    if (const char* env = std::getenv("QDIFFUSION_RESOURCES"))
        dirs.emplace_back(env);
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec)
        dirs.push_back(exe.parent_path().parent_path() / "share" / "qdiffusion"); // installed layout
    dirs.emplace_back(QD_RESOURCE_DIR); // source tree
    std::string searched;
    for (const auto& d : dirs) {
        const fs::path p = d / name;
        if (fs::exists(p, ec))
            return p.string();
        searched += (searched.empty() ? "" : ", ") + d.string();
    }
    throw EngineError("resource '" + name + "' not found (searched " + searched + ")");
}

} // namespace qd
