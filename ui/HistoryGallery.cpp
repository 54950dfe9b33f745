#include "ui/HistoryGallery.h"

#include <QAction>
#include <QApplication>
#include <QButtonGroup>
#include <QClipboard>
#include <QComboBox>
#include <QDesktopServices>
#include <QDir>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QMenu>
#include <QPainter>
#include <QPushButton>
#include <QRegularExpression>
#include <QSlider>
#include <QSplitter>
#include <QStyledItemDelegate>
#include <QTextBrowser>
#include <QTimer>
#include <QToolButton>
#include <QUrl>
#include <QVBoxLayout>

#include "core/metadata/Infotext.h"
#include "ui/ExportDialog.h"
#include "ui/HistoryModel.h"
#include "ui/Icons.h"

namespace qd
{

namespace
{

// One cell: the thumbnail centred, a selection frame, a star for favourites, dots for the rating.
class ThumbnailDelegate : public QStyledItemDelegate
{
public:
    explicit ThumbnailDelegate(HistoryModel* model, QObject* parent)
        : QStyledItemDelegate(parent)
        , m_model(model)
    {
    }

    QSize sizeHint(const QStyleOptionViewItem&, const QModelIndex&) const override
    {
        const int s = m_model->thumbnailSize();
        return { s + 12, s + 12 };
    }

