#include "core/generation/XyzRun.h"

#include <QFileInfo>
#include <QRegularExpression>

namespace qd
{

XyzRun::XyzRun(InferenceWorker* worker, XyzPlan plan, QObject* parent)
    : QObject(parent)
    , m_worker(worker)
    , m_plan(std::move(plan))
{
    qRegisterMetaType<qd::XyzResult>();
}

bool XyzRun::start(const Builder& build, QString* error)
{
    QList<GenerationJob> jobs;
    for (const XyzCell& cell : m_plan.cells) {
        QString why;
        std::optional<GenerationJob> job = build(cell.request, &why);
        if (!job) {
            *error = QStringLiteral("X/Y/Z plot cell %1 (%2): %3")
                         .arg(m_plan.cellIndex(cell.ix, cell.iy, cell.iz) + 1)
                         .arg(QStringList { m_plan.labels(0).value(cell.ix), m_plan.labels(1).value(cell.iy),
                                  m_plan.labels(2).value(cell.iz) }
                                  .filter(QRegularExpression(QStringLiteral("\\S")))
                                  .join(QStringLiteral(", ")),
                             why);
            return false;
        }
        jobs << *job;
    }
    m_result = XyzResult();
    m_result.cells.resize(m_plan.count(0) * m_plan.count(1) * m_plan.count(2));
    for (qsizetype i = 0; i < m_plan.cells.size(); ++i) // what each cell would have been
        m_result.cells[m_plan.cellIndex(m_plan.cells[i].ix, m_plan.cells[i].iy, m_plan.cells[i].iz)].params
            = jobs[i].params;
    connect(m_worker, &InferenceWorker::finished, this, &XyzRun::onFinished);
    connect(m_worker, &InferenceWorker::failed, this, &XyzRun::onFailed);
    connect(m_worker, &InferenceWorker::skipped, this, &XyzRun::onEnded);
    connect(m_worker, &InferenceWorker::started, this, [this](int id, const GenerationJob&) {
        for (int failed : QSet<int>(m_failedOpen))
            if (failed != id)
                onEnded(failed);
    });
    connect(m_worker, &InferenceWorker::idle, this, [this] {
        for (int failed : QSet<int>(m_failedOpen))
            onEnded(failed);
    });
    m_running = true;
    for (const GenerationJob& job : jobs) {
        const int id = m_worker->enqueue(job);
        m_ids << id;
        m_open.insert(id);
    }
    return true;
}

void XyzRun::interrupt()
{
    if (!m_running)
        return;
    m_result.interrupted = true;
    stopRemaining();
    if (m_open.contains(m_worker->runningJobId()))
        m_worker->interrupt();
}

void XyzRun::stopRemaining()
{
    for (int id : QList<int>(m_ids))
        if (m_open.contains(id) && id != m_worker->runningJobId() && m_worker->remove(id))
            m_open.remove(id);
    if (m_open.isEmpty())
        complete();
}

void XyzRun::onFinished(const GenerationResult& result)
{
    const qsizetype at = m_ids.indexOf(result.jobId);
    if (at < 0 || !m_open.contains(result.jobId))
        return;
    const XyzCell& cell = m_plan.cells[at];
    if (!result.images.isEmpty()) // A1111 keeps the first image of a cell
        m_result.cells[m_plan.cellIndex(cell.ix, cell.iy, cell.iz)] = result.images.first();
    m_failedOpen.remove(result.jobId);
    m_open.remove(result.jobId);
    ++m_done;
    emit progressed(m_done, total());
    if (result.interrupted && m_running) {
        m_result.interrupted = true;
        stopRemaining();
        // a cell the worker had already begun is left out
        if (m_open.contains(m_worker->runningJobId()))
            m_worker->skip();
    }
    if (m_open.isEmpty())
        complete();
}

void XyzRun::onFailed(int jobId, const QString& message)
{
    if (!m_open.contains(jobId))
        return;
    m_result.errors << message;
    m_failedOpen.insert(jobId); // `finished` may still follow (an image not saved)
}

void XyzRun::onEnded(int jobId)
{
    if (!m_open.remove(jobId))
        return;
    m_failedOpen.remove(jobId);
    ++m_done;
    emit progressed(m_done, total());
    if (m_open.isEmpty())
        complete();
}

void XyzRun::complete()
{
    if (!m_running)
        return;
    m_running = false;
    disconnect(m_worker, nullptr, this, nullptr);
    QList<QImage> images;
    const ResultImage* first = nullptr;
    for (const ResultImage& r : m_result.cells) {
        images << r.image;
        if (!first && !r.image.isNull())
            first = &r;
    }
    m_result.grids = composeXyzGrids(m_plan, images, m_legend, m_margin);
    if (!m_result.grids.combined.isNull()) {
        m_result.gridInfotext = xyzGridInfotext(m_plan, m_result.cells.value(0).params, true);
        QString dir = m_gridFolder;
        if (dir.isEmpty() && first && !first->file.isEmpty())
            dir = QFileInfo(first->file).absolutePath();
        if (!dir.isEmpty()) {
            QString why;
            m_result.gridFile = saveXyzGrid(m_result.grids.combined, m_result.gridInfotext, dir, &why);
            if (m_result.gridFile.isEmpty())
                m_result.errors << why;
        }
    }
    emit finished(m_result);
}

} // namespace qd
