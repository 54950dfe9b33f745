#pragma once
// ControlNet preprocessors ("annotators"): turn a picture into the map a ControlNet was trained on
// (edges, scribbles, a colour grid, ...). Names, sliders and image rules follow sd-webui-controlnet
// (scripts/preprocessor/*.py, annotator/*; docs/reference.md §12), so its module names work in the
// API, the CLI and infotexts. The classical ones run on OpenCV; softedge_hed runs its network
// (core/engine/Annotators.h) when its weights are in the annotators folder; the other network ones
// (depth, pose, ...) are listed, and report what they need, so front ends can show them greyed.
// Each preprocessor is one small class behind ControlPreprocessor.
#include <QImage>
#include <QList>
#include <QString>

#include <cstdint>
#include <limits>

namespace qd
{

struct PreprocessorSlider {
    QString label; // as the extension labels it ("Low Threshold", "XDoG Threshold", ...)
    double minimum = 0, maximum = 1, value = 0, step = 1;
};

struct PreprocessOptions {
    int resolution = 512; // "Processor Res": the map's shorter side; <= 0 = 512
    // threshold_a / threshold_b (the extension's slider_1 / slider_2); NaN = the slider's default
    double a = std::numeric_limits<double>::quiet_NaN();
    double b = std::numeric_limits<double>::quiet_NaN();
    QImage mask; // white = masked (inpaint)
    uint64_t seed = 0; // shuffle's random flow field
    QString annotatorsDir; // where network annotators' weights are (set by preprocessControlImage)
};

class ControlPreprocessor
{
public:
    virtual ~ControlPreprocessor() = default;
    virtual QString name() const = 0; // the module name: "canny", "scribble_xdog", ...
    virtual QString label() const { return name(); } // what the extension's menu shows
    virtual QList<PreprocessorSlider> sliders() const { return {}; } // [0] = a, [1] = b
    virtual bool usesResolution() const { return true; }
    virtual bool needsMask() const { return false; }
    // "" when it runs here; otherwise what is missing (a network, its weights).
    virtual QString unavailableReason(const QString& annotatorsDir) const
    {
        Q_UNUSED(annotatorsDir);
        return {};
    }
    // RGB888 in, RGB888 out (at the processing size, or the input's for the resolution-free ones);
    // inpaint maps come as ARGB32 with alpha 0 where the mask repaints.
    virtual QImage run(const QImage& rgb, const PreprocessOptions& options) const = 0;
};

// Every preprocessor, classical ones first then the network ones, in the extension's names.
const QList<const ControlPreprocessor*>& controlPreprocessors();
// By module name or label, case-insensitive (also the extension's old aliases: "pidinet_scribble",
// "color", "threshold", ...); nullptr when unknown.
const ControlPreprocessor* findControlPreprocessor(const QString& name);

// Runs `name` on `image`: the map, or a null image with *error naming the module and why (unknown
// module, unavailable network, no mask for inpaint, an unreadable image).
QImage preprocessControlImage(const QString& name, const QImage& image, const PreprocessOptions& options,
    const QString& annotatorsDir, QString* error);

} // namespace qd