    void paint(QPainter* p, const QStyleOptionViewItem& option, const QModelIndex& index) const override
    {
        p->save();
        p->setRenderHint(QPainter::Antialiasing);
        const QRectF cell = QRectF(option.rect).adjusted(3, 3, -3, -3);
        const bool selected = option.state & QStyle::State_Selected;
        if (selected) {
            p->setPen(Qt::NoPen);
            p->setBrush(option.palette.color(QPalette::Highlight));
            p->drawRoundedRect(cell, 6, 6);
        } else if (option.state & QStyle::State_MouseOver) {
            p->setPen(Qt::NoPen);
            p->setBrush(option.palette.color(QPalette::Midlight));
            p->drawRoundedRect(cell, 6, 6);
        }
        const QPixmap pm = index.data(Qt::DecorationRole).value<QPixmap>();
        if (!pm.isNull()) {
            const QSizeF logical = QSizeF(pm.size()) / pm.devicePixelRatio();
            const QSizeF s = logical.scaled(cell.size() - QSizeF(6, 6), Qt::KeepAspectRatio);
            const QRectF target(
                cell.center().x() - s.width() / 2, cell.center().y() - s.height() / 2, s.width(), s.height());
            p->drawPixmap(target, pm, QRectF(QPointF(0, 0), QSizeF(pm.size())));
        }
        if (index.data(HistoryModel::FavouriteRole).toBool()) {
            static const QIcon star = icons::star(true);
            star.paint(p, QRect(int(cell.right()) - 22, int(cell.top()) + 4, 18, 18));
        }
        const int rating = index.data(HistoryModel::RatingRole).toInt();
        if (rating > 0) {
            p->setPen(Qt::NoPen);
            p->setBrush(QColor(0xe0, 0xa0, 0x10));
            for (int i = 0; i < rating; ++i)
                p->drawEllipse(QPointF(cell.left() + 10 + i * 9, cell.bottom() - 9), 3, 3);
        }
        if (option.state & QStyle::State_HasFocus) {
            p->setPen(QPen(option.palette.color(QPalette::Highlight).darker(130), 1.5, Qt::DotLine));
            p->setBrush(Qt::NoBrush);
            p->drawRoundedRect(cell.adjusted(1, 1, -1, -1), 6, 6);
        }
        p->restore();
    }

private:
    HistoryModel* m_model;
};

QString html(const QString& s)
{
    return s.toHtmlEscaped().replace(u'\n', QStringLiteral("<br>"));
}

// A menu text as a button label: no mnemonic ("&Open", or "打开(&O)" as Chinese writes it), no
// ellipsis.
QString buttonText(QString text)
{
    static const QRegularExpression cjkMnemonic(QStringLiteral("\\(&[^)]\\)"));
    text.remove(cjkMnemonic);
    text.remove(u'&');
    text.remove(QChar(0x2026));
    return text.trimmed();
}

} // namespace

HistoryGallery::HistoryGallery(HistoryStore* store, QWidget* parent)
    : QWidget(parent)
    , m_store(store)
    , m_model(new HistoryModel(store, this))
    , m_view(new QListView(this))
    , m_search(new QLineEdit(this))
    , m_modelFilter(new QComboBox(this))
    , m_samplerFilter(new QComboBox(this))
    , m_dateFilter(new QComboBox(this))
    , m_favouritesOnly(new QToolButton(this))
    , m_sort(new QComboBox(this))
    , m_zoom(new QSlider(Qt::Horizontal, this))
    , m_count(new QLabel(this))
    , m_searchTimer(new QTimer(this))
{
    setObjectName("historyGallery");
    m_view->setObjectName("historyView");
    m_view->setAccessibleName(tr("Images"));
    m_view->setModel(m_model);
    m_view->setItemDelegate(new ThumbnailDelegate(m_model, m_view));
    m_view->setViewMode(QListView::IconMode);
    m_view->setResizeMode(QListView::Adjust);
    m_view->setMovement(QListView::Static);
    m_view->setUniformItemSizes(true); // layout of 10k+ rows without asking each one its size
    m_view->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_view->setVerticalScrollMode(QAbstractItemView::ScrollPerPixel);
    m_view->setMouseTracking(true);
    m_view->setDragEnabled(true);
    m_view->setDragDropMode(QAbstractItemView::DragOnly);
    m_view->setContextMenuPolicy(Qt::ActionsContextMenu);
    m_model->setThumbnailSize(160, devicePixelRatioF());

    auto* splitter = new QSplitter(Qt::Horizontal, this);
    splitter->setObjectName("historySplitter");
    splitter->addWidget(m_view);
    splitter->addWidget(buildDetails());
    splitter->setStretchFactor(0, 1);
    splitter->setStretchFactor(1, 0);
    splitter->setSizes({ 900, 330 });

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->addWidget(buildFilterBar());
    layout->addWidget(splitter, 1);

    buildActions();
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this,
        &HistoryGallery::updateDetails);
    connect(
        m_view->selectionModel(), &QItemSelectionModel::currentChanged, this, &HistoryGallery::updateDetails);
    connect(m_view, &QListView::activated, this, &HistoryGallery::restoreSelected);
    connect(m_model, &QAbstractItemModel::rowsInserted, this, &HistoryGallery::updateCount);
    connect(m_model, &QAbstractItemModel::rowsRemoved, this, &HistoryGallery::updateCount);
    connect(m_model, &QAbstractItemModel::modelReset, this, &HistoryGallery::updateCount);
    connect(
        m_model, &QAbstractItemModel::dataChanged, this, [this](const QModelIndex& a, const QModelIndex& b) {
            const QModelIndex cur = m_view->currentIndex();
            if (cur.isValid() && cur.row() >= a.row() && cur.row() <= b.row())
                updateDetails();
        });
    reloadFilterChoices();
    updateCount();
    updateDetails();
}

