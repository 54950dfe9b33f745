#include "core/metadata/ImageMetadata.h"

#include "core/AtomicFile.h"
#include "core/metadata/PngText.h"

#include <QBuffer>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QImageWriter>
#include <QStringDecoder>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations" // exiv2 0.27 headers use std::auto_ptr
#include <exiv2/exiv2.hpp>
#pragma GCC diagnostic pop

#include <mutex>

namespace qd
{

namespace
{

const QString kParameters = QStringLiteral("parameters");
// ComfyUI's EXIF layout for WebP (SaveAnimatedWEBP): the prompt in Model (0x0110), the workflow in
// Make (0x010f), each as "key:" + JSON.
const char* const kComfyTags[][2] = { { "prompt", "Exif.Image.Model" }, { "workflow", "Exif.Image.Make" } };

void initExiv2()
{
    static std::once_flag once;
    std::call_once(once, [] {
        Exiv2::XmpParser::initialize(); // once, before any thread uses exiv2
        Exiv2::LogMsg::setLevel(Exiv2::LogMsg::mute);
    });
}

bool fail(QString* error, const QString& message)
{
    if (error)
        *error = message;
    return false;
}

// piexif's UserComment.dump(text, encoding="unicode"), which A1111 uses for JPEG and WebP.
QByteArray encodeUserComment(const QString& text)
{
    QByteArray out("UNICODE\0", 8);
    out.reserve(8 + text.size() * 2);
    for (const QChar c : text) {
        out.append(char(c.unicode() >> 8));
        out.append(char(c.unicode() & 0xff));
    }
    return out;
}

QString decodeUserComment(const QByteArray& raw, bool bigEndianExif)
{
    QString text;
    const QByteArray prefix = raw.left(8);
    QByteArray body = raw.mid(8);
    if (prefix == QByteArray("UNICODE\0", 8)) {
        // piexif (A1111) writes UTF-16BE whatever the EXIF byte order; exiv2 and cameras use the EXIF
        // byte order. A BOM decides, else where the zero bytes of ASCII characters sit.
        bool bigEndian = bigEndianExif;
        if (body.startsWith("\xfe\xff") || body.startsWith("\xff\xfe")) {
            bigEndian = body.startsWith("\xfe\xff");
            body = body.mid(2);
        } else {
            int evenZeros = 0, oddZeros = 0;
            for (int i = 0; i + 1 < body.size() && i < 512; i += 2) {
                evenZeros += body[i] == 0;
                oddZeros += body[i + 1] == 0;
            }
            if (evenZeros != oddZeros)
                bigEndian = evenZeros > oddZeros;
        }
        if (body.size() % 2)
            body.chop(1);
        QStringDecoder dec(bigEndian ? QStringDecoder::Utf16BE : QStringDecoder::Utf16LE);
        text = dec.decode(body);
    } else if (prefix == QByteArray("JIS\0\0\0\0\0", 8)) {
        return QString(); // Shift-JIS: not something generators write
    } else if (prefix == QByteArray("ASCII\0\0\0", 8) || prefix == QByteArray(8, '\0')) {
        text = QString::fromUtf8(body);
    } else {
        text = QString::fromUtf8(raw); // no character code: A1111 decodes the bytes as UTF-8
    }
    while (text.endsWith(QChar(0)))
        text.chop(1);
    return text;
}

using ExivImage = Exiv2::Image::AutoPtr;

ExivImage openExiv(const QByteArray& data)
{
    initExiv2();
    return Exiv2::ImageFactory::open(
        reinterpret_cast<const Exiv2::byte*>(data.constData()), long(data.size()));
}

bool readExif(const QByteArray& data, ImageFileFormat format, ImageMetadata* out, QString* error)
{
    try {
        ExivImage image = openExiv(data);
        image->readMetadata();
        const Exiv2::ExifData& exif = image->exifData();
        auto find = [&](const char* key) { return exif.findKey(Exiv2::ExifKey(key)); };
        if (auto it = find("Exif.Image.Software"); it != exif.end())
            out->texts.append(
                { QStringLiteral("Software"), QString::fromUtf8(it->toString().c_str()).trimmed() });
        for (const auto& [key, tag] : kComfyTags) {
            const auto it = find(tag);
            if (it == exif.end())
                continue;
            const QString v = QString::fromUtf8(it->toString().c_str());
            const QString prefix = QLatin1String(key) + ':';
            if (v.startsWith(prefix))
                out->texts.append({ QLatin1String(key), v.mid(prefix.size()) });
        }
        if (auto it = find("Exif.Photo.UserComment"); it != exif.end() && it->size() > 0) {
            QByteArray raw(qsizetype(it->size()), '\0');
            it->copy(reinterpret_cast<Exiv2::byte*>(raw.data()), image->byteOrder());
            const QString comment = decodeUserComment(raw, image->byteOrder() == Exiv2::bigEndian);
            if (!comment.trimmed().isEmpty())
                out->texts.prepend({ kParameters, comment });
        }
        return true;
    } catch (const std::exception& e) {
        return fail(error,
            QStringLiteral("malformed %1 (exiv2: %2)")
                .arg(imageFormatName(format), QString::fromLocal8Bit(e.what())));
    }
}

// Sets our EXIF entries on an encoded JPEG/WebP, keeping the rest of its EXIF.
bool writeExifOnce(
    QByteArray* data, ImageFileFormat format, const ImageMetadata& meta, QString* error, QStringList* dropped)
{
    try {
        ExivImage image = openExiv(*data);
        image->readMetadata();
        Exiv2::ExifData exif = image->exifData();
        auto erase = [&](const char* key) {
            const auto it = exif.findKey(Exiv2::ExifKey(key));
            if (it != exif.end())
                exif.erase(it);
        };
        erase("Exif.Photo.UserComment");
        for (const auto& [key, tag] : kComfyTags) {
            const auto it = exif.findKey(Exiv2::ExifKey(tag));
            if (it != exif.end()
                && QString::fromStdString(it->toString()).startsWith(QLatin1String(key) + ':'))
                exif.erase(it);
        }
        for (const auto& [key, value] : meta.texts) {
            if (key == kParameters) {
                const QByteArray comment = encodeUserComment(value);
                Exiv2::DataValue v(Exiv2::undefined);
                v.read(reinterpret_cast<const Exiv2::byte*>(comment.constData()), long(comment.size()));
                exif.add(Exiv2::ExifKey("Exif.Photo.UserComment"), &v);
            } else if (key == QLatin1String("prompt")) {
                exif["Exif.Image.Model"] = ("prompt:" + value).toStdString();
            } else if (key == QLatin1String("workflow")) {
                exif["Exif.Image.Make"] = ("workflow:" + value).toStdString();
            } else if (key == QLatin1String("Software")) {
                exif["Exif.Image.Software"] = value.toStdString();
            } else if (dropped) {
                *dropped << key;
            }
        }
        image->setExifData(exif);
        // big-endian EXIF, as piexif writes it: UTF-16BE UserComment then agrees with the byte order
        image->setByteOrder(Exiv2::bigEndian);
        image->writeMetadata();
        Exiv2::BasicIo& io = image->io();
        if (io.open() != 0)
            return fail(error, QStringLiteral("exiv2 could not reopen its memory buffer"));
        const long size = io.size();
        Exiv2::DataBuf buf = io.read(size);
        io.close();
        if (buf.size_ != size)
            return fail(error, QStringLiteral("exiv2 returned %1 of %2 bytes").arg(buf.size_).arg(size));
        *data = QByteArray(reinterpret_cast<const char*>(buf.pData_), qsizetype(buf.size_));
        return true;
    } catch (const std::exception& e) {
        return fail(error,
            QStringLiteral("writing EXIF into %1 failed (exiv2: %2)")
                .arg(imageFormatName(format), QString::fromLocal8Bit(e.what())));
    }
}

// writeExifOnce, then reads the result back: exiv2 silently leaves out large entries when the EXIF
// would pass 64 KiB (its limit for JPEG, applied to WebP too), so a big ComfyUI workflow can push the
// parameters out. Entries that did not make it are reported as dropped; if the parameters are among
// them, the other entries give way for them; if they still do not fit, that is an error.
bool writeExif(
    QByteArray* data, ImageFileFormat format, const ImageMetadata& meta, QString* error, QStringList* dropped)
{
    QStringList notCarried;
    ImageMetadata attempt = meta;
    for (int round = 0; round < 2; ++round) {
        QByteArray out = *data;
        notCarried.clear();
        if (!writeExifOnce(&out, format, attempt, error, &notCarried))
            return false;
        ImageMetadata back;
        if (!readExif(out, format, &back, error))
            return false;
        QStringList lost;
        for (const auto& [key, value] : attempt.texts)
            if (!notCarried.contains(key) && back.text(key) != value)
                lost << key;
        if (!lost.contains(kParameters)) {
            *data = out;
            if (dropped)
                *dropped << notCarried << lost;
            return true;
        }
        // keep only the parameters and try again
        for (const auto& t : meta.texts)
            if (t.first != kParameters && dropped && !dropped->contains(t.first))
                *dropped << t.first;
        attempt.texts = { { kParameters, meta.infotext() } };
    }
    return fail(error,
        QStringLiteral("the parameters (%1 characters) do not fit in %2 EXIF (64 KiB at most)")
            .arg(meta.infotext().size())
            .arg(imageFormatName(format)));
}

QByteArray encodePixels(const QImage& image, ImageFileFormat format, int quality, QString* error)
{
    QByteArray bytes;
    const char* qtFormat = format == ImageFileFormat::Jpeg ? "jpeg" : "webp";
    if (QImageWriter::supportedImageFormats().contains(qtFormat)) {
        QBuffer buffer(&bytes);
        buffer.open(QIODevice::WriteOnly);
        QImageWriter writer(&buffer, qtFormat);
        writer.setQuality(quality); // Qt's WebP plugin writes lossless at quality 100
        // JPEG has no alpha; A1111 converts RGBA to RGB before saving
        const QImage src = format == ImageFileFormat::Jpeg && image.hasAlphaChannel()
            ? image.convertToFormat(QImage::Format_RGB888)
            : image;
        if (!writer.write(src)) {
            fail(error,
                QStringLiteral("%1 encoding failed: %2").arg(imageFormatName(format), writer.errorString()));
            return QByteArray();
        }
        return bytes;
    }
    // No Qt plugin (qt6-image-formats-plugins missing): OpenCV's codecs.
    const QImage rgb = image.convertToFormat(image.hasAlphaChannel() && format == ImageFileFormat::WebP
            ? QImage::Format_RGBA8888
            : QImage::Format_RGB888);
    const int type = rgb.format() == QImage::Format_RGBA8888 ? CV_8UC4 : CV_8UC3;
    cv::Mat mat(
        rgb.height(), rgb.width(), type, const_cast<uchar*>(rgb.constBits()), size_t(rgb.bytesPerLine()));
    cv::Mat bgr;
    cv::cvtColor(mat, bgr, type == CV_8UC4 ? cv::COLOR_RGBA2BGRA : cv::COLOR_RGB2BGR);
    std::vector<uchar> out;
    const std::vector<int> params = format == ImageFileFormat::Jpeg
        ? std::vector<int> { cv::IMWRITE_JPEG_QUALITY, quality }
        : std::vector<int> { cv::IMWRITE_WEBP_QUALITY,
              quality >= 100 ? 101 : std::max(quality, 1) }; // >100: lossless
    if (!cv::imencode(format == ImageFileFormat::Jpeg ? ".jpg" : ".webp", bgr, out, params)) {
        fail(error, QStringLiteral("%1 encoding failed (OpenCV)").arg(imageFormatName(format)));
        return QByteArray();
    }
    return QByteArray(reinterpret_cast<const char*>(out.data()), qsizetype(out.size()));
}

} // namespace

ImageFileFormat imageFormatFromName(const QString& name)
{
    const QString n = name.trimmed().toLower();
    if (n == QLatin1String("png"))
        return ImageFileFormat::Png;
    if (n == QLatin1String("jpg") || n == QLatin1String("jpeg"))
        return ImageFileFormat::Jpeg;
    if (n == QLatin1String("webp"))
        return ImageFileFormat::WebP;
    return ImageFileFormat::Unknown;
}

ImageFileFormat imageFormatFromSuffix(const QString& path)
{
    return imageFormatFromName(QFileInfo(path).suffix());
}

QString imageFileSuffix(ImageFileFormat format)
{
    switch (format) {
    case ImageFileFormat::Jpeg:
        return QStringLiteral("jpg");
    case ImageFileFormat::WebP:
        return QStringLiteral("webp");
    default:
        return QStringLiteral("png");
    }
}

ImageFileFormat imageFormatFromData(const QByteArray& head)
{
    if (head.startsWith("\x89PNG\r\n\x1a\n"))
        return ImageFileFormat::Png;
    if (head.startsWith("\xff\xd8\xff"))
        return ImageFileFormat::Jpeg;
    if (head.size() >= 12 && head.startsWith("RIFF") && head.mid(8, 4) == "WEBP")
        return ImageFileFormat::WebP;
    return ImageFileFormat::Unknown;
}

QString imageFormatName(ImageFileFormat format)
{
    switch (format) {
    case ImageFileFormat::Png:
        return QStringLiteral("PNG");
    case ImageFileFormat::Jpeg:
        return QStringLiteral("JPEG");
    case ImageFileFormat::WebP:
        return QStringLiteral("WebP");
    case ImageFileFormat::Unknown:
        break;
    }
    return QStringLiteral("unknown format");
}

QString ImageMetadata::text(const QString& key) const
{
    for (const auto& [k, v] : texts)
        if (k == key)
            return v;
    return QString();
}

bool ImageMetadata::hasText(const QString& key) const
{
    return std::any_of(texts.begin(), texts.end(), [&](const auto& t) { return t.first == key; });
}

void ImageMetadata::setText(const QString& key, const QString& value)
{
    for (auto& t : texts)
        if (t.first == key) {
            t.second = value;
            return;
        }
    texts.append({ key, value });
}

void ImageMetadata::removeText(const QString& key)
{
    texts.erase(std::remove_if(texts.begin(), texts.end(), [&](const auto& t) { return t.first == key; }),
        texts.end());
}

bool ImageMetadata::read(const QString& path, ImageMetadata* out, QString* error)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return fail(error, QStringLiteral("%1: cannot open: %2").arg(path, f.errorString()));
    return readData(f.readAll(), out, error, path);
}

