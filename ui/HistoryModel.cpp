#include "ui/HistoryModel.h"

#include <QFutureWatcher>
#include <QGuiApplication>
#include <QMimeData>
#include <QPainter>
#include <QPalette>
#include <QUrl>

#include "core/metadata/Infotext.h"

namespace qd
{

HistoryModel::HistoryModel(HistoryStore* store, QObject* parent)
    : QAbstractListModel(parent)
    , m_store(store)
{
    // Cost in KiB: about 600 thumbnails of 192 px at 2x.
    m_thumbs.setMaxCost(256 * 1024);
    connect(m_store, &HistoryStore::changed, this, &HistoryModel::recordChanged);
    // insertMany() signals once per row: take a burst in with one refresh.
    m_refreshTimer.setSingleShot(true);
    m_refreshTimer.setInterval(0);
    connect(&m_refreshTimer, &QTimer::timeout, this, &HistoryModel::refresh);
    connect(m_store, &HistoryStore::inserted, &m_refreshTimer, qOverload<>(&QTimer::start));
    connect(m_store, &HistoryStore::removed, this, &HistoryModel::refresh);
    connect(m_store, &HistoryStore::restored, this, &HistoryModel::refresh);
    connect(m_store, &HistoryStore::imported, this, &HistoryModel::refresh);
    setQuery(HistoryQuery());
}

void HistoryModel::setQuery(const HistoryQuery& query)
{
    beginResetModel();
    m_query = query;
    m_ids = m_store->ids(query);
    m_rowOfId.clear();
    m_pages.clear();
    m_pageUse.clear();
    ++m_generation;
    m_pending.clear();
    endResetModel();
}

void HistoryModel::refresh()
{
    applyIds(m_store->ids(m_query));
}

void HistoryModel::applyIds(const QList<qint64>& ids)
{
    if (ids == m_ids)
        return;
    // Common cases without a reset: new images at the top (newest first) or at the bottom, and
    // images deleted from anywhere.
    const int added = int(ids.size() - m_ids.size());
    auto invalidatePages = [this] {
        m_rowOfId.clear();
        m_pages.clear();
        m_pageUse.clear();
    };
    if (added > 0 && ids.mid(added) == m_ids) {
        beginInsertRows(QModelIndex(), 0, added - 1);
        m_ids = ids;
        invalidatePages();
        endInsertRows();
        return;
    }
    if (added > 0 && ids.mid(0, m_ids.size()) == m_ids) {
        beginInsertRows(QModelIndex(), int(m_ids.size()), int(ids.size()) - 1);
        m_ids = ids;
        invalidatePages();
        endInsertRows();
        return;
    }
    if (added < 0) {
        const QSet<qint64> keep(ids.begin(), ids.end());
        QList<qint64> remaining;
        for (qint64 id : m_ids)
            if (keep.contains(id))
                remaining << id;
        if (remaining == ids) {
            // Remove from the bottom up, in contiguous runs.
            for (int row = int(m_ids.size()) - 1; row >= 0;) {
                if (keep.contains(m_ids[row])) {
                    --row;
                    continue;
                }
                int first = row;
                while (first > 0 && !keep.contains(m_ids[first - 1]))
                    --first;
                beginRemoveRows(QModelIndex(), first, row);
                for (int r = row; r >= first; --r)
                    m_thumbs.remove(m_ids[r]);
                m_ids.remove(first, row - first + 1);
                invalidatePages();
                endRemoveRows();
                row = first - 1;
            }
            return;
        }
    }
    beginResetModel();
    m_ids = ids;
    invalidatePages();
    ++m_generation;
    m_pending.clear();
    endResetModel();
}

qint64 HistoryModel::idAt(int row) const
{
    return row >= 0 && row < m_ids.size() ? m_ids[row] : 0;
}

int HistoryModel::rowOf(qint64 id) const
{
    if (m_rowOfId.isEmpty() && !m_ids.isEmpty()) {
        auto& map = const_cast<QHash<qint64, int>&>(m_rowOfId);
        map.reserve(m_ids.size());
        for (int i = 0; i < m_ids.size(); ++i)
            map.insert(m_ids[i], i);
    }
    return m_rowOfId.value(id, -1);
}

const HistoryRecord* HistoryModel::recordPtr(int row) const
{
    if (row < 0 || row >= m_ids.size())
        return nullptr;
    const int page = row / kPageSize;
    auto it = m_pages.find(page);
    if (it == m_pages.end()) {
        // Evict before inserting, never after: Qt 6's QHash fills the slot a remove() frees by
        // shifting later entries back, so an iterator taken before the remove may then point at
        // another page or at an empty slot (a crash or a wrong row, depending on the hash seed).
        while (m_pageUse.size() >= kMaxCachedPages)
            m_pages.remove(m_pageUse.takeFirst());
        const QList<qint64> pageIds = m_ids.mid(page * kPageSize, kPageSize);
        it = m_pages.insert(page, m_store->records(pageIds));
        m_pageUse.append(page);
    } else if (m_pageUse.last() != page) {
        m_pageUse.removeOne(page);
        m_pageUse.append(page);
    }
    const QList<HistoryRecord>& records = it.value();
    const int i = row % kPageSize;
    // records() skips ids that vanished meanwhile; then match by id.
    if (i < records.size() && records[i].id == m_ids[row])
        return &records[i];
    for (const HistoryRecord& r : records)
        if (r.id == m_ids[row])
            return &r;
    return nullptr;
}

std::optional<HistoryRecord> HistoryModel::recordAt(int row) const
{
    const HistoryRecord* r = recordPtr(row);
    return r ? std::optional<HistoryRecord>(*r) : std::nullopt;
}

void HistoryModel::setThumbnailSize(int logicalPixels, qreal devicePixelRatio)
{
    if (logicalPixels == m_thumbSize && qFuzzyCompare(devicePixelRatio, m_dpr))
        return;
    m_thumbSize = logicalPixels;
    m_dpr = devicePixelRatio;
    m_thumbs.clear();
    m_placeholder = QPixmap();
    ++m_generation;
    m_pending.clear();
    if (!m_ids.isEmpty())
        emit dataChanged(index(0), index(int(m_ids.size()) - 1), { Qt::DecorationRole, ThumbnailReadyRole });
}

QPixmap HistoryModel::thumbnail(int row, const HistoryRecord& rec) const
{
    if (QPixmap* cached = m_thumbs.object(rec.id))
        return *cached;
    if (!m_pending.contains(rec.id)) {
        m_pending.insert(rec.id);
        const qint64 id = rec.id;
        const quint64 generation = m_generation;
        auto* self = const_cast<HistoryModel*>(this);
        const int pixels = int(m_thumbSize * m_dpr);
        // Decoding and scaling happen on the thread pool; only the QPixmap is made here.
        auto* watcher = new QFutureWatcher<QImage>(self);
        connect(watcher, &QFutureWatcher<QImage>::finished, self, [self, watcher, id, generation] {
            watcher->deleteLater();
            if (generation != self->m_generation)
                return;
            self->m_pending.remove(id);
            QImage img = watcher->future().isValid() && watcher->future().resultCount() ? watcher->result()
                                                                                        : QImage();
            if (img.isNull()) {
                img = QImage(8, 8, QImage::Format_RGB32);
                img.fill(QColor(120, 40, 40)); // unreadable file: a dark red tile, not a spinner forever
            }
            img.setDevicePixelRatio(self->m_dpr);
            auto* pm = new QPixmap(QPixmap::fromImage(img));
            self->m_thumbs.insert(id, pm, qMax(1, int(qint64(img.sizeInBytes()) / 1024)));
            const int r = self->rowOf(id);
            if (r >= 0) {
                const QModelIndex ix = self->index(r);
                emit self->dataChanged(ix, ix, { Qt::DecorationRole, ThumbnailReadyRole });
            }
            emit self->thumbnailReady(id);
        });
        watcher->setFuture(m_store->thumbnailer().thumbnail(rec.filePath, pixels));
    }
    if (m_placeholder.isNull()) {
        const int px = int(m_thumbSize * m_dpr);
        QPixmap pm(px, px);
        pm.fill(QGuiApplication::palette().color(QPalette::Mid));
        pm.setDevicePixelRatio(m_dpr);
        m_placeholder = pm;
    }
    Q_UNUSED(row);
    return m_placeholder;
}

int HistoryModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_ids.size());
}