QWidget* HistoryGallery::buildFilterBar()
{
    auto* bar = new QWidget(this);
    auto* outer = new QVBoxLayout(bar);
    outer->setContentsMargins(0, 0, 0, 0);
    outer->setSpacing(4);
    auto* row = new QHBoxLayout;
    m_search->setObjectName("historySearch");
    m_search->setPlaceholderText(tr("Search prompts…  (\"a phrase\", -exclude)"));
    m_search->setClearButtonEnabled(true);
    m_search->setAccessibleName(tr("Search prompts"));
    m_search->setMinimumWidth(180);
    m_modelFilter->setObjectName("historyModelFilter");
    m_modelFilter->setAccessibleName(tr("Model filter"));
    m_modelFilter->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_modelFilter->setMinimumContentsLength(12);
    m_samplerFilter->setObjectName("historySamplerFilter");
    m_samplerFilter->setAccessibleName(tr("Sampler filter"));
    m_samplerFilter->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_samplerFilter->setMinimumContentsLength(9);
    // Date and sort lists shrink too: the bar must fit beside the docks on a 1280-pixel screen.
    m_dateFilter->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_dateFilter->setMinimumContentsLength(9);
    m_sort->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_sort->setMinimumContentsLength(12);
    m_dateFilter->setObjectName("historyDateFilter");
    m_dateFilter->setAccessibleName(tr("Date filter"));
    m_dateFilter->addItem(tr("Any time"), 0);
    m_dateFilter->addItem(tr("Today"), 1);
    m_dateFilter->addItem(tr("Last 7 days"), 7);
    m_dateFilter->addItem(tr("Last 30 days"), 30);
    m_dateFilter->addItem(tr("Last 365 days"), 365);
    m_favouritesOnly->setObjectName("historyFavouritesOnly");
    m_favouritesOnly->setCheckable(true);
    m_favouritesOnly->setIcon(icons::star(true));
    m_favouritesOnly->setText(tr("Favourites"));
    m_favouritesOnly->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_favouritesOnly->setToolTip(tr("Show favourites only"));
    m_sort->setObjectName("historySort");
    m_sort->setAccessibleName(tr("Sort order"));
    m_sort->addItem(tr("Newest first"), int(HistoryQuery::Sort::NewestFirst));
    m_sort->addItem(tr("Oldest first"), int(HistoryQuery::Sort::OldestFirst));
    m_sort->addItem(tr("Highest rated first"), int(HistoryQuery::Sort::HighestRatedFirst));
    m_zoom->setObjectName("historyZoom");
    m_zoom->setRange(80, 320);
    m_zoom->setValue(160);
    m_zoom->setFixedWidth(70);
    m_zoom->setToolTip(tr("Thumbnail size"));
    m_zoom->setAccessibleName(tr("Thumbnail size"));
    m_count->setObjectName("historyCount");
    m_count->setMinimumWidth(fontMetrics().horizontalAdvance(QStringLiteral("00,000 images")));
    m_count->setAlignment(Qt::AlignRight | Qt::AlignVCenter);

    // Two rows, so the bar fits beside the docks on a small screen: what to look for, then how.
    row->addWidget(m_search, 1);
    row->addWidget(m_favouritesOnly);
    row->addWidget(m_count);
    auto* row2 = new QHBoxLayout;
    row2->addWidget(m_modelFilter);
    row2->addWidget(m_samplerFilter);
    row2->addWidget(m_dateFilter);
    row2->addStretch(1);
    row2->addWidget(m_sort);
    row2->addWidget(m_zoom);
    outer->addLayout(row);
    outer->addLayout(row2);

    // Typing searches after a pause, so each key does not hit the database.
    m_searchTimer->setSingleShot(true);
    m_searchTimer->setInterval(200);
    connect(m_search, &QLineEdit::textChanged, m_searchTimer, qOverload<>(&QTimer::start));
    connect(m_searchTimer, &QTimer::timeout, this, &HistoryGallery::applyFilters);
    connect(m_search, &QLineEdit::returnPressed, this, &HistoryGallery::applyFilters);
    for (QComboBox* c : { m_modelFilter, m_samplerFilter, m_dateFilter, m_sort })
        connect(c, &QComboBox::activated, this, &HistoryGallery::applyFilters);
    connect(m_favouritesOnly, &QToolButton::toggled, this, &HistoryGallery::applyFilters);
    connect(m_zoom, &QSlider::valueChanged, this, [this](int v) {
        m_model->setThumbnailSize(v, devicePixelRatioF());
        m_view->setGridSize(QSize(v + 12, v + 12));
        m_view->doItemsLayout();
    });
    m_view->setGridSize(QSize(160 + 12, 160 + 12));
    return bar;
}

