#pragma once
// Light / dark / system appearance for the whole application.
#include <QString>

namespace qd
{

// "system" keeps the platform's style and palette; "light" and "dark" use Fusion with a matching
// palette (readable on every platform, also high-DPI).
void applyTheme(const QString& theme);

} // namespace qd
