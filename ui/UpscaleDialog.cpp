#include "ui/UpscaleDialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QImageReader>
#include <QLabel>
#include <QPushButton>
#include <QRadioButton>
#include <QSpinBox>
#include <QVBoxLayout>
#include <QtConcurrent>

#include "core/AppPaths.h"
#include "core/generation/ImageSaver.h"
#include "core/generation/Upscalers.h"
#include "ui/LivePreview.h"

namespace qd
{

UpscaleDialog::UpscaleDialog(const Settings& settings, std::vector<std::string> dirs, std::string device,
    HistoryStore* history, QWidget* parent)
    : QDialog(parent)
    , m_settings(settings)
    , m_dirs(std::move(dirs))
    , m_device(std::move(device))
    , m_history(history)
{
    setObjectName("upscaleDialog");
    setWindowTitle(tr("Upscale"));
    m_sourceLabel = new QLabel(tr("No image"), this);
    m_sourceLabel->setObjectName("upscaleSourceLabel");
    m_sourceLabel->setWordWrap(true);

    m_upscaler = new QComboBox(this);
    m_upscaler->setObjectName("upscalerCombo");
    m_upscaler2 = new QComboBox(this);
    m_upscaler2->setObjectName("upscaler2Combo");
    for (const UpscalerEntry& e : listUpscalers(m_dirs)) {
        const QString label = e.scale > 0 ? tr("%1 (model, x%2)").arg(e.name).arg(e.scale) : e.name;
        m_upscaler->addItem(label, e.name);
        m_upscaler2->addItem(label, e.name);
    }
    m_upscaler->setCurrentIndex(m_upscaler->findData(QStringLiteral("Lanczos")));
    m_upscaler2->setCurrentIndex(m_upscaler2->findData(QStringLiteral("None")));

    m_scaleBy = new QRadioButton(tr("Scale &by"), this);
    m_scaleBy->setObjectName("scaleByRadio");
    m_scaleBy->setChecked(true);
    m_scale = new QDoubleSpinBox(this);
    m_scale->setObjectName("scaleSpin");
    m_scale->setRange(0.05, 8.0);
    m_scale->setSingleStep(0.05);
    m_scale->setValue(2.0);
    m_scale->setSuffix(QStringLiteral(" ×"));
    m_scaleTo = new QRadioButton(tr("Scale &to"), this);
    m_scaleTo->setObjectName("scaleToRadio");
    m_width = new QSpinBox(this);
    m_width->setObjectName("widthSpin");
    m_height = new QSpinBox(this);
    m_height->setObjectName("heightSpin");
    for (QSpinBox* s : { m_width, m_height }) {
        s->setRange(1, kMaxExtrasSide);
        s->setSingleStep(8);
        s->setValue(1024);
    }
    m_crop = new QCheckBox(tr("&Crop to fit"), this);
    m_crop->setObjectName("cropCheck");
    m_crop->setChecked(true);
    m_crop->setToolTip(tr("Cover the size and cut the middle; otherwise keep the aspect ratio"));
    m_visibility = new QDoubleSpinBox(this);
    m_visibility->setObjectName("visibilitySpin");
    m_visibility->setRange(0.0, 1.0);
    m_visibility->setSingleStep(0.05);
    m_visibility->setToolTip(tr("How much of the second upscaler's result is blended in"));

    auto* byRow = new QHBoxLayout;
    byRow->addWidget(m_scaleBy);
    byRow->addWidget(m_scale, 1);
    auto* toRow = new QHBoxLayout;
    toRow->addWidget(m_scaleTo);
    toRow->addWidget(m_width, 1);
    toRow->addWidget(new QLabel(QStringLiteral("×"), this));
    toRow->addWidget(m_height, 1);
    toRow->addWidget(m_crop);
    auto* secondRow = new QHBoxLayout;
    secondRow->addWidget(m_upscaler2, 1);
    secondRow->addWidget(new QLabel(tr("Visibility:"), this));
    secondRow->addWidget(m_visibility);

    auto* form = new QFormLayout;
    form->addRow(tr("Image:"), m_sourceLabel);
    form->addRow(tr("&Upscaler:"), m_upscaler);
    form->addRow(tr("Size:"), byRow);
    form->addRow(QString(), toRow);
    form->addRow(tr("&Second upscaler:"), secondRow);
    m_resultSize = new QLabel(this);
    m_resultSize->setObjectName("resultSizeLabel");
    form->addRow(tr("Result:"), m_resultSize);

    m_view = new PreviewCanvas(this);
    m_view->setObjectName("upscaleResultView");
    m_view->setPlaceholder(tr("The upscaled image appears here"));
    m_status = new QLabel(this);
    m_status->setObjectName("upscaleStatus");
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    m_run = buttons->addButton(tr("&Run"), QDialogButtonBox::ActionRole);
    m_run->setObjectName("runUpscaleButton");
    m_run->setDefault(true);
    connect(m_run, &QPushButton::clicked, this, &UpscaleDialog::run);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_view, 1);
    layout->addWidget(m_status);
    layout->addWidget(buttons);