QWidget* HistoryGallery::buildDetails()
{
    auto* pane = new QWidget(this);
    pane->setObjectName("historyDetails");
    pane->setMinimumWidth(240);
    m_detailsImage = new QLabel(pane);
    m_detailsImage->setObjectName("historyDetailsImage");
    m_detailsImage->setAlignment(Qt::AlignCenter);
    m_detailsImage->setMinimumHeight(200);
    m_detailsImage->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_details = new QTextBrowser(pane);
    m_details->setObjectName("historyDetailsText");
    m_details->setOpenLinks(false);
    m_details->setAccessibleName(tr("Parameters"));

    m_favourite = new QToolButton(pane);
    m_favourite->setObjectName("historyFavouriteButton");
    m_favourite->setCheckable(true);
    m_favourite->setToolTip(tr("Favourite (F)"));
    m_favourite->setIcon(icons::star(false));
    m_stars = new QButtonGroup(pane);
    auto* starRow = new QHBoxLayout;
    starRow->setSpacing(0);
    starRow->addWidget(m_favourite);
    starRow->addSpacing(12);
    for (int i = 1; i <= 5; ++i) {
        auto* b = new QToolButton(pane);
        b->setObjectName(QStringLiteral("historyRate%1").arg(i));
        b->setAutoRaise(true);
        b->setIcon(icons::star(false));
        b->setToolTip(tr("Rate %n star(s) (%n)", nullptr, i));
        m_stars->addButton(b, i);
        starRow->addWidget(b);
    }
    starRow->addStretch(1);
    connect(m_favourite, &QToolButton::clicked, this, &HistoryGallery::toggleFavourite);
    connect(m_stars, &QButtonGroup::idClicked, this, [this](int stars) {
        // Clicking the current rating again clears it.
        const auto recs = selectedRecords();
        rateSelected(recs.size() == 1 && recs.first().rating == stars ? 0 : stars);
    });

    m_detailButtons = new QWidget(pane);
    auto* grid = new QGridLayout(m_detailButtons);
    grid->setContentsMargins(0, 0, 0, 0);
    auto* layout = new QVBoxLayout(pane);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_detailsImage);
    layout->addLayout(starRow);
    layout->addWidget(m_details, 1);
    layout->addWidget(m_detailButtons);
    return pane;
}

void HistoryGallery::buildActions()
{
    // Shortcuts work while the grid has the focus (single keys, as in photo managers); the same
    // actions sit in the context menu, on the buttons and in the main window's Image menu.
    auto add = [this](const QString& text, const QKeySequence& key, const char* name, auto slot) {
        auto* a = new QAction(text, this);
        a->setObjectName(QString::fromLatin1(name));
        if (!key.isEmpty())
            a->setShortcut(key);
        a->setShortcutContext(Qt::WidgetShortcut);
        connect(a, &QAction::triggered, this, slot);
        m_view->addAction(a);
        m_actions << a;
        return a;
    };
    m_restoreAction = add(tr("&Restore All Parameters"), QKeySequence(Qt::Key_Return), "actionRestoreParams",
        &HistoryGallery::restoreSelected);
    add(tr("Reuse &Seed"), QKeySequence(Qt::Key_S), "actionReuseImageSeed",
        &HistoryGallery::reuseSeedOfSelected);
    add(tr("&Copy Infotext"), QKeySequence::Copy, "actionCopyInfotext", &HistoryGallery::copyInfotext);
    add(tr("&Open"), QKeySequence(Qt::Key_O), "actionOpenImageFile", &HistoryGallery::openSelected);
    add(tr("Reveal in &Folder"), QKeySequence(Qt::Key_R), "actionRevealImage",
        &HistoryGallery::revealSelected);
    add(tr("&Favourite"), QKeySequence(Qt::Key_F), "actionFavourite", &HistoryGallery::toggleFavourite);
    for (int i = 0; i <= 5; ++i) {
        auto* a = new QAction(i ? tr("Rate %n Star(s)", nullptr, i) : tr("Clear Rating"), this);
        a->setObjectName(QStringLiteral("actionRate%1").arg(i));
        a->setShortcut(QKeySequence(Qt::Key_0 + i));
        a->setShortcutContext(Qt::WidgetShortcut);
        connect(a, &QAction::triggered, this, [this, i] { rateSelected(i); });
        m_view->addAction(a);
    }
    add(tr("&Export…"), QKeySequence(Qt::CTRL | Qt::Key_E), "actionExportImages",
        &HistoryGallery::exportSelected);
    add(tr("&Delete"), QKeySequence::Delete, "actionDeleteImages", &HistoryGallery::deleteSelected);
    m_undoAction
        = add(tr("&Undo Delete"), QKeySequence::Undo, "actionUndoDelete", &HistoryGallery::undoDelete);
    m_undoAction->setEnabled(false);

    // Buttons in the details pane for the mouse.
    auto* grid = static_cast<QGridLayout*>(m_detailButtons->layout());
    const QList<QPair<QString, QAction*>> buttons = { { "historyRestoreButton", m_actions[0] },
        { "historyReuseSeedButton", m_actions[1] }, { "historyCopyButton", m_actions[2] },
        { "historyOpenButton", m_actions[3] }, { "historyRevealButton", m_actions[4] },
        { "historyExportButton", m_actions[6] }, { "historyDeleteButton", m_actions[7] } };
    for (int i = 0; i < buttons.size(); ++i) {
        auto* b = new QPushButton(buttonText(buttons[i].second->text()), m_detailButtons);
        b->setObjectName(buttons[i].first);
        b->setToolTip(buttons[i].second->toolTip());
        connect(b, &QPushButton::clicked, buttons[i].second, &QAction::trigger);
        grid->addWidget(b, i / 2, i % 2);
    }
}

