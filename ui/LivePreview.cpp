#include "ui/LivePreview.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QPainter>
#include <QProgressBar>
#include <QScrollBar>
#include <QToolButton>
#include <QVBoxLayout>

namespace qd
{

namespace
{
constexpr int kThumb = 72; // filmstrip icon edge, logical pixels
constexpr int kMaxKeptEdge = 1024; // frames kept for inspection are scaled down to this
} // namespace

PreviewCanvas::PreviewCanvas(QWidget* parent)
    : QWidget(parent)
{
    setObjectName("previewCanvas");
    setAttribute(Qt::WA_OpaquePaintEvent);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
    setAccessibleName(tr("Preview"));
}

void PreviewCanvas::setImage(const QImage& image, const QString& caption)
{
    m_image = image;
    m_caption = caption;
    update();
}

void PreviewCanvas::setPlaceholder(const QString& text)
{
    m_placeholder = text;
    update();
}

void PreviewCanvas::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.fillRect(rect(), palette().color(QPalette::Window).darker(112));
    if (m_image.isNull()) {
        p.setPen(palette().color(QPalette::PlaceholderText));
        p.drawText(rect().adjusted(16, 16, -16, -16), Qt::AlignCenter | Qt::TextWordWrap, m_placeholder);
        return;
    }
    // Fit in logical pixels; QPainter maps to device pixels, so high-DPI screens get full detail.
    const QSizeF avail = QSizeF(size()) - QSizeF(16, 16);
    const QSizeF s = QSizeF(m_image.size()).scaled(avail, Qt::KeepAspectRatio);
    const QRectF target((width() - s.width()) / 2, (height() - s.height()) / 2, s.width(), s.height());
    // Latent previews are tiny (1/8 of the image): smooth filtering avoids blocky enlargements.
    p.setRenderHint(QPainter::SmoothPixmapTransform);
    p.drawImage(target, m_image);
    if (!m_caption.isEmpty()) {
        const QFontMetrics fm(font());
        QRectF box(
            target.topLeft() + QPointF(8, 8), QSizeF(fm.horizontalAdvance(m_caption) + 16, fm.height() + 8));
        p.setRenderHint(QPainter::Antialiasing);
        p.setPen(Qt::NoPen);
        p.setBrush(QColor(0, 0, 0, 150));
        p.drawRoundedRect(box, 4, 4);
        p.setPen(Qt::white);
        p.drawText(box, Qt::AlignCenter, m_caption);
    }
}

LivePreview::LivePreview(QWidget* parent)
    : QWidget(parent)
    , m_canvas(new PreviewCanvas(this))
    , m_strip(new QListWidget(this))
    , m_progress(new QProgressBar(this))
    , m_speed(new QLabel(this))
    , m_liveButton(new QToolButton(this))
{
    setObjectName("livePreview");
    m_canvas->setPlaceholder(
        tr("Write a prompt and press Generate (Ctrl+Enter).\nEach step appears here as it is made."));

    m_strip->setObjectName("filmstrip");
    m_strip->setAccessibleName(tr("Steps"));
    m_strip->setViewMode(QListView::IconMode);
    m_strip->setFlow(QListView::LeftToRight);
    m_strip->setWrapping(false);
    m_strip->setMovement(QListView::Static);
    m_strip->setResizeMode(QListView::Adjust);
    m_strip->setIconSize(QSize(kThumb, kThumb));
    m_strip->setUniformItemSizes(true);
    m_strip->setSpacing(2);
    m_strip->setHorizontalScrollMode(QAbstractItemView::ScrollPerPixel);
    m_strip->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_strip->setSelectionMode(QAbstractItemView::SingleSelection);
    const int stripHeight = kThumb + fontMetrics().height() + 2 * m_strip->frameWidth()
        + m_strip->horizontalScrollBar()->sizeHint().height() + 16;
    m_strip->setFixedHeight(stripHeight);

    m_progress->setObjectName("progressBar");
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    m_progress->setTextVisible(true);
    m_progress->setFormat(tr("Idle"));
    m_speed->setObjectName("speedLabel");
    m_speed->setMinimumWidth(fontMetrics().horizontalAdvance(QStringLiteral("00.00 it/s · ETA 00:00")));
    m_speed->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
    m_liveButton->setObjectName("followLiveButton");
    m_liveButton->setText(tr("Live"));
    m_liveButton->setToolTip(tr("Show each new step as it arrives"));
    m_liveButton->setCheckable(true);
    m_liveButton->setChecked(true);

    auto* progressRow = new QHBoxLayout;
    progressRow->addWidget(m_progress, 1);
    progressRow->addWidget(m_speed);
    progressRow->addWidget(m_liveButton);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(4);
    layout->addWidget(m_canvas, 1);
    layout->addLayout(progressRow);
    layout->addWidget(m_strip);

    connect(m_strip, &QListWidget::itemClicked, this,
        [this](QListWidgetItem* item) { selectFrame(m_strip->row(item)); });
    connect(m_strip, &QListWidget::currentRowChanged, this, [this](int row) {
        // Keyboard navigation in the strip inspects too; programmatic moves while live do not.
        if (row >= 0 && m_strip->hasFocus())
            selectFrame(row);
    });
    connect(m_liveButton, &QToolButton::toggled, this, [this](bool on) {
        if (on)
            followLive();
        else if (m_followLive)
            selectFrame(frameCount() - 1);
    });
}

int LivePreview::frameCount() const
{
    return int(m_frames.size());
}

int LivePreview::selectedFrame() const
{
    return m_followLive ? -1 : m_strip->currentRow();
}

int LivePreview::stepOfFrame(int row) const
{
    return row >= 0 && row < m_frames.size() ? m_frames[row].step : -1;
}

