#pragma once
// Export one or many history images as PNG, JPEG or WebP (with quality) into a folder, named by a
// pattern; the generation parameters are embedded in every format (PNG text chunk, EXIF UserComment),
// and any other metadata the source carried (ComfyUI workflow, ...) is kept where the format allows.
#include <QDialog>

#include "core/history/HistoryStore.h"
#include "core/metadata/ImageMetadata.h"

class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QSpinBox;

namespace qd
{

struct ExportOptions {
    ImageFileFormat format = ImageFileFormat::Png;
    int quality = 95; // JPEG / WebP; WebP 100 = lossless
    QString folder;
    QString pattern = QStringLiteral("{index}-{seed}");
};

struct ExportResult {
    QStringList written;
    QStringList errors; // each names the file and the problem
};

class ExportDialog : public QDialog
{
    Q_OBJECT
public:
    explicit ExportDialog(const QList<HistoryRecord>& records, QWidget* parent = nullptr);

    ExportOptions options() const;
    void setOptions(const ExportOptions& options);
    ExportResult result() const { return m_result; }
    QString summary() const;

    // The file name for one record (without the folder): pattern tokens {index} {id} {seed} {model}
    // {sampler} {steps} {cfg} {width} {height} {date} {time} {prompt} {name}, unsafe characters
    // replaced, the format's suffix added.
    static QString fileName(
        const QString& pattern, const HistoryRecord& record, int index, ImageFileFormat format);
    static QString suffix(ImageFileFormat format);
    // Exports every record (any thread); never overwrites: "-2", "-3" ... are appended instead.
    static ExportResult exportRecords(const QList<HistoryRecord>& records, const ExportOptions& options,
        const std::function<void(int done)>& progress = {});

public slots:
    void accept() override; // runs the export (off the GUI thread), then closes

private:
    void updatePreview();

    QList<HistoryRecord> m_records;
    ExportResult m_result;
    QComboBox* m_format;
    QSpinBox* m_quality;
    QLineEdit* m_folder;
    QLineEdit* m_pattern;
    QLabel* m_preview;
    QProgressBar* m_progress;
    QDialogButtonBox* m_buttons;
};

} // namespace qd
