#include "ui/ExportDialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QEventLoop>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QFutureWatcher>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPointer>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QSpinBox>
#include <QStandardPaths>
#include <QtConcurrent>

#include "core/metadata/Infotext.h"
#include "ui/UiState.h"

namespace qd
{

ExportDialog::ExportDialog(const QList<HistoryRecord>& records, QWidget* parent)
    : QDialog(parent)
    , m_records(records)
    , m_format(new QComboBox(this))
    , m_quality(new QSpinBox(this))
    , m_folder(new QLineEdit(this))
    , m_pattern(new QLineEdit(this))
    , m_preview(new QLabel(this))
    , m_progress(new QProgressBar(this))
    , m_buttons(new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this))
{
    setObjectName("exportDialog");
    setWindowTitle(tr("Export %n Image(s)", nullptr, int(records.size())));
    m_format->setObjectName("exportFormat");
    m_format->addItem(QStringLiteral("PNG"), int(ImageFileFormat::Png));
    m_format->addItem(QStringLiteral("JPEG"), int(ImageFileFormat::Jpeg));
    m_format->addItem(QStringLiteral("WebP"), int(ImageFileFormat::WebP));
    m_quality->setObjectName("exportQuality");
    m_quality->setRange(1, 100);
    m_quality->setValue(95);
    m_quality->setSuffix(QStringLiteral(" %"));
    m_quality->setToolTip(tr("JPEG and WebP quality; WebP at 100 is lossless"));
    m_folder->setObjectName("exportFolder");
    m_folder->setText(QStandardPaths::writableLocation(QStandardPaths::PicturesLocation));
    auto* browse = new QPushButton(tr("&Browse…"), this);
    browse->setObjectName("exportBrowse");
    m_pattern->setObjectName("exportPattern");
    m_pattern->setText(QStringLiteral("{index}-{seed}"));
    m_pattern->setToolTip(tr("Tokens: {index} {id} {seed} {model} {sampler} {steps} {cfg} {width} {height} "
                             "{date} {time} {prompt} {name}"));
    m_preview->setObjectName("exportPreview");
    m_preview->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_preview->setWordWrap(true);
    m_progress->setObjectName("exportProgress");
    m_progress->setRange(0, int(records.size()));
    m_progress->setVisible(false);
    m_buttons->button(QDialogButtonBox::Ok)->setText(tr("&Export"));
    m_buttons->button(QDialogButtonBox::Ok)->setObjectName("exportButton");

    auto* folderRow = new QHBoxLayout;
    folderRow->addWidget(m_folder, 1);
    folderRow->addWidget(browse);
    auto* form = new QFormLayout(this);
    form->addRow(tr("&Format"), m_format);
    form->addRow(tr("&Quality"), m_quality);
    form->addRow(tr("F&older"), folderRow);
    static_cast<QLabel*>(form->labelForField(folderRow))->setBuddy(m_folder);
    form->addRow(tr("File &names"), m_pattern);
    form->addRow(tr("First file"), m_preview);
    form->addRow(new QLabel(tr("The generation parameters are embedded in every exported file."), this));
    form->addRow(m_progress);
    form->addRow(m_buttons);

    // The last export's choices.
    QSettings state(uiStateFile(), QSettings::IniFormat);
    ExportOptions last;
    last.format = ImageFileFormat(state.value("export/format", int(ImageFileFormat::Png)).toInt());
    last.quality = state.value("export/quality", 95).toInt();
    last.folder = state.value("export/folder", m_folder->text()).toString();
    last.pattern = state.value("export/pattern", m_pattern->text()).toString();
    setOptions(last);

    connect(m_format, &QComboBox::currentIndexChanged, this, &ExportDialog::updatePreview);
    connect(m_pattern, &QLineEdit::textChanged, this, &ExportDialog::updatePreview);
    connect(m_folder, &QLineEdit::textChanged, this, &ExportDialog::updatePreview);
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Export to"), m_folder->text());
        if (!dir.isEmpty())
            m_folder->setText(dir);
    });
    connect(m_buttons, &QDialogButtonBox::accepted, this, &ExportDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &ExportDialog::reject);
    updatePreview();
}

ExportOptions ExportDialog::options() const
{
    ExportOptions o;
    o.format = ImageFileFormat(m_format->currentData().toInt());
    o.quality = m_quality->value();
    o.folder = m_folder->text().trimmed();
    o.pattern
        = m_pattern->text().trimmed().isEmpty() ? QStringLiteral("{index}") : m_pattern->text().trimmed();
    return o;
}

void ExportDialog::setOptions(const ExportOptions& o)
{
    m_format->setCurrentIndex(m_format->findData(int(o.format)));
    m_quality->setValue(o.quality);
    m_folder->setText(o.folder);
    m_pattern->setText(o.pattern);
}

void ExportDialog::updatePreview()
{
    const ExportOptions o = options();
    m_quality->setEnabled(o.format != ImageFileFormat::Png);
    const bool ok = !m_records.isEmpty() && !o.folder.isEmpty();
    m_preview->setText(ok ? QDir::toNativeSeparators(
                           QDir(o.folder).filePath(fileName(o.pattern, m_records.first(), 1, o.format)))
                          : QString());
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(ok);
}

QString ExportDialog::suffix(ImageFileFormat format)
{
    return u'.' + imageFileSuffix(format);
}

