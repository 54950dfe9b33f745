#pragma once
// ControlNet units as front ends hold them (the GUI's tabs, the API's alwayson_scripts.controlnet
// args, the CLI's --controlnet flags), with sd-webui-controlnet's names and rules
// (internal_controlnet/args.py ControlNetUnit, scripts/controlnet.py detectmap_proc;
// docs/reference.md §12): the infotext value "Module: canny, Model: NAME [hash], Weight: 1.0, ...",
// pixel-perfect resolution, the map fitted to the generation size, and the ControlNet model files
// of the ControlNet folders. JobBuilder turns units into the engine's.
#include <QImage>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace qd
{

enum class ControlResizeMode { JustResize = 0, CropAndResize = 1, ResizeAndFill = 2 };
enum class ControlMode { Balanced = 0, PromptImportant = 1, ControlNetImportant = 2 };

// "Just Resize", "Crop and Resize", "Resize and Fill"; the parser also takes 0 / 1 / 2 and the
// extension's old names ("Inner Fit (Scale to Fit)", "Envelope (Outer Fit)", ...).
QString controlResizeModeName(ControlResizeMode mode);
std::optional<ControlResizeMode> parseControlResizeMode(const QString& text);
// "Balanced", "My prompt is more important", "ControlNet is more important" (or 0 / 1 / 2).
QString controlModeName(ControlMode mode);
std::optional<ControlMode> parseControlMode(const QString& text);

struct ControlUnitRequest {
    bool enabled = true;
    QImage image; // the user's picture (with module "none": a map made elsewhere)
    QImage mask; // for the inpaint modules (white = repaint)
    QString module = QStringLiteral("none"); // a preprocessor (ControlPreprocessors.h)
    QString model; // a ControlNet: its name, "name [hash]" title, or a file / folder path
    double weight = 1.0; // 0..2
    ControlResizeMode resizeMode = ControlResizeMode::CropAndResize;
    int processorRes = -1; // -1: the preprocessor's default (512), or pixel perfect's
    double thresholdA = -1, thresholdB = -1; // -1: the preprocessor's defaults
    double guidanceStart = 0.0, guidanceEnd = 1.0; // fractions of the steps
    bool pixelPerfect = false;
    ControlMode controlMode = ControlMode::Balanced;
};

// ControlNetUnit.serialize: "Module: canny, Model: control_v11p_sd15_canny [d14c016b], Weight: 1.0,
// Resize Mode: Crop and Resize, Processor Res: 512, Threshold A: 100.0, Threshold B: 200.0, Guidance
// Start: 0.0, Guidance End: 1.0, Pixel Perfect: False, Control Mode: Balanced" (Python's str() of each
// value). `modelTitle` is what goes after "Model:" (the unit's model when empty).
QString controlUnitInfotext(const ControlUnitRequest& unit, const QString& modelTitle = QString());
// ControlNetUnit.parse: the fields of such a value (the image is not in it); nullopt with *error for
// text that is not one.
std::optional<ControlUnitRequest> parseControlUnitInfotext(const QString& value, QString* error = nullptr);
// The units of an infotext's extra keys "ControlNet 0", "ControlNet 1", ... in order.
QList<ControlUnitRequest> controlUnitsFromExtras(const QList<QPair<QString, QString>>& extras);

// pixel_perfect_resolution: the map resolution that lands 1:1 on a width x height generation.
int pixelPerfectResolution(const QSize& image, int width, int height, ControlResizeMode mode);

// detectmap_proc: the map fitted to width x height as the extension fits it (just resize; crop to
// cover; or fit inside over the border's median colour), with its resampling rules (nearest for maps
// of a few colours, area down, cubic up; two-colour maps thresholded back to two colours). An inpaint
// map keeps its alpha (thresholded at 127).
QImage fitControlMap(const QImage& map, ControlResizeMode mode, int width, int height);

struct ControlNetModelEntry {
    QString name; // the file's stem (a diffusers folder's name)
    QString path;
    QString hash; // A1111's old 8-digit model hash ("" for a folder)
    QString title() const { return hash.isEmpty() ? name : QStringLiteral("%1 [%2]").arg(name, hash); }
};
// The ControlNet files (.safetensors .pth .pt .ckpt .bin, subfolders too) and diffusers ControlNet
// folders (config.json naming ControlNetModel) of `dirs`, sorted by name.
QList<ControlNetModelEntry> listControlNetModels(const QStringList& dirs);
// By title, name (case-insensitive, with or without " [hash]") or path; nullopt when none matches.
std::optional<ControlNetModelEntry> findControlNetModel(const QString& nameOrPath, const QStringList& dirs);

} // namespace qd