QVariant HistoryModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    if (role == IdRole)
        return m_ids[index.row()];
    const HistoryRecord* rec = recordPtr(index.row());
    if (!rec)
        return {};
    const GenerationParams& p = rec->params;
    switch (role) {
    case Qt::DisplayRole:
    case PromptRole:
        return QString::fromStdString(p.prompt);
    case Qt::ToolTipRole: {
        QString prompt = QString::fromStdString(p.prompt);
        if (prompt.size() > 300)
            prompt = prompt.left(299) + QChar(0x2026);
        return QStringLiteral("%1\n%2 · %3 · %4×%5 · %6")
            .arg(prompt, QString::fromStdString(p.sampler))
            .arg(p.seed)
            .arg(rec->width)
            .arg(rec->height)
            .arg(QLocale().toString(rec->created.toLocalTime(), QLocale::ShortFormat));
    }
    case Qt::DecorationRole:
        return thumbnail(index.row(), *rec);
    case ThumbnailReadyRole:
        return m_thumbs.contains(rec->id);
    case FilePathRole:
        return rec->filePath;
    case NegativePromptRole:
        return QString::fromStdString(p.negativePrompt);
    case SeedRole:
        return qint64(p.seed);
    case SamplerRole:
        return QString::fromStdString(p.sampler);
    case ModelRole:
        return QString::fromStdString(p.modelName);
    case SizeRole:
        return QSize(rec->width, rec->height);
    case CreatedRole:
        return rec->created;
    case FavouriteRole:
        return rec->favourite;
    case RatingRole:
        return rec->rating;
    case InfotextRole:
        return toInfotext(p);
    default:
        return {};
    }
}

