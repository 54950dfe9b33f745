#include "ui/XyzPlotDialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace qd
{

XyzPlotDialog::XyzPlotDialog(
    InferenceWorker* worker, RequestSource request, XyzRun::Builder build, QWidget* parent)
    : QDialog(parent)
    , m_worker(worker)
    , m_request(std::move(request))
    , m_build(std::move(build))
{
    setObjectName("xyzPlotDialog");
    setWindowTitle(tr("X/Y/Z Plot"));
    auto* form = new QFormLayout;
    const QString names[3] = { tr("&X type:"), tr("&Y type:"), tr("&Z type:") };
    const char* ids[3] = { "x", "y", "z" };
    const QStringList labels = xyzAxisLabels(false, true);
    for (int a = 0; a < 3; ++a) {
        m_types[a] = new QComboBox(this);
        m_types[a]->setObjectName(QStringLiteral("%1TypeBox").arg(QLatin1String(ids[a])));
        m_types[a]->addItems(labels);
        m_types[a]->setCurrentText(a == 0 ? QStringLiteral("Seed") : QStringLiteral("Nothing"));
        m_values[a] = new QLineEdit(this);
        m_values[a]->setObjectName(QStringLiteral("%1ValuesEdit").arg(QLatin1String(ids[a])));
        m_values[a]->setPlaceholderText(tr("e.g. 10, 20, 30 or 10-30 (+10) or 10-30 [3]"));
        auto* row = new QHBoxLayout;
        row->addWidget(m_types[a]);
        row->addWidget(m_values[a], 1);
        form->addRow(names[a], row);
        static_cast<QLabel*>(form->labelForField(row))->setBuddy(m_types[a]);
        connect(m_types[a], &QComboBox::currentTextChanged, this, &XyzPlotDialog::updateSummary);
        connect(m_values[a], &QLineEdit::textChanged, this, &XyzPlotDialog::updateSummary);
    }
    m_keepSeeds = new QCheckBox(tr("Keep -1 for seeds (a new random seed in every cell)"), this);
    m_summary = new QLabel(this);
    m_summary->setObjectName("xyzSummary");
    m_summary->setWordWrap(true);
    m_gridView = new QLabel(this);
    m_gridView->setObjectName("xyzGridView");
    m_gridView->setAlignment(Qt::AlignCenter);
    m_gridView->setMinimumHeight(120);
    auto* help = new QLabel(tr("Values are separated by commas (quote a value that holds one). Number axes "
                               "take ranges: 1-5, 1-9 (+2) for a step, 10-20 [3] for a count. For Prompt "
                               "S/R the first value is the text replaced by each value in turn."),
        this);
    help->setWordWrap(true);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    m_queue = buttons->addButton(tr("&Queue Plot"), QDialogButtonBox::AcceptRole);
    m_queue->setObjectName("queueXyzButton");
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_queue, &QPushButton::clicked, this, [this] {
        QString error;
        if (!queuePlot(&error))
            m_summary->setText(
                QStringLiteral("<span style='color:#b00020'>%1</span>").arg(error.toHtmlEscaped()));
    });
    connect(m_keepSeeds, &QCheckBox::toggled, this, &XyzPlotDialog::updateSummary);

    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_keepSeeds);
    layout->addWidget(help);
    layout->addWidget(m_summary);
    layout->addWidget(m_gridView, 1);
    layout->addWidget(buttons);
    resize(560, 360);
    updateSummary();
}

bool XyzPlotDialog::plan(XyzPlan* out, QString* error) const
{
    XyzAxis axes[3];
    for (int a = 0; a < 3; ++a) {
        axes[a].type = m_types[a]->currentText();
        axes[a].text = m_values[a]->text();
    }
    const JobRequest base = m_request();
    const bool img2img = !base.params.initImage.empty() || !base.initImage.isNull();
    return planXyz(base, axes[0], axes[1], axes[2], img2img, out, error, nullptr, m_keepSeeds->isChecked());
}

void XyzPlotDialog::updateSummary()
{
    XyzPlan p;
    QString error;
    if (m_run && m_run->isRunning()) {
        m_summary->setText(tr("Running: %1 of %2 images made").arg(m_run->done()).arg(m_run->total()));
        m_queue->setEnabled(false);
        return;
    }
    m_queue->setEnabled(true);
    if (!plan(&p, &error)) {
        m_summary->setText(
            QStringLiteral("<span style='color:#b00020'>%1</span>").arg(error.toHtmlEscaped()));
        return;
    }
    m_summary->setText(
        tr("%1 × %2 × %3 = %4 images").arg(p.count(0)).arg(p.count(1)).arg(p.count(2)).arg(p.cells.size()));
}

bool XyzPlotDialog::queuePlot(QString* error)
{
    QString why;
    XyzPlan p;
    if ((m_run && m_run->isRunning()) || !plan(&p, &why)) {
        if (error)
            *error = why.isEmpty() ? tr("A plot is still running.") : why;
        return false;
    }
    auto* run = new XyzRun(m_worker, p, this);
    if (!run->start(m_build, &why)) {
        delete run;
        if (error)
            *error = why;
        return false;
    }
    if (m_run)
        m_run->deleteLater();
    m_run = run;
    m_gridView->clear();
    connect(run, &XyzRun::progressed, this, &XyzPlotDialog::updateSummary);
    connect(run, &XyzRun::finished, this, &XyzPlotDialog::onFinished);
    updateSummary();
    return true;
}

void XyzPlotDialog::onFinished(const XyzResult& result)
{
    updateSummary();
    QString text = result.gridFile.isEmpty()
        ? tr("The plot made no grid.")
        : tr("Grid saved as %1").arg(QFileInfo(result.gridFile).fileName());
    if (result.interrupted)
        text += QLatin1Char(' ') + tr("(interrupted: the cells not run are black)");
    m_summary->setText(text);
    if (!result.grids.combined.isNull())
        m_gridView->setPixmap(QPixmap::fromImage(result.grids.combined.scaled(m_gridView->width(),
            std::max(120, m_gridView->height()), Qt::KeepAspectRatio, Qt::SmoothTransformation)));
    emit plotFinished(result);
}

} // namespace qd
