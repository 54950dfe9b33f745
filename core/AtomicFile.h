#pragma once
// Durable, atomic file replacement: the new bytes go to a temporary file beside the target, are
// flushed to disk (fsync), and only then renamed over it; the folder is synced so the rename survives
// a power cut. Readers see the old file or the new one, never half of one.
#include <QByteArray>
#include <QString>

namespace qd
{

bool writeFileAtomically(const QString& path, const QByteArray& data, QString* error = nullptr);

} // namespace qd