QList<QAction*> HistoryGallery::imageActions() const
{
    return m_view->actions(); // m_actions plus the rating keys
}

HistoryQuery HistoryGallery::currentQuery() const
{
    HistoryQuery q;
    q.text = m_search->text().trimmed();
    q.model = m_modelFilter->currentData().toString();
    q.sampler = m_samplerFilter->currentData().toString();
    const int days = m_dateFilter->currentData().toInt();
    if (days > 0) {
        const QDate first = QDate::currentDate().addDays(1 - days);
        q.from = QDateTime(first, QTime(0, 0)).toUTC();
    }
    q.favouritesOnly = m_favouritesOnly->isChecked();
    q.sort = HistoryQuery::Sort(m_sort->currentData().toInt());
    return q;
}

void HistoryGallery::applyFilters()
{
    m_searchTimer->stop();
    const qint64 current = m_model->idAt(m_view->currentIndex().row());
    m_model->setQuery(currentQuery());
    const int row = m_model->rowOf(current);
    if (row >= 0)
        selectRow(row);
    updateDetails();
}

void HistoryGallery::reloadFilterChoices()
{
    auto fill = [](QComboBox* combo, const QString& all, const QStringList& values) {
        const QString current = combo->currentData().toString();
        const QSignalBlocker block(combo);
        combo->clear();
        combo->addItem(all, QString());
        for (const QString& v : values)
            if (!v.isEmpty())
                combo->addItem(v, v);
        const int i = combo->findData(current);
        combo->setCurrentIndex(i >= 0 ? i : 0);
    };
    fill(m_modelFilter, tr("All models"), m_store->models());
    fill(m_samplerFilter, tr("All samplers"), m_store->samplers());
}

void HistoryGallery::refresh()
{
    reloadFilterChoices();
    m_model->refresh();
    updateCount();
}

void HistoryGallery::updateCount()
{
    m_count->setText(tr("%n image(s)", nullptr, m_model->rowCount()));
}

void HistoryGallery::selectRow(int row)
{
    const QModelIndex ix = m_model->index(row);
    if (!ix.isValid())
        return;
    m_view->selectionModel()->setCurrentIndex(ix, QItemSelectionModel::ClearAndSelect);
    m_view->scrollTo(ix);
}

QList<HistoryRecord> HistoryGallery::selectedRecords() const
{
    QList<HistoryRecord> out;
    QModelIndexList rows = m_view->selectionModel()->selectedIndexes();
    std::sort(rows.begin(), rows.end(),
        [](const QModelIndex& a, const QModelIndex& b) { return a.row() < b.row(); });
    for (const QModelIndex& ix : rows)
        if (auto r = m_model->recordAt(ix.row()))
            out << *r;
    return out;
}

