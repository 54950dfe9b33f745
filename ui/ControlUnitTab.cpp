#include "ui/ControlUnitTab.h"

#include <QAction>
#include <QApplication>
#include <QButtonGroup>
#include <QCheckBox>
#include <QClipboard>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QFutureWatcher>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QImageReader>
#include <QLabel>
#include <QMimeData>
#include <QPainter>
#include <QRadioButton>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QStandardPaths>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>
#include <QtConcurrent>

#include "core/generation/ControlPreprocessors.h"
#include "ui/InitImageView.h"

namespace qd
{

// The preprocessed map beside the picture, scaled to fit.
class MapView : public QFrame
{
public:
    explicit MapView(QWidget* parent)
        : QFrame(parent)
    {
        setFrameShape(QFrame::StyledPanel);
        setMinimumSize(120, 90);
    }
    void setMap(const QImage& map)
    {
        m_map = map;
        m_scaled = QImage();
        update();
    }
    void setPlaceholder(const QString& text)
    {
        m_placeholder = text;
        update();
    }
    QSize sizeHint() const override { return { 160, 160 }; }

protected:
    void paintEvent(QPaintEvent* event) override
    {
        QFrame::paintEvent(event);
        QPainter p(this);
        const QRect r = contentsRect().adjusted(4, 4, -4, -4);
        if (m_map.isNull()) {
            p.setPen(palette().color(QPalette::PlaceholderText));
            p.drawText(r, Qt::AlignCenter | Qt::TextWordWrap, m_placeholder);
            return;
        }
        // averaged down once per size: one-pixel edges stay lines instead of dots
        const QSize fit = m_map.size().scaled(r.size(), Qt::KeepAspectRatio);
        const qreal dpr = devicePixelRatioF();
        if (m_scaled.isNull() || m_scaled.size() != fit * dpr) {
            m_scaled = m_map.scaled(fit * dpr, Qt::KeepAspectRatio, Qt::SmoothTransformation);
            m_scaled.setDevicePixelRatio(dpr);
        }
        p.drawImage(
            QPoint(r.x() + (r.width() - fit.width()) / 2, r.y() + (r.height() - fit.height()) / 2), m_scaled);
    }

private:
    QImage m_map;
    QImage m_scaled; // m_map at the size it is shown
    QString m_placeholder;
};

namespace
{

// The preprocessors' slider labels (ControlPreprocessors.cpp), for the translations.
[[maybe_unused]] const char* const kSliderLabels[] = {
    QT_TRANSLATE_NOOP("qd::ControlUnitTab", "Low Threshold"),
    QT_TRANSLATE_NOOP("qd::ControlUnitTab", "High Threshold"),
    QT_TRANSLATE_NOOP("qd::ControlUnitTab", "XDoG Threshold"),
    QT_TRANSLATE_NOOP("qd::ControlUnitTab", "Binarization Threshold"),
    QT_TRANSLATE_NOOP("qd::ControlUnitTab", "Smoothing Sigma"),
    QT_TRANSLATE_NOOP("qd::ControlUnitTab", "Sigma"),
    QT_TRANSLATE_NOOP("qd::ControlUnitTab", "Down Sampling Rate"),
    QT_TRANSLATE_NOOP("qd::ControlUnitTab", "Gamma Correction"),
};

int decimalsFor(double step)
{
    int d = 0;
    for (double s = step; s < 0.999 && d < 4; s *= 10)
        ++d;
    return d;
}

// The name part of a "name [hash]" title.
QString modelName(const QString& title)
{
    const int bracket = int(title.lastIndexOf(QStringLiteral(" [")));
    return title.endsWith(u']') && bracket > 0 ? title.left(bracket) : title;
}

struct PreviewResult {
    QImage map;
    QString error;
};

} // namespace

ControlUnitTab::ControlUnitTab(QWidget* parent)
    : QWidget(parent)
{
    setObjectName("controlUnitTab");
    m_previewTimer = new QTimer(this);
    m_previewTimer->setSingleShot(true);
    m_previewTimer->setInterval(200); // a slider being dragged runs the preprocessor once it rests
    connect(m_previewTimer, &QTimer::timeout, this, &ControlUnitTab::runPreview);

    m_enable = new QCheckBox(tr("&Enable"), this);
    m_enable->setObjectName("controlEnable");
    m_pixelPerfect = new QCheckBox(tr("Pi&xel Perfect"), this);
    m_pixelPerfect->setObjectName("controlPixelPerfect");
    m_pixelPerfect->setToolTip(tr("Make the map at the resolution that lands 1:1 on the generated image"));
    m_allowPreview = new QCheckBox(tr("Allow pre&view"), this);
    m_allowPreview->setObjectName("controlAllowPreview");
    m_allowPreview->setToolTip(tr("Show the preprocessed map beside the picture"));
    // two rows: the unit fits a dock as narrow as the queue's
    auto* switches = new QGridLayout;
    switches->addWidget(m_enable, 0, 0);
    switches->addWidget(m_pixelPerfect, 1, 0);
    switches->addWidget(m_allowPreview, 1, 1);
    switches->setColumnStretch(2, 1);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->addLayout(switches);
    layout->addWidget(buildImageArea());
    layout->addWidget(buildForm());
    layout->addWidget(buildModes());
    layout->addStretch(1);

    // Ctrl+V over the tab pastes a picture (text fields keep their own paste)
    auto* pasteAction = new QAction(tr("Paste Picture"), this);
    pasteAction->setShortcut(QKeySequence::Paste);
    pasteAction->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    connect(pasteAction, &QAction::triggered, this, &ControlUnitTab::paste);
    addAction(pasteAction);

    connect(m_enable, &QCheckBox::toggled, this, [this](bool on) {
        emit enabledChanged(on);
        emit changed();
    });
    connect(m_allowPreview, &QCheckBox::toggled, this, &ControlUnitTab::edited);
    connect(m_pixelPerfect, &QCheckBox::toggled, this, [this] {
        updateResolution();
        edited();
    });
    applyModule(true);
    setModels({});
}

QWidget* ControlUnitTab::buildImageArea()
{
    auto* area = new QWidget(this);
    m_view = new InitImageView(area);
    m_view->setObjectName("controlImageView");
    m_view->setAccessibleName(tr("ControlNet picture"));
    m_mapView = new MapView(area);
    m_mapView->setObjectName("controlMapView");
    m_mapView->setAccessibleName(tr("Preprocessed map"));
    m_mapView->setPlaceholder(tr("The preprocessed map"));
    m_mapView->hide();
    auto* images = new QHBoxLayout;
    images->addWidget(m_view, 1);
    images->addWidget(m_mapView, 1);

    auto* browseButton = new QToolButton(area);
    browseButton->setText(tr("&Browse…"));
    browseButton->setObjectName("controlBrowseButton");
    auto* pasteButton = new QToolButton(area);
    pasteButton->setText(tr("Pas&te"));
    pasteButton->setObjectName("controlPasteButton");
    pasteButton->setToolTip(tr("Use the picture on the clipboard (Ctrl+V)"));
    auto* clearButton = new QToolButton(area);
    clearButton->setText(tr("&Clear"));
    clearButton->setObjectName("controlClearButton");
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(browseButton);
    buttons->addWidget(pasteButton);
    buttons->addWidget(clearButton);
    buttons->addStretch(1);

    m_message = new QLabel(area);
    m_message->setObjectName("controlMessage");
    m_message->setWordWrap(true);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_message->setStyleSheet(QStringLiteral("QLabel { color: #b3261e; }"));
    m_message->hide();

    auto* layout = new QVBoxLayout(area);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(images);
    layout->addLayout(buttons);
    layout->addWidget(m_message);

    connect(m_view, &InitImageView::browseRequested, this, &ControlUnitTab::browse);
    connect(browseButton, &QToolButton::clicked, this, &ControlUnitTab::browse);
    connect(pasteButton, &QToolButton::clicked, this, &ControlUnitTab::paste);
    connect(clearButton, &QToolButton::clicked, this, [this] { setImage(QImage()); });
    connect(m_view, &InitImageView::pathChanged, this, [this](const QString& path) {
        // a dropped or browsed file; the view's Delete clears
        QImageReader reader(path);
        reader.setAutoTransform(true);
        m_image = path.isEmpty() ? QImage() : reader.read();
        m_mask = QImage();
        updateResolution();
        edited();
    });
    return area;
}

QWidget* ControlUnitTab::buildForm()
{
    auto* box = new QWidget(this);
    m_form = new QFormLayout(box);
    m_form->setContentsMargins(0, 0, 0, 0);
    m_form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    m_form->setRowWrapPolicy(QFormLayout::DontWrapRows); // wrapped, the model row lost its field

    m_module = new QComboBox(box);
    m_module->setObjectName("controlModuleCombo");
    m_module->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_module->setMinimumContentsLength(6);
    for (const ControlPreprocessor* p : controlPreprocessors())
        m_module->addItem(p->label(), p->name());
    m_form->addRow(tr("Pre&processor"), m_module);

    m_model = new QComboBox(box);
    m_model->setObjectName("controlModelCombo");
    m_model->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_model->setMinimumContentsLength(6);
    m_refresh = new QToolButton(box);
    m_refresh->setObjectName("controlRefreshModels");
    m_refresh->setText(QStringLiteral("⟳"));
    m_refresh->setToolTip(tr("Read the ControlNet folders again"));
    m_refresh->setAccessibleName(tr("Refresh the ControlNet models"));
    auto* modelRow = new QWidget(box);
    auto* modelLayout = new QHBoxLayout(modelRow);
    modelLayout->setContentsMargins(0, 0, 0, 0);
    modelLayout->addWidget(m_model, 1);
    modelLayout->addWidget(m_refresh);
    m_form->addRow(tr("&Model"), modelRow);
    static_cast<QLabel*>(m_form->labelForField(modelRow))->setBuddy(m_model);

    for (int i = 0; i < 2; ++i) {
        m_sliderLabel[i] = new QLabel(box);
        m_sliderLabel[i]->setObjectName(i == 0 ? "controlSliderALabel" : "controlSliderBLabel");
        m_slider[i] = new QDoubleSpinBox(box);
        m_slider[i]->setObjectName(i == 0 ? "controlSliderA" : "controlSliderB");
        m_sliderLabel[i]->setBuddy(m_slider[i]);
        m_form->addRow(m_sliderLabel[i], m_slider[i]);
        connect(m_slider[i], &QDoubleSpinBox::valueChanged, this, &ControlUnitTab::edited);
    }

    m_resolution = new QSpinBox(box);
    m_resolution->setObjectName("controlResolutionSpin");
    m_resolution->setRange(64, 2048);
    m_resolution->setSingleStep(8);
    m_resolution->setValue(512);
    m_resolution->setToolTip(tr("The shorter side of the map the preprocessor makes"));
    m_form->addRow(tr("Processor &resolution"), m_resolution);

    m_weight = new QDoubleSpinBox(box);
    m_weight->setObjectName("controlWeightSpin");
    m_weight->setRange(0.0, 2.0);
    m_weight->setSingleStep(0.05);
    m_weight->setValue(1.0);
    m_form->addRow(tr("&Weight"), m_weight);

    m_start = new QDoubleSpinBox(box);
    m_start->setObjectName("controlGuidanceStartSpin");
    m_start->setRange(0.0, 1.0);
    m_start->setSingleStep(0.05);
    m_start->setToolTip(tr("The fraction of the steps where the ControlNet starts to guide"));
    m_form->addRow(tr("Guidance &start"), m_start);
    m_end = new QDoubleSpinBox(box);
    m_end->setObjectName("controlGuidanceEndSpin");
    m_end->setRange(0.0, 1.0);
    m_end->setSingleStep(0.05);
    m_end->setValue(1.0);
    m_end->setToolTip(tr("The fraction of the steps where the ControlNet stops guiding"));
    m_form->addRow(tr("Guidance e&nd"), m_end);

    connect(m_module, &QComboBox::currentIndexChanged, this, [this] {
        applyModule(true);
        edited();
    });
    connect(m_model, &QComboBox::currentIndexChanged, this, &ControlUnitTab::changed);
    connect(m_refresh, &QToolButton::clicked, this, &ControlUnitTab::refreshModelsRequested);
    connect(m_resolution, &QSpinBox::valueChanged, this, [this](int v) {
        if (!m_pixelPerfect->isChecked())
            m_manualRes = v;
        edited();
    });
    connect(m_weight, &QDoubleSpinBox::valueChanged, this, &ControlUnitTab::changed);
    // start <= end: moving one past the other takes the other along
    connect(m_start, &QDoubleSpinBox::valueChanged, this, [this](double v) {
        if (m_end->value() < v)
            m_end->setValue(v);
        emit changed();
    });
    connect(m_end, &QDoubleSpinBox::valueChanged, this, [this](double v) {
        if (m_start->value() > v)
            m_start->setValue(v);
        emit changed();
    });
    return box;
}

QWidget* ControlUnitTab::buildModes()
{
    auto* box = new QWidget(this);
    auto group = [this, box](const QString& title, const char* name, QButtonGroup** buttons,
                     const QStringList& labels, int checked) {
        auto* g = new QGroupBox(title, box);
        g->setObjectName(name);
        auto* l = new QVBoxLayout(g);
        *buttons = new QButtonGroup(g);
        for (int i = 0; i < labels.size(); ++i) {
            auto* b = new QRadioButton(labels[i], g);
            b->setObjectName(QStringLiteral("%1_%2").arg(QString::fromLatin1(name)).arg(i));
            (*buttons)->addButton(b, i); // the id is the enum's value
            l->addWidget(b);
        }
        (*buttons)->button(checked)->setChecked(true);
        connect(*buttons, &QButtonGroup::idToggled, this, [this](int, bool on) {
            if (on) {
                updateResolution();
                edited();
            }
        });
        return g;
    };
    auto* layout = new QVBoxLayout(box);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(group(tr("Control mode"), "controlModeGroup", &m_controlMode,
        { tr("Balance&d"), tr("My prompt is more &important"), tr("ControlNet is more imp&ortant") },
        int(ControlMode::Balanced)));
    layout->addWidget(group(tr("Resize mode"), "controlResizeGroup", &m_resizeMode,
        { tr("&Just Resize"), tr("Crop and Resi&ze"), tr("Resize and &Fill") },
        int(ControlResizeMode::CropAndResize)));
    return box;
}

const ControlPreprocessor* ControlUnitTab::currentPreprocessor() const
{
    return findControlPreprocessor(m_module->currentData().toString());
}

void ControlUnitTab::applyModule(bool resetSliders)
{
    const ControlPreprocessor* p = currentPreprocessor();
    const QList<PreprocessorSlider> sliders = p ? p->sliders() : QList<PreprocessorSlider>();
    for (int i = 0; i < 2; ++i) {
        const bool shown = i < sliders.size();
        m_form->setRowVisible(m_slider[i], shown);
        if (!shown)
            continue;
        const PreprocessorSlider& s = sliders[i];
        const QSignalBlocker block(m_slider[i]);
        m_sliderLabel[i]->setText(tr(s.label.toUtf8().constData()));
        m_slider[i]->setDecimals(decimalsFor(s.step));
        m_slider[i]->setRange(s.minimum, s.maximum);
        m_slider[i]->setSingleStep(s.step);
        if (resetSliders)
            m_slider[i]->setValue(s.value);
    }
    m_form->setRowVisible(m_resolution, !p || p->usesResolution());
    updateAvailability();
}

void ControlUnitTab::updateAvailability()
{
    // network annotators this build cannot run: greyed, their reason as the tooltip
    auto* model = qobject_cast<QStandardItemModel*>(m_module->model());
    for (int i = 0; model && i < m_module->count(); ++i) {
        const ControlPreprocessor* p = findControlPreprocessor(m_module->itemData(i).toString());
        const QString why = p ? p->unavailableReason(m_annotatorsDir) : QString();
        QStandardItem* item = model->item(i);
        item->setEnabled(why.isEmpty());
        item->setToolTip(why);
    }
    const ControlPreprocessor* p = currentPreprocessor();
    const QString why = p ? p->unavailableReason(m_annotatorsDir) : QString();
    m_module->setToolTip(why);
    const QString text = !why.isEmpty() ? tr("%1 cannot run here: %2").arg(p->name(), why) : m_error;
    m_message->setText(text);
    m_message->setVisible(!text.isEmpty());
}

int ControlUnitTab::processorResolution() const
{
    if (m_pixelPerfect->isChecked() && !m_image.isNull() && m_genWidth > 0 && m_genHeight > 0)
        return pixelPerfectResolution(
            m_image.size(), m_genWidth, m_genHeight, ControlResizeMode(m_resizeMode->checkedId()));
    return m_manualRes;
}

void ControlUnitTab::updateResolution()
{
    const QSignalBlocker block(m_resolution);
    m_resolution->setValue(processorResolution());
    m_resolution->setEnabled(!m_pixelPerfect->isChecked());
}

void ControlUnitTab::edited()
{
    schedulePreview();
    emit changed();
}

void ControlUnitTab::schedulePreview()
{
    const bool on = m_allowPreview->isChecked();
    m_mapView->setVisible(on);
    if (on) {
        m_previewTimer->start();
        return;
    }
    ++m_previewSerial; // a result on its way is stale now
    m_previewTimer->stop();
    m_map = QImage();
    m_error.clear();
    m_mapView->setMap(m_map);
    updateAvailability();
}

void ControlUnitTab::runPreview()
{
    const quint64 serial = ++m_previewSerial;
    if (m_image.isNull()) {
        m_map = QImage();
        m_error.clear();
        m_mapView->setMap(m_map);
        updateAvailability();
        return;
    }
    PreprocessOptions options;
    options.resolution = processorResolution();
    const ControlPreprocessor* p = currentPreprocessor();
    const int sliders = p ? int(p->sliders().size()) : 0;
    if (sliders > 0)
        options.a = m_slider[0]->value();
    if (sliders > 1)
        options.b = m_slider[1]->value();
    options.mask = m_mask;
    const QString module = m_module->currentData().toString();
    const QImage image = m_image;
    const QString annotators = m_annotatorsDir;
    // OpenCV on the pool: the window stays responsive while a large picture is processed
    auto* watcher = new QFutureWatcher<PreviewResult>(this);
    connect(watcher, &QFutureWatcher<PreviewResult>::finished, this, [this, watcher, serial] {
        watcher->deleteLater();
        if (serial != m_previewSerial)
            return; // the fields changed since: a newer request is on its way
        const PreviewResult r = watcher->result();
        m_map = r.map;
        m_error = r.error;
        m_mapView->setMap(m_map);
        updateAvailability();
    });
    watcher->setFuture(QtConcurrent::run([module, image, options, annotators] {
        PreviewResult r;
        r.map = preprocessControlImage(module, image, options, annotators, &r.error);
        return r;
    }));
}

void ControlUnitTab::browse()
{
    const QString file = QFileDialog::getOpenFileName(this, tr("Choose a ControlNet picture"),
        QStandardPaths::writableLocation(QStandardPaths::PicturesLocation),
        tr("Images (*.png *.jpg *.jpeg *.webp *.bmp)"));
    if (!file.isEmpty())
        m_view->setPath(file);
}

void ControlUnitTab::paste()
{
    const QMimeData* mime = QApplication::clipboard()->mimeData();
    if (!mime)
        return;
    QImage image;
    if (mime->hasImage())
        image = qvariant_cast<QImage>(mime->imageData());
    else if (mime->hasUrls() && !mime->urls().isEmpty() && mime->urls().first().isLocalFile()) {
        QImageReader reader(mime->urls().first().toLocalFile());
        reader.setAutoTransform(true);
        image = reader.read();
    }
    if (!image.isNull())
        setImage(image);
}

void ControlUnitTab::setImage(const QImage& image)
{
    m_view->setImage(image);
    m_image = image;
    m_mask = QImage();
    updateResolution();
    edited();
}

void ControlUnitTab::setModels(const QStringList& titles)
{
    const QString current = m_model->currentData().toString();
    {
        const QSignalBlocker block(m_model);
        m_model->clear();
        m_model->addItem(tr("None"), QString());
        for (const QString& t : titles)
            m_model->addItem(t, t);
        int i = m_model->findData(current);
        if (i < 0 && !current.isEmpty()) { // gone from the folders: kept, so the job names it
            m_model->addItem(current, current);
            i = m_model->count() - 1;
        }
        m_model->setCurrentIndex(qMax(0, i));
    }
    if (m_model->currentData().toString() != current)
        emit changed();
}

void ControlUnitTab::setAnnotatorsDir(const QString& dir)
{
    m_annotatorsDir = dir;
    updateAvailability();
    if (m_allowPreview->isChecked())
        schedulePreview();
}

void ControlUnitTab::setGenerationSize(int width, int height)
{
    if (width == m_genWidth && height == m_genHeight)
        return;
    m_genWidth = width;
    m_genHeight = height;
    if (m_pixelPerfect->isChecked()) {
        updateResolution();
        edited();
    }
}

bool ControlUnitTab::isUnitEnabled() const
{
    return m_enable->isChecked();
}

QString ControlUnitTab::message() const
{
    return m_message->text();
}

ControlUnitRequest ControlUnitTab::unit() const
{
    ControlUnitRequest u;
    u.enabled = m_enable->isChecked();
    u.image = m_image;
    u.mask = m_mask;
    u.module = m_module->currentData().toString();
    u.model = m_model->currentData().toString();
    u.weight = m_weight->value();
    u.resizeMode = ControlResizeMode(m_resizeMode->checkedId());
    u.processorRes = m_resolution->value();
    const ControlPreprocessor* p = currentPreprocessor();
    const int sliders = p ? int(p->sliders().size()) : 0;
    u.thresholdA = sliders > 0 ? m_slider[0]->value() : -1;
    u.thresholdB = sliders > 1 ? m_slider[1]->value() : -1;
    u.guidanceStart = m_start->value();
    u.guidanceEnd = m_end->value();
    u.pixelPerfect = m_pixelPerfect->isChecked();
    u.controlMode = ControlMode(m_controlMode->checkedId());
    return u;
}

void ControlUnitTab::setUnit(const ControlUnitRequest& u)
{
    {
        // one changed() at the end, and one preview request
        const QSignalBlocker blocks[] = { QSignalBlocker(this), QSignalBlocker(m_module),
            QSignalBlocker(m_model), QSignalBlocker(m_start), QSignalBlocker(m_end),
            QSignalBlocker(m_resolution), QSignalBlocker(m_pixelPerfect), QSignalBlocker(m_controlMode),
            QSignalBlocker(m_resizeMode) };
        if (!u.image.isNull()) {
            m_view->setImage(u.image);
            m_image = u.image;
            m_mask = u.mask;
        } else if (!u.mask.isNull())
            m_mask = u.mask;
        const ControlPreprocessor* p = findControlPreprocessor(u.module);
        int moduleIndex = m_module->findData(p ? p->name() : u.module);
        if (moduleIndex < 0) { // a module this build does not know: kept, so the job names it
            m_module->addItem(u.module, u.module);
            moduleIndex = m_module->count() - 1;
        }
        m_module->setCurrentIndex(moduleIndex);
        applyModule(true);
        const double values[] = { u.thresholdA, u.thresholdB };
        for (int i = 0; i < 2; ++i)
            if (values[i] >= 0 && m_form->isRowVisible(m_slider[i])) {
                const QSignalBlocker block(m_slider[i]);
                m_slider[i]->setValue(values[i]);
            }

        // the model: its title as listed (an infotext may name it without the hash), else as given
        int modelIndex
            = u.model.isEmpty() ? 0 : m_model->findData(u.model, Qt::UserRole, Qt::MatchFixedString);
        for (int i = 1; modelIndex < 0 && i < m_model->count(); ++i)
            if (modelName(m_model->itemData(i).toString()).compare(modelName(u.model), Qt::CaseInsensitive)
                == 0)
                modelIndex = i;
        if (modelIndex < 0) {
            m_model->addItem(u.model, u.model);
            modelIndex = m_model->count() - 1;
        }
        m_model->setCurrentIndex(modelIndex);

        m_weight->setValue(u.weight);
        m_start->setValue(u.guidanceStart);
        m_end->setValue(qMax(u.guidanceStart, u.guidanceEnd));
        m_manualRes = u.processorRes > 0 ? u.processorRes : 512;
        m_pixelPerfect->setChecked(u.pixelPerfect);
        if (QAbstractButton* b = m_controlMode->button(int(u.controlMode)))
            b->setChecked(true);
        if (QAbstractButton* b = m_resizeMode->button(int(u.resizeMode)))
            b->setChecked(true);
        m_enable->setChecked(u.enabled);
        updateResolution();
    }
    emit enabledChanged(u.enabled);
    edited();
}

} // namespace qd
