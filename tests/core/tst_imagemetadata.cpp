// Metadata in PNG, JPEG and WebP files: written where A1111 and ComfyUI put it, read back by us and
// by an independent reader (Qt's PNG reader), other tools' chunks kept, broken files refused cleanly.
#include <QtTest/QtTest>

#include <QImageReader>
#include <QTemporaryDir>

#include <zlib.h>

#include "core/metadata/ImageMetadata.h"
#include "core/metadata/Infotext.h"

using qd::ImageFileFormat;
using qd::ImageMetadata;

namespace
{

const QString kInfotext = QString::fromUtf8(
    "一只猫 🐱, masterpiece, (best quality:1.2)\nsecond line\n"
    "Negative prompt: 模糊, lowres\n"
    "Steps: 20, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 7, Seed: 123, Size: 64x48, "
    "Model hash: 6ce0161689, Model: v1-5-pruned-emaonly, Version: v1.10.1");
const QString kLatin1Infotext = QStringLiteral("a café, 50% off\nSteps: 20, Sampler: Euler a, Schedule type: "
                                               "Automatic, CFG scale: 7, Seed: 1, Size: 64x48");

QImage testImage(bool alpha = false)
{
    QImage img(64, 48, alpha ? QImage::Format_RGBA8888 : QImage::Format_RGB888);
    for (int y = 0; y < img.height(); ++y)
        for (int x = 0; x < img.width(); ++x)
            img.setPixelColor(x, y, QColor(x * 4, y * 5, (x * y) % 256, alpha ? (x + y) * 2 : 255));
    return img;
}

QByteArray fileBytes(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

void writeBytes(const QString& path, const QByteArray& data)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(data);
}

// A private chunk of another tool, spliced in before IEND (test data, built by hand on purpose).
QByteArray withPrivateChunk(const QByteArray& png, const QByteArray& type, const QByteArray& payload)
{
    QByteArray chunk;
    const quint32 len = quint32(payload.size());
    chunk.append(char(len >> 24)).append(char(len >> 16)).append(char(len >> 8)).append(char(len));
    const QByteArray body = type + payload;
    chunk.append(body);
    const quint32 crc
        = quint32(crc32(0, reinterpret_cast<const Bytef*>(body.constData()), uInt(body.size())));
    chunk.append(char(crc >> 24)).append(char(crc >> 16)).append(char(crc >> 8)).append(char(crc));
    const qsizetype iend = png.size() - 12;
    return png.left(iend) + chunk + png.mid(iend);
}

QByteArray utf16be(const QString& s)
{
    QByteArray out;
    for (QChar c : s)
        out.append(char(c.unicode() >> 8)).append(char(c.unicode() & 0xff));
    return out;
}

} // namespace

class TestImageMetadata : public QObject
{
    Q_OBJECT
    QTemporaryDir m_dir;

    QString path(const QString& name) const { return m_dir.filePath(name); }

private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void pngCarriesParametersReadableByOtherReaders()
    {
        ImageMetadata meta;
        meta.setInfotext(kInfotext);
        QString error;
        QVERIFY2(ImageMetadata::save(testImage(), path("u.png"), meta, 95, &error), qPrintable(error));
        // non-Latin-1: an uncompressed iTXt chunk named "parameters"
        QVERIFY(fileBytes(path("u.png")).contains(QByteArray("iTXtparameters\0\0\0", 17)));

        ImageMetadata latin;
        latin.setInfotext(kLatin1Infotext);
        QVERIFY2(ImageMetadata::save(testImage(), path("l.png"), latin, 95, &error), qPrintable(error));
        // Latin-1: a plain tEXt chunk with Latin-1 bytes, as PIL writes for A1111
        QVERIFY(fileBytes(path("l.png"))
                    .contains(QByteArray("tEXtparameters\0", 15) + kLatin1Infotext.toLatin1()));

        // Qt's own PNG reader sees the same texts (it hands them out simplified) and pixels
        QImageReader qt(path("u.png"));
        QCOMPARE(qt.text("parameters"), kInfotext.simplified());
        QCOMPARE(qt.read().convertToFormat(QImage::Format_RGB888), testImage());
        QCOMPARE(QImageReader(path("l.png")).text("parameters"), kLatin1Infotext.simplified());

        ImageMetadata back;
        QVERIFY2(ImageMetadata::read(path("u.png"), &back, &error), qPrintable(error));
        QCOMPARE(back.infotext(), kInfotext);
        const qd::ParsedParams p = back.params();
        QVERIFY(p.found);
        QCOMPARE(QString::fromStdString(p.params.negativePrompt), QString::fromUtf8("模糊, lowres"));
        QCOMPARE(p.params.height, 48);
    }

