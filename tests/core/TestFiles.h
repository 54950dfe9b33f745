#pragma once
// Small files the Qt tests write: any bytes, and a .safetensors file that holds only key names
// (what the model family is read from; its weights are never read).
#include <QByteArray>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QStringList>
#include <QtEndian>
#include <QtTest/QtTest>

namespace qdtest
{

inline void writeFile(const QString& path, const QByteArray& bytes)
{
    QDir().mkpath(QFileInfo(path).path());
    QFile f(path);
    QVERIFY2(f.open(QIODevice::WriteOnly), qPrintable(path));
    f.write(bytes);
}

// A .safetensors file holding only `keys`, one float each.
inline void writeSafetensorsKeys(const QString& path, const QStringList& keys)
{
    QJsonObject header;
    int offset = 0;
    for (const QString& key : keys) {
        header[key] = QJsonObject { { "dtype", "F32" }, { "shape", QJsonArray { 1 } },
            { "data_offsets", QJsonArray { offset, offset + 4 } } };
        offset += 4;
    }
    QByteArray json = QJsonDocument(header).toJson(QJsonDocument::Compact);
    while (json.size() % 8)
        json += ' ';
    QByteArray bytes(8, '\0');
    qToLittleEndian<quint64>(quint64(json.size()), bytes.data());
    writeFile(path, bytes + json + QByteArray(offset, '\0'));
}

// A textual-inversion embedding {"emb_params": F32 [vectors, width]} with small varied values.
inline void writeEmbedding(const QString& path, int vectors, int width)
{
    const int n = vectors * width;
    QByteArray json
        = QJsonDocument(QJsonObject { { "emb_params",
                            QJsonObject { { "dtype", "F32" }, { "shape", QJsonArray { vectors, width } },
                                { "data_offsets", QJsonArray { 0, 4 * n } } } } })
              .toJson(QJsonDocument::Compact);
    while (json.size() % 8)
        json += ' ';
    QByteArray bytes(8, '\0');
    qToLittleEndian<quint64>(quint64(json.size()), bytes.data());
    QByteArray data(4 * n, '\0');
    for (int i = 0; i < n; ++i)
        qToLittleEndian<float>(float(i % 7) * 0.3f - 0.9f, data.data() + 4 * i);
    writeFile(path, bytes + json + data);
}

} // namespace qdtest
