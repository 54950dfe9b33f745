#pragma once
// Where the window's own state lives (geometry, dock layout, recent prompts, export choices): an INI
// file next to the history, so that QDIFFUSION_HOME keeps tests and portable installs self-contained.
#include <QSettings>

#include "core/AppPaths.h"

namespace qd
{

inline QString uiStateFile()
{
    return AppPaths::dataDir() + QStringLiteral("/ui-state.ini");
}

} // namespace qd
