#pragma once
#include <QString>

// Writes FOLDER/STEM.safetensors (tiny SD 1.x weights) and STEM.yaml beside it; false on failure.
bool writeTinyCheckpoint(const QString& folder, const QString& stem);
