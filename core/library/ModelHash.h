#pragma once
// SHA-256 of model files as AUTOMATIC1111 computes them (modules/hashes.py: the whole file; the
// infotext's "Model hash" is its first 10 hex digits), streamed in 1 MiB reads with a cancel check
// between reads, so a library being closed stops within one read. For a diffusers folder, which
// A1111 cannot load, the hash is defined here: the SHA-256 of the bytes of its weight files read one
// after the other (see diffusersWeightFiles for which files and in which order).
#include <QString>
#include <QStringList>

#include <functional>

namespace qd
{

struct ModelHash {
    QString sha256; // 64 lowercase hex digits; "" on error or when cancelled
    QString legacy; // A1111's old 8-hex "model hash": SHA-256 of the 64 KiB at offset 0x100000
    QString error; // names the file and what went wrong
};

using CancelCheck = std::function<bool()>;

// `legacy`: also the old 8-hex hash (past the end of a small file that is the hash of nothing, as
// A1111's seek-then-read gives).
ModelHash hashModelFile(const QString& path, const CancelCheck& cancelled, bool legacy = true);
// The old 8-hex hash alone (64 KiB read): what sd-webui-controlnet shows after a ControlNet's name.
// "" when the file cannot be opened.
QString legacyModelHash(const QString& path);
ModelHash hashDiffusersFolder(const QString& folder, const CancelCheck& cancelled);

// The weight files of a diffusers folder in hashing order: every .safetensors, .bin, .ckpt, .pt and
// .pth file in it and its subfolders, as '/'-separated relative paths sorted by UTF-16 code units
// (case-sensitive), so the order is the same on every system.
QStringList diffusersWeightFiles(const QString& folder);

} // namespace qd
