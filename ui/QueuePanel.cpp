#include "ui/QueuePanel.h"

#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QStyle>
#include <QToolButton>
#include <QVBoxLayout>

namespace qd
{

QueuePanel::QueuePanel(QWidget* parent)
    : QWidget(parent)
    , m_list(new QListWidget(this))
    , m_running(new QLabel(this))
    , m_up(new QToolButton(this))
    , m_down(new QToolButton(this))
    , m_remove(new QToolButton(this))
    , m_pause(new QPushButton(this))
    , m_interrupt(new QPushButton(tr("Interrupt"), this))
    , m_skip(new QPushButton(tr("Skip"), this))
{
    setObjectName("queuePanel");
    m_list->setObjectName("queueList");
    m_list->setAccessibleName(tr("Waiting jobs"));
    m_list->setDragDropMode(QAbstractItemView::InternalMove);
    m_list->setDefaultDropAction(Qt::MoveAction);
    m_list->setSelectionMode(QAbstractItemView::SingleSelection);
    m_list->setWordWrap(true);
    m_list->setAlternatingRowColors(true);
    m_list->installEventFilter(this);
    m_running->setObjectName("queueRunningLabel");
    m_running->setWordWrap(true);
    m_running->setTextFormat(Qt::PlainText);

    m_up->setObjectName("queueUpButton");
    m_up->setIcon(style()->standardIcon(QStyle::SP_ArrowUp));
    m_up->setToolTip(tr("Move up (Alt+Up)"));
    m_down->setObjectName("queueDownButton");
    m_down->setIcon(style()->standardIcon(QStyle::SP_ArrowDown));
    m_down->setToolTip(tr("Move down (Alt+Down)"));
    m_remove->setObjectName("queueRemoveButton");
    m_remove->setIcon(style()->standardIcon(QStyle::SP_TrashIcon));
    m_remove->setToolTip(tr("Remove from the queue (Delete)"));
    m_pause->setObjectName("queuePauseButton");
    m_pause->setCheckable(true);
    m_interrupt->setObjectName("interruptButton");
    m_interrupt->setToolTip(tr("Stop the running job now and keep its image as it is"));
    m_skip->setObjectName("skipButton");
    m_skip->setToolTip(tr("Drop the running job and go on with the next one"));

    auto* edit = new QHBoxLayout;
    edit->addWidget(m_up);
    edit->addWidget(m_down);
    edit->addWidget(m_remove);
    edit->addStretch(1);
    edit->addWidget(m_pause);
    auto* run = new QHBoxLayout;
    run->addWidget(m_interrupt);
    run->addWidget(m_skip);
    run->addStretch(1);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(m_running);
    layout->addLayout(run);
    layout->addWidget(m_list, 1);
    layout->addLayout(edit);

    connect(m_up, &QToolButton::clicked, this, [this] { moveSelected(-1); });
    connect(m_down, &QToolButton::clicked, this, [this] { moveSelected(+1); });
    connect(m_remove, &QToolButton::clicked, this, &QueuePanel::removeSelected);
    connect(m_pause, &QPushButton::toggled, this, [this](bool on) {
        if (on != m_paused)
            emit pauseRequested(on);
    });
    connect(m_interrupt, &QPushButton::clicked, this, &QueuePanel::interruptRequested);
    connect(m_skip, &QPushButton::clicked, this, &QueuePanel::skipRequested);
    connect(m_list, &QListWidget::currentRowChanged, this, &QueuePanel::updateButtons);
    connect(m_list->model(), &QAbstractItemModel::rowsMoved, this, &QueuePanel::rowsMovedByDrag);

    setRunning(0, {});
    setPaused(false);
}

QString QueuePanel::summary(const GenerationParams& p)
{
    QString prompt = QString::fromStdString(p.prompt).simplified();
    if (prompt.isEmpty())
        prompt = tr("(empty prompt)");
    else if (prompt.size() > 90)
        prompt = prompt.left(89) + QChar(0x2026);
    const int images = p.batchCount * p.batchSize;
    QString line = tr("%1 steps · %2 · %3×%4")
                       .arg(p.steps)
                       .arg(QString::fromStdString(p.sampler))
                       .arg(p.width)
                       .arg(p.height);
    if (images > 1)
        line += QStringLiteral(" · ") + tr("%n image(s)", nullptr, images);
    if (!p.initImage.empty())
        line += QStringLiteral(" · img2img");
    return prompt + u'\n' + line;
}

void QueuePanel::setQueue(const QList<GenerationJob>& queued)
{
    const int selected = selectedJobId();
    const QSignalBlocker block(m_list->model());
    m_list->clear();
    for (const GenerationJob& job : queued) {
        auto* item = new QListWidgetItem(summary(job.params), m_list);
        item->setData(Qt::UserRole, job.id);
        item->setToolTip(QString::fromStdString(job.params.prompt));
        if (job.id == selected)
            m_list->setCurrentItem(item);
    }
    updateButtons();
}

void QueuePanel::setRunning(int jobId, const GenerationParams& params)
{
    m_runningId = jobId;
    m_running->setText(jobId ? tr("Running: %1").arg(summary(params)) : tr("Nothing running"));
    m_interrupt->setEnabled(jobId != 0);
    m_skip->setEnabled(jobId != 0);
}

void QueuePanel::setPaused(bool paused)
{
    m_paused = paused;
    const QSignalBlocker block(m_pause);
    m_pause->setChecked(paused);
    m_pause->setText(paused ? tr("Resume") : tr("Pause"));
    m_pause->setToolTip(
        paused ? tr("Start the waiting jobs again") : tr("Finish the running job, then wait"));
}

QList<int> QueuePanel::queuedIds() const
{
    QList<int> ids;
    for (int i = 0; i < m_list->count(); ++i)
        ids << m_list->item(i)->data(Qt::UserRole).toInt();
    return ids;
}

int QueuePanel::selectedJobId() const
{
    const QListWidgetItem* item = m_list->currentItem();
    return item ? item->data(Qt::UserRole).toInt() : 0;
}

void QueuePanel::moveSelected(int delta)
{
    const int row = m_list->currentRow();
    const int target = row + delta;
    if (row < 0 || target < 0 || target >= m_list->count())
        return;
    const int id = selectedJobId();
    {
        const QSignalBlocker block(m_list->model());
        QListWidgetItem* item = m_list->takeItem(row);
        m_list->insertItem(target, item);
        m_list->setCurrentRow(target);
    }
    updateButtons();
    emit moveRequested(id, target);
}

void QueuePanel::removeSelected()
{
    const int id = selectedJobId();
    if (!id)
        return;
    const int row = m_list->currentRow();
    delete m_list->takeItem(row);
    if (m_list->count())
        m_list->setCurrentRow(qMin(row, m_list->count() - 1));
    updateButtons();
    emit removeRequested(id);
}

void QueuePanel::rowsMovedByDrag()
{
    // A drag moved one item: tell the worker where it now is.
    const int id = selectedJobId();
    if (id)
        emit moveRequested(id, m_list->currentRow());
    updateButtons();
}

void QueuePanel::updateButtons()
{
    const int row = m_list->currentRow();
    m_up->setEnabled(row > 0);
    m_down->setEnabled(row >= 0 && row + 1 < m_list->count());
    m_remove->setEnabled(row >= 0);
}

bool QueuePanel::eventFilter(QObject* watched, QEvent* event)
{
    if (watched == m_list && event->type() == QEvent::KeyPress) {
        auto* key = static_cast<QKeyEvent*>(event);
        if (key->key() == Qt::Key_Delete) {
            removeSelected();
            return true;
        }
        if (key->modifiers() & Qt::AltModifier && (key->key() == Qt::Key_Up || key->key() == Qt::Key_Down)) {
            moveSelected(key->key() == Qt::Key_Up ? -1 : 1);
            return true;
        }
    }
    return QWidget::eventFilter(watched, event);
}

} // namespace qd
