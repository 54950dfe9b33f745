#pragma once
// Edits the Settings file's studio keys: model folders, output folder and format, device and
// precision, live preview method and interval, language and theme, serving the HTTP API. Generation defaults
// and presets stay in the YAML file (docs/settings.md).
#include <QDialog>

#include "core/Settings.h"

class QCheckBox;
class QComboBox;
class QListWidget;
class QLineEdit;
class QSpinBox;

namespace qd
{

class SettingsDialog : public QDialog
{
    Q_OBJECT
public:
    explicit SettingsDialog(const Settings& settings, QWidget* parent = nullptr);

    Settings settings() const; // the dialog's values over the settings it was given

    // (value, label) pairs, the value as written in settings.yaml.
    static QList<QPair<QString, QString>> languages();

private:
    Settings m_base;
    QListWidget* m_modelFolders;
    QLineEdit* m_outputFolder;
    QComboBox* m_outputFormat;
    QSpinBox* m_quality;
    QComboBox* m_device;
    QComboBox* m_precision;
    QComboBox* m_previewMethod;
    QSpinBox* m_previewInterval;
    QComboBox* m_language;
    QComboBox* m_theme;
    QCheckBox* m_apiEnabled;
    QLineEdit* m_apiHost;
    QSpinBox* m_apiPort;
    QLineEdit* m_apiAuth;
};

} // namespace qd
