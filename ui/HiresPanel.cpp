#include "ui/HiresPanel.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QSpinBox>
#include <QVBoxLayout>

#include "core/generation/Upscalers.h"

namespace qd
{

namespace
{

QPlainTextEdit* promptBox(const QString& placeholder, const char* name, QWidget* parent)
{
    auto* e = new QPlainTextEdit(parent);
    e->setObjectName(name);
    e->setPlaceholderText(placeholder);
    e->setTabChangesFocus(true);
    e->setFixedHeight(e->fontMetrics().lineSpacing() * 2 + 14); // two lines
    return e;
}

// An item list whose first entry (data "") means "as the first pass"; the choice survives a refill.
void refill(QComboBox* combo, const QString& same, const QStringList& labels)
{
    const QString current = combo->currentData().toString();
    const QSignalBlocker block(combo);
    combo->clear();
    combo->addItem(same, QString());
    for (const QString& l : labels)
        combo->addItem(l, l);
    combo->setCurrentIndex(qMax(0, combo->findData(current)));
}

void selectData(QComboBox* combo, const QString& value)
{
    int i = combo->findData(value);
    if (i < 0) { // a name this machine does not offer: kept, so the job says what is missing
        combo->addItem(value, value);
        i = combo->count() - 1;
    }
    combo->setCurrentIndex(i);
}

} // namespace

HiresPanel::HiresPanel(QWidget* parent)
    : QGroupBox(tr("Hires. fix"), parent)
{
    setObjectName("hiresGroup");
    setCheckable(true);
    setChecked(false);
    setToolTip(tr("Generate at the base size, upscale, then repaint the details in a second pass"));
    // Unchecked, the group folds to its title: the parameter column stays short for txt2img.
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    m_body = new QWidget(this);
    m_body->setObjectName("hiresBody");
    outer->addWidget(m_body);
    auto* form = new QFormLayout(m_body);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->setContentsMargins(8, 6, 8, 6);
    m_body->setVisible(false);
    connect(this, &QGroupBox::toggled, m_body, &QWidget::setVisible);

    m_upscaler = new QComboBox(this);
    m_upscaler->setObjectName("hiresUpscalerCombo");
    m_upscaler->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_upscaler->setMinimumContentsLength(12);
    form->addRow(tr("&Upscaler"), m_upscaler);

    m_steps = new QSpinBox(this);
    m_steps->setObjectName("hiresStepsSpin");
    m_steps->setRange(0, 150);
    m_steps->setSpecialValueText(tr("Same as sampling"));
    m_steps->setToolTip(tr("Steps of the second pass; 0 uses the sampling steps"));
    form->addRow(tr("Hires s&teps"), m_steps);

    m_denoise = new QDoubleSpinBox(this);
    m_denoise->setObjectName("hiresDenoiseSpin");
    m_denoise->setRange(0.0, 1.0);
    m_denoise->setSingleStep(0.05);
    m_denoise->setValue(0.7); // AUTOMATIC1111's default for the second pass
    m_denoise->setToolTip(tr("How much the second pass repaints the upscaled image"));
    form->addRow(tr("&Denoising strength"), m_denoise);

    m_scale = new QDoubleSpinBox(this);
    m_scale->setObjectName("hiresScaleSpin");
    m_scale->setRange(1.0, 8.0);
    m_scale->setSingleStep(0.05);
    m_scale->setValue(2.0);
    m_scale->setPrefix(QStringLiteral("× "));
    m_scale->setToolTip(tr("Used while both resize fields are 0"));
    form->addRow(tr("Upscale &by"), m_scale);

    auto sizeSpin = [this](const char* name) {
        auto* s = new QSpinBox(this);
        s->setObjectName(name);
        s->setRange(0, 8192);
        s->setSingleStep(8);
        s->setSpecialValueText(tr("auto"));
        s->setToolTip(tr("0: from the scale (or from the other side, keeping the aspect ratio)"));
        return s;
    };
    m_resizeX = sizeSpin("hiresResizeXSpin");
    m_resizeY = sizeSpin("hiresResizeYSpin");
    auto* resize = new QHBoxLayout;
    resize->addWidget(m_resizeX, 1);
    resize->addWidget(new QLabel(QStringLiteral("×"), this));
    resize->addWidget(m_resizeY, 1);
    form->addRow(tr("&Resize to"), resize);
    static_cast<QLabel*>(form->labelForField(resize))->setBuddy(m_resizeX);

    m_target = new QLabel(this);
    m_target->setObjectName("hiresTargetLabel");
    m_target->setWordWrap(true);
    form->addRow(m_target);

    m_sampler = new QComboBox(this);
    m_sampler->setObjectName("hiresSamplerCombo");
    m_schedule = new QComboBox(this);
    m_schedule->setObjectName("hiresScheduleCombo");
    form->addRow(tr("Hires sa&mpler"), m_sampler);
    form->addRow(tr("Hires sc&hedule"), m_schedule);
    m_prompt = promptBox(tr("Hires prompt (empty: the prompt)"), "hiresPromptEdit", this);
    m_negative
        = promptBox(tr("Hires negative prompt (empty: the negative prompt)"), "hiresNegativeEdit", this);
    form->addRow(m_prompt);
    form->addRow(m_negative);

    setUpscalers({ QStringLiteral("None"), QStringLiteral("Lanczos"), QStringLiteral("Nearest") });
    setSamplers({});
    setSchedules({});
    updateTarget();

    const auto changedAndTarget = [this] {
        updateTarget();
        emit changed();
    };
    connect(this, &QGroupBox::toggled, this, &HiresPanel::changed);
    connect(m_upscaler, &QComboBox::currentIndexChanged, this, &HiresPanel::changed);
    connect(m_steps, &QSpinBox::valueChanged, this, &HiresPanel::changed);
    connect(m_denoise, &QDoubleSpinBox::valueChanged, this, &HiresPanel::changed);
    connect(m_scale, &QDoubleSpinBox::valueChanged, this, changedAndTarget);
    connect(m_resizeX, &QSpinBox::valueChanged, this, changedAndTarget);
    connect(m_resizeY, &QSpinBox::valueChanged, this, changedAndTarget);
    connect(m_sampler, &QComboBox::currentIndexChanged, this, &HiresPanel::changed);
    connect(m_schedule, &QComboBox::currentIndexChanged, this, &HiresPanel::changed);
    connect(m_prompt, &QPlainTextEdit::textChanged, this, &HiresPanel::changed);
    connect(m_negative, &QPlainTextEdit::textChanged, this, &HiresPanel::changed);
}

void HiresPanel::setUpscalers(const QStringList& names)
{
    const QString current = m_upscaler->currentText();
    const QSignalBlocker block(m_upscaler);
    m_upscaler->clear();
    for (const std::string& latent : latentUpscalerNames())
        m_upscaler->addItem(QString::fromStdString(latent));
    m_upscaler->insertSeparator(m_upscaler->count());
    m_upscaler->addItems(names);
    const int i = m_upscaler->findText(current.isEmpty() ? QStringLiteral("Latent") : current);
    if (i >= 0)
        m_upscaler->setCurrentIndex(i);
    else
        selectData(m_upscaler, current);
}

void HiresPanel::setSamplers(const QStringList& labels)
{
    refill(m_sampler, tr("Use same sampler"), labels);
}

void HiresPanel::setSchedules(const QStringList& labels)
{
    refill(m_schedule, tr("Use same schedule"), labels);
}

void HiresPanel::setBaseSize(int width, int height)
{
    m_baseWidth = width;
    m_baseHeight = height;
    updateTarget();
}

QString HiresPanel::targetText() const
{
    return m_target->text();
}

void HiresPanel::updateTarget()
{
    // calculate_target_resolution (modules/processing.py): the scale, or the resize fields (one of
    // them 0 keeps the aspect ratio; both given crop to their aspect)
    const int rx = m_resizeX->value(), ry = m_resizeY->value();
    int w = 0, h = 0;
    if (rx == 0 && ry == 0) {
        w = int(m_baseWidth * m_scale->value());
        h = int(m_baseHeight * m_scale->value());
    } else if (ry == 0) {
        w = rx;
        h = rx * m_baseHeight / qMax(1, m_baseWidth);
    } else if (rx == 0) {
        w = ry * m_baseWidth / qMax(1, m_baseHeight);
        h = ry;
    } else {
        w = rx;
        h = ry;
    }
    QString text = tr("%1 × %2 → %3 × %4").arg(m_baseWidth).arg(m_baseHeight).arg(w).arg(h);
    const bool bad = w % 8 != 0 || h % 8 != 0;
    if (bad)
        text += QLatin1Char('\n') + tr("The upscaled size must be a multiple of 8.");
    m_target->setText(text);
    m_target->setStyleSheet(bad ? QStringLiteral("color: #d04040") : QString());
}

void HiresPanel::applyTo(GenerationParams& p) const
{
    p.enableHr = isChecked() && p.initImage.empty();
    p.hrUpscaler = m_upscaler->currentText().toStdString();
    p.hrSteps = m_steps->value();
    p.hrScale = m_scale->value();
    p.hrResizeX = m_resizeX->value();
    p.hrResizeY = m_resizeY->value();
    p.hrSampler = m_sampler->currentData().toString().toStdString();
    p.hrScheduler = m_schedule->currentData().toString().toStdString();
    p.hrPrompt = m_prompt->toPlainText().toStdString();
    p.hrNegativePrompt = m_negative->toPlainText().toStdString();
    if (p.enableHr)
        p.denoisingStrength = m_denoise->value();
}

void HiresPanel::setFrom(const GenerationParams& p)
{
    {
        const QSignalBlocker blocks[] = { QSignalBlocker(this), QSignalBlocker(m_upscaler),
            QSignalBlocker(m_steps), QSignalBlocker(m_denoise), QSignalBlocker(m_scale),
            QSignalBlocker(m_resizeX), QSignalBlocker(m_resizeY), QSignalBlocker(m_sampler),
            QSignalBlocker(m_schedule), QSignalBlocker(m_prompt), QSignalBlocker(m_negative) };
        setChecked(p.enableHr);
        m_body->setVisible(p.enableHr);
        const int u = m_upscaler->findText(QString::fromStdString(p.hrUpscaler));
        if (u >= 0)
            m_upscaler->setCurrentIndex(u);
        else if (!p.hrUpscaler.empty())
            selectData(m_upscaler, QString::fromStdString(p.hrUpscaler));
        m_steps->setValue(p.hrSteps);
        if (p.enableHr)
            m_denoise->setValue(p.denoisingStrength);
        m_scale->setValue(p.hrScale);
        m_resizeX->setValue(p.hrResizeX);
        m_resizeY->setValue(p.hrResizeY);
        selectData(m_sampler, QString::fromStdString(p.hrSampler));
        selectData(m_schedule, QString::fromStdString(p.hrScheduler));
        m_prompt->setPlainText(QString::fromStdString(p.hrPrompt == p.prompt ? std::string() : p.hrPrompt));
        m_negative->setPlainText(QString::fromStdString(
            p.hrNegativePrompt == p.negativePrompt ? std::string() : p.hrNegativePrompt));
    }
    updateTarget();
    emit changed();
}

} // namespace qd