bool ImageMetadata::readData(const QByteArray& data, ImageMetadata* out, QString* error, const QString& name)
{
    *out = ImageMetadata();
    QString why;
    const ImageFileFormat format = imageFormatFromData(data);
    switch (format) {
    case ImageFileFormat::Png: {
        QByteArray exif;
        if (!png::readTexts(data, &out->texts, &exif, &why))
            return fail(error, name + QStringLiteral(": ") + why);
        // a PNG may carry EXIF too (eXIf); its UserComment counts when there is no "parameters"
        if (!exif.isEmpty() && !out->hasText(kParameters)) {
            try {
                initExiv2();
                Exiv2::ExifData ed;
                Exiv2::IptcData id;
                Exiv2::XmpData xd;
                const Exiv2::ByteOrder bo = Exiv2::TiffParser::decode(ed, id, xd,
                    reinterpret_cast<const Exiv2::byte*>(exif.constData()), uint32_t(exif.size()));
                const auto it = ed.findKey(Exiv2::ExifKey("Exif.Photo.UserComment"));
                if (it != ed.end() && it->size() > 0) {
                    QByteArray raw(qsizetype(it->size()), '\0');
                    it->copy(reinterpret_cast<Exiv2::byte*>(raw.data()), bo);
                    const QString comment = decodeUserComment(raw, bo == Exiv2::bigEndian);
                    if (!comment.trimmed().isEmpty())
                        out->texts.append({ kParameters, comment });
                }
            } catch (const std::exception&) {
                // a broken eXIf chunk does not hide the text chunks we already have
            }
        }
        return true;
    }
    case ImageFileFormat::Jpeg:
    case ImageFileFormat::WebP:
        if (!readExif(data, format, out, &why))
            return fail(error, name + QStringLiteral(": ") + why);
        return true;
    case ImageFileFormat::Unknown:
        break;
    }
    return fail(error,
        data.isEmpty() ? name + QStringLiteral(": the file is empty")
                       : name + QStringLiteral(": not a PNG, JPEG or WebP image"));
}