bool HistoryModel::setData(const QModelIndex& index, const QVariant& value, int role)
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return false;
    const qint64 id = m_ids[index.row()];
    // The store emits changed(id), which refreshes the cached record and the view.
    if (role == FavouriteRole)
        return m_store->setFavourite(id, value.toBool());
    if (role == RatingRole) {
        const int rating = value.toInt();
        return rating >= 0 && rating <= 5 && m_store->setRating(id, rating);
    }
    return false;
}

Qt::ItemFlags HistoryModel::flags(const QModelIndex& index) const
{
    if (!index.isValid())
        return Qt::NoItemFlags;
    return Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemIsDragEnabled | Qt::ItemNeverHasChildren;
}

QHash<int, QByteArray> HistoryModel::roleNames() const
{
    QHash<int, QByteArray> names = QAbstractListModel::roleNames();
    names.insert(IdRole, "id");
    names.insert(FilePathRole, "filePath");
    names.insert(PromptRole, "prompt");
    names.insert(NegativePromptRole, "negativePrompt");
    names.insert(SeedRole, "seed");
    names.insert(SamplerRole, "sampler");
    names.insert(ModelRole, "model");
    names.insert(SizeRole, "size");
    names.insert(CreatedRole, "created");
    names.insert(FavouriteRole, "favourite");
    names.insert(RatingRole, "rating");
    names.insert(InfotextRole, "infotext");
    names.insert(ThumbnailReadyRole, "thumbnailReady");
    return names;
}

QStringList HistoryModel::mimeTypes() const
{
    return { QStringLiteral("text/uri-list") };
}

QMimeData* HistoryModel::mimeData(const QModelIndexList& indexes) const
{
    QList<QUrl> urls;
    for (const QModelIndex& ix : indexes)
        if (const HistoryRecord* r = recordPtr(ix.row()))
            urls << QUrl::fromLocalFile(r->filePath);
    if (urls.isEmpty())
        return nullptr;
    auto* mime = new QMimeData;
    mime->setUrls(urls);
    return mime;
}

void HistoryModel::recordChanged(qint64 id)
{
    const int row = rowOf(id);
    if (row < 0)
        return;
    const int page = row / kPageSize;
    auto it = m_pages.find(page);
    if (it != m_pages.end()) {
        if (const auto fresh = m_store->record(id)) {
            for (HistoryRecord& r : it.value())
                if (r.id == id)
                    r = *fresh;
        }
    }
    // A filter on favourites or rating may now exclude it.
    if (m_query.favouritesOnly || m_query.minRating > 0) {
        refresh();
        return;
    }
    const QModelIndex ix = index(row);
    emit dataChanged(ix, ix);
}

} // namespace qd