QImage LivePreview::frameImage(int row) const
{
    return row >= 0 && row < m_frames.size() ? m_frames[row].image : QImage();
}

QString LivePreview::speedText() const
{
    return m_speed->text();
}

QString LivePreview::formatSpeed(double itPerSec)
{
    if (itPerSec <= 0)
        return QString();
    // A1111 / tqdm style: below one iteration per second, seconds per iteration reads better.
    if (itPerSec < 1.0)
        return tr("%1 s/it").arg(1.0 / itPerSec, 0, 'f', 2);
    return tr("%1 it/s").arg(itPerSec, 0, 'f', 2);
}

QString LivePreview::formatDuration(double seconds)
{
    const int s = qMax(0, int(seconds + 0.5));
    if (s >= 3600)
        return QStringLiteral("%1:%2:%3")
            .arg(s / 3600)
            .arg(s / 60 % 60, 2, 10, QChar('0'))
            .arg(s % 60, 2, 10, QChar('0'));
    return QStringLiteral("%1:%2").arg(s / 60, 2, 10, QChar('0')).arg(s % 60, 2, 10, QChar('0'));
}

void LivePreview::clear()
{
    m_frames.clear();
    m_strip->clear();
    m_jobId = 0;
    m_run = 1;
    m_lastStep = 0;
    m_canvas->setImage(QImage());
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    m_progress->setFormat(tr("Idle"));
    m_speed->clear();
    followLive();
}

void LivePreview::beginJob(int jobId, int totalSteps)
{
    // The previous job's last image stays on the canvas until the first step of the new one arrives.
    const QImage previous = m_canvas->image();
    clear();
    m_jobId = jobId;
    m_canvas->setImage(previous, previous.isNull() ? QString() : tr("Starting…"));
    m_progress->setRange(0, qMax(1, totalSteps));
    m_progress->setFormat(tr("Starting…"));
}

void LivePreview::setProgress(int jobId, int step, int total, double itPerSec, double etaSeconds)
{
    if (jobId != m_jobId)
        beginJob(jobId, total);
    m_progress->setRange(0, qMax(1, total));
    m_progress->setValue(qBound(0, step, total));
    m_progress->setFormat(tr("Step %1 / %2").arg(step).arg(total));
    QString text = formatSpeed(itPerSec);
    if (etaSeconds >= 0 && step < total)
        text += (text.isEmpty() ? QString() : QStringLiteral(" · "))
            + tr("ETA %1").arg(formatDuration(etaSeconds));
    m_speed->setText(text);
}

void LivePreview::addPreview(int jobId, int step, const QImage& image)
{
    if (image.isNull())
        return;
    if (jobId != m_jobId)
        beginJob(jobId, 0);
    if (step <= m_lastStep)
        ++m_run; // the next model call of a batch count > 1
    m_lastStep = step;
    const QString label = m_run > 1 ? tr("%1 · step %2").arg(m_run).arg(step) : tr("Step %1").arg(step);
    addFrame(step, image, label);
}

void LivePreview::showFinal(int jobId, const QImage& image)
{
    if (image.isNull())
        return;
    if (jobId != m_jobId)
        beginJob(jobId, 0);
    addFrame(0, image, tr("Final"));
    m_progress->setValue(m_progress->maximum());
    m_progress->setFormat(tr("Done"));
}

void LivePreview::endJob(const QString& message)
{
    if (!message.isEmpty())
        m_progress->setFormat(message);
    else if (m_progress->format() != tr("Done"))
        m_progress->setFormat(tr("Idle"));
    m_speed->clear();
}

void LivePreview::addFrame(int step, const QImage& image, const QString& label)
{
    QImage kept = image;
    if (qMax(kept.width(), kept.height()) > kMaxKeptEdge)
        kept = kept.scaled(kMaxKeptEdge, kMaxKeptEdge, Qt::KeepAspectRatio, Qt::SmoothTransformation);
    m_frames.append({ step, kept });

    const qreal dpr = devicePixelRatioF();
    QImage thumb = image.scaled(QSize(kThumb, kThumb) * dpr, Qt::KeepAspectRatio, Qt::SmoothTransformation);
    thumb.setDevicePixelRatio(dpr);
    auto* item = new QListWidgetItem(QIcon(QPixmap::fromImage(thumb)), label);
    item->setData(Qt::UserRole, step);
    item->setToolTip(label);
    item->setTextAlignment(Qt::AlignHCenter | Qt::AlignTop);
    m_strip->addItem(item);

    if (m_followLive) {
        showFrame(frameCount() - 1);
        m_strip->scrollToItem(item);
    }
}

void LivePreview::showFrame(int row)
{
    if (row < 0 || row >= m_frames.size())
        return;
    const Frame& f = m_frames[row];
    QString caption;
    if (!m_followLive)
        caption = f.step > 0 ? tr("Step %1").arg(f.step) : tr("Final");
    m_canvas->setImage(f.image, caption);
    {
        const QSignalBlocker block(m_strip);
        m_strip->setCurrentRow(row);
    }
}

void LivePreview::selectFrame(int row)
{
    if (row < 0 || row >= m_frames.size())
        return;
    // A click both moves the current row and clicks the item: report the step once.
    const bool changed = m_followLive || m_inspectedRow != row;
    m_followLive = false;
    m_inspectedRow = row;
    {
        const QSignalBlocker block(m_liveButton);
        m_liveButton->setChecked(false);
    }
    showFrame(row);
    if (changed)
        emit frameSelected(m_frames[row].step);
}

void LivePreview::followLive()
{
    m_followLive = true;
    m_inspectedRow = -1;
    {
        const QSignalBlocker block(m_liveButton);
        m_liveButton->setChecked(true);
    }
    if (!m_frames.isEmpty())
        showFrame(frameCount() - 1);
}

} // namespace qd
