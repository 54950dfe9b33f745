#include "core/metadata/PngText.h"

#include <QColorSpace>
#include <QStringDecoder>

#include <png.h>
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <vector>

// libpng reports errors by longjmp. Each function below that calls setjmp takes only plain
// pointers and creates no object with a destructor after the setjmp, so no destructor is skipped.

namespace qd::png
{

namespace
{

struct ErrorState {
    char message[256] = {};
};

void onError(png_structp png, png_const_charp msg)
{
    auto* e = static_cast<ErrorState*>(png_get_error_ptr(png));
    std::snprintf(e->message, sizeof e->message, "%s", msg);
    png_longjmp(png, 1);
}

void onWarning(png_structp, png_const_charp) { }

struct Source {
    const unsigned char* data;
    size_t size;
    size_t pos;
};

void readFn(png_structp png, png_bytep out, png_size_t n)
{
    auto* s = static_cast<Source*>(png_get_io_ptr(png));
    if (n > s->size - s->pos)
        png_error(png, "unexpected end of file (truncated)");
    std::memcpy(out, s->data + s->pos, n);
    s->pos += n;
}

void writeFn(png_structp png, png_bytep in, png_size_t n)
{
    static_cast<QByteArray*>(png_get_io_ptr(png))->append(reinterpret_cast<const char*>(in), qsizetype(n));
}

void flushFn(png_structp) { }

// ComfyUI workflows can be several MB; libpng's default cap on one chunk is 8 MB.
constexpr png_alloc_size_t kMaxChunkBytes = 256u << 20;
constexpr double kMaxPixelsForLateText = 64e6;

struct ReadHandle {
    ErrorState err;
    Source src;
    png_structp png = nullptr;
    png_infop info = nullptr;

    explicit ReadHandle(const QByteArray& data)
        : src { reinterpret_cast<const unsigned char*>(data.constData()), size_t(data.size()), 0 }
    {
        png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &err, onError, onWarning);
        if (png)
            info = png_create_info_struct(png);
        if (png && info) {
            png_set_read_fn(png, &src, readFn);
            png_set_chunk_malloc_max(png, kMaxChunkBytes);
        }
    }
    ~ReadHandle() { png_destroy_read_struct(&png, &info, nullptr); }
    bool ok() const { return png && info; }
};

struct WriteHandle {
    ErrorState err;
    png_structp png = nullptr;
    png_infop info = nullptr;

    explicit WriteHandle(QByteArray* out)
    {
        png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &err, onError, onWarning);
        if (png)
            info = png_create_info_struct(png);
        if (png && info)
            png_set_write_fn(png, out, writeFn, flushFn);
    }
    ~WriteHandle() { png_destroy_write_struct(&png, &info); }
    bool ok() const { return png && info; }
};

bool readHeader(png_structp png, png_infop info, size_t* rowBytes, int* passes)
{
    if (setjmp(png_jmpbuf(png)))
        return false;
    png_read_info(png, info);
    *passes = png_set_interlace_handling(png);
    png_read_update_info(png, info);
    *rowBytes = png_get_rowbytes(png, info);
    return true;
}

bool readRest(png_structp png, png_infop info, png_bytep row, png_uint_32 height, int passes)
{
    if (setjmp(png_jmpbuf(png)))
        return false;
    for (int pass = 0; pass < passes; ++pass)
        for (png_uint_32 y = 0; y < height; ++y)
            png_read_row(png, row, nullptr);
    png_read_end(png, info);
    return true;
}

bool readWhole(png_structp png, png_infop info)
{
    if (setjmp(png_jmpbuf(png)))
        return false;
    png_read_png(png, info, PNG_TRANSFORM_IDENTITY, nullptr);
    return true;
}

struct ImageSpec {
    png_uint_32 width, height;
    int bitDepth, colorType;
    bool swap16, stripFiller;
    png_bytepp rows;
    png_textp text;
    int textCount;
    const unsigned char* icc;
    png_uint_32 iccSize;
    int compressionLevel; // zlib 0-9; < 0: libpng's default (6)
};

