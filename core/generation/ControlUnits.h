#pragma once
// ControlNet units as front ends hold them (the GUI's tabs, the API's alwayson_scripts.controlnet
// args, the CLI's --controlnet flags), with sd-webui-controlnet's names and rules
// (internal_controlnet/args.py ControlNetUnit, scripts/controlnet.py detectmap_proc;
// docs/reference.md §11-12): reading the infotext value "Module: canny, Model: NAME [hash], ...",
// pixel-perfect resolution, the ControlNet model files of the ControlNet folders, and the engine's
// unit made from a front end's (preprocessed; the engine fits the map to each pass's size).
#include <QImage>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

#include "core/engine/GenerationParams.h"

namespace qd
{

// ControlMode and ControlResizeMode are the engine's (core/engine/GenerationParams.h), in the
// extension's order (0, 1, 2 as its API numbers them).

// "Just Resize", "Crop and Resize", "Resize and Fill"; the parser also takes 0 / 1 / 2 and the
// extension's old names ("Inner Fit (Scale to Fit)", "Envelope (Outer Fit)", ...).
std::optional<ControlResizeMode> parseControlResizeMode(const QString& text);
// "Balanced", "My prompt is more important", "ControlNet is more important" (or 0 / 1 / 2).
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

// ControlNetUnit.parse: the fields of an infotext value "Module: canny, Model: NAME [hash], Weight: 1,
// ..." as the extension (and the engine, pipeline/ControlNetRun.cpp) writes it (the image is not in it);
// nullopt with *error for text that is not one.
std::optional<ControlUnitRequest> parseControlUnitInfotext(const QString& value, QString* error = nullptr);
// The units of an infotext's extra keys "ControlNet 0", "ControlNet 1", ...: unit N at place N, the
// places no key names disabled (the extension numbers units among all of them, disabled included).
QList<ControlUnitRequest> controlUnitsFromExtras(const QList<QPair<QString, QString>>& extras);

// pixel_perfect_resolution: the map resolution that lands 1:1 on a width x height generation.
int pixelPerfectResolution(const QSize& image, int width, int height, ControlResizeMode mode);

// The engine's unit for `u` in a width x height generation: the picture (img2img's init image when the
// unit has none, as the extension does) run through the unit's preprocessor at its resolution (pixel
// perfect: the one that lands 1:1), the mask for inpaint modules (the unit's, else img2img's), and
// the values the extension records for sliders left at -1. `u.model` must already be a file or
// folder path. False with *error naming the unit and what is wrong.
bool toEngineControlUnit(const ControlUnitRequest& u, int index, const QImage& init, const QImage& initMask,
    int width, int height, const QString& annotatorsDir, ControlNetUnit* out, QString* error);

// Where the control map of unit `unit` of a saved image is kept: controlnet/STEM-N.png in the image's
// folder (a folder of its own, so that history scans never take a map for an image).
QString controlMapPath(const QString& imagePath, int unit);

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
