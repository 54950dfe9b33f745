#pragma once
// AUTOMATIC1111's "X/Y/Z plot" script (scripts/xyz_grid.py): up to three axes, each a parameter and a
// list of values, expanded into one ordinary job per cell. Values are written as A1111 takes them:
// a CSV list ("a, \"b, c\""), and for number axes ranges: `1-5` (step 1), `1-5 (+2)` (step),
// `10-20 [5]` (count, evenly spaced, ints truncated), the same with decimals for float axes. For
// Prompt S/R the first value is the text searched for in the prompt and the negative prompt; every
// value (the first included) replaces it in one column. "LoRA weight" (QDiffusion's own, not in
// A1111) sets the weight of every <lora:NAME:WEIGHT> tag in the prompts.
//
// The cells run z slowest, then y, then x, as A1111 orders them, except that an axis of costly
// values (Checkpoint name, VAE) runs slowest so that each model loads once. Unless keepRandomSeeds,
// a seed of -1 is drawn once for the whole plot (and -1 values on a Seed axis once each), so that
// cells differ only by their axis values.
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>
#include <vector>

#include "core/generation/JobBuilder.h"

namespace qd
{

class StyleDatabase;

enum class XyzKind { Nothing, Int, Float, Text };

struct XyzAxisType {
    QString label; // A1111's label, e.g. "CFG Scale"
    XyzKind kind;
    int scope; // 0 both, 1 txt2img only, 2 img2img only (A1111's AxisOptionTxt2Img / Img2Img)
    bool supported; // QDiffusion can sweep it
    double cost; // A1111's: the costliest axis runs slowest
};

// A1111 v1.10's axis options in its order (the index a script_args type refers to), then
// QDiffusion's own; unsupported ones are listed so that indices match.
const QList<XyzAxisType>& xyzAxisTypes();
// The labels a txt2img or img2img plot offers, in A1111's order (script_args index -> label);
// `supportedOnly` drops those QDiffusion cannot sweep (the GUI's list).
QStringList xyzAxisLabels(bool img2img, bool supportedOnly);
// A type by label, any case; nullopt when unknown.
std::optional<XyzAxisType> findXyzAxisType(const QString& label);

// A1111's csv_string_to_list_strip: one CSV record (quotes protect commas), items trimmed.
QStringList splitXyzValues(const QString& text);
// The values of an axis of `type` written as `text`, ranges expanded, numbers checked and written
// normalised ("7.5", ints as ints). False with *error naming the value that is not a number.
bool parseXyzValues(const QString& type, const QString& text, QStringList* values, QString* error);
// An axis label as A1111 draws it: "Steps: 20", "CFG Scale: 7.0" (floats as Python prints them),
// the bare value for Prompt S/R and Sampler, the file name for Checkpoint name, "" for Nothing.
QString xyzValueLabel(const QString& type, const QString& value);

struct XyzAxis {
    QString type = QStringLiteral("Nothing");
    QString text; // the values as written (the grid's infotext records it)
    QStringList values; // parsed; one empty value for Nothing
};

struct XyzCell {
    int ix = 0, iy = 0, iz = 0;
    JobRequest request; // the base request with the three values applied
};

struct XyzPlan {
    XyzAxis x, y, z;
    JobRequest base; // seed settled (unless keepRandomSeeds)
    std::vector<XyzCell> cells; // in run order
    int count(int axis) const; // values along axis 0 (x), 1 (y), 2 (z)
    int cellIndex(int ix, int iy, int iz) const { return ix + iy * count(0) + iz * count(0) * count(1); }
    QStringList labels(int axis) const;
};

// The cells of a plot over `base`. A Styles axis adds its names to the request's styles (applied
// when each job is built); `styles`, when given, checks them now. False with *error naming the axis and value
// that cannot apply (an unknown type, a sampler or schedule type that does not exist, Prompt S/R text not in
// the prompts, a LoRA weight without a <lora:...> tag, more than `maxCells` cells).
bool planXyz(const JobRequest& base, const XyzAxis& x, const XyzAxis& y, const XyzAxis& z, bool img2img,
    XyzPlan* out, QString* error, const StyleDatabase* styles = nullptr, bool keepRandomSeeds = false,
    int maxCells = 1000);
// Parses "TYPE:VALUES" (the CLI's --xyz-x "Steps:10,20"); the type any case.
bool parseXyzAxisSpec(const QString& spec, XyzAxis* out, QString* error);

// The infotext extras A1111 gives a grid: Script, X Type / X Values (+ Fixed X Values for seeds), Y ...,
// and for the main grid Z ... as well.
void addXyzGridExtras(GenerationParams* params, const XyzPlan& plan, bool withZ);

} // namespace qd
