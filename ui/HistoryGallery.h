#pragma once
// The history gallery: an icon grid over HistoryModel with search, filters (model, sampler, date,
// favourites), sort, a details pane with every parameter, and the actions on the selected images:
// restore all parameters, reuse seed, copy infotext, open, reveal in folder, favourite / rate,
// delete (undoable) and export.
#include <QWidget>

#include "core/history/HistoryStore.h"

class QAction;
class QButtonGroup;
class QComboBox;
class QLabel;
class QLineEdit;
class QListView;
class QSlider;
class QSplitter;
class QTextBrowser;
class QTimer;
class QToolButton;

namespace qd
{

class HistoryModel;

class HistoryGallery : public QWidget
{
    Q_OBJECT
public:
    explicit HistoryGallery(HistoryStore* store, QWidget* parent = nullptr);

    HistoryModel* model() const { return m_model; }
    QListView* view() const { return m_view; }
    HistoryQuery currentQuery() const;
    QList<HistoryRecord> selectedRecords() const;
    QList<QAction*> imageActions() const; // for the main window's menu
    bool canUndoDelete() const { return !m_undoCounts.isEmpty(); }

    void selectRow(int row);

public slots:
    void refresh(); // new images, deletions elsewhere; keeps the filters
    void restoreSelected();
    void reuseSeedOfSelected();
    void copyInfotext();
    void openSelected();
    void revealSelected();
    void toggleFavourite();
    void rateSelected(int stars);
    void deleteSelected();
    void undoDelete();
    void exportSelected();

signals:
    void restoreRequested(const qd::GenerationParams& params);
    void seedRequested(qint64 seed);
    void message(const QString& text);

private:
    QWidget* buildFilterBar();
    QWidget* buildDetails();
    void buildActions();
    void applyFilters();
    void reloadFilterChoices();
    void updateDetails();
    void updateCount();

    HistoryStore* m_store;
    HistoryModel* m_model;
    QListView* m_view;
    QLineEdit* m_search;
    QComboBox* m_modelFilter;
    QComboBox* m_samplerFilter;
    QComboBox* m_dateFilter;
    QToolButton* m_favouritesOnly;
    QComboBox* m_sort;
    QSlider* m_zoom;
    QLabel* m_count;
    QTimer* m_searchTimer;
    QLabel* m_detailsImage = nullptr;
    QTextBrowser* m_details = nullptr;
    QToolButton* m_favourite = nullptr;
    QButtonGroup* m_stars = nullptr;
    QWidget* m_detailButtons = nullptr;
    QList<QAction*> m_actions;
    QAction* m_restoreAction = nullptr;
    QAction* m_undoAction = nullptr;
    QList<int> m_undoCounts; // images per delete, most recent last
    qint64 m_detailsId = 0;
};

} // namespace qd
