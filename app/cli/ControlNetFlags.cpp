#include "ControlNetFlags.h"

#include <QImageReader>

#include <CLI/CLI.hpp>

#include "core/generation/ControlPreprocessors.h"

namespace qd::cli
{

void addControlNetFlags(CLI::App* sub, ControlNetFlags& f)
{
    sub->add_option("--controlnet", f.models,
        "ControlNet model (a name in the ControlNet folders, or a file); repeat for more units");
    sub->add_option(
        "--control-image", f.images, "The unit's picture (or a ready map with preprocessor none)");
    sub->add_option("--control-preprocessor", f.preprocessors,
        "Preprocessor (canny, scribble_xdog, lineart_standard, ...; default none; see preprocess --list)");
    sub->add_option("--control-weight", f.weights, "Weight, 0..2 (default 1)");
    sub->add_option("--control-start", f.starts, "Guidance start, a fraction of the steps (default 0)");
    sub->add_option("--control-end", f.ends, "Guidance end, a fraction of the steps (default 1)");
    sub->add_option("--control-mode", f.modes, "balanced | prompt | controlnet (which matters more)");
    sub->add_option("--control-resize", f.resizes, "just | crop | fill: how the map meets the image size");
    sub->add_option("--control-res", f.resolutions, "Preprocessor resolution (default 512)");
    sub->add_option("--control-threshold-a", f.thresholdsA, "The preprocessor's first slider");
    sub->add_option("--control-threshold-b", f.thresholdsB, "The preprocessor's second slider");
    sub->add_option("--controlnet-dir", f.dirs, "A folder of ControlNet models (A1111's models/ControlNet)");
}

namespace
{

// The i-th of a per-unit flag: its only value, the i-th, or the default when absent.
template <typename T>
bool pick(const std::vector<T>& values, size_t i, size_t units, const char* flag, T* out, std::string* error)
{
    if (values.empty())
        return true;
    if (values.size() != 1 && values.size() != units) {
        *error = std::string(flag) + " is given " + std::to_string(values.size()) + " times for "
            + std::to_string(units) + " --controlnet units (give it once, or once per unit)";
        return false;
    }
    *out = values.size() == 1 ? values[0] : values[i];
    return true;
}

} // namespace

bool controlUnitsFromFlags(const ControlNetFlags& f, const QStringList& moreDirs,
    QList<ControlUnitRequest>* units, std::string* error)
{
    QStringList dirs;
    for (const std::string& d : f.dirs)
        dirs << QString::fromStdString(d);
    dirs << moreDirs;
    units->clear();
    const size_t n = f.models.size();
    if (n == 0) {
        const bool stray = !f.images.empty() || !f.preprocessors.empty() || !f.weights.empty();
        if (stray)
            *error = "--control-image / --control-preprocessor / --control-weight need --controlnet MODEL";
        return !stray;
    }
    if (f.images.size() != n) {
        *error = "each --controlnet needs its --control-image (" + std::to_string(n) + " units, "
            + std::to_string(f.images.size()) + " images)";
        return false;
    }
    for (size_t i = 0; i < n; ++i) {
        ControlUnitRequest u;
        const auto model = findControlNetModel(QString::fromStdString(f.models[i]), dirs);
        if (!model) {
            *error = "--controlnet " + f.models[i] + ": no such ControlNet file, and none of that name in "
                + (dirs.isEmpty() ? std::string("any ControlNet folder (give --controlnet-dir)")
                                  : dirs.join(QStringLiteral(", ")).toStdString());
            return false;
        }
        u.model = model->path;
        QImageReader reader(QString::fromStdString(f.images[i]));
        reader.setAutoTransform(true);
        u.image = reader.read();
        if (u.image.isNull()) {
            *error = "--control-image " + f.images[i] + ": " + reader.errorString().toStdString();
            return false;
        }
        std::string module = "none", mode, resize;
        if (!pick(f.preprocessors, i, n, "--control-preprocessor", &module, error)
            || !pick(f.weights, i, n, "--control-weight", &u.weight, error)
            || !pick(f.starts, i, n, "--control-start", &u.guidanceStart, error)
            || !pick(f.ends, i, n, "--control-end", &u.guidanceEnd, error)
            || !pick(f.modes, i, n, "--control-mode", &mode, error)
            || !pick(f.resizes, i, n, "--control-resize", &resize, error)
            || !pick(f.resolutions, i, n, "--control-res", &u.processorRes, error)
            || !pick(f.thresholdsA, i, n, "--control-threshold-a", &u.thresholdA, error)
            || !pick(f.thresholdsB, i, n, "--control-threshold-b", &u.thresholdB, error))
            return false;
        u.module = QString::fromStdString(module);
        if (!findControlPreprocessor(u.module)) {
            *error = "--control-preprocessor " + module + ": no such preprocessor (see preprocess --list)";
            return false;
        }
        const std::pair<const char*, ControlMode> modes[] = { { "balanced", ControlMode::Balanced },
            { "prompt", ControlMode::PromptImportant }, { "controlnet", ControlMode::ControlNetImportant } };
        const std::pair<const char*, ControlResizeMode> resizes[]
            = { { "just", ControlResizeMode::JustResize }, { "crop", ControlResizeMode::CropAndResize },
                  { "fill", ControlResizeMode::ResizeAndFill } };
        bool known = mode.empty();
        for (const auto& [name, value] : modes)
            if (mode == name) {
                u.controlMode = value;
                known = true;
            }
        if (!known) {
            *error = "--control-mode " + mode + ": expected balanced, prompt or controlnet";
            return false;
        }
        known = resize.empty();
        for (const auto& [name, value] : resizes)
            if (resize == name) {
                u.resizeMode = value;
                known = true;
            }
        if (!known) {
            *error = "--control-resize " + resize + ": expected just, crop or fill";
            return false;
        }
        if (!(u.weight >= 0 && u.weight <= 2)) {
            *error = "--control-weight " + std::to_string(u.weight) + " is outside 0..2";
            return false;
        }
        if (!(u.guidanceStart >= 0 && u.guidanceEnd <= 1 && u.guidanceStart <= u.guidanceEnd)) {
            *error = "--control-start / --control-end must satisfy 0 <= start <= end <= 1";
            return false;
        }
        units->append(u);
    }
    return true;
}

} // namespace qd::cli
