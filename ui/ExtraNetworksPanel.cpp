#include "ui/ExtraNetworksPanel.h"

#include <QEvent>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QImageReader>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPainter>
#include <QTabBar>
#include <QToolButton>
#include <QVBoxLayout>
#include <QtConcurrent>

namespace qd
{

namespace
{

constexpr int kCard = 112; // preview edge, logical pixels

// The preview image, or a tile with the name's initials in a colour of its own.
QPixmap cardPixmap(const ExtraNetworkEntry& e, const QPalette& palette)
{
    if (!e.previewPath.isEmpty()) {
        QImageReader reader(e.previewPath);
        reader.setAutoTransform(true);
        const QSize size = reader.size();
        if (size.isValid())
            reader.setScaledSize(size.scaled(kCard, kCard, Qt::KeepAspectRatioByExpanding));
        const QImage image = reader.read();
        if (!image.isNull()) {
            const QRect crop((image.width() - kCard) / 2, (image.height() - kCard) / 2, kCard, kCard);
            return QPixmap::fromImage(image.copy(crop));
        }
    }
    QPixmap pm(kCard, kCard);
    const QColor base = QColor::fromHsv(int(qHash(e.name) % 360), 90, 150);
    pm.fill(base);
    QPainter p(&pm);
    p.setRenderHint(QPainter::Antialiasing);
    QFont f = p.font();
    f.setPixelSize(kCard / 3);
    f.setBold(true);
    p.setFont(f);
    p.setPen(palette.color(QPalette::BrightText).isValid() ? QColor(Qt::white) : QColor(Qt::white));
    QString initials;
    for (const QString& part :
        QString(e.name).replace('_', ' ').replace('-', ' ').split(' ', Qt::SkipEmptyParts))
        if (initials.size() < 2)
            initials += part.at(0).toUpper();
    p.drawText(pm.rect(), Qt::AlignCenter, initials.isEmpty() ? QStringLiteral("?") : initials);
    return pm;
}

} // namespace

ExtraNetworksPanel::ExtraNetworksPanel(QWidget* parent)
    : QWidget(parent)
    , m_kinds(new QTabBar(this))
    , m_search(new QLineEdit(this))
    , m_refresh(new QToolButton(this))
    , m_cards(new QListWidget(this))
    , m_empty(new QLabel(this))
{
    setObjectName("extraNetworksPanel");
    m_kinds->setObjectName("extraNetworkKinds");
    m_search->setObjectName("extraNetworkSearch");
    m_cards->setObjectName("extraNetworkCards");
    m_refresh->setObjectName("extraNetworkRefresh");
    m_kinds->addTab(QString());
    m_kinds->addTab(QString());
    m_kinds->setExpanding(false);
    m_search->setClearButtonEnabled(true);
    m_cards->setViewMode(QListView::IconMode);
    m_cards->setIconSize(QSize(kCard, kCard));
    m_cards->setGridSize(QSize(kCard + 16, kCard + 44));
    m_cards->setResizeMode(QListView::Adjust);
    m_cards->setMovement(QListView::Static);
    m_cards->setWordWrap(true);
    m_cards->setUniformItemSizes(true);
    m_cards->setSelectionMode(QAbstractItemView::SingleSelection);
    m_empty->setWordWrap(true);
    m_empty->setAlignment(Qt::AlignCenter);
    m_empty->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto* top = new QHBoxLayout;
    top->setContentsMargins(0, 0, 0, 0);
    top->addWidget(m_kinds);
    top->addWidget(m_search, 1);
    top->addWidget(m_refresh);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(top);
    layout->addWidget(m_cards, 1);
    layout->addWidget(m_empty);

    connect(m_kinds, &QTabBar::currentChanged, this, &ExtraNetworksPanel::rebuildCards);
    connect(m_search, &QLineEdit::textChanged, this, &ExtraNetworksPanel::rebuildCards);
    connect(m_refresh, &QToolButton::clicked, this, &ExtraNetworksPanel::refresh);
    connect(m_cards, &QListWidget::itemClicked, this, [this](QListWidgetItem* item) {
        if (item && item->data(Qt::UserRole + 1).toString().isEmpty()) // readable files only
            emit insertRequested(item->data(Qt::UserRole).toString());
    });
    connect(&m_watcher, &QFutureWatcher<Scan>::finished, this, [this] {
        const Scan scan = m_watcher.result();
        m_loras = scan.loras;
        m_embeddings = scan.embeddings;
        m_vocabulary = scan.vocabulary;
        rebuildCards();
        emit loaded();
        if (m_again) {
            m_again = false;
            refresh();
        }
    });
    retranslate();
    rebuildCards();
}

void ExtraNetworksPanel::setFolders(const QStringList& loraFolders, const QStringList& embeddingFolders)
{
    m_loraFolders = loraFolders;
    m_embeddingFolders = embeddingFolders;
    refresh();
}

void ExtraNetworksPanel::refresh()
{
    if (m_watcher.isRunning()) {
        m_again = true;
        return;
    }
    m_watcher.setFuture(
        QtConcurrent::run([loraFolders = m_loraFolders, embeddingFolders = m_embeddingFolders] {
            Scan s;
            s.loras = scanLoras(loraFolders);
            s.embeddings = scanEmbeddings(embeddingFolders);
            s.vocabulary = embeddingVocabulary(s.embeddings);
            return s;
        }));
}

void ExtraNetworksPanel::showKind(int kind)
{
    m_kinds->setCurrentIndex(kind);
}

void ExtraNetworksPanel::setFilter(const QString& text)
{
    m_search->setText(text);
}

QListWidgetItem* ExtraNetworksPanel::cardFor(const ExtraNetworkEntry& e) const
{
    auto* item = new QListWidgetItem(QIcon(cardPixmap(e, palette())),
        e.baseModel.isEmpty() ? e.name : QStringLiteral("%1\n%2").arg(e.name, e.baseModel));
    item->setData(Qt::UserRole, e.promptText());
    item->setData(Qt::UserRole + 1, e.error);
    item->setData(Qt::UserRole + 2, e.path);
    QStringList tip { QStringLiteral("<b>%1</b>").arg(e.name.toHtmlEscaped()), e.path.toHtmlEscaped() };
    if (!e.baseModel.isEmpty())
        tip << tr("Made for: %1").arg(e.baseModel);
    if (!e.trainedOn.isEmpty())
        tip << tr("Trained on: %1").arg(e.trainedOn.toHtmlEscaped());
    if (e.kind == ExtraNetworkEntry::Kind::Embedding && e.error.isEmpty())
        tip << tr("%n vector(s): uses %n token(s)", nullptr, e.vectors);
    if (e.step >= 0)
        tip << tr("Trained for %1 steps").arg(e.step);
    if (!e.error.isEmpty()) {
        tip << tr("Can't be used: %1").arg(e.error.toHtmlEscaped());
        item->setForeground(palette().color(QPalette::Disabled, QPalette::Text));
    } else {
        tip << tr("Click to insert %1 into the prompt").arg(e.promptText().toHtmlEscaped());
    }
    item->setToolTip(tip.join("<br>"));
    return item;
}

void ExtraNetworksPanel::rebuildCards()
{
    m_cards->clear();
    const bool lora = m_kinds->currentIndex() != 1;
    const QString filter = m_search->text().trimmed();
    int shown = 0;
    for (const ExtraNetworkEntry& e : lora ? m_loras : m_embeddings) {
        if (!filter.isEmpty() && !e.name.contains(filter, Qt::CaseInsensitive)
            && !e.trainedOn.contains(filter, Qt::CaseInsensitive)
            && !e.baseModel.contains(filter, Qt::CaseInsensitive))
            continue;
        m_cards->addItem(cardFor(e));
        ++shown;
    }
    const QStringList& folders = lora ? m_loraFolders : m_embeddingFolders;
    if (shown > 0)
        m_empty->clear();
    else if (isLoading())
        m_empty->setText(tr("Reading the folders…"));
    else if (!filter.isEmpty())
        m_empty->setText(tr("Nothing matches “%1”.").arg(filter));
    else if (folders.isEmpty())
        m_empty->setText(lora
                ? tr("No LoRA folder yet: put LoRA files in models/Lora inside a model folder.")
                : tr("No embeddings folder yet: put textual-inversion files in embeddings inside "
                     "a model folder."));
    else
        m_empty->setText(
            (lora ? tr("No LoRA files in %1.") : tr("No embedding files in %1.")).arg(folders.join(", ")));
    m_empty->setVisible(shown == 0);
}

void ExtraNetworksPanel::retranslate()
{
    m_kinds->setTabText(0, tr("LoRA"));
    m_kinds->setTabText(1, tr("Textual Inversion"));
    m_search->setPlaceholderText(tr("Search names…"));
    m_refresh->setText(tr("Refresh"));
    m_refresh->setToolTip(tr("Read the LoRA and embedding folders again"));
}

void ExtraNetworksPanel::changeEvent(QEvent* event)
{
    if (event->type() == QEvent::LanguageChange) {
        retranslate();
        rebuildCards();
    }
    QWidget::changeEvent(event);
}

} // namespace qd
