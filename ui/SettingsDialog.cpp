#include "ui/SettingsDialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

#include "core/AppPaths.h"

namespace qd
{

namespace
{
void selectData(QComboBox* combo, const QString& value)
{
    int i = combo->findData(value);
    if (i < 0 && combo->isEditable()) {
        combo->addItem(value, value);
        i = combo->count() - 1;
    }
    combo->setCurrentIndex(qMax(0, i));
}

QString comboValue(const QComboBox* combo)
{
    // Editable combos (device) may hold a typed value such as "cuda:1".
    if (combo->isEditable() && combo->currentText() != combo->itemText(combo->currentIndex()))
        return combo->currentText().trimmed();
    return combo->currentData().toString();
}
} // namespace

QList<QPair<QString, QString>> SettingsDialog::languages()
{
    // Languages name themselves, so that anyone can find theirs.
    return { { QStringLiteral("system"), tr("System language") },
        { QStringLiteral("en"), QStringLiteral("English") },
        { QStringLiteral("zh_CN"), QStringLiteral("简体中文") } };
}

SettingsDialog::SettingsDialog(const Settings& settings, QWidget* parent)
    : QDialog(parent)
    , m_base(settings)
    , m_modelFolders(new QListWidget(this))
    , m_outputFolder(new QLineEdit(this))
    , m_outputFormat(new QComboBox(this))
    , m_quality(new QSpinBox(this))
    , m_device(new QComboBox(this))
    , m_precision(new QComboBox(this))
    , m_previewMethod(new QComboBox(this))
    , m_previewInterval(new QSpinBox(this))
    , m_language(new QComboBox(this))
    , m_theme(new QComboBox(this))
    , m_apiEnabled(new QCheckBox(tr("&Serve the AUTOMATIC1111 API"), this))
    , m_apiHost(new QLineEdit(this))
    , m_apiPort(new QSpinBox(this))
    , m_apiAuth(new QLineEdit(this))
{
    setObjectName("settingsDialog");
    setWindowTitle(tr("Settings"));

    // --- models and files ---
    auto* files = new QGroupBox(tr("Models and files"), this);
    auto* filesForm = new QFormLayout(files);
    m_modelFolders->setObjectName("settingsModelFolders");
    m_modelFolders->addItems(settings.modelFolders);
    m_modelFolders->setMinimumHeight(90);
    m_modelFolders->setToolTip(
        tr("Searched for checkpoints besides %1").arg(QDir::toNativeSeparators(AppPaths::modelsDir())));
    auto* addFolder = new QPushButton(tr("&Add…"), this);
    addFolder->setObjectName("settingsAddModelFolder");
    auto* removeFolder = new QPushButton(tr("&Remove"), this);
    removeFolder->setObjectName("settingsRemoveModelFolder");
    auto* folderButtons = new QVBoxLayout;
    folderButtons->addWidget(addFolder);
    folderButtons->addWidget(removeFolder);
    folderButtons->addStretch(1);
    auto* foldersRow = new QHBoxLayout;
    foldersRow->addWidget(m_modelFolders, 1);
    foldersRow->addLayout(folderButtons);
    filesForm->addRow(tr("&Model folders"), foldersRow);
    static_cast<QLabel*>(filesForm->labelForField(foldersRow))->setBuddy(m_modelFolders);

    m_outputFolder->setObjectName("settingsOutputFolder");
    m_outputFolder->setText(settings.outputFolder);
    m_outputFolder->setPlaceholderText(QDir::toNativeSeparators(AppPaths::outputDir()));
    auto* browseOutput = new QPushButton(tr("&Browse…"), this);
    browseOutput->setObjectName("settingsBrowseOutput");
    auto* outputRow = new QHBoxLayout;
    outputRow->addWidget(m_outputFolder, 1);
    outputRow->addWidget(browseOutput);
    filesForm->addRow(tr("&Output folder"), outputRow);
    static_cast<QLabel*>(filesForm->labelForField(outputRow))->setBuddy(m_outputFolder);

    m_outputFormat->setObjectName("settingsOutputFormat");
    m_outputFormat->addItem(QStringLiteral("PNG"), QStringLiteral("png"));
    m_outputFormat->addItem(QStringLiteral("JPEG"), QStringLiteral("jpeg"));
    m_outputFormat->addItem(QStringLiteral("WebP"), QStringLiteral("webp"));
    selectData(m_outputFormat, settings.outputFormat);
    m_quality->setObjectName("settingsQuality");
    m_quality->setRange(1, 100);
    m_quality->setSuffix(QStringLiteral(" %"));
    m_quality->setValue(settings.imageQuality);
    m_quality->setToolTip(tr("JPEG and WebP quality; WebP at 100 is lossless"));
    auto* formatRow = new QHBoxLayout;
    formatRow->addWidget(m_outputFormat, 1);
    formatRow->addWidget(new QLabel(tr("Quality"), this));
    formatRow->addWidget(m_quality);
    filesForm->addRow(tr("Image &format"), formatRow);
    static_cast<QLabel*>(filesForm->labelForField(formatRow))->setBuddy(m_outputFormat);

    // --- computation ---
    auto* compute = new QGroupBox(tr("Computation"), this);
    auto* computeForm = new QFormLayout(compute);
    m_device->setObjectName("settingsDevice");
    m_device->setEditable(true);
    m_device->addItem(tr("Automatic (a GPU when there is one)"), QStringLiteral("auto"));
    m_device->addItem(tr("CPU"), QStringLiteral("cpu"));
    m_device->addItem(tr("CUDA GPU"), QStringLiteral("cuda"));
    m_device->setToolTip(tr("auto, cpu, cuda or cuda:N"));
    selectData(m_device, settings.device);
    m_precision->setObjectName("settingsPrecision");
    m_precision->addItem(tr("Automatic (fp16 on a GPU, fp32 on the CPU)"), QStringLiteral("auto"));
    m_precision->addItem(QStringLiteral("fp32"), QStringLiteral("fp32"));
    m_precision->addItem(QStringLiteral("fp16"), QStringLiteral("fp16"));
    m_precision->addItem(QStringLiteral("bf16"), QStringLiteral("bf16"));
    selectData(m_precision, settings.precision);
    computeForm->addRow(tr("&Device"), m_device);
    computeForm->addRow(tr("&Precision"), m_precision);

    // --- live preview ---
    auto* preview = new QGroupBox(tr("Live preview"), this);
    auto* previewForm = new QFormLayout(preview);
    m_previewMethod->setObjectName("settingsPreviewMethod");
    m_previewMethod->addItem(tr("None"), QStringLiteral("none"));
    m_previewMethod->addItem(tr("Approximate colours (fast, every step)"), QStringLiteral("cheap"));
    m_previewMethod->addItem(tr("TAESD tiny decoder"), QStringLiteral("taesd"));
    m_previewMethod->addItem(tr("Full VAE (exact, slow)"), QStringLiteral("vae"));
    selectData(m_previewMethod, settings.previewMethod);
    m_previewInterval->setObjectName("settingsPreviewInterval");
    m_previewInterval->setRange(1, 1000);
    m_previewInterval->setValue(settings.previewInterval);
    m_previewInterval->setToolTip(tr("TAESD and full-VAE previews are decoded every N steps"));
    previewForm->addRow(tr("Pre&view method"), m_previewMethod);
    previewForm->addRow(tr("Every &N steps"), m_previewInterval);

    // --- appearance ---
    auto* look = new QGroupBox(tr("Appearance"), this);
    auto* lookForm = new QFormLayout(look);
    m_language->setObjectName("settingsLanguage");
    for (const auto& [value, label] : languages())
        m_language->addItem(label, value);
    selectData(m_language, settings.language);
    m_theme->setObjectName("settingsTheme");
    m_theme->addItem(tr("System"), QStringLiteral("system"));
    m_theme->addItem(tr("Light"), QStringLiteral("light"));
    m_theme->addItem(tr("Dark"), QStringLiteral("dark"));
    selectData(m_theme, settings.theme);
    lookForm->addRow(tr("&Language"), m_language);
    lookForm->addRow(tr("&Theme"), m_theme);
    lookForm->addRow(new QLabel(tr("A new language takes effect when QDiffusion starts again."), this));

    // --- HTTP API ---
    auto* api = new QGroupBox(tr("HTTP API"), this);
    auto* apiForm = new QFormLayout(api);
    m_apiEnabled->setObjectName("settingsApiEnabled");
    m_apiEnabled->setChecked(settings.apiEnabled);
    m_apiEnabled->setToolTip(
        tr("Tools made for AUTOMATIC1111 (GIMP, Krita, Blender plug-ins, Open WebUI, "
           "SillyTavern) can then generate here; their jobs join the queue and the history"));
    m_apiHost->setObjectName("settingsApiHost");
    m_apiHost->setText(settings.apiHost);
    m_apiHost->setToolTip(tr("127.0.0.1: this computer only. Another address needs credentials"));
    m_apiPort->setObjectName("settingsApiPort");
    m_apiPort->setRange(1, 65535);
    m_apiPort->setValue(settings.apiPort);
    m_apiAuth->setObjectName("settingsApiAuth");
    m_apiAuth->setText(settings.apiAuth);
    m_apiAuth->setEchoMode(QLineEdit::PasswordEchoOnEdit);
    m_apiAuth->setPlaceholderText(tr("user:password (optional)"));
    apiForm->addRow(m_apiEnabled);
    apiForm->addRow(tr("Add&ress"), m_apiHost);
    apiForm->addRow(tr("P&ort"), m_apiPort);
    apiForm->addRow(tr("Cre&dentials"), m_apiAuth);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(files);
    layout->addWidget(compute);
    layout->addWidget(preview);
    layout->addWidget(look);
    layout->addWidget(api);
    layout->addWidget(buttons);

    connect(addFolder, &QPushButton::clicked, this, [this] {
        const QString dir
            = QFileDialog::getExistingDirectory(this, tr("Add a model folder"), AppPaths::modelsDir());
        if (!dir.isEmpty() && m_modelFolders->findItems(dir, Qt::MatchExactly).isEmpty())
            m_modelFolders->addItem(dir);
    });
    connect(removeFolder, &QPushButton::clicked, this, [this] { delete m_modelFolders->currentItem(); });
    connect(browseOutput, &QPushButton::clicked, this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Output folder"),
            m_outputFolder->text().isEmpty() ? AppPaths::outputDir() : m_outputFolder->text());
        if (!dir.isEmpty())
            m_outputFolder->setText(dir);
    });
    auto refresh = [this, removeFolder] {
        m_quality->setEnabled(m_outputFormat->currentData().toString() != QLatin1String("png"));
        const QString method = m_previewMethod->currentData().toString();
        m_previewInterval->setEnabled(method == QLatin1String("taesd") || method == QLatin1String("vae"));
        removeFolder->setEnabled(m_modelFolders->currentRow() >= 0);
        for (QWidget* w : { static_cast<QWidget*>(m_apiHost), static_cast<QWidget*>(m_apiPort),
                 static_cast<QWidget*>(m_apiAuth) })
            w->setEnabled(m_apiEnabled->isChecked());
    };
    connect(m_outputFormat, &QComboBox::currentIndexChanged, this, refresh);
    connect(m_previewMethod, &QComboBox::currentIndexChanged, this, refresh);
    connect(m_modelFolders, &QListWidget::currentRowChanged, this, refresh);
    connect(m_apiEnabled, &QCheckBox::toggled, this, refresh);
    refresh();
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
}

Settings SettingsDialog::settings() const
{
    Settings s = m_base;
    s.modelFolders.clear();
    for (int i = 0; i < m_modelFolders->count(); ++i)
        s.modelFolders << m_modelFolders->item(i)->text();
    s.outputFolder = m_outputFolder->text().trimmed();
    s.outputFormat = m_outputFormat->currentData().toString();
    s.imageQuality = m_quality->value();
    s.device = comboValue(m_device);
    s.precision = m_precision->currentData().toString();
    s.previewMethod = m_previewMethod->currentData().toString();
    s.previewInterval = m_previewInterval->value();
    s.language = m_language->currentData().toString();
    s.theme = m_theme->currentData().toString();
    s.apiEnabled = m_apiEnabled->isChecked();
    s.apiHost = m_apiHost->text().trimmed();
    s.apiPort = m_apiPort->value();
    s.apiAuth = m_apiAuth->text().trimmed();
    return s;
}

} // namespace qd
