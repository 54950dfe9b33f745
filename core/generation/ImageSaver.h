#pragma once
// Saves what the inference thread made: one image file per finished (or interrupted) image, named
// as AUTOMATIC1111 names them (NNNNN-SEED.ext: the next free 5-digit number in the folder, then the
// seed), carrying its infotext (ImageMetadata: atomic, durable write), and only once that file is
// on disk, its history row (HistoryStore). An interrupted image is saved like a finished one with
// the parameters it was started with (A1111 writes its infotext unchanged, "Steps: 20" included).
//
// Threads: save() runs on any thread. The history row goes through Options::history when set (the
// store the gallery watches: HistoryStore::add() is safe from any thread and emits its inserted()),
// else through the calling thread's own connection to Options::dataDir.
#include <QImage>
#include <QString>

#include "core/engine/GenerationParams.h"
#include "core/generation/InferenceWorker.h"
#include "core/metadata/ImageMetadata.h"

namespace qd
{

class HistoryStore;

class ImageSaver
{
public:
    struct Options {
        ImageFileFormat format = ImageFileFormat::Png;
        int quality = 95; // JPEG / WebP, 1-100 (WebP 100 = lossless)
        QString outputDir; // used when a job names no folder; "" = AppPaths::outputDir()
        QString dataDir; // the history's folder; "" = AppPaths::dataDir()
        bool addToHistory = true;
        HistoryStore* history = nullptr; // where rows go; null: a store of this thread on dataDir
    };

    ImageSaver();
    explicit ImageSaver(Options options);
    const Options& options() const { return m_options; }

    // Writes `image` carrying `infotext` (the parameters as text: toInfotext(params)) into
    // `outputDir` (or the default folder) and adds its history row with `params`. Returns the file
    // written, or "" with *error naming the folder or file and why. A history row that cannot be
    // added does not undo the file: the reason goes to *historyError (and the log) and the path is
    // still returned.
    QString save(const QImage& image, const GenerationParams& params, const QString& infotext,
        const QString& outputDir = QString(), QString* error = nullptr,
        QString* historyError = nullptr) const;

    // Writes `image` carrying every entry of `meta` (an upscaled image keeps its source's entries and
    // adds its own) as NNNNN<nameTail>.ext, then its history row with `params`, as save() does.
    QString saveWithMetadata(const QImage& image, const GenerationParams& params, const ImageMetadata& meta,
        const QString& nameTail, const QString& outputDir = QString(), QString* error = nullptr,
        QString* historyError = nullptr) const;

    // save() as InferenceWorker wants it (the saver keeps a copy of these options).
    InferenceWorker::ImageSaver function() const;

    // A1111's images.get_next_sequence_number: one more than the largest number that starts a name
    // in `dir` ("00041-123.png" counts 41); 0 for an empty or missing folder.
    static int nextSequenceNumber(const QString& dir);

private:
    Options m_options;
};

} // namespace qd