bool writeImage(png_structp png, png_infop info, const ImageSpec& s)
{
    if (setjmp(png_jmpbuf(png)))
        return false;
    png_set_IHDR(png, info, s.width, s.height, s.bitDepth, s.colorType, PNG_INTERLACE_NONE,
        PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (s.compressionLevel >= 0)
        png_set_compression_level(png, std::min(s.compressionLevel, 9));
    // Fast levels (the API's answers): one cheap filter instead of libpng trying all five per row,
    // and run-length matching, which is what deflate finds in SUB-filtered pictures anyway
    if (s.compressionLevel >= 0 && s.compressionLevel <= 2) {
        png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_SUB);
        png_set_compression_strategy(png, Z_RLE);
    }
    if (s.icc)
        png_set_iCCP(png, info, "ICC profile", PNG_COMPRESSION_TYPE_BASE, s.icc, s.iccSize);
    if (s.textCount)
        png_set_text(png, info, s.text, s.textCount);
    png_write_info(png, info);
    if (s.swap16)
        png_set_swap(png); // QImage holds 16-bit samples in host order, PNG in big-endian
    if (s.stripFiller)
        png_set_filler(png, 0, PNG_FILLER_AFTER);
    png_write_image(png, s.rows);
    png_write_end(png, nullptr);
    return true;
}

bool copyAndWrite(png_structp rp, png_infop ri, png_structp wp, png_infop wi, png_textp text, int textCount)
{
    if (setjmp(png_jmpbuf(wp)))
        return false;
    png_uint_32 w = 0, h = 0;
    int depth = 0, color = 0, interlace = 0, compression = 0, filter = 0;
    png_get_IHDR(rp, ri, &w, &h, &depth, &color, &interlace, &compression, &filter);
    png_set_IHDR(wp, wi, w, h, depth, color, interlace, compression, filter);
    png_colorp palette;
    int paletteSize;
    if (png_get_PLTE(rp, ri, &palette, &paletteSize))
        png_set_PLTE(wp, wi, palette, paletteSize);
    png_bytep trans;
    int transCount;
    png_color_16p transColor;
    if (png_get_tRNS(rp, ri, &trans, &transCount, &transColor))
        png_set_tRNS(wp, wi, trans, transCount, transColor);
    png_fixed_point gamma;
    if (png_get_gAMA_fixed(rp, ri, &gamma))
        png_set_gAMA_fixed(wp, wi, gamma);
    png_fixed_point c[8];
    if (png_get_cHRM_fixed(rp, ri, &c[0], &c[1], &c[2], &c[3], &c[4], &c[5], &c[6], &c[7]))
        png_set_cHRM_fixed(wp, wi, c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]);
    int intent;
    if (png_get_sRGB(rp, ri, &intent))
        png_set_sRGB(wp, wi, intent);
    png_charp iccName;
    int iccCompression;
    png_bytep icc;
    png_uint_32 iccSize;
    if (png_get_iCCP(rp, ri, &iccName, &iccCompression, &icc, &iccSize))
        png_set_iCCP(wp, wi, iccName, iccCompression, icc, iccSize);
    png_color_8p sig;
    if (png_get_sBIT(rp, ri, &sig))
        png_set_sBIT(wp, wi, sig);
    png_color_16p background;
    if (png_get_bKGD(rp, ri, &background))
        png_set_bKGD(wp, wi, background);
    png_uint_32 resX, resY;
    int unit;
    if (png_get_pHYs(rp, ri, &resX, &resY, &unit))
        png_set_pHYs(wp, wi, resX, resY, unit);
    png_timep time;
    if (png_get_tIME(rp, ri, &time))
        png_set_tIME(wp, wi, time);
    png_uint_32 exifSize;
    png_bytep exif;
    if (png_get_eXIf_1(rp, ri, &exifSize, &exif))
        png_set_eXIf_1(wp, wi, exifSize, exif);
    png_unknown_chunkp unknown;
    const int unknownCount = png_get_unknown_chunks(rp, ri, &unknown);
    if (unknownCount > 0) {
        png_set_keep_unknown_chunks(wp, PNG_HANDLE_CHUNK_ALWAYS, nullptr, 0);
        png_set_unknown_chunks(wp, wi, unknown, unknownCount);
    }
    if (textCount)
        png_set_text(wp, wi, text, textCount);
    png_set_rows(wp, wi, png_get_rows(rp, ri));
    png_write_png(wp, wi, PNG_TRANSFORM_IDENTITY, nullptr);
    return true;
}

