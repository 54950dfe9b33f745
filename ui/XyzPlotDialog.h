#pragma once
// The "X/Y/Z plot" dialog (AUTOMATIC1111's script of that name): a type and values for each axis,
// the number of images it will make as the values are typed, and Queue, which expands the plot
// into ordinary jobs on the studio's queue (core/generation/XyzRun.h) over the current prompts and
// parameters. When the last cell ends the labelled grid is shown here and saved beside the images.
// Interrupt (the studio's button) stops the cells not yet run.
#include <QDialog>

#include <functional>

#include "core/generation/XyzRun.h"

class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QCheckBox;

namespace qd
{

class XyzPlotDialog : public QDialog
{
    Q_OBJECT
public:
    using RequestSource = std::function<JobRequest()>; // the current prompts and parameters
    XyzPlotDialog(
        InferenceWorker* worker, RequestSource request, XyzRun::Builder build, QWidget* parent = nullptr);

    QComboBox* typeBox(int axis) const { return m_types[axis]; }
    QLineEdit* valuesEdit(int axis) const { return m_values[axis]; }
    QLabel* summaryLabel() const { return m_summary; }
    XyzRun* currentRun() const { return m_run; }

    // The plan of the fields over the current request; false with *error.
    bool plan(XyzPlan* out, QString* error) const;
    // Queues the plot (what the Queue button does); false with *error.
    bool queuePlot(QString* error = nullptr);

signals:
    void plotFinished(const qd::XyzResult& result);

private:
    void updateSummary();
    void onFinished(const XyzResult& result);

    InferenceWorker* m_worker;
    RequestSource m_request;
    XyzRun::Builder m_build;
    QComboBox* m_types[3] = {};
    QLineEdit* m_values[3] = {};
    QCheckBox* m_keepSeeds = nullptr;
    QLabel* m_summary = nullptr;
    QLabel* m_gridView = nullptr;
    QPushButton* m_queue = nullptr;
    XyzRun* m_run = nullptr;
};

} // namespace qd