void HistoryGallery::updateDetails()
{
    const QList<HistoryRecord> recs = selectedRecords();
    for (QAction* a : m_actions)
        if (a != m_undoAction)
            a->setEnabled(!recs.isEmpty());
    m_restoreAction->setEnabled(recs.size() == 1);
    m_actions[1]->setEnabled(recs.size() == 1); // reuse seed
    m_favourite->setEnabled(!recs.isEmpty());
    for (QAbstractButton* b : m_stars->buttons())
        b->setEnabled(!recs.isEmpty());
    if (recs.size() != 1) {
        m_detailsId = 0;
        m_detailsImage->clear();
        m_details->setHtml(recs.isEmpty()
                ? QStringLiteral("<p>%1</p>").arg(html(tr("Select an image to see its parameters.")))
                : QStringLiteral("<p>%1</p>")
                      .arg(html(tr("%n image(s) selected", nullptr, int(recs.size())))));
        return;
    }
    const HistoryRecord& r = recs.first();
    const GenerationParams& p = r.params;
    m_favourite->setChecked(r.favourite);
    m_favourite->setIcon(icons::star(r.favourite));
    for (QAbstractButton* b : m_stars->buttons())
        b->setIcon(icons::star(m_stars->id(b) <= r.rating));

    auto rowHtml = [](const QString& k, const QString& v) {
        return QStringLiteral("<tr><td style='padding-right:10px'><b>%1</b></td><td>%2</td></tr>")
            .arg(html(k), html(v));
    };
    QString h = QStringLiteral("<p>%1</p>").arg(html(QString::fromStdString(p.prompt)));
    if (!p.negativePrompt.empty())
        h += QStringLiteral("<p><i>%1</i> %2</p>")
                 .arg(html(tr("Negative prompt:")), html(QString::fromStdString(p.negativePrompt)));
    h += QStringLiteral("<table>");
    h += rowHtml(tr("Steps"), QString::number(p.steps));
    h += rowHtml(tr("Sampler"), QString::fromStdString(p.sampler));
    h += rowHtml(tr("Schedule type"), QString::fromStdString(p.scheduler));
    h += rowHtml(tr("CFG scale"), formatInfotextNumber(p.cfgScale));
    h += rowHtml(tr("Seed"), QString::number(p.seed));
    h += rowHtml(tr("Size"), QStringLiteral("%1×%2").arg(r.width).arg(r.height));
    if (!p.modelName.empty() || !p.modelHash.empty())
        h += rowHtml(tr("Model"),
            QString::fromStdString(p.modelName)
                + (p.modelHash.empty() ? QString()
                                       : QStringLiteral(" [%1]").arg(QString::fromStdString(p.modelHash))));
    if (p.clipSkip > 1)
        h += rowHtml(tr("Clip skip"), QString::number(p.clipSkip));
    if (!p.initImage.empty())
        h += rowHtml(tr("Denoising strength"), formatInfotextNumber(p.denoisingStrength));
    if (p.subseedStrength > 0)
        h += rowHtml(tr("Variation seed"),
            QStringLiteral("%1 (%2)").arg(p.subseed).arg(formatInfotextNumber(p.subseedStrength)));
    for (const auto& [k, v] : p.extra)
        h += rowHtml(QString::fromStdString(k), QString::fromStdString(v));
    h += rowHtml(tr("Created"), QLocale().toString(r.created.toLocalTime(), QLocale::LongFormat));
    h += rowHtml(tr("File"), QDir::toNativeSeparators(r.filePath));
    h += QStringLiteral("</table>");
    m_details->setHtml(h);

    if (m_detailsId != r.id) {
        m_detailsId = r.id;
        m_detailsImage->setText(tr("Loading…"));
        const qreal dpr = devicePixelRatioF();
        auto* watcher = new QFutureWatcher<QImage>(this);
        const qint64 id = r.id;
        connect(watcher, &QFutureWatcher<QImage>::finished, this, [this, watcher, id, dpr] {
            watcher->deleteLater();
            if (id != m_detailsId)
                return;
            QImage img = watcher->future().resultCount() ? watcher->result() : QImage();
            if (img.isNull()) {
                m_detailsImage->setText(tr("The image file cannot be read"));
                return;
            }
            img.setDevicePixelRatio(dpr);
            m_detailsImage->setPixmap(QPixmap::fromImage(img));
        });
        watcher->setFuture(m_store->thumbnailer().thumbnail(r.filePath, int(320 * dpr)));
    }
}

