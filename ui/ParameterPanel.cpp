#include "ui/ParameterPanel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QPushButton>
#include <QRegularExpressionValidator>
#include <QSignalBlocker>
#include <QSlider>
#include <QSpinBox>
#include <QStandardPaths>
#include <QStyle>
#include <QToolButton>
#include <QVBoxLayout>

#include <cmath>

#include "core/metadata/Infotext.h"
#include "ui/HiresPanel.h"
#include "ui/Icons.h"
#include "ui/InitImageView.h"
#include "ui/InpaintPanel.h"

namespace qd
{

namespace
{

// Width / height: arrows move by 8, typed values snap to the nearest multiple of 8 when editing ends
// (the VAE downsamples by 8, so every size must divide by it).
class SizeSpinBox : public QSpinBox
{
public:
    explicit SizeSpinBox(QWidget* parent)
        : QSpinBox(parent)
    {
        setRange(64, 4096);
        setSingleStep(8);
        setSuffix(QStringLiteral(" px"));
        setAccelerated(true);
        connect(this, &QSpinBox::valueChanged, this, [this](int v) {
            const int r = ParameterPanel::roundToMultipleOf8(v);
            if (r != v)
                setValue(r);
        });
    }

protected:
    void fixup(QString& input) const override
    {
        bool ok = false;
        const int v = QString(input).remove(suffix()).trimmed().toInt(&ok);
        if (ok)
            input = QString::number(qBound(minimum(), ParameterPanel::roundToMultipleOf8(v), maximum()))
                + suffix();
    }
};

QString qs(const std::string& s)
{
    return QString::fromStdString(s);
}
std::string ss(const QString& s)
{
    return s.toStdString();
}

QFormLayout* makeForm(QWidget* parent)
{
    auto* form = new QFormLayout(parent);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->setContentsMargins(8, 6, 8, 6);
    return form;
}

QToolButton* toolButton(const QString& text, const QString& tip, const QString& objectName, QWidget* parent)
{
    auto* b = new QToolButton(parent);
    b->setText(text);
    b->setToolTip(tip);
    b->setAccessibleName(tip);
    b->setObjectName(objectName);
    b->setFocusPolicy(Qt::StrongFocus);
    return b;
}

} // namespace

ParameterPanel::ParameterPanel(QWidget* parent)
    : QWidget(parent)
{
    setObjectName("parameterPanel");
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->setSpacing(6);
    layout->addWidget(buildModelGroup());
    layout->addWidget(buildSamplingGroup());
    layout->addWidget(buildSeedGroup());
    layout->addWidget(buildSizeGroup());
    layout->addWidget(buildBatchGroup());
    m_hires = new HiresPanel(this);
    layout->addWidget(m_hires);
    layout->addWidget(buildImg2ImgGroup());
    layout->addStretch(1);

    setSamplers(defaultSamplers());
    setSchedules(defaultSchedules());
    // The hires fix shows the size its second pass makes from the first pass's; img2img has none.
    auto baseSize = [this] { m_hires->setBaseSize(m_width->value(), m_height->value()); };
    connect(m_width, &QSpinBox::valueChanged, this, baseSize);
    connect(m_height, &QSpinBox::valueChanged, this, baseSize);
    connect(m_img2img, &QGroupBox::toggled, m_hires, [this](bool on) { m_hires->setEnabled(!on); });
    connect(m_hires, &HiresPanel::changed, this, &ParameterPanel::paramsChanged);
    setModels({});
    setParams(GenerationParams());
    m_seed->setText(QStringLiteral("-1"));
    m_sizeDefault = GenerationParams().width;
    connect(this, &ParameterPanel::modelChanged, this, &ParameterPanel::adoptModelSize);

    // Tab order follows the reading order, top to bottom.
    QWidget* order[] = { m_model, m_vae, m_sampler, m_schedule, m_steps, m_stepsSlider, m_cfg, m_cfgSlider,
        m_seed, m_randomSeed, m_reuseSeed, m_lockSeed, m_seedExtra, m_subseed, m_subseedStrength,
        m_resizeFromW, m_resizeFromH, m_width, m_height, m_swap, m_aspect, m_batchCount, m_batchSize,
        m_clipSkip, m_hires, m_img2img, m_initImage, m_strength, m_strengthSlider };
    for (size_t i = 1; i < std::size(order); ++i)
        setTabOrder(order[i - 1], order[i]);
}

QWidget* ParameterPanel::buildModelGroup()
{
    auto* box = new QGroupBox(tr("Model"), this);
    auto* form = makeForm(box);
    m_model = new QComboBox(box);
    m_model->setObjectName("modelCombo");
    m_model->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_model->setMinimumContentsLength(16);
    m_model->setAccessibleName(tr("Checkpoint"));
    form->addRow(m_model);
    connect(m_model, &QComboBox::currentIndexChanged, this, [this] {
        emit modelChanged();
        emit paramsChanged();
    });

    // Values as A1111's sd_vae setting takes them; the texts are translated.
    m_vae = new QComboBox(box);
    m_vae->setObjectName("vaeCombo");
    m_vae->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_vae->setMinimumContentsLength(12);
    m_vae->setToolTip(tr("Automatic: a NAME.vae.pt, .vae.ckpt or .vae.safetensors file beside the checkpoint "
                         "(or in a VAE folder); None: the VAE inside the checkpoint"));
    auto* vaeLabel = new QLabel(tr("V&AE"), box);
    vaeLabel->setBuddy(m_vae);
    form->addRow(vaeLabel, m_vae);
    setVaes({});
    connect(m_vae, &QComboBox::currentIndexChanged, this, &ParameterPanel::paramsChanged);
    return box;
}

QWidget* ParameterPanel::buildSamplingGroup()
{
    auto* box = new QGroupBox(tr("Sampling"), this);
    auto* form = makeForm(box);
    m_sampler = new QComboBox(box);
    m_sampler->setObjectName("samplerCombo");
    m_schedule = new QComboBox(box);
    m_schedule->setObjectName("scheduleCombo");
    form->addRow(tr("Sa&mpler"), m_sampler);
    form->addRow(tr("Schedule t&ype"), m_schedule);

    m_steps = new QSpinBox(box);
    m_steps->setObjectName("stepsSpin");
    m_steps->setRange(1, 150);
    m_stepsSlider = new QSlider(Qt::Horizontal, box);
    m_stepsSlider->setObjectName("stepsSlider");
    m_stepsSlider->setRange(1, 150);
    m_stepsSlider->setAccessibleName(tr("Sampling steps"));
    auto* stepsRow = new QHBoxLayout;
    stepsRow->addWidget(m_stepsSlider, 1);
    stepsRow->addWidget(m_steps);
    form->addRow(tr("S&teps"), stepsRow);
    static_cast<QLabel*>(form->labelForField(stepsRow))->setBuddy(m_steps);
    connect(m_steps, &QSpinBox::valueChanged, m_stepsSlider, &QSlider::setValue);
    connect(m_stepsSlider, &QSlider::valueChanged, m_steps, &QSpinBox::setValue);

    m_cfg = new QDoubleSpinBox(box);
    m_cfg->setObjectName("cfgSpin");
    m_cfg->setRange(1.0, 30.0);
    m_cfg->setSingleStep(0.5);
    m_cfg->setDecimals(1);
    m_cfgSlider = new QSlider(Qt::Horizontal, box);
    m_cfgSlider->setObjectName("cfgSlider");
    m_cfgSlider->setRange(2, 60); // half steps
    m_cfgSlider->setAccessibleName(tr("CFG scale"));
    auto* cfgRow = new QHBoxLayout;
    cfgRow->addWidget(m_cfgSlider, 1);
    cfgRow->addWidget(m_cfg);
    form->addRow(tr("&CFG scale"), cfgRow);
    static_cast<QLabel*>(form->labelForField(cfgRow))->setBuddy(m_cfg);
    connect(m_cfg, &QDoubleSpinBox::valueChanged, this, [this](double v) {
        QSignalBlocker block(m_cfgSlider);
        m_cfgSlider->setValue(int(std::lround(v * 2)));
    });
    connect(m_cfgSlider, &QSlider::valueChanged, this, [this](int v) { m_cfg->setValue(v / 2.0); });

    connect(m_sampler, &QComboBox::currentIndexChanged, this, &ParameterPanel::paramsChanged);
    connect(m_schedule, &QComboBox::currentIndexChanged, this, &ParameterPanel::paramsChanged);
    connect(m_steps, &QSpinBox::valueChanged, this, &ParameterPanel::paramsChanged);
    connect(m_cfg, &QDoubleSpinBox::valueChanged, this, &ParameterPanel::paramsChanged);
    return box;
}

QWidget* ParameterPanel::buildSeedGroup()
{
    auto* box = new QGroupBox(tr("Seed"), this);
    auto* column = new QVBoxLayout(box);
    column->setContentsMargins(8, 6, 8, 6);
    auto* row = new QHBoxLayout;
    column->addLayout(row);
    m_seed = new QLineEdit(box);
    m_seed->setObjectName("seedEdit");
    m_seed->setAccessibleName(tr("Seed"));
    m_seed->setToolTip(tr("-1 picks a new random seed for every image"));
    m_seed->setValidator(
        new QRegularExpressionValidator(QRegularExpression(QStringLiteral("-1|[0-9]{1,18}")), m_seed));
    m_seed->setClearButtonEnabled(false);
    m_randomSeed = toolButton(QString(), tr("Random seed (-1)"), "randomSeedButton", box);
    m_reuseSeed = toolButton(QString(), tr("Reuse the last image's seed"), "reuseSeedButton", box);
    m_reuseSeed->setEnabled(false);
    m_randomSeed->setIcon(icons::dice());
    m_reuseSeed->setIcon(icons::reuse());
    m_lockSeed = new QCheckBox(tr("&Lock"), box);
    m_lockSeed->setObjectName("lockSeedCheck");
    m_lockSeed->setToolTip(
        tr("Keep this seed when parameters are restored from the gallery or a dropped image"));
    row->addWidget(m_seed, 1);
    row->addWidget(m_randomSeed);
    row->addWidget(m_reuseSeed);
    row->addWidget(m_lockSeed);
    // A1111's "Extra": a variation seed blended into the seed's noise, and the seed's noise as it
    // was drawn at another size (docs/reference.md §8.2)
    m_seedExtra = new QCheckBox(tr("E&xtra"), box);
    m_seedExtra->setObjectName("seedExtraCheck");
    m_seedExtra->setToolTip(tr("Variation seed and resize-seed-from, as in AUTOMATIC1111"));
    row->addWidget(m_seedExtra);
    m_variation = new QWidget(box);
    m_variation->setObjectName("variationPanel");
    auto* form = makeForm(m_variation);
    form->setContentsMargins(0, 0, 0, 0);
    m_subseed = new QLineEdit(m_variation);
    m_subseed->setObjectName("subseedEdit");
    m_subseed->setAccessibleName(tr("Variation seed"));
    m_subseed->setValidator(
        new QRegularExpressionValidator(QRegularExpression(QStringLiteral("-1|[0-9]{1,15}")), m_subseed));
    m_subseed->setText(QStringLiteral("-1"));
    m_subseedStrength = new QDoubleSpinBox(m_variation);
    m_subseedStrength->setObjectName("subseedStrengthSpin");
    m_subseedStrength->setRange(0.0, 1.0);
    m_subseedStrength->setSingleStep(0.01);
    m_subseedStrength->setDecimals(2);
    m_subseedStrength->setToolTip(tr("0 keeps the seed's image; 1 is the variation seed's"));
    auto sizeSpin = [&](const char* name) {
        auto* spin = new QSpinBox(m_variation);
        spin->setObjectName(name);
        spin->setRange(0, 8192);
        spin->setSingleStep(8);
        spin->setSpecialValueText(tr("Off"));
        return spin;
    };
    m_resizeFromW = sizeSpin("seedResizeWidthSpin");
    m_resizeFromH = sizeSpin("seedResizeHeightSpin");
    auto* resize = new QHBoxLayout;
    resize->addWidget(m_resizeFromW);
    resize->addWidget(new QLabel(QStringLiteral("×"), m_variation));
    resize->addWidget(m_resizeFromH);
    form->addRow(tr("Variation seed"), m_subseed);
    form->addRow(tr("Variation strength"), m_subseedStrength);
    form->addRow(tr("Resize seed from"), resize);
    m_variation->setVisible(false);
    column->addWidget(m_variation);
    connect(m_seedExtra, &QCheckBox::toggled, m_variation, &QWidget::setVisible);
    connect(m_seedExtra, &QCheckBox::toggled, this, &ParameterPanel::paramsChanged);
    connect(m_subseed, &QLineEdit::textChanged, this, &ParameterPanel::paramsChanged);
    connect(m_subseedStrength, &QDoubleSpinBox::valueChanged, this, &ParameterPanel::paramsChanged);
    connect(m_randomSeed, &QToolButton::clicked, this, &ParameterPanel::randomizeSeed);
    connect(m_reuseSeed, &QToolButton::clicked, this, &ParameterPanel::reuseLastSeed);
    connect(m_lockSeed, &QCheckBox::toggled, this, &ParameterPanel::setSeedLocked);
    connect(m_seed, &QLineEdit::textChanged, this, &ParameterPanel::paramsChanged);
    connect(m_seed, &QLineEdit::editingFinished, this, [this] {
        if (m_seed->text().isEmpty())
            m_seed->setText(QStringLiteral("-1"));
    });
    return box;
}

QWidget* ParameterPanel::buildSizeGroup()
{
    auto* box = new QGroupBox(tr("Size"), this);
    auto* form = makeForm(box);
    m_width = new SizeSpinBox(box);
    m_width->setObjectName("widthSpin");
    m_height = new SizeSpinBox(box);
    m_height->setObjectName("heightSpin");
    m_swap = toolButton(QString(), tr("Swap width and height"), "swapSizeButton", box);
    m_aspect = toolButton(
        tr("Aspect"), tr("Aspect ratio presets at the model's native size"), "aspectButton", box);
    m_swap->setIcon(icons::swap());
    m_aspect->setPopupMode(QToolButton::InstantPopup);
    auto* menu = new QMenu(m_aspect);
    const QList<QPair<int, int>> ratios
        = { { 1, 1 }, { 4, 3 }, { 3, 4 }, { 3, 2 }, { 2, 3 }, { 16, 9 }, { 9, 16 }, { 21, 9 } };
    for (const auto& [w, h] : ratios)
        menu->addAction(
            QStringLiteral("%1:%2").arg(w).arg(h), this, [this, w = w, h = h] { applyAspect(w, h); });
    m_aspect->setMenu(menu);

    auto* wLabel = new QLabel(tr("&Width"), box);
    wLabel->setBuddy(m_width);
    auto* hLabel = new QLabel(tr("He&ight"), box);
    hLabel->setBuddy(m_height);
    form->addRow(wLabel, m_width);
    form->addRow(hLabel, m_height);
    auto* buttons = new QHBoxLayout;
    buttons->addStretch(1);
    buttons->addWidget(m_swap);
    buttons->addWidget(m_aspect);
    form->addRow(buttons);

    connect(m_swap, &QToolButton::clicked, this, &ParameterPanel::swapSize);
    connect(m_width, &QSpinBox::valueChanged, this, &ParameterPanel::paramsChanged);
    connect(m_height, &QSpinBox::valueChanged, this, &ParameterPanel::paramsChanged);
    return box;
}

QWidget* ParameterPanel::buildBatchGroup()
{
    auto* box = new QGroupBox(tr("Batch"), this);
    auto* form = makeForm(box);
    m_batchCount = new QSpinBox(box);
    m_batchCount->setObjectName("batchCountSpin");
    m_batchCount->setRange(1, 100);
    m_batchCount->setToolTip(tr("How many times to run the model, one after the other"));
    m_batchSize = new QSpinBox(box);
    m_batchSize->setObjectName("batchSizeSpin");
    m_batchSize->setRange(1, 8);
    m_batchSize->setToolTip(tr("Images made together in one run (needs more memory)"));
    m_clipSkip = new QSpinBox(box);
    m_clipSkip->setObjectName("clipSkipSpin");
    m_clipSkip->setRange(1, 12);
    m_clipSkip->setToolTip(tr("1 uses the text encoder's last layer, 2 the one before it, ..."));
    form->addRow(tr("Batch c&ount"), m_batchCount);
    form->addRow(tr("Batch si&ze"), m_batchSize);
    form->addRow(tr("Clip s&kip"), m_clipSkip);
    connect(m_batchCount, &QSpinBox::valueChanged, this, &ParameterPanel::paramsChanged);
    connect(m_batchSize, &QSpinBox::valueChanged, this, &ParameterPanel::paramsChanged);
    connect(m_clipSkip, &QSpinBox::valueChanged, this, &ParameterPanel::paramsChanged);
    return box;
}

QWidget* ParameterPanel::buildImg2ImgGroup()
{
    m_img2img = new QGroupBox(tr("Image to image"), this);
    m_img2img->setObjectName("img2imgGroup");
    m_img2img->setCheckable(true);
    m_img2img->setChecked(false);
    auto* layout = new QVBoxLayout(m_img2img);
    layout->setContentsMargins(8, 6, 8, 6);
    m_initImage = new InitImageView(m_img2img);
    layout->addWidget(m_initImage, 1);
    auto* buttons = new QHBoxLayout;
    auto* browse = new QPushButton(tr("&Browse…"), m_img2img);
    browse->setObjectName("initImageBrowse");
    auto* clear = new QPushButton(tr("Clear"), m_img2img);
    clear->setObjectName("initImageClear");
    buttons->addWidget(browse);
    buttons->addWidget(clear);
    buttons->addStretch(1);
    layout->addLayout(buttons);

    auto* form = new QFormLayout;
    m_strength = new QDoubleSpinBox(m_img2img);
    m_strength->setObjectName("strengthSpin");
    m_strength->setRange(0.0, 1.0);
    m_strength->setSingleStep(0.05);
    m_strength->setDecimals(2);
    m_strength->setToolTip(tr("How much of the init image is repainted: 0 keeps it, 1 replaces it"));
    m_strengthSlider = new QSlider(Qt::Horizontal, m_img2img);
    m_strengthSlider->setObjectName("strengthSlider");
    m_strengthSlider->setRange(0, 100);
    m_strengthSlider->setAccessibleName(tr("Denoising strength"));
    auto* row = new QHBoxLayout;
    row->addWidget(m_strengthSlider, 1);
    row->addWidget(m_strength);
    form->addRow(tr("&Denoising strength"), row);
    static_cast<QLabel*>(form->labelForField(row))->setBuddy(m_strength);
    layout->addLayout(form);
    m_inpaint = new InpaintPanel(m_img2img);
    layout->addWidget(m_inpaint);
    connect(m_inpaint, &InpaintPanel::changed, this, &ParameterPanel::paramsChanged);

    connect(m_strength, &QDoubleSpinBox::valueChanged, this, [this](double v) {
        QSignalBlocker block(m_strengthSlider);
        m_strengthSlider->setValue(int(std::lround(v * 100)));
        emit paramsChanged();
    });
    connect(
        m_strengthSlider, &QSlider::valueChanged, this, [this](int v) { m_strength->setValue(v / 100.0); });
    auto browseFile = [this] {
        const QString dir = m_initImage->path().isEmpty()
            ? QStandardPaths::writableLocation(QStandardPaths::PicturesLocation)
            : QFileInfo(m_initImage->path()).absolutePath();
        const QString file = QFileDialog::getOpenFileName(
            this, tr("Choose an init image"), dir, tr("Images (*.png *.jpg *.jpeg *.webp *.bmp)"));
        if (!file.isEmpty())
            setInitImage(file);
    };
    connect(browse, &QPushButton::clicked, this, browseFile);
    connect(m_initImage, &InitImageView::browseRequested, this, browseFile);
    connect(clear, &QPushButton::clicked, this, [this] { setInitImage(QString()); });
    connect(m_initImage, &InitImageView::pathChanged, this, [this](const QString& path) {
        m_inpaint->setInitImage(path);
        if (!path.isEmpty())
            m_img2img->setChecked(true);
        emit paramsChanged();
    });
    connect(m_img2img, &QGroupBox::toggled, this, &ParameterPanel::paramsChanged);
    return m_img2img;
}

int ParameterPanel::roundToMultipleOf8(int value)
{
    return qMax(8, int(std::lround(value / 8.0)) * 8);
}

QStringList ParameterPanel::defaultSamplers()
{
    return samplerLabels();
}

QStringList ParameterPanel::defaultSchedules()
{
    return scheduleLabels();
}

void ParameterPanel::setSamplers(const QStringList& labels)
{
    const QString current = m_sampler->currentText();
    QSignalBlocker block(m_sampler);
    m_sampler->clear();
    m_sampler->addItems(labels);
    if (!current.isEmpty())
        selectOrAdd(m_sampler, current);
    m_hires->setSamplers(labels);
}

void ParameterPanel::setSchedules(const QStringList& labels)
{
    const QString current = m_schedule->currentText();
    QSignalBlocker block(m_schedule);
    m_schedule->clear();
    m_schedule->addItems(labels);
    if (!current.isEmpty())
        selectOrAdd(m_schedule, current);
    m_hires->setSchedules(labels);
}

void ParameterPanel::selectOrAdd(QComboBox* combo, const QString& text)
{
    int i = combo->findText(text);
    if (i < 0) {
        combo->addItem(text);
        i = combo->count() - 1;
    }
    combo->setCurrentIndex(i);
}

void ParameterPanel::setModels(const QList<ModelEntry>& models)
{
    m_models = models;
    if (m_models.isEmpty()) {
        ModelEntry demo; // no path: the demo model (a small SD 1.x, core/engine/Pipeline.h demoModel())
        demo.name = tr("Demo model (built in)");
        demo.modelName = QStringLiteral("demo");
        demo.family = ModelFamily::SD1;
        m_models.append(demo);
    }
    auto tooltip = [this](const ModelEntry& m) {
        if (!m.path.isEmpty())
            return QDir::toNativeSeparators(m.path);
        return demoModel() == DemoModel::FillRule
            ? tr("A tiny model whose weights follow a fixed rule: it draws abstract images. "
                 "Put checkpoints in the models folder to use real ones.")
            : tr("QDiffusion's own small model, trained to draw coloured shapes (circle, square, "
                 "triangle, star, ring, cross) on a plain background at 128 × 128, e.g. \"a red star on a "
                 "blue background\". Put checkpoints in the models folder to use real ones.");
    };
    // The same checkpoints (their hashes arrived): new titles in place, so the selection and an
    // open popup stay as they are.
    bool same = m_model->count() == m_models.size();
    for (int i = 0; same && i < m_models.size(); ++i)
        same = m_model->itemData(i).toString() == m_models[i].path;
    if (same) {
        for (int i = 0; i < m_models.size(); ++i) {
            m_model->setItemText(i, m_models[i].title());
            m_model->setItemData(i, tooltip(m_models[i]), Qt::ToolTipRole);
        }
        emit modelChanged();
        return;
    }
    const QString current = m_model->currentIndex() >= 0 ? m_model->currentData().toString() : QString();
    QSignalBlocker block(m_model);
    m_model->clear();
    for (const ModelEntry& m : m_models) {
        m_model->addItem(m.title(), m.path);
        m_model->setItemData(m_model->count() - 1, tooltip(m), Qt::ToolTipRole);
    }
    const int i = m_model->findData(current);
    m_model->setCurrentIndex(i >= 0 ? i : 0);
    emit modelChanged();
}

ModelEntry ParameterPanel::currentModel() const
{
    const int i = m_model->currentIndex();
    return i >= 0 && i < m_models.size() ? m_models[i] : ModelEntry();
}

int ParameterPanel::currentNativeSize() const
{
    const ModelEntry m = currentModel();
    return nativeSize(m.family, m.path.isEmpty());
}

bool ParameterPanel::selectModel(const QString& nameOrHash)
{
    if (nameOrHash.isEmpty())
        return false;
    for (int i = 0; i < m_models.size(); ++i) {
        const ModelEntry& m = m_models[i];
        if ((!m.hash().isEmpty() && m.hash().startsWith(nameOrHash, Qt::CaseInsensitive))
            || m.modelName == nameOrHash || m.title() == nameOrHash
            || (!m.path.isEmpty() && m.path == nameOrHash)) {
            m_model->setCurrentIndex(i);
            return true;
        }
    }
    return false;
}

void ParameterPanel::setVaes(const QStringList& names)
{
    const QString current = m_vae->count() > 0 ? vaeChoice() : QStringLiteral("Automatic");
    QSignalBlocker block(m_vae);
    m_vae->clear();
    m_vae->addItem(tr("Automatic"), QStringLiteral("Automatic"));
    m_vae->addItem(tr("None"), QStringLiteral("None"));
    for (const QString& name : names)
        m_vae->addItem(name, name);
    const int i = m_vae->findData(current);
    m_vae->setCurrentIndex(i >= 0 ? i : 0); // a VAE that went away: back to Automatic
}

QString ParameterPanel::vaeChoice() const
{
    return m_vae->currentData().toString();
}

bool ParameterPanel::setVaeChoice(const QString& choice)
{
    const int i = m_vae->findData(choice);
    if (i < 0)
        return false;
    m_vae->setCurrentIndex(i);
    return true;
}

GenerationParams ParameterPanel::params() const
{
    GenerationParams p = m_base;
    p.prompt.clear();
    p.negativePrompt.clear();
    p.sampler = ss(m_sampler->currentText());
    p.scheduler = ss(m_schedule->currentText());
    p.steps = m_steps->value();
    p.cfgScale = m_cfg->value();
    bool ok = false;
    const qint64 seed = m_seed->text().toLongLong(&ok);
    p.seed = ok ? seed : -1;
    // A1111: with "Extra" off the variation and resize settings do not apply
    const bool extra = m_seedExtra->isChecked();
    const qint64 subseed = m_subseed->text().toLongLong(&ok);
    p.subseed = ok ? subseed : -1;
    p.subseedStrength = extra ? m_subseedStrength->value() : 0.0;
    const bool resize = extra && m_resizeFromW->value() > 0 && m_resizeFromH->value() > 0;
    p.seedResizeFromW = resize ? m_resizeFromW->value() : -1;
    p.seedResizeFromH = resize ? m_resizeFromH->value() : -1;
    p.width = roundToMultipleOf8(m_width->value());
    p.height = roundToMultipleOf8(m_height->value());
    p.batchCount = m_batchCount->value();
    p.batchSize = m_batchSize->value();
    p.clipSkip = m_clipSkip->value();
    p.initImage = m_img2img->isChecked() ? ss(m_initImage->path()) : std::string();
    p.denoisingStrength = m_strength->value();
    m_inpaint->applyTo(p);
    m_hires->applyTo(p);
    const ModelEntry model = currentModel();
    p.modelName = ss(model.modelName);
    p.modelHash = ss(model.hash());
    // A VAE picked by name; which file "Automatic" means, and every hash, the library knows
    // (JobBuilder fills them in).
    const QString vae = vaeChoice();
    p.vaeName = vae == QLatin1String("Automatic") || vae == QLatin1String("None") ? std::string() : ss(vae);
    p.vaeHash.clear();
    return p;
}

void ParameterPanel::setParams(const GenerationParams& p)
{
    m_base = p;
    selectOrAdd(m_sampler, qs(p.sampler));
    selectOrAdd(m_schedule, p.scheduler.empty() ? QStringLiteral("Automatic") : qs(p.scheduler));
    m_steps->setValue(p.steps);
    m_cfg->setValue(p.cfgScale);
    if (!isSeedLocked())
        m_seed->setText(QString::number(p.seed < 0 ? -1 : p.seed));
    m_subseed->setText(QString::number(p.subseed < 0 ? -1 : p.subseed));
    m_subseedStrength->setValue(p.subseedStrength);
    const bool resize = p.seedResizeFromW > 0 && p.seedResizeFromH > 0;
    m_resizeFromW->setValue(resize ? p.seedResizeFromW : 0);
    m_resizeFromH->setValue(resize ? p.seedResizeFromH : 0);
    m_seedExtra->setChecked(p.subseedStrength != 0 || resize);
    m_width->setValue(roundToMultipleOf8(p.width));
    m_height->setValue(roundToMultipleOf8(p.height));
    m_batchCount->setValue(p.batchCount);
    m_batchSize->setValue(p.batchSize);
    m_clipSkip->setValue(p.clipSkip);
    m_strength->setValue(p.denoisingStrength);
    m_initImage->setPath(qs(p.initImage));
    m_img2img->setChecked(!p.initImage.empty());
    m_inpaint->setFrom(p);
    m_hires->setFrom(p);
    if (!p.modelHash.empty() && !selectModel(qs(p.modelHash)))
        selectModel(qs(p.modelName));
    else if (p.modelHash.empty())
        selectModel(qs(p.modelName));
    if (!p.vaeName.empty())
        setVaeChoice(qs(p.vaeName)); // the image's VAE when this library has it
    emit paramsChanged();
}

void ParameterPanel::setLastSeed(qint64 seed)
{
    m_lastSeed = seed;
    m_reuseSeed->setEnabled(seed >= 0 && !isSeedLocked());
    m_reuseSeed->setToolTip(
        seed >= 0 ? tr("Reuse the last image's seed (%1)").arg(seed) : tr("Reuse the last image's seed"));
}

bool ParameterPanel::isSeedLocked() const
{
    return m_lockSeed->isChecked();
}

void ParameterPanel::randomizeSeed()
{
    if (!isSeedLocked())
        m_seed->setText(QStringLiteral("-1"));
}

void ParameterPanel::setSeed(qint64 seed)
{
    if (!isSeedLocked())
        m_seed->setText(QString::number(seed < 0 ? -1 : seed));
}

void ParameterPanel::reuseLastSeed()
{
    if (!isSeedLocked() && m_lastSeed >= 0)
        m_seed->setText(QString::number(m_lastSeed));
}

void ParameterPanel::setSeedLocked(bool locked)
{
    if (m_lockSeed->isChecked() != locked)
        m_lockSeed->setChecked(locked); // re-enters through toggled
    if (m_seed->isReadOnly() == locked)
        return;
    m_seed->setReadOnly(locked);
    m_randomSeed->setEnabled(!locked);
    m_reuseSeed->setEnabled(!locked && m_lastSeed >= 0);
    emit seedLockChanged(locked);
}

void ParameterPanel::swapSize()
{
    const int w = m_width->value();
    m_width->setValue(m_height->value());
    m_height->setValue(w);
}

void ParameterPanel::adoptModelSize()
{
    // A size still at the previous model's native square follows the new model's (SD 1.5 512,
    // SDXL 1024, the demo model 128); a size the user chose stays.
    const int native = currentNativeSize();
    if (m_width->value() == m_sizeDefault && m_height->value() == m_sizeDefault) {
        m_width->setValue(native);
        m_height->setValue(native);
    }
    m_sizeDefault = native;
}

void ParameterPanel::applyAspect(int w, int h)
{
    // Same pixel count as the model's native square, so the model stays in its comfort zone.
    const double area = double(currentNativeSize()) * currentNativeSize();
    const double ratio = double(w) / h;
    m_width->setValue(roundToMultipleOf8(int(std::lround(std::sqrt(area * ratio)))));
    m_height->setValue(roundToMultipleOf8(int(std::lround(std::sqrt(area / ratio)))));
}

QImage ParameterPanel::maskImage() const
{
    return m_img2img->isChecked() && !m_initImage->path().isEmpty() ? m_inpaint->maskImage() : QImage();
}

void ParameterPanel::setInitImage(const QString& path)
{
    m_initImage->setPath(path);
    if (path.isEmpty())
        m_img2img->setChecked(false);
}

} // namespace qd
