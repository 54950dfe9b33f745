#pragma once
// The extra networks an artist keeps beside the checkpoints: LoRAs (models/Lora) and
// textual-inversion embeddings (embeddings), as cards for the browser, the prompt editor's
// completion, the token counter and the API's /loras and /embeddings lists. Reading a folder
// reads only the LoRAs' headers and the (small) embedding files.
#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>

#include <memory>

namespace qd
{

struct EmbeddingVocabulary;

struct ExtraNetworkEntry {
    enum class Kind { Lora, Embedding };
    Kind kind = Kind::Lora;
    QString name; // the file's name without extension: what the prompt types
    QString path;
    QString previewPath; // NAME.preview.png (.jpg, .webp) or NAME.png beside the file, "" when none
    // The model it was made for: "SD1", "SD2", "SDXL" (from a LoRA's kohya metadata or its keys, an
    // embedding's width), "" when unknown
    QString baseModel;
    QString trainedOn; // the checkpoint it was trained on, when the file says (ss_sd_model_name,
                       // sd_checkpoint_name)
    int vectors = 0; // embeddings: tokens it occupies
    qint64 width = 0; // embeddings: each vector's width (SDXL: 768 + 1280)
    qint64 step = -1; // embeddings: training step when the file says
    QMap<QString, QString> metadata; // LoRAs: the safetensors header's __metadata__
    QString error; // the file could not be read (listed, so the artist sees why it is not used)

    // What a click inserts: "<lora:NAME:1>" or the embedding's name.
    QString promptText() const;
};

// The LoRA files (.safetensors, .pt, .ckpt) under `folders`, each once, sorted by name.
QList<ExtraNetworkEntry> scanLoras(const QStringList& folders);
// The embedding files (.pt, .bin, .safetensors) under `folders`; a later file of a name replaces an
// earlier one (as the engine does), sorted by name.
QList<ExtraNetworkEntry> scanEmbeddings(const QStringList& folders);

// The chunker's view of `embeddings` (readable ones), for counting tokens as the engine will.
std::shared_ptr<const EmbeddingVocabulary> embeddingVocabulary(const QList<ExtraNetworkEntry>& embeddings);

} // namespace qd