    void pngTextAfterTheImageDataIsFound()
    {
        QString error;
        QVERIFY(ImageMetadata::save(testImage(), path("late.png"), ImageMetadata(), 95, &error));
        const QByteArray chunk = QByteArray("parameters\0", 11) + kLatin1Infotext.toLatin1();
        writeBytes(path("late.png"), withPrivateChunk(fileBytes(path("late.png")), "tEXt", chunk));
        ImageMetadata back;
        QVERIFY2(ImageMetadata::read(path("late.png"), &back, &error), qPrintable(error));
        QCOMPARE(back.infotext(), kLatin1Infotext);
    }

    void pngKeepsAlphaAnd16Bit()
    {
        ImageMetadata meta;
        meta.setInfotext(kLatin1Infotext);
        QString error;
        QVERIFY(ImageMetadata::save(testImage(true), path("a.png"), meta, 95, &error));
        QCOMPARE(QImage(path("a.png")).convertToFormat(QImage::Format_RGBA8888), testImage(true));

        QImage deep(8, 8, QImage::Format_RGBA64);
        for (int y = 0; y < 8; ++y)
            for (int x = 0; x < 8; ++x)
                deep.setPixelColor(x, y, QColor::fromRgba64(x * 8191, y * 8191, 1234, 65535));
        QVERIFY2(ImageMetadata::save(deep, path("d.png"), meta, 95, &error), qPrintable(error));
        const QImage back = QImage(path("d.png"));
        QCOMPARE(back.depth(), 64);
        QCOMPARE(back.pixelColor(3, 5).rgba64(), deep.pixelColor(3, 5).rgba64());
    }

    void jpegAndWebpCarryA1111UserComment_data()
    {
        QTest::addColumn<QString>("name");
        QTest::newRow("jpeg") << "c.jpg";
        QTest::newRow("webp") << "c.webp";
    }
    void jpegAndWebpCarryA1111UserComment()
    {
        QFETCH(QString, name);
        ImageMetadata meta;
        meta.setInfotext(kInfotext);
        QString error;
        QVERIFY2(ImageMetadata::save(testImage(), path(name), meta, 90, &error), qPrintable(error));
        const QByteArray bytes = fileBytes(path(name));
        // piexif's UserComment: "UNICODE\0" then UTF-16BE, which A1111 decodes as utf_16_be
        QVERIFY(bytes.contains(QByteArray("UNICODE\0", 8) + utf16be(kInfotext.left(40))));
        QVERIFY(!QImage(path(name)).isNull());

        ImageMetadata back;
        QVERIFY2(ImageMetadata::read(path(name), &back, &error), qPrintable(error));
        QCOMPARE(back.infotext(), kInfotext);
        QCOMPARE(QString::fromStdString(back.params().params.prompt),
            QString::fromUtf8("一只猫 🐱, masterpiece, (best quality:1.2)\nsecond line"));
    }

    void webpQuality100IsLossless()
    {
        ImageMetadata meta;
        meta.setInfotext(kLatin1Infotext);
        QString error;
        QVERIFY2(ImageMetadata::save(testImage(), path("ll.webp"), meta, 100, &error), qPrintable(error));
        QCOMPARE(QImage(path("ll.webp")).convertToFormat(QImage::Format_RGB888), testImage());
    }

