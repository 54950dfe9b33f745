#pragma once
// Generation parameters inside image files (docs/reference.md §1).
//
// PNG: every tEXt/zTXt/iTXt chunk (A1111 "parameters", ComfyUI "prompt"/"workflow", InvokeAI
// "invokeai_metadata", NovelAI "Comment", ...), through libpng. JPEG and WebP: EXIF through exiv2,
// "parameters" as the UserComment in A1111's encoding ("UNICODE\0" + UTF-16BE, what piexif writes),
// ComfyUI's "prompt"/"workflow" as it stores them in WebP (EXIF Model "prompt:{...}", Make
// "workflow:{...}") and "Software" as EXIF Software.
// Every write goes to a temporary file that is flushed to disk and then renamed over the target.
#include "core/metadata/ForeignMetadata.h"

#include <QByteArray>
#include <QImage>
#include <QList>
#include <QPair>
#include <QString>
#include <QStringList>

namespace qd
{

enum class ImageFileFormat { Unknown, Png, Jpeg, WebP };

// "png", "jpg" / "jpeg", "webp" (any case; what Settings::outputFormat holds) -> the format;
// Unknown for anything else.
ImageFileFormat imageFormatFromName(const QString& name);
ImageFileFormat imageFormatFromSuffix(const QString& path); // .png, .jpg/.jpeg, .webp
// The suffix (without the dot) files of a format get: "png", "jpg", "webp".
QString imageFileSuffix(ImageFileFormat format);
ImageFileFormat imageFormatFromData(const QByteArray& head); // by the file signature
QString imageFormatName(ImageFileFormat format);

class ImageMetadata
{
public:
    // Text entries in file order (PNG chunk keys; for JPEG/WebP the keys named above).
    QList<QPair<QString, QString>> texts;

    QString text(const QString& key) const; // the first entry with that key, or ""
    bool hasText(const QString& key) const;
    void setText(const QString& key, const QString& value); // replaces the first such entry, else appends
    void removeText(const QString& key);
    QString infotext() const { return text(QStringLiteral("parameters")); }
    void setInfotext(const QString& infotext) { setText(QStringLiteral("parameters"), infotext); }
    // The generation parameters, from whichever tool wrote them (see paramsFromTexts).
    ParsedParams params() const { return paramsFromTexts(texts); }
    bool isEmpty() const { return texts.isEmpty(); }

    // Reads the metadata of a PNG, JPEG or WebP (the format is taken from the bytes, not the name).
    // A file that is missing, not one of these, truncated or malformed gives false and an error that
    // names the file.
    static bool read(const QString& path, ImageMetadata* out, QString* error = nullptr);
    static bool readData(const QByteArray& data, ImageMetadata* out, QString* error = nullptr,
        const QString& name = QStringLiteral("image"));

    // Encodes `image` carrying `meta`. quality 0-100 applies to JPEG and WebP (WebP 100 = lossless).
    // Entries a JPEG/WebP cannot carry are listed in *dropped.
    static QByteArray encode(const QImage& image, ImageFileFormat format, const ImageMetadata& meta,
        int quality = 95, QString* error = nullptr, QStringList* dropped = nullptr);
    // encode() and an atomic, durable write to `path`; the format follows the suffix.
    static bool save(const QImage& image, const QString& path, const ImageMetadata& meta, int quality = 95,
        QString* error = nullptr, QStringList* dropped = nullptr);
    // Replaces the metadata of an existing file, atomically, leaving the pixels as they are: a PNG is
    // re-encoded losslessly with its other chunks copied, a JPEG/WebP gets new EXIF only.
    static bool update(const QString& path, const ImageMetadata& meta, QString* error = nullptr,
        QStringList* dropped = nullptr);
};

} // namespace qd
