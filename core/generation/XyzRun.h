#pragma once
// One X/Y/Z plot running on an InferenceWorker: every cell is an ordinary job (built, checked and
// queued through the same path as any other: the queue shows them, each is saved with its own
// infotext), and once the last one has ended the grids are drawn and saved next to the cell
// images. An interrupt (this run's, or the worker's from elsewhere: a cell that ends interrupted)
// stops the cells not yet run; the grid is then drawn from the cells that finished, the others
// black, as A1111 does. A cell that fails leaves its slot black and the plot goes on.
#include <QImage>
#include <QList>
#include <QObject>
#include <QSet>
#include <QStringList>

#include <functional>
#include <optional>

#include "core/generation/InferenceWorker.h"
#include "core/generation/XyzGrid.h"
#include "core/generation/XyzPlot.h"

namespace qd
{

struct XyzResult {
    XyzGrids grids;
    QString gridFile; // the combined grid as saved; "" when not saved
    QString gridInfotext;
    QList<ResultImage> cells; // XyzPlan::cellIndex order; a null image where a cell did not finish
    bool interrupted = false;
    QStringList errors; // cells that failed
};

class XyzRun : public QObject
{
    Q_OBJECT
public:
    using Builder = std::function<std::optional<GenerationJob>(const JobRequest&, QString*)>;

    // `worker` must outlive the run.
    XyzRun(InferenceWorker* worker, XyzPlan plan, QObject* parent = nullptr);

    // Builds every cell's job first (nothing is queued when one cannot be built: *error names the
    // cell), then queues them in the plan's order.
    bool start(const Builder& build, QString* error);
    // Stops the cells not yet run; the running one ends as an interrupted image.
    void interrupt();

    // Where the grid is saved: "" = beside the first cell image saved (no file when none was).
    void setGridFolder(const QString& dir) { m_gridFolder = dir; }
    // A1111's "Draw legend" and "Grid margins (px)".
    void setLegend(bool legend, int margin = 0)
    {
        m_legend = legend;
        m_margin = margin;
    }
    const XyzPlan& plan() const { return m_plan; }
    QList<int> jobIds() const { return m_ids; }
    int total() const { return int(m_plan.cells.size()); }
    int done() const { return m_done; }
    bool isRunning() const { return m_running; }

signals:
    void progressed(int done, int total);
    void finished(const qd::XyzResult& result);

private:
    void onFinished(const GenerationResult& result);
    void onFailed(int jobId, const QString& message);
    void onEnded(int jobId); // skipped, or failed and moved on
    void stopRemaining();
    void complete();

    InferenceWorker* m_worker;
    XyzPlan m_plan;
    QList<int> m_ids; // job id of each cell, in m_plan.cells order
    QSet<int> m_open; // queued or running
    QSet<int> m_failedOpen; // failed, waiting for the worker to move on
    XyzResult m_result;
    QString m_gridFolder;
    int m_done = 0;
    bool m_legend = true;
    int m_margin = 0;
    bool m_running = false;
};

} // namespace qd

Q_DECLARE_METATYPE(qd::XyzResult)