    void updateKeepsOtherToolsChunks()
    {
        ImageMetadata meta;
        meta.texts = { { "parameters", "old\nSteps: 1, Sampler: Euler, Seed: 2" },
            { "prompt", "{\"3\": {\"class_type\": \"KSampler\", \"inputs\": {\"steps\": 9}}}" },
            { "workflow", "{\"nodes\": []}" }, { "Software", "ComfyUI" } };
        QString error;
        QVERIFY(ImageMetadata::save(testImage(true), path("k.png"), meta, 95, &error));
        writeBytes(path("k.png"), withPrivateChunk(fileBytes(path("k.png")), "prVt", "private data"));

        ImageMetadata edited;
        QVERIFY(ImageMetadata::read(path("k.png"), &edited, &error));
        QCOMPARE(edited.texts, meta.texts);
        edited.setInfotext(kInfotext);
        QVERIFY2(ImageMetadata::update(path("k.png"), edited, &error), qPrintable(error));

        ImageMetadata back;
        QVERIFY(ImageMetadata::read(path("k.png"), &back, &error));
        QCOMPARE(back.infotext(), kInfotext);
        QCOMPARE(back.text("prompt"), meta.text("prompt"));
        QCOMPARE(back.text("workflow"), meta.text("workflow"));
        QCOMPARE(back.text("Software"), QString("ComfyUI"));
        QVERIFY(fileBytes(path("k.png")).contains("prVtprivate data"));
        QCOMPARE(QImage(path("k.png")).convertToFormat(QImage::Format_RGBA8888), testImage(true));
    }

    void exportToJpegKeepsComfyUiAndListsWhatItDrops()
    {
        ImageMetadata meta;
        meta.texts = { { "parameters", kInfotext },
            { "prompt", QString::fromUtf8("{\"6\": {\"inputs\": {\"text\": \"猫\"}}}") },
            { "workflow", "{\"nodes\": [], \"links\": []}" }, { "invokeai_metadata", "{}" } };
        QStringList dropped;
        QString error;
        QVERIFY2(
            ImageMetadata::save(testImage(), path("e.jpg"), meta, 85, &error, &dropped), qPrintable(error));
        QCOMPARE(dropped, QStringList { "invokeai_metadata" });
        ImageMetadata back;
        QVERIFY(ImageMetadata::read(path("e.jpg"), &back, &error));
        QCOMPARE(back.infotext(), kInfotext);
        QCOMPARE(back.text("prompt"), meta.text("prompt"));
        QCOMPARE(back.text("workflow"), meta.text("workflow"));

        // updating the JPEG's metadata leaves its pixels alone
        const QImage before(path("e.jpg"));
        back.setInfotext(kLatin1Infotext);
        QVERIFY2(ImageMetadata::update(path("e.jpg"), back, &error), qPrintable(error));
        ImageMetadata again;
        QVERIFY(ImageMetadata::read(path("e.jpg"), &again, &error));
        QCOMPARE(again.infotext(), kLatin1Infotext);
        QCOMPARE(again.text("workflow"), meta.text("workflow"));
        QCOMPARE(QImage(path("e.jpg")), before);
    }

    void exifSizeLimitNeverCostsTheParameters()
    {
        // a ComfyUI workflow can be far larger than the 64 KiB an EXIF block may hold
        ImageMetadata meta;
        meta.texts = { { "parameters", kInfotext + QString(5000, 'p') },
            { "workflow", "{\"nodes\": \"" + QString(100000, 'w') + "\"}" }, { "prompt", "{\"1\": {}}" } };
        for (const QString& name : { QStringLiteral("big.jpg"), QStringLiteral("big.webp") }) {
            QStringList dropped;
            QString error;
            QVERIFY2(
                ImageMetadata::save(testImage(), path(name), meta, 90, &error, &dropped), qPrintable(error));
            QVERIFY2(dropped.contains("workflow"), qPrintable(dropped.join(',')));
            ImageMetadata back;
            QVERIFY(ImageMetadata::read(path(name), &back, &error));
            QCOMPARE(back.infotext(), meta.infotext());
            QVERIFY(!back.hasText("workflow"));
        }
        ImageMetadata huge;
        huge.setInfotext(QString(70000, 'h'));
        QString error;
        QVERIFY(!ImageMetadata::save(testImage(), path("huge.jpg"), huge, 90, &error));
        QVERIFY2(error.contains("do not fit"), qPrintable(error));
        QVERIFY(!QFile::exists(path("huge.jpg")));
    }