    auto update = [this] { updateResultSize(); };
    connect(m_upscaler, &QComboBox::currentIndexChanged, this, update);
    connect(m_scaleBy, &QRadioButton::toggled, this, update);
    connect(m_scale, &QDoubleSpinBox::valueChanged, this, update);
    connect(m_width, &QSpinBox::valueChanged, this, update);
    connect(m_height, &QSpinBox::valueChanged, this, update);
    connect(m_crop, &QCheckBox::toggled, this, update);
    // a second upscaler chosen at visibility 0 would do nothing: start it at half
    connect(m_upscaler2, &QComboBox::currentIndexChanged, this, [this] {
        if (m_upscaler2->currentData().toString() != QLatin1String("None") && m_visibility->value() == 0.0)
            m_visibility->setValue(0.5);
    });
    connect(&m_watcher, &QFutureWatcher<Outcome>::finished, this, &UpscaleDialog::onFinished);
    updateResultSize();
    resize(560, 640);
}

bool UpscaleDialog::setSourceFile(const QString& path, QString* error)
{
    QImageReader reader(path);
    const QImage image = reader.read();
    if (image.isNull()) {
        const QString why
            = tr("Cannot read %1: %2").arg(QDir::toNativeSeparators(path), reader.errorString());
        m_status->setText(why);
        if (error)
            *error = why;
        return false;
    }
    ImageMetadata meta;
    ImageMetadata::read(path, &meta); // a format without metadata: nothing to keep
    setSourceImage(image, meta);
    m_sourceLabel->setText(tr("%1 (%2 × %3)")
                               .arg(QDir::toNativeSeparators(QFileInfo(path).fileName()))
                               .arg(image.width())
                               .arg(image.height()));
    return true;
}

void UpscaleDialog::setSourceImage(const QImage& image, const ImageMetadata& metadata)
{
    m_source = image;
    m_sourceMeta = metadata;
    m_sourceLabel->setText(tr("The preview image (%1 × %2)").arg(image.width()).arg(image.height()));
    if (!image.isNull()) { // "scale to" starts at twice the size
        m_width->setValue(std::min(kMaxExtrasSide, image.width() * 2));
        m_height->setValue(std::min(kMaxExtrasSide, image.height() * 2));
    }
    m_status->clear();
    updateResultSize();
}

ExtrasOptions UpscaleDialog::options() const
{
    ExtrasOptions o;
    o.upscaler = m_upscaler->currentData().toString();
    o.scaleTo = m_scaleTo->isChecked();
    o.scale = m_scale->value();
    o.width = m_width->value();
    o.height = m_height->value();
    o.crop = m_crop->isChecked();
    o.upscaler2 = m_upscaler2->currentData().toString();
    o.upscaler2Visibility = m_visibility->value();
    return o;
}

void UpscaleDialog::updateResultSize()
{
    if (m_source.isNull()) {
        m_resultSize->setText(QStringLiteral("–"));
        return;
    }
    const QSize s = extrasResultSize(m_source.size(), options());
    m_resultSize->setText(tr("%1 × %2 pixels").arg(s.width()).arg(s.height()));
}

bool UpscaleDialog::run()
{
    if (isRunning())
        return false;
    QString why;
    const ExtrasOptions o = options();
    if (m_source.isNull())
        why = tr("There is no image to upscale.");
    else if (o.upscaler == QLatin1String("None"))
        why = tr("Choose an upscaler: None leaves the image as it is.");
    else if (!checkExtrasOptions(o, &why))
        why = tr("Cannot upscale: %1").arg(why);
    if (!why.isEmpty()) {
        m_status->setText(why);
        emit failed(why);
        return false;
    }
    ImageSaver::Options saveOptions;
    const ImageFileFormat format = imageFormatFromName(m_settings.outputFormat);
    saveOptions.format = format == ImageFileFormat::Unknown ? ImageFileFormat::Png : format;
    saveOptions.quality = m_settings.imageQuality;
    saveOptions.outputDir = m_settings.effectiveOutputFolder();
    saveOptions.dataDir = AppPaths::dataDir();
    saveOptions.history = m_history;
    saveOptions.addToHistory = m_history != nullptr;
    const QImage source = m_source;
    const ImageMetadata meta = m_sourceMeta;
    const std::vector<std::string> dirs = m_dirs;
    const std::string device = m_device;
    m_run->setEnabled(false);
    m_status->setText(tr("Upscaling…"));
    m_watcher.setFuture(QtConcurrent::run([=]() -> Outcome {
        Outcome out;
        try {
            const ExtrasResult r = upscaleImage(source, meta, o, dirs, device, &out.error);
            if (r.image.isNull())
                return out;
            out.image = r.image;
            // as A1111 names Extras files: the number alone
            out.file = ImageSaver(saveOptions)
                           .saveWithMetadata(r.image, meta.params().params, r.fileMetadata(), QString(),
                               QString(), &out.error);
        } catch (const std::exception& e) { // e.g. out of memory in a model
            out.error = QString::fromUtf8(e.what());
        }
        return out;
    }));
    return true;
}

void UpscaleDialog::onFinished()
{
    const Outcome out = m_watcher.result();
    m_run->setEnabled(true);
    if (!out.image.isNull()) {
        m_result = out.image;
        m_view->setImage(out.image, tr("%1 × %2").arg(out.image.width()).arg(out.image.height()));
    }
    if (out.file.isEmpty()) {
        const QString why = tr("Upscaling failed: %1").arg(out.error);
        m_status->setText(why);
        emit failed(why);
        return;
    }
    m_resultFile = out.file;
    m_status->setText(tr("Saved as %1").arg(QDir::toNativeSeparators(out.file)));
    emit upscaled(out.file);
}

} // namespace qd