void HistoryGallery::restoreSelected()
{
    const auto recs = selectedRecords();
    if (recs.size() == 1)
        emit restoreRequested(recs.first().params);
}

void HistoryGallery::reuseSeedOfSelected()
{
    const auto recs = selectedRecords();
    if (recs.size() == 1)
        emit seedRequested(recs.first().params.seed);
}

void HistoryGallery::copyInfotext()
{
    QStringList texts;
    for (const HistoryRecord& r : selectedRecords())
        texts << toInfotext(r.params);
    if (texts.isEmpty())
        return;
    QApplication::clipboard()->setText(texts.join(QStringLiteral("\n\n")));
    emit message(tr("Parameters copied"));
}

void HistoryGallery::openSelected()
{
    const auto recs = selectedRecords();
    for (const HistoryRecord& r : recs.mid(0, 10)) // opening hundreds of viewers helps no one
        QDesktopServices::openUrl(QUrl::fromLocalFile(r.filePath));
}

void HistoryGallery::revealSelected()
{
    const auto recs = selectedRecords();
    if (!recs.isEmpty())
        QDesktopServices::openUrl(QUrl::fromLocalFile(QFileInfo(recs.first().filePath).absolutePath()));
}

void HistoryGallery::toggleFavourite()
{
    const auto recs = selectedRecords();
    if (recs.isEmpty())
        return;
    // Mixed selection: make them all favourites; all favourites: clear.
    bool all = true;
    for (const HistoryRecord& r : recs)
        all = all && r.favourite;
    for (const HistoryRecord& r : recs)
        m_store->setFavourite(r.id, !all);
    updateDetails();
}

void HistoryGallery::rateSelected(int stars)
{
    for (const HistoryRecord& r : selectedRecords())
        m_store->setRating(r.id, qBound(0, stars, 5));
    updateDetails();
}

void HistoryGallery::deleteSelected()
{
    const auto recs = selectedRecords();
    if (recs.isEmpty())
        return;
    const int nextRow = m_view->currentIndex().row();
    int done = 0;
    QStringList errors;
    for (const HistoryRecord& r : recs) {
        QString error;
        if (m_store->remove(r.id, &error))
            ++done;
        else
            errors << error;
    }
    if (done) {
        m_undoCounts << done;
        m_undoAction->setEnabled(true);
    }
    m_model->refresh();
    selectRow(qMin(nextRow, m_model->rowCount() - 1));
    emit message(errors.isEmpty() ? tr("%n image(s) deleted. Undo with Ctrl+Z in the gallery.", nullptr, done)
                                  : errors.join(QStringLiteral("; ")));
}

void HistoryGallery::undoDelete()
{
    if (m_undoCounts.isEmpty())
        return;
    const int n = m_undoCounts.takeLast();
    m_undoAction->setEnabled(!m_undoCounts.isEmpty());
    qint64 lastId = 0;
    for (int i = 0; i < n; ++i) {
        const QList<qint64> trashed = m_store->trashedIds();
        QString error;
        if (!m_store->undoRemove(&error)) {
            emit message(error);
            break;
        }
        if (!trashed.isEmpty())
            lastId = trashed.first();
    }
    m_model->refresh();
    if (const int row = m_model->rowOf(lastId); row >= 0)
        selectRow(row);
    emit message(tr("%n image(s) restored", nullptr, n));
}

void HistoryGallery::exportSelected()
{
    const auto recs = selectedRecords();
    if (recs.isEmpty())
        return;
    ExportDialog dialog(recs, this);
    if (dialog.exec() == QDialog::Accepted)
        emit message(dialog.summary());
}

} // namespace qd
