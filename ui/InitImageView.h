#pragma once
// The img2img init image (and a ControlNet unit's picture): shows it scaled to fit, takes a dropped
// image file or a click to browse.
#include <QFrame>
#include <QImage>

namespace qd
{

class InitImageView : public QFrame
{
    Q_OBJECT
public:
    explicit InitImageView(QWidget* parent = nullptr);

    QString path() const { return m_path; }
    void setPath(const QString& path); // empty clears
    // Shows a picture held in memory (pasted, restored) instead of a file: path() is then empty and
    // pathChanged is not emitted; setPath(QString()) or Delete clears it (emitting pathChanged("")).
    void setImage(const QImage& image);
    QSize imageSize() const { return m_imageSize; }
    QSize sizeHint() const override { return { 220, 160 }; }

    static bool isImageFile(const QString& path);

signals:
    void pathChanged(const QString& path);
    void browseRequested();

protected:
    void paintEvent(QPaintEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;

private:
    QString m_path;
    QImage m_thumb;
    QSize m_imageSize;
};

} // namespace qd