bool isGenerationKey(const QString& key)
{
    for (const char* k : { "parameters", "prompt", "workflow", "invokeai_metadata", "Comment" })
        if (key == QLatin1String(k))
            return true;
    return false;
}

QString decodeText(const png_text& t)
{
    const char* s = t.text ? t.text : "";
    const QByteArray bytes(s, qsizetype(std::strlen(s)));
    if (t.compression == PNG_ITXT_COMPRESSION_NONE || t.compression == PNG_ITXT_COMPRESSION_zTXt)
        return QString::fromUtf8(bytes);
    // tEXt/zTXt are Latin-1 by the spec, but some tools put UTF-8 there; valid multi-byte UTF-8 is
    // practically never meant as Latin-1.
    QStringDecoder utf8(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    const QString decoded = utf8.decode(bytes);
    if (!utf8.hasError())
        return decoded;
    return QString::fromLatin1(bytes);
}

void collectTexts(png_structp png, png_infop info, Texts* texts)
{
    texts->clear();
    png_textp t = nullptr;
    int n = 0;
    png_get_text(png, info, &t, &n);
    for (int i = 0; i < n; ++i)
        texts->append({ QString::fromLatin1(t[i].key), decodeText(t[i]) });
}

// Text entries as libpng wants them. `storage` owns the bytes the png_text entries point into.
bool makeTexts(
    const Texts& texts, std::vector<QByteArray>* storage, std::vector<png_text>* out, QString* error)
{
    storage->reserve(size_t(texts.size()) * 2);
    for (const auto& [key, value] : texts) {
        const bool keyOk = !key.isEmpty() && key.size() <= 79 && key.trimmed() == key
            && std::all_of(
                key.begin(), key.end(), [](QChar c) { return c.unicode() >= 32 && c.unicode() <= 255; });
        if (!keyOk) {
            *error
                = QStringLiteral("PNG text key \"%1\" is not 1 to 79 printable Latin-1 characters").arg(key);
            return false;
        }
        const bool latin1
            = std::all_of(value.begin(), value.end(), [](QChar c) { return c.unicode() <= 255; });
        storage->push_back(key.toLatin1());
        png_text t {};
        t.key = storage->back().data();
        storage->push_back(latin1 ? value.toLatin1() : value.toUtf8());
        t.text = storage->back().data();
        if (latin1) {
            t.compression = PNG_TEXT_COMPRESSION_NONE;
            t.text_length = size_t(storage->back().size());
        } else {
            t.compression = PNG_ITXT_COMPRESSION_NONE;
            t.itxt_length = size_t(storage->back().size());
        }
        out->push_back(t);
    }
    return true;
}

QString libpngError(const ErrorState& e)
{
    return QStringLiteral("truncated or corrupt PNG (libpng: %1)").arg(QString::fromLatin1(e.message));
}

} // namespace

bool readTexts(const QByteArray& data, Texts* texts, QByteArray* exif, QString* error)
{
    ReadHandle r(data);
    if (!r.ok()) {
        *error = QStringLiteral("out of memory");
        return false;
    }
    size_t rowBytes = 0;
    int passes = 1;
    if (!readHeader(r.png, r.info, &rowBytes, &passes)) {
        *error = libpngError(r.err);
        return false;
    }
    collectTexts(r.png, r.info, texts);
    const bool found
        = std::any_of(texts->begin(), texts->end(), [](const auto& t) { return isGenerationKey(t.first); });
    // Text after the image data is rare (A1111, ComfyUI, InvokeAI and NovelAI write it before); reaching
    // it means decoding every row, which is not worth it for huge images.
    const double pixels = double(png_get_image_width(r.png, r.info)) * png_get_image_height(r.png, r.info);
    if (!found && pixels <= kMaxPixelsForLateText) {
        std::vector<png_byte> row(rowBytes);
        if (!readRest(r.png, r.info, row.data(), png_get_image_height(r.png, r.info), passes)) {
            *error = libpngError(r.err);
            return false;
        }
        collectTexts(r.png, r.info, texts);
    }
    png_uint_32 exifSize = 0;
    png_bytep exifData = nullptr;
    if (exif && png_get_eXIf_1(r.png, r.info, &exifSize, &exifData))
        *exif = QByteArray(reinterpret_cast<const char*>(exifData), qsizetype(exifSize));
    return true;
}

