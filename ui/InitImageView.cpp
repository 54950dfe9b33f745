#include "ui/InitImageView.h"

#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileInfo>
#include <QImageReader>
#include <QMimeData>
#include <QPainter>

namespace qd
{

InitImageView::InitImageView(QWidget* parent)
    : QFrame(parent)
{
    setObjectName("initImageView");
    setAcceptDrops(true);
    setFrameShape(QFrame::StyledPanel);
    setFocusPolicy(Qt::StrongFocus); // Space / Enter browse: reachable without a mouse
    setMinimumSize(120, 90);
    setCursor(Qt::PointingHandCursor);
    setAccessibleName(tr("Init image"));
    setToolTip(tr("Drop an image here or click to choose one"));
}

bool InitImageView::isImageFile(const QString& path)
{
    const QByteArray format = QImageReader::imageFormat(path);
    return !format.isEmpty();
}

void InitImageView::setPath(const QString& path)
{
    if (path == m_path && !(path.isEmpty() && m_imageSize.isValid())) // an in-memory picture clears too
        return;
    m_path = path;
    m_thumb = QImage();
    m_imageSize = QSize();
    if (!path.isEmpty()) {
        QImageReader reader(path);
        reader.setAutoTransform(true);
        m_imageSize = reader.size();
        // Decode at display size only: a 4K init image must not stall the window.
        const qreal dpr = devicePixelRatioF();
        const QSize box = QSize(480, 360) * dpr;
        if (m_imageSize.isValid()
            && (m_imageSize.width() > box.width() || m_imageSize.height() > box.height()))
            reader.setScaledSize(m_imageSize.scaled(box, Qt::KeepAspectRatio));
        m_thumb = reader.read();
        m_thumb.setDevicePixelRatio(dpr);
    }
    setToolTip(path.isEmpty() ? tr("Drop an image here or click to choose one")
                              : tr("%1\n%2 × %3")
                                    .arg(QFileInfo(path).fileName())
                                    .arg(m_imageSize.width())
                                    .arg(m_imageSize.height()));
    update();
    emit pathChanged(path);
}

void InitImageView::setImage(const QImage& image)
{
    m_path.clear();
    m_imageSize = image.size();
    const qreal dpr = devicePixelRatioF();
    const QSize box = QSize(480, 360) * dpr;
    m_thumb = image.width() > box.width() || image.height() > box.height()
        ? image.scaled(box, Qt::KeepAspectRatio, Qt::SmoothTransformation)
        : image;
    m_thumb.setDevicePixelRatio(dpr);
    setToolTip(image.isNull() ? tr("Drop an image here or click to choose one")
                              : tr("%1 × %2").arg(image.width()).arg(image.height()));
    update();
}

void InitImageView::paintEvent(QPaintEvent* event)
{
    QFrame::paintEvent(event);
    QPainter p(this);
    const QRect r = contentsRect().adjusted(4, 4, -4, -4);
    if (m_thumb.isNull()) {
        p.setPen(palette().color(QPalette::PlaceholderText));
        p.drawText(r, Qt::AlignCenter | Qt::TextWordWrap,
            m_path.isEmpty() ? tr("Drop an image here\nor click to browse") : tr("Cannot read this image"));
        return;
    }
    p.setRenderHint(QPainter::SmoothPixmapTransform);
    const QSizeF logical = QSizeF(m_thumb.size()) / m_thumb.devicePixelRatio();
    QSizeF s = logical.scaled(QSizeF(r.size()), Qt::KeepAspectRatio);
    QRectF target(QPointF(r.x() + (r.width() - s.width()) / 2, r.y() + (r.height() - s.height()) / 2), s);
    p.drawImage(target, m_thumb);
}

void InitImageView::dragEnterEvent(QDragEnterEvent* event)
{
    const auto urls = event->mimeData()->urls();
    if (urls.size() == 1 && urls.first().isLocalFile() && isImageFile(urls.first().toLocalFile()))
        event->acceptProposedAction();
}

void InitImageView::dropEvent(QDropEvent* event)
{
    const auto urls = event->mimeData()->urls();
    if (urls.isEmpty() || !urls.first().isLocalFile())
        return;
    setPath(urls.first().toLocalFile());
    event->acceptProposedAction();
}

void InitImageView::mouseReleaseEvent(QMouseEvent* event)
{
    if (rect().contains(event->position().toPoint()))
        emit browseRequested();
}

void InitImageView::keyPressEvent(QKeyEvent* event)
{
    if (event->key() == Qt::Key_Space || event->key() == Qt::Key_Return || event->key() == Qt::Key_Enter) {
        emit browseRequested();
        return;
    }
    if (event->key() == Qt::Key_Delete || event->key() == Qt::Key_Backspace) {
        setPath(QString());
        return;
    }
    QFrame::keyPressEvent(event);
}

} // namespace qd
