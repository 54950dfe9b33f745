#pragma once
// Where QDiffusion keeps its files: settings, the history database, thumbnails, outputs, models.
// Honours QDIFFUSION_HOME (one folder for everything: tests, portable installs).
#include <QString>

namespace qd
{

struct AppPaths {
    static QString dataDir(); // history database, thumbnails, demo model
    static QString configFile(); // settings.yaml
    static QString outputDir(); // generated images
    static QString modelsDir(); // default checkpoint folder
};

} // namespace qd
