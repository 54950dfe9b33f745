#pragma once
// The history gallery's model: one row per image of a HistoryStore query, newest first by default.
// Built for 10,000+ rows: the ids of the whole query are read at once (one small SELECT), records are
// loaded a page at a time when a row is first shown (and evicted again), and thumbnails are made off
// the GUI thread by the store's Thumbnailer, arriving through dataChanged.
#include <QAbstractListModel>
#include <QCache>
#include <QHash>
#include <QList>
#include <QPixmap>
#include <QSet>
#include <QTimer>

#include "core/history/HistoryStore.h"

namespace qd
{

class HistoryModel : public QAbstractListModel
{
    Q_OBJECT
public:
    enum Role {
        IdRole = Qt::UserRole + 1,
        FilePathRole,
        PromptRole,
        NegativePromptRole,
        SeedRole,
        SamplerRole,
        ModelRole,
        SizeRole, // QSize of the image file
        CreatedRole, // QDateTime
        FavouriteRole, // bool, editable
        RatingRole, // int 0-5, editable
        InfotextRole, // the A1111 infotext of the parameters
        ThumbnailReadyRole, // bool: the decoration is the real thumbnail, not the placeholder
    };
    static constexpr int kPageSize = 200;
    static constexpr int kMaxCachedPages = 32; // records of 6,400 rows at most

    explicit HistoryModel(HistoryStore* store, QObject* parent = nullptr);

    HistoryStore* store() const { return m_store; }
    HistoryQuery query() const { return m_query; }
    void setQuery(const HistoryQuery& query); // re-reads the ids (model reset)

    // Re-reads the ids of the current query and applies the difference as row inserts / removals
    // (new images appear without losing the scroll position or selection).
    void refresh();

    qint64 idAt(int row) const;
    int rowOf(qint64 id) const; // -1 when not in the current query
    std::optional<HistoryRecord> recordAt(int row) const;
    QList<qint64> ids() const { return m_ids; }

    void setThumbnailSize(int logicalPixels, qreal devicePixelRatio = 1.0);
    int thumbnailSize() const { return m_thumbSize; }

    int loadedPageCount() const { return int(m_pages.size()); }
    int pendingThumbnails() const { return int(m_pending.size()); }

    int rowCount(const QModelIndex& parent = QModelIndex()) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    bool setData(const QModelIndex& index, const QVariant& value, int role) override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;
    QHash<int, QByteArray> roleNames() const override;
    // Dragging images out gives their files (to other programs, or onto the Create tab to restore).
    QStringList mimeTypes() const override;
    QMimeData* mimeData(const QModelIndexList& indexes) const override;

signals:
    void thumbnailReady(qint64 id);

private:
    const HistoryRecord* recordPtr(int row) const;
    QPixmap thumbnail(int row, const HistoryRecord& rec) const;
    void recordChanged(qint64 id);
    void applyIds(const QList<qint64>& ids);

    HistoryStore* m_store;
    HistoryQuery m_query;
    QList<qint64> m_ids;
    QHash<qint64, int> m_rowOfId; // rebuilt lazily
    mutable QHash<int, QList<HistoryRecord>> m_pages; // page number -> its records
    mutable QList<int> m_pageUse; // least recently used first
    mutable QCache<qint64, QPixmap> m_thumbs;
    mutable QSet<qint64> m_pending;
    mutable QPixmap m_placeholder;
    int m_thumbSize = 160;
    qreal m_dpr = 1.0;
    QTimer m_refreshTimer;
    quint64 m_generation = 0; // bumps on reset so late thumbnails of an old query are dropped
};

} // namespace qd