QByteArray ImageMetadata::encode(const QImage& image, ImageFileFormat format, const ImageMetadata& meta,
    int quality, QString* error, QStringList* dropped)
{
    if (image.isNull()) {
        fail(error, QStringLiteral("cannot encode an empty image"));
        return QByteArray();
    }
    quality = std::clamp(quality, 0, 100);
    QString why;
    QByteArray bytes;
    switch (format) {
    case ImageFileFormat::Png:
        if (!png::encode(image, meta.texts, &bytes, &why)) {
            fail(error, why);
            return QByteArray();
        }
        return bytes;
    case ImageFileFormat::Jpeg:
    case ImageFileFormat::WebP:
        bytes = encodePixels(image, format, quality, error);
        if (bytes.isEmpty())
            return QByteArray();
        if (!meta.isEmpty() && !writeExif(&bytes, format, meta, error, dropped))
            return QByteArray();
        return bytes;
    case ImageFileFormat::Unknown:
        break;
    }
    fail(error, QStringLiteral("unsupported image format (expected PNG, JPEG or WebP)"));
    return QByteArray();
}

bool ImageMetadata::save(const QImage& image, const QString& path, const ImageMetadata& meta, int quality,
    QString* error, QStringList* dropped)
{
    const ImageFileFormat format = imageFormatFromSuffix(path);
    if (format == ImageFileFormat::Unknown)
        return fail(error,
            QStringLiteral("%1: unsupported file type \"%2\" (expected .png, .jpg, .jpeg or .webp)")
                .arg(path, QFileInfo(path).suffix()));
    QString why;
    const QByteArray bytes = encode(image, format, meta, quality, &why, dropped);
    if (bytes.isEmpty())
        return fail(error, path + QStringLiteral(": ") + why);
    return writeFileAtomically(path, bytes, error);
}

bool ImageMetadata::update(
    const QString& path, const ImageMetadata& meta, QString* error, QStringList* dropped)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return fail(error, QStringLiteral("%1: cannot open: %2").arg(path, f.errorString()));
    QByteArray data = f.readAll();
    f.close();
    QString why;
    const ImageFileFormat format = imageFormatFromData(data);
    if (format == ImageFileFormat::Png) {
        QByteArray out;
        if (!png::rewrite(data, meta.texts, &out, &why))
            return fail(error, path + QStringLiteral(": ") + why);
        data = out;
    } else if (format == ImageFileFormat::Jpeg || format == ImageFileFormat::WebP) {
        if (!writeExif(&data, format, meta, &why, dropped))
            return fail(error, path + QStringLiteral(": ") + why);
    } else {
        return fail(error, path + QStringLiteral(": not a PNG, JPEG or WebP image"));
    }
    return writeFileAtomically(path, data, error);
}

} // namespace qd
