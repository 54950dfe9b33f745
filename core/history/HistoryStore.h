#pragma once
// Every image ever made (or imported), in SQLite through QtSql (`history.sqlite` in
// AppPaths::dataDir(), WAL journal): one row per image with its file path, full parameters (JSON),
// prompt, negative prompt, seed, sampler, schedule, model name + hash, pixel size, time, favourite,
// rating and tags. Prompts are searched through an FTS5 word index: a typed word matches words that
// start with it, "quoted words" match exactly, Chinese/Japanese text matches as a run of characters.
//
// Built for a gallery of 10k+ images: count() + page(offset, limit) or ids() + records(ids) read only
// what is shown. Deleting moves the file to a trash folder and keeps the row, so it can be undone.
//
// Threads: a HistoryStore's database connection belongs to the thread that called open(); a worker
// thread that imports or inserts opens its own HistoryStore on the same folder (WAL lets them share).
//
// Files: HistoryStore.cpp (rows in: insert, favourites, ratings, tags), HistorySchema.cpp (open,
// schema), HistorySearch.cpp (queries), HistoryTrash.cpp (delete with undo), HistoryImport.cpp.
#include "core/engine/GenerationParams.h"
#include "core/history/Thumbnailer.h"

#include <QDateTime>
#include <QFuture>
#include <QImage>
#include <QList>
#include <QObject>
#include <QString>
#include <QStringList>

#include <optional>

namespace qd
{

struct HistoryRecord {
    qint64 id = 0;
    QString filePath;
    GenerationParams params;
    int width = 0; // of the image file (a hires-fixed image is larger than params' size)
    int height = 0;
    QDateTime created;
    bool favourite = false;
    int rating = 0; // 0-5
    QStringList tags;
    QString source; // where the parameters came from: "qdiffusion", or the text key read on import
};

struct HistoryQuery {
    enum class Sort { NewestFirst, OldestFirst, HighestRatedFirst };
    QString text; // words that must all start words of the prompt; "-word" excludes; "exact phrase"
    bool searchNegative = false; // search the negative prompt too
    QString model; // model name or hash
    QString sampler;
    QDateTime from, to; // created in [from, to); invalid = open
    bool favouritesOnly = false;
    int minRating = 0;
    QString tag;
    Sort sort = Sort::NewestFirst;
};

class HistoryStore : public QObject
{
    Q_OBJECT
public:
    explicit HistoryStore(QObject* parent = nullptr); // in AppPaths::dataDir()
    explicit HistoryStore(const QString& dataDir, QObject* parent = nullptr);
    ~HistoryStore() override;

    bool open(QString* error = nullptr);
    bool isOpen() const { return m_open; }
    QString databasePath() const;
    QString trashDir() const;
    const Thumbnailer& thumbnailer() const { return m_thumbnailer; }

    struct NewImage {
        QString filePath;
        GenerationParams params;
        QDateTime created; // invalid: now
        QString source = QStringLiteral("qdiffusion");
    };
    // Adds the row of an image that is already written and durable (ImageMetadata::save). Refuses a
    // file that does not exist, is empty, or is already in the history. Returns the id, or 0.
    qint64 insert(const QString& filePath, const GenerationParams& params, QString* error = nullptr,
        const QDateTime& created = QDateTime());
    qint64 insert(const NewImage& image, QString* error = nullptr);
    // insert() that is safe from any thread: on another thread than this store's the row goes
    // through that thread's own connection to the same folder (forThread()), and inserted() is
    // still emitted by this object, so whoever watches it (the gallery) hears of the row.
    qint64 add(const NewImage& image, QString* error = nullptr);
    // The calling thread's store on `dataDir`, opened on first use and closed when the thread ends;
    // null with *error when it cannot be opened.
    static HistoryStore* forThread(const QString& dataDir, QString* error = nullptr);
    // Many rows in one transaction; the ids in order (0 where one failed, its reason in *errors);
    // inserted() for each row added.
    QList<qint64> insertMany(const QList<NewImage>& images, QStringList* errors = nullptr);

    std::optional<HistoryRecord> record(qint64 id) const;
    QList<HistoryRecord> records(const QList<qint64>& ids) const; // in the order of `ids`
    qint64 idForPath(const QString& filePath) const; // 0 when not in the history

    int count(const HistoryQuery& query = HistoryQuery()) const;
    QList<HistoryRecord> page(const HistoryQuery& query, int offset, int limit) const;
    QList<qint64> ids(const HistoryQuery& query = HistoryQuery()) const; // all matches, in order
    QStringList models() const; // distinct model names, for filter menus
    QStringList samplers() const;

    bool setFavourite(qint64 id, bool favourite);
    bool setRating(qint64 id, int rating);
    bool setTags(qint64 id, const QStringList& tags);

    // Removes the row and moves the file to the trash folder; undoable.
    bool remove(qint64 id, QString* error = nullptr);
    // Brings back the most recently removed image (row and file).
    bool undoRemove(QString* error = nullptr);
    bool restore(qint64 id, QString* error = nullptr);
    QList<qint64> trashedIds() const; // most recent first
    // Deletes trashed files and rows removed before `before` for good; returns how many.
    int purgeTrash(const QDateTime& before = QDateTime::currentDateTimeUtc());

    QFuture<QImage> thumbnail(qint64 id, int size = 256) const;

    struct ImportReport {
        int added = 0;
        int duplicates = 0; // already in the history
        int withoutParameters = 0; // images with no generation parameters (photos, ...)
        QStringList errors; // unreadable or broken files, each naming the file
    };
    // Adds every PNG, JPEG and WebP of `folder` (e.g. an AUTOMATIC1111 outputs folder) that carries
    // generation parameters (A1111, ComfyUI, InvokeAI, NovelAI), dated by the file's time.
    ImportReport importFolder(const QString& folder, bool recursive = true);

signals:
    void inserted(qint64 id);
    void imported(int added); // after importFolder (no per-row inserted() then)
    void removed(qint64 id);
    void restored(qint64 id);
    void changed(qint64 id);

private:
    bool exec(const QString& sql, const QVariantList& binds = {}, QString* error = nullptr) const;
    qint64 insertRow(const NewImage& image, QString* error);
    QList<qint64> insertBatch(const QList<NewImage>& images, QStringList* errors);
    QList<HistoryRecord> select(const QString& whereOrder, const QVariantList& binds) const;
    int ftsCount(const QString& match) const;
    int planHits(const QString& match) const;

    QString m_dataDir;
    QString m_connection;
    Thumbnailer m_thumbnailer;
    bool m_open = false;
    mutable QString m_planMatch; // the last text search and its hit count (plan choice only)
    mutable int m_planHits = 0;
};

} // namespace qd
