#pragma once
// The live preview: a large canvas showing the newest step, a filmstrip beneath it with every step's
// preview of the current job (click one to inspect it), and the progress with it/s and ETA.
#include <QImage>
#include <QWidget>

class QLabel;
class QListWidget;
class QListWidgetItem;
class QProgressBar;
class QToolButton;

namespace qd
{

// Paints one image scaled to fit, sharp on high-DPI screens, with a caption in the corner.
class PreviewCanvas : public QWidget
{
    Q_OBJECT
public:
    explicit PreviewCanvas(QWidget* parent = nullptr);
    void setImage(const QImage& image, const QString& caption = QString());
    QImage image() const { return m_image; }
    QString caption() const { return m_caption; }
    void setPlaceholder(const QString& text);
    QSize sizeHint() const override { return { 512, 512 }; }
    QSize minimumSizeHint() const override { return { 160, 160 }; }

protected:
    void paintEvent(QPaintEvent* event) override;

private:
    QImage m_image;
    QString m_caption;
    QString m_placeholder;
};

class LivePreview : public QWidget
{
    Q_OBJECT
public:
    explicit LivePreview(QWidget* parent = nullptr);

    int jobId() const { return m_jobId; }
    int frameCount() const; // filmstrip entries (steps, plus the final image)
    int selectedFrame() const; // row of the frame on the canvas; -1 when following live
    int stepOfFrame(int row) const; // 1-based step, 0 for the final image
    QImage frameImage(int row) const;
    bool isFollowingLive() const { return m_followLive; }
    PreviewCanvas* canvas() const { return m_canvas; }
    QListWidget* filmstrip() const { return m_strip; }
    QProgressBar* progressBar() const { return m_progress; }
    QString speedText() const;

    static QString formatSpeed(double itPerSec);
    static QString formatDuration(double seconds);

public slots:
    void beginJob(int jobId, int totalSteps);
    void setProgress(int jobId, int step, int total, double itPerSec, double etaSeconds);
    void addPreview(int jobId, int step, const QImage& image);
    void showFinal(int jobId, const QImage& image);
    void endJob(const QString& message = QString()); // idle again (done, failed or skipped)
    void selectFrame(int row); // inspect one step; stops following live
    void followLive();
    void clear();

signals:
    void frameSelected(int step); // 0 = final image

private:
    void addFrame(int step, const QImage& image, const QString& label);
    void showFrame(int row);

    struct Frame {
        int step = 0;
        QImage image;
    };
    QList<Frame> m_frames;
    int m_jobId = 0;
    int m_run = 1; // batch runs restart the step count
    int m_lastStep = 0;
    bool m_followLive = true;
    int m_inspectedRow = -1;
    PreviewCanvas* m_canvas;
    QListWidget* m_strip;
    QProgressBar* m_progress;
    QLabel* m_speed;
    QToolButton* m_liveButton;
};

} // namespace qd
