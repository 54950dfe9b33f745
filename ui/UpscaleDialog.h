#pragma once
// "Upscale…" (Image menu): AUTOMATIC1111's Extras upscale on one image, the selected history image or
// the one on the preview. An upscaler (those of the hires fix), scale by a factor or to a width x
// height (crop to fit), a second upscaler blended in; Run upscales on a pool thread
// (core/generation/Extras.h), then shows the result, saves it to the output folder carrying the
// source's metadata and the postprocessing keys, and adds it to the history as generated images are.
#include <QDialog>
#include <QFutureWatcher>
#include <QImage>

#include <string>
#include <vector>

#include "core/Settings.h"
#include "core/generation/Extras.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QPushButton;
class QRadioButton;
class QSpinBox;

namespace qd
{

class HistoryStore;
class PreviewCanvas;

class UpscaleDialog : public QDialog
{
    Q_OBJECT
public:
    // `dirs`: where upscaler model files are (JobBuilder::upscalerDirs()); `device`: where a model runs;
    // `history`: the store results are added to (null: none is added).
    UpscaleDialog(const Settings& settings, std::vector<std::string> dirs, std::string device,
        HistoryStore* history, QWidget* parent = nullptr);

    // The image to upscale: a file (its metadata is kept) or an image in memory.
    bool setSourceFile(const QString& path, QString* error = nullptr);
    void setSourceImage(const QImage& image, const ImageMetadata& metadata = ImageMetadata());
    QImage sourceImage() const { return m_source; }

    ExtrasOptions options() const; // what the fields say
    bool isRunning() const { return m_watcher.isRunning(); }
    QImage resultImage() const { return m_result; }
    QString resultFile() const { return m_resultFile; }

    QComboBox* upscalerBox() const { return m_upscaler; }
    QComboBox* upscaler2Box() const { return m_upscaler2; }
    QLabel* statusLabel() const { return m_status; }
    QLabel* resultSizeLabel() const { return m_resultSize; }

public slots:
    // Starts the upscale; false (the reason in the status line) when there is no image or a value is
    // wrong, or one is running.
    bool run();

signals:
    void upscaled(const QString& file); // saved (and in the history)
    void failed(const QString& message);

private:
    struct Outcome {
        QImage image;
        QString file;
        QString error;
    };
    void updateResultSize();
    void onFinished();

    Settings m_settings;
    std::vector<std::string> m_dirs;
    std::string m_device;
    HistoryStore* m_history;
    QImage m_source;
    ImageMetadata m_sourceMeta;
    QImage m_result;
    QString m_resultFile;
    QFutureWatcher<Outcome> m_watcher;

    QLabel* m_sourceLabel = nullptr;
    QComboBox* m_upscaler = nullptr;
    QRadioButton* m_scaleBy = nullptr;
    QRadioButton* m_scaleTo = nullptr;
    QDoubleSpinBox* m_scale = nullptr;
    QSpinBox* m_width = nullptr;
    QSpinBox* m_height = nullptr;
    QCheckBox* m_crop = nullptr;
    QComboBox* m_upscaler2 = nullptr;
    QDoubleSpinBox* m_visibility = nullptr;
    QLabel* m_resultSize = nullptr;
    PreviewCanvas* m_view = nullptr;
    QLabel* m_status = nullptr;
    QPushButton* m_run = nullptr;
};

} // namespace qd