    void brokenFilesGiveClearErrors()
    {
        ImageMetadata meta;
        meta.setInfotext(kInfotext);
        QString error;
        QVERIFY(ImageMetadata::save(testImage(), path("t.png"), meta, 95, &error));
        const QByteArray png = fileBytes(path("t.png"));

        ImageMetadata out;
        writeBytes(path("half.png"), png.left(40));
        QVERIFY(!ImageMetadata::read(path("half.png"), &out, &error));
        QVERIFY2(error.contains("half.png") && error.contains("truncated"), qPrintable(error));

        QByteArray badCrc = png;
        badCrc[29] = char(badCrc[29] ^ 0x55); // inside IHDR's CRC
        writeBytes(path("crc.png"), badCrc);
        QVERIFY(!ImageMetadata::read(path("crc.png"), &out, &error));
        QVERIFY2(error.contains("crc.png") && error.contains("corrupt"), qPrintable(error));

        writeBytes(path("text.png"), "hello, this is not an image");
        QVERIFY(!ImageMetadata::read(path("text.png"), &out, &error));
        QVERIFY2(error.contains("not a PNG, JPEG or WebP"), qPrintable(error));

        writeBytes(path("empty.jpg"), QByteArray());
        QVERIFY(!ImageMetadata::read(path("empty.jpg"), &out, &error));
        QVERIFY2(error.contains("empty"), qPrintable(error));

        QVERIFY(!ImageMetadata::read(path("missing.png"), &out, &error));
        QVERIFY2(error.contains("missing.png") && error.contains("cannot open"), qPrintable(error));

        QVERIFY(ImageMetadata::save(testImage(), path("t.jpg"), meta, 90, &error));
        writeBytes(path("cut.jpg"), fileBytes(path("t.jpg")).left(60)); // inside the EXIF segment
        QVERIFY(!ImageMetadata::read(path("cut.jpg"), &out, &error));
        QVERIFY2(error.contains("cut.jpg") && error.contains("JPEG"), qPrintable(error));

        // update() of a broken file refuses and leaves it as it was
        QVERIFY(!ImageMetadata::update(path("half.png"), meta, &error));
        QCOMPARE(fileBytes(path("half.png")), png.left(40));
        QVERIFY(!ImageMetadata::save(testImage(), path("x.gif"), meta, 95, &error));
        QVERIFY(error.contains("unsupported"));
    }

    void everyTruncationIsHandled()
    {
        ImageMetadata meta;
        meta.setInfotext(kInfotext);
        meta.setText("workflow", "{\"nodes\": []}");
        QString error;
        for (const QString& name :
            { QStringLiteral("f.png"), QStringLiteral("f.jpg"), QStringLiteral("f.webp") }) {
            QVERIFY(ImageMetadata::save(testImage(true), path(name), meta, 80, &error));
            const QByteArray full = fileBytes(path(name));
            int failures = 0;
            for (qsizetype n = 0; n < full.size(); n += 7) {
                ImageMetadata out;
                QString e;
                if (!ImageMetadata::readData(full.left(n), &out, &e, name)) {
                    ++failures;
                    QVERIFY(e.startsWith(name + ": "));
                } else {
                    // what is read from a cut file is either all of the text or none of it
                    QVERIFY(out.infotext().isEmpty() || out.infotext() == kInfotext);
                }
                QByteArray flipped = full;
                flipped[n] = char(flipped[n] ^ 0xA5);
                ImageMetadata ignored;
                ImageMetadata::readData(flipped, &ignored, &e, name); // must not crash
            }
            QVERIFY(failures > 0);
        }
    }

    void saveIsAtomic()
    {
        ImageMetadata meta;
        meta.setInfotext(kLatin1Infotext);
        QString error;
        QVERIFY(ImageMetadata::save(testImage(), path("atomic/a.png"), meta, 95, &error));
        const QByteArray first = fileBytes(path("atomic/a.png"));
        meta.setInfotext(kInfotext);
        QVERIFY(ImageMetadata::save(testImage(true), path("atomic/a.png"), meta, 95, &error));
        QVERIFY(fileBytes(path("atomic/a.png")) != first);
        QCOMPARE(QDir(path("atomic")).entryList(QDir::Files), QStringList { "a.png" }); // no temporary left

        // a failed encode leaves the old file untouched
        QVERIFY(!ImageMetadata::save(QImage(), path("atomic/a.png"), meta, 95, &error));
        QVERIFY(ImageMetadata::read(path("atomic/a.png"), &meta, &error));
        QCOMPARE(meta.infotext(), kInfotext);
    }
};

QTEST_GUILESS_MAIN(TestImageMetadata)
#include "tst_imagemetadata.moc"