QString ExportDialog::fileName(
    const QString& pattern, const HistoryRecord& r, int index, ImageFileFormat format)
{
    const GenerationParams& p = r.params;
    QString prompt = QString::fromStdString(p.prompt).simplified();
    prompt = prompt.left(40).trimmed();
    const QDateTime created = r.created.toLocalTime();
    const QList<QPair<QString, QString>> tokens = {
        { QStringLiteral("{index}"), QStringLiteral("%1").arg(index, 5, 10, QChar('0')) },
        { QStringLiteral("{id}"), QString::number(r.id) },
        { QStringLiteral("{seed}"), QString::number(p.seed) },
        { QStringLiteral("{model}"), QString::fromStdString(p.modelName) },
        { QStringLiteral("{sampler}"), QString::fromStdString(p.sampler) },
        { QStringLiteral("{steps}"), QString::number(p.steps) },
        { QStringLiteral("{cfg}"), formatInfotextNumber(p.cfgScale) },
        { QStringLiteral("{width}"), QString::number(r.width ? r.width : p.width) },
        { QStringLiteral("{height}"), QString::number(r.height ? r.height : p.height) },
        { QStringLiteral("{date}"), created.toString(QStringLiteral("yyyy-MM-dd")) },
        { QStringLiteral("{time}"), created.toString(QStringLiteral("HHmmss")) },
        { QStringLiteral("{prompt}"), prompt },
        { QStringLiteral("{name}"), QFileInfo(r.filePath).completeBaseName() },
    };
    QString name = pattern;
    for (const auto& [token, value] : tokens)
        name.replace(token, value);
    // Characters no file system likes, and path separators (a pattern names files, not folders).
    static const QRegularExpression unsafe(QStringLiteral(R"([\\/:*?"<>|\x00-\x1f])"));
    name.replace(unsafe, QStringLiteral("_"));
    name = name.trimmed();
    while (name.startsWith(u'.'))
        name.remove(0, 1);
    if (name.isEmpty())
        name = QString::number(r.id);
    return name.left(180) + suffix(format);
}

ExportResult ExportDialog::exportRecords(
    const QList<HistoryRecord>& records, const ExportOptions& o, const std::function<void(int)>& progress)
{
    ExportResult result;
    if (!QDir().mkpath(o.folder)) {
        result.errors << tr("%1: cannot create the folder").arg(o.folder);
        return result;
    }
    for (int i = 0; i < records.size(); ++i) {
        const HistoryRecord& r = records[i];
        const QImage image(r.filePath);
        if (image.isNull()) {
            result.errors << tr("%1: cannot read the image").arg(QDir::toNativeSeparators(r.filePath));
            continue;
        }
        // Keep what the source carries (other tools' chunks); the parameters always come from the
        // history row, so an image imported without a "parameters" chunk gains one.
        ImageMetadata meta;
        ImageMetadata::read(r.filePath, &meta);
        meta.setInfotext(toInfotext(r.params));
        const QString name = fileName(o.pattern, r, i + 1, o.format);
        QString path = QDir(o.folder).filePath(name);
        for (int n = 2; QFileInfo::exists(path); ++n)
            path = QDir(o.folder).filePath(
                QFileInfo(name).completeBaseName() + QStringLiteral("-%1").arg(n) + suffix(o.format));
        QString error;
        if (ImageMetadata::save(image, path, meta, o.quality, &error))
            result.written << path;
        else
            result.errors << error;
        if (progress)
            progress(i + 1);
    }
    return result;
}

void ExportDialog::accept()
{
    const ExportOptions o = options();
    QSettings state(uiStateFile(), QSettings::IniFormat);
    state.setValue("export/format", int(o.format));
    state.setValue("export/quality", o.quality);
    state.setValue("export/folder", o.folder);
    state.setValue("export/pattern", o.pattern);
    m_buttons->setEnabled(false);
    m_progress->setVisible(true);
    m_progress->setValue(0);
    // Encoding hundreds of images takes a while: off the GUI thread, progress reported back.
    QPointer<QProgressBar> bar = m_progress;
    auto future = QtConcurrent::run([records = m_records, o, bar] {
        return exportRecords(records, o, [bar](int done) {
            QMetaObject::invokeMethod(bar, [bar, done] {
                if (bar)
                    bar->setValue(done);
            });
        });
    });
    QFutureWatcher<ExportResult> watcher;
    QEventLoop loop;
    connect(&watcher, &QFutureWatcher<ExportResult>::finished, &loop, &QEventLoop::quit);
    watcher.setFuture(future);
    loop.exec();
    m_result = future.result();
    m_buttons->setEnabled(true);
    if (!m_result.errors.isEmpty())
        QMessageBox::warning(this, tr("Export"), m_result.errors.join(u'\n'));
    QDialog::accept();
}

QString ExportDialog::summary() const
{
    QString s = tr("%n image(s) exported", nullptr, int(m_result.written.size()));
    if (!m_result.written.isEmpty())
        s += QStringLiteral(" → ")
            + QDir::toNativeSeparators(QFileInfo(m_result.written.first()).absolutePath());
    if (!m_result.errors.isEmpty())
        s += QStringLiteral(" · ") + tr("%n failed", nullptr, int(m_result.errors.size()));
    return s;
}

} // namespace qd