bool encode(const QImage& image, const Texts& texts, QByteArray* out, QString* error, int compressionLevel)
{
    if (image.isNull()) {
        *error = QStringLiteral("the image is empty");
        return false;
    }
    QImage img;
    ImageSpec s {};
    const bool alpha = image.hasAlphaChannel();
    s.swap16 = QSysInfo::ByteOrder == QSysInfo::LittleEndian;
    if (image.format() == QImage::Format_Grayscale8 || image.format() == QImage::Format_Grayscale16) {
        img = image;
        s.colorType = PNG_COLOR_TYPE_GRAY;
        s.bitDepth = image.format() == QImage::Format_Grayscale8 ? 8 : 16;
    } else if (image.depth() == 64) {
        // Qt 6.4 has no 48-bit RGB format: RGBX64 with the filler stripped on write
        img = image.convertToFormat(alpha ? QImage::Format_RGBA64 : QImage::Format_RGBX64);
        s.colorType = alpha ? PNG_COLOR_TYPE_RGBA : PNG_COLOR_TYPE_RGB;
        s.bitDepth = 16;
        s.stripFiller = !alpha;
    } else {
        img = image.convertToFormat(alpha ? QImage::Format_RGBA8888 : QImage::Format_RGB888);
        s.colorType = alpha ? PNG_COLOR_TYPE_RGBA : PNG_COLOR_TYPE_RGB;
        s.bitDepth = 8;
    }
    s.swap16 = s.swap16 && s.bitDepth == 16;
    s.width = png_uint_32(img.width());
    s.height = png_uint_32(img.height());
    std::vector<png_bytep> rows(size_t(img.height()));
    for (int y = 0; y < img.height(); ++y)
        rows[size_t(y)] = const_cast<png_bytep>(img.constScanLine(y));
    s.rows = rows.data();
    std::vector<QByteArray> storage;
    std::vector<png_text> text;
    if (!makeTexts(texts, &storage, &text, error))
        return false;
    s.text = text.data();
    s.textCount = int(text.size());
    QByteArray icc;
    if (img.colorSpace().isValid() && img.colorSpace() != QColorSpace(QColorSpace::SRgb))
        icc = img.colorSpace().iccProfile();
    s.icc = icc.isEmpty() ? nullptr : reinterpret_cast<const unsigned char*>(icc.constData());
    s.iccSize = png_uint_32(icc.size());
    s.compressionLevel = compressionLevel;

    out->clear();
    WriteHandle w(out);
    if (!w.ok() || !writeImage(w.png, w.info, s)) {
        *error = QStringLiteral("PNG encoding failed (libpng: %1)").arg(QString::fromLatin1(w.err.message));
        return false;
    }
    return true;
}

bool rewrite(const QByteArray& data, const Texts& texts, QByteArray* out, QString* error)
{
    ReadHandle r(data);
    if (!r.ok()) {
        *error = QStringLiteral("out of memory");
        return false;
    }
    // keep every chunk libpng does not copy itself (other tools' private chunks, APNG frames, ...)
    png_set_keep_unknown_chunks(r.png, PNG_HANDLE_CHUNK_ALWAYS, nullptr, 0);
    static const png_byte kAlsoUnknown[] = "hIST\0oFFs\0pCAL\0sCAL\0sPLT";
    png_set_keep_unknown_chunks(r.png, PNG_HANDLE_CHUNK_ALWAYS, kAlsoUnknown, 5);
    if (!readWhole(r.png, r.info)) {
        *error = libpngError(r.err);
        return false;
    }
    std::vector<QByteArray> storage;
    std::vector<png_text> text;
    if (!makeTexts(texts, &storage, &text, error))
        return false;
    out->clear();
    WriteHandle w(out);
    if (!w.ok() || !copyAndWrite(r.png, r.info, w.png, w.info, text.data(), int(text.size()))) {
        *error = QStringLiteral("PNG encoding failed (libpng: %1)").arg(QString::fromLatin1(w.err.message));
        return false;
    }
    return true;
}

} // namespace qd::png
