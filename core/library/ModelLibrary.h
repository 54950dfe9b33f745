#pragma once
// The model library: the checkpoints in the model folders, listed, named and hashed as AUTOMATIC1111
// lists models/Stable-diffusion (modules/sd_models.py, hashes.py, sd_vae.py), so titles, the infotext's
// `Model` / `Model hash` and the API's sd-models list read as artists know them.
//
// Scanning (rescan()) walks each folder recursively on the calling thread (directory listings and
// stat only, as A1111 does): `.safetensors` and `.ckpt` files, and diffusers folders (a folder with
// model_index.json; not descended into). Skipped: `*.vae.*` files, TAESD preview decoders
// (`taesd*`), hidden folders, and the folders A1111 keeps other kinds of weights in (VAE, Lora,
// embeddings, ...). `.pt` files are not listed: A1111 lists none, and in model folders they are
// VAEs, embeddings or hypernetworks. A folder holding a `Stable-diffusion` subfolder is taken for
// an A1111 `models` folder: checkpoints come from that subfolder, VAEs from its `VAE` sibling.
//
// Hashing: the SHA-256 of every file runs on a one-thread pool, one file at a time (a disk is read
// in order, not thrashed), streamed in 1 MiB reads, never on the calling thread. Results are cached
// by absolute path + size + mtime in a JSON file (default AppPaths::dataDir()/model-hashes.json,
// written atomically); a changed size or mtime hashes the file again. A diffusers folder's hash is
// the SHA-256 of the bytes of its weight files (.safetensors, .bin, .ckpt, .pt, .pth, in every
// subfolder) read one after the other in the order of their '/'-separated relative paths (sorted by
// UTF-16 code units, case-sensitive); A1111 cannot load folders, so no tool's hash is to be matched.
//
// Files: ModelLibrary.cpp (the list and its lookups), ModelLibraryScan.cpp (rescan()),
// ModelLibraryHashing.cpp (the hashing pool and the cache file).
#include <QObject>
#include <QStringList>

#include <memory>
#include <optional>

#include "core/engine/Pipeline.h" // ModelFamily

namespace qd
{

class Settings;

// One checkpoint: a file or a diffusers folder.
struct ModelEntry {
    enum class Format { Safetensors, Ckpt, Diffusers };

    QString path; // absolute file or folder
    QString folder; // the folder `name` is relative to
    Format format = Format::Safetensors;
    QString name; // A1111 CheckpointInfo.name: "sub/v1-5-pruned-emaonly.safetensors" ('/'-separated)
    QString modelName; // file stem (A1111 name_for_extra): infotext "Model"
    QString apiModelName; // A1111 model_name: name less its extension, '/' -> '_' (sd-models "model_name")
    QString config; // NAME.yaml beside the checkpoint; "" = detect from the weights
    QString vae; // NAME.vae.pt / .vae.ckpt / .vae.safetensors beside the checkpoint, else ""
    qint64 size = 0; // bytes (a diffusers folder: its weight files together)
    qint64 mtime = 0; // ms since the epoch (a diffusers folder: its newest weight file)
    QString sha256; // 64 lowercase hex digits; "" until hashed
    QString legacyHash; // A1111's old 8-hex "model hash" (SHA-256 of 64 KiB at 1 MiB); "" for folders
    QString error; // why it could not be hashed; "" when fine
    ModelFamily family = ModelFamily::Unknown; // from its keys; Unknown until read (JobBuilder::familyOf)

    QString hash() const { return sha256.left(10); } // infotext "Model hash", A1111 shorthash
    QString title() const; // "name [hash10]"; just the name until hashed
    bool isDiffusers() const { return format == Format::Diffusers; }
};

// A separate VAE the picker offers (A1111's VAE list: files in the VAE folders and NAME.vae.* files).
struct VaeEntry {
    QString path;
    QString name; // file name with extension: A1111's VAE key and infotext "VAE"
    qint64 size = 0;
    qint64 mtime = 0;
    QString sha256; // infotext "VAE hash" is its first 10 digits
    QString error;

    QString hash() const { return sha256.left(10); }
};

class ModelLibrary : public QObject
{
    Q_OBJECT
public:
    explicit ModelLibrary(QObject* parent = nullptr);
    ~ModelLibrary() override; // stops hashing (within one 1 MiB read) before returning

    // AppPaths::modelsDir() first, then the settings' modelFolders.
    static QStringList defaultFolders(const Settings& settings);

    void setFolders(const QStringList& folders); // then rescan()
    QStringList folders() const;
    // The hash cache; reading it happens at the next rescan().
    void setCacheFile(const QString& path);
    QString cacheFile() const;
    // Off: nothing new is hashed (cached hashes are still used), like A1111's --no-hashing. On
    // again: hashes what the list holds now, without scanning the folders again.
    void setHashingEnabled(bool enabled);
    bool isHashingEnabled() const;

    // Lists the folders again, takes the hashes the cache has for unchanged files and queues the
    // others. Emits entriesChanged() when the list (or what it knows of an entry) changed.
    void rescan();

    QList<ModelEntry> entries() const; // in A1111's order: natural sort of the names, case-insensitive
    QList<VaeEntry> vaes() const;

    // Lookups, as A1111's checkpoint aliases: "name [hash10]", "sub/x.safetensors", "x", "6ce0161689"
    // (also a full SHA-256 or a legacy 8-hex hash). find() tries them all in that order.
    std::optional<ModelEntry> findByTitle(const QString& title) const;
    std::optional<ModelEntry> findByName(const QString& name) const;
    std::optional<ModelEntry> findByModelName(const QString& modelName) const;
    std::optional<ModelEntry> findByHash(const QString& hash) const;
    std::optional<ModelEntry> findByPath(const QString& path) const;
    std::optional<ModelEntry> find(const QString& any) const;
    std::optional<VaeEntry> findVae(const QString& nameOrPath) const;
    // A1111's "Automatic" VAE: NAME.vae.* beside the checkpoint, else a file in a VAE folder named
    // NAME.<ext> or NAME.vae.<ext>; "" = the checkpoint's own VAE.
    QString automaticVae(const ModelEntry& entry) const;

    // Moves `path` to the front of the hashing queue (the model the user just picked).
    void prioritize(const QString& path);
    bool isHashing() const; // files queued or being hashed
    int pendingHashes() const;
    void cancel(); // stops hashing now (the file being read is dropped); rescan() resumes
    // Runs the event loop until every queued file is hashed; false on timeout (tests, the CLI).
    bool waitForHashes(int timeoutMs);

signals:
    void entriesChanged();
    void hashReady(QString path, QString hash10);
    void hashFailed(QString path, QString error);
    void hashingFinished();

private:
    struct Private;
    struct HashResult;
    void startHashing();
    void applyHash(const HashResult& result);
    void loadCache(bool warn = true);
    void saveCache();
    std::unique_ptr<Private> d;
};

} // namespace qd
