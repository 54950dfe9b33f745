#pragma once
// Durable, atomic file replacement: the new bytes go to a temporary file beside the target, are
// flushed to disk (fsync), and only then renamed over it; the folder is synced so the rename survives
// a power cut. Readers see the old file or the new one, never half of one, and a write cut short
// leaves no file under a visible name.
#include <QByteArray>
#include <QString>

namespace qd
{

bool writeFileAtomically(const QString& path, const QByteArray& data, QString* error = nullptr);

// A write cut short (the process killed, the machine off) leaves a hidden ".NAME.part-XXXXXX" beside
// its target. Removes those in `dir` last written more than `olderThanSeconds` ago (younger ones may
// belong to a write in progress) and returns how many.
int removeStalePartialFiles(const QString& dir, int olderThanSeconds = 600);

} // namespace qd
