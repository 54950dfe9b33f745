#pragma once
// The extra networks browser: a card per LoRA and textual-inversion embedding in the model
// folders (its preview image when a NAME.preview.png sits beside the file, the model it was made
// for, what it was trained on), filtered by kind and by a search; a click asks to insert
// "<lora:NAME:1>" or the embedding's name into the prompt. Folders are read off the GUI thread.
#include <QFutureWatcher>
#include <QList>
#include <QStringList>
#include <QWidget>

#include <memory>

#include "core/library/ExtraNetworks.h"

class QLabel;
class QLineEdit;
class QListWidget;
class QListWidgetItem;
class QTabBar;
class QToolButton;

namespace qd
{

class ExtraNetworksPanel : public QWidget
{
    Q_OBJECT
public:
    explicit ExtraNetworksPanel(QWidget* parent = nullptr);

    // Reads the folders again (in the background); `loaded` follows.
    void setFolders(const QStringList& loraFolders, const QStringList& embeddingFolders);
    void refresh();
    bool isLoading() const { return m_watcher.isRunning(); }

    const QList<ExtraNetworkEntry>& loras() const { return m_loras; }
    const QList<ExtraNetworkEntry>& embeddings() const { return m_embeddings; }
    std::shared_ptr<const EmbeddingVocabulary> vocabulary() const { return m_vocabulary; }
    QListWidget* cards() const { return m_cards; }
    // 0 = LoRA, 1 = Textual Inversion
    void showKind(int kind);
    void setFilter(const QString& text);

signals:
    void insertRequested(const QString& promptText);
    void loaded(); // after each read of the folders

protected:
    void changeEvent(QEvent* event) override;

private:
    struct Scan {
        QList<ExtraNetworkEntry> loras, embeddings;
        std::shared_ptr<const EmbeddingVocabulary> vocabulary;
    };
    void rebuildCards();
    void retranslate();
    QListWidgetItem* cardFor(const ExtraNetworkEntry& e) const;

    QTabBar* m_kinds;
    QLineEdit* m_search;
    QToolButton* m_refresh;
    QListWidget* m_cards;
    QLabel* m_empty;
    QStringList m_loraFolders, m_embeddingFolders;
    QList<ExtraNetworkEntry> m_loras, m_embeddings;
    std::shared_ptr<const EmbeddingVocabulary> m_vocabulary;
    QFutureWatcher<Scan> m_watcher;
    bool m_again = false; // folders changed while a read was running
};

} // namespace qd
