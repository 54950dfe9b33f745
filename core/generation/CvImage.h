#pragma once
// OpenCV views of QImage pixels, for core's image code (inpainting masks, ControlNet preprocessors).
// Only for .cpp files that link OpenCV (qd_core); the headers of core stay free of it.
#include <QImage>

#include <opencv2/core.hpp>

namespace qd::cvimage
{

inline QImage rgb888(const QImage& image)
{
    return image.format() == QImage::Format_RGB888 ? image : image.convertToFormat(QImage::Format_RGB888);
}

inline QImage gray8(const QImage& image)
{
    return image.format() == QImage::Format_Grayscale8 ? image
                                                       : image.convertToFormat(QImage::Format_Grayscale8);
}

// A view of a QImage's pixels (rows may be padded); the image must outlive it, and a write through
// it needs a detached (non-shared) image.
inline cv::Mat view(const QImage& image, int type)
{
    return cv::Mat(image.height(), image.width(), type, const_cast<uchar*>(image.constBits()),
        size_t(image.bytesPerLine()));
}

// A deep copy of an 8-bit matrix into a QImage of `format` (RGB888 for CV_8UC3, Grayscale8 for CV_8UC1).
inline QImage fromMat(const cv::Mat& m, QImage::Format format)
{
    QImage out(m.cols, m.rows, format);
    m.copyTo(view(out, m.type()));
    return out;
}

} // namespace qd::cvimage
