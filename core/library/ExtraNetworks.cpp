#include <torch/torch.h> // before Qt (its `slots` / `signals` macros)

#include "core/library/ExtraNetworks.h"

#include "core/engine/io/SafeTensors.h"
#include "core/engine/text/Embeddings.h"
#include "core/engine/text/PromptParser.h"

#include <QDir>
#include <QDirIterator>
#include <QFileInfo>

#include <algorithm>

namespace qd
{

namespace
{

QString previewBeside(const QFileInfo& file)
{
    const QString stem = file.dir().filePath(file.completeBaseName());
    for (const char* suffix : { ".preview.png", ".preview.jpg", ".preview.jpeg", ".preview.webp", ".png" }) {
        const QString candidate = stem + QLatin1String(suffix);
        if (QFileInfo(candidate).isFile() && candidate != file.filePath())
            return candidate;
    }
    return {};
}

// kohya's ss_base_model_version ("sd_v1", "sd_v2", "sdxl_base_v1-0", ...) or ss_v2, else the keys:
// a second text encoder (lora_te2_ / te2 / text_encoder_2) means SDXL.
QString loraBaseModel(const QMap<QString, QString>& metadata, const std::vector<std::string>& keys)
{
    const QString version = metadata.value("ss_base_model_version").toLower();
    if (version.startsWith("sdxl"))
        return QStringLiteral("SDXL");
    if (version.startsWith("sd_v2") || metadata.value("ss_v2") == "True")
        return QStringLiteral("SD2");
    if (version.startsWith("sd_v1") || metadata.value("ss_v2") == "False")
        return QStringLiteral("SD1");
    for (const std::string& k : keys)
        if (k.rfind("lora_te2_", 0) == 0 || k.rfind("lora_te1_", 0) == 0
            || k.find("text_encoder_2") != std::string::npos)
            return QStringLiteral("SDXL");
    for (const std::string& k : keys)
        if (k.rfind("lora_te_text_model", 0) == 0)
            return QStringLiteral("SD1");
    return {};
}

void sortByName(QList<ExtraNetworkEntry>& list)
{
    std::sort(list.begin(), list.end(), [](const ExtraNetworkEntry& a, const ExtraNetworkEntry& b) {
        const int c = QString::compare(a.name, b.name, Qt::CaseInsensitive);
        return c != 0 ? c < 0 : a.path < b.path;
    });
}

} // namespace

QString ExtraNetworkEntry::promptText() const
{
    return kind == Kind::Lora ? QStringLiteral("<lora:%1:1>").arg(name) : name;
}

QList<ExtraNetworkEntry> scanLoras(const QStringList& folders)
{
    QList<ExtraNetworkEntry> out;
    QStringList seen;
    for (const QString& folder : folders) {
        QDirIterator it(
            folder, { "*.safetensors", "*.pt", "*.ckpt" }, QDir::Files, QDirIterator::Subdirectories);
        while (it.hasNext()) {
            const QFileInfo f(it.next());
            if (seen.contains(f.absoluteFilePath()))
                continue;
            seen << f.absoluteFilePath();
            ExtraNetworkEntry e;
            e.kind = ExtraNetworkEntry::Kind::Lora;
            e.name = f.completeBaseName();
            e.path = f.absoluteFilePath();
            e.previewPath = previewBeside(f);
            if (f.suffix().compare("safetensors", Qt::CaseInsensitive) == 0) {
                try {
                    const std::string path = e.path.toStdString();
                    const SafetensorsHeader header = readSafetensorsHeader(path);
                    for (const auto& [k, v] : header.metadata)
                        e.metadata.insert(QString::fromStdString(k), QString::fromStdString(v));
                    std::vector<std::string> keys;
                    for (const auto& t : header.tensors)
                        keys.push_back(t.key);
                    e.baseModel = loraBaseModel(e.metadata, keys);
                    e.trainedOn = e.metadata.value("ss_sd_model_name");
                } catch (const std::exception& ex) {
                    e.error = QString::fromUtf8(ex.what());
                }
            }
            out.append(e);
        }
    }
    sortByName(out);
    return out;
}

QList<ExtraNetworkEntry> scanEmbeddings(const QStringList& folders)
{
    std::vector<std::string> dirs;
    for (const QString& f : folders)
        dirs.push_back(f.toStdString());
    QList<ExtraNetworkEntry> out;
    for (const std::string& path : findEmbeddingFiles(dirs)) {
        ExtraNetworkEntry e;
        e.kind = ExtraNetworkEntry::Kind::Embedding;
        const QFileInfo f(QString::fromStdString(path));
        e.name = f.completeBaseName();
        e.path = f.absoluteFilePath();
        e.previewPath = previewBeside(f);
        try {
            const TextualInversion ti = loadTextualInversion(path);
            e.vectors = ti.info.vectors;
            e.width = ti.info.width;
            e.step = ti.info.step;
            e.baseModel = QString::fromStdString(ti.info.family());
            e.trainedOn = QString::fromStdString(ti.info.checkpointName);
        } catch (const std::exception& ex) {
            e.error = QString::fromUtf8(ex.what());
        }
        out.erase(std::remove_if(
                      out.begin(), out.end(), [&](const ExtraNetworkEntry& o) { return o.name == e.name; }),
            out.end());
        out.append(e);
    }
    sortByName(out);
    return out;
}

std::shared_ptr<const EmbeddingVocabulary> embeddingVocabulary(const QList<ExtraNetworkEntry>& embeddings)
{
    auto vocab = std::make_shared<EmbeddingVocabulary>();
    try {
        const ClipTokenizer& tokenizer = ClipTokenizer::shared();
        for (int i = 0; i < embeddings.size(); ++i)
            if (embeddings[i].kind == ExtraNetworkEntry::Kind::Embedding && embeddings[i].error.isEmpty())
                vocab->add(tokenizer.encode(embeddings[i].name.toStdString()), embeddings[i].vectors, i);
    } catch (const std::exception&) {
        // no tokenizer vocabulary: the counter estimates anyway
    }
    return vocab;
}

} // namespace qd
