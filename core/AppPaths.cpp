#include "core/AppPaths.h"

#include <QDir>
#include <QStandardPaths>

namespace qd
{

static QString ensure(const QString& path)
{
    QDir().mkpath(path);
    return path;
}

static QString home()
{
    return qEnvironmentVariable("QDIFFUSION_HOME");
}

QString AppPaths::dataDir()
{
    const QString h = home();
    return ensure(
        h.isEmpty() ? QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) : h + "/data");
}

QString AppPaths::configFile()
{
    const QString h = home();
    const QString dir
        = h.isEmpty() ? QStandardPaths::writableLocation(QStandardPaths::AppConfigLocation) : h + "/config";
    return ensure(dir) + "/settings.yaml";
}

QString AppPaths::outputDir()
{
    const QString h = home();
    return ensure(h.isEmpty()
            ? QStandardPaths::writableLocation(QStandardPaths::PicturesLocation) + "/QDiffusion"
            : h + "/outputs");
}

QString AppPaths::modelsDir()
{
    return ensure(dataDir() + "/models");
}

} // namespace qd
