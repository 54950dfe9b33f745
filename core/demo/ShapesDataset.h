#pragma once
// The demo model's world (issue 15, docs/demo-model.md): one or two coloured shapes on a plain
// background, drawn procedurally with OpenCV, and the plain-English prompt that says what is drawn.
// Everything is a function of a seed: the same std::mt19937_64 state gives the same scenes, prompts
// and pixels on every machine (no std::*_distribution, whose results the standard leaves open).
#include <opencv2/core.hpp>

#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace qd::demo
{

enum class Shape { Circle, Square, Triangle, Star, Ring, Cross };
enum class ShapeSize { Small, Large };
enum class Position { Centre, Left, Right, Top, Bottom };

constexpr int ShapeCount = 6;
constexpr int SizeCount = 2;
constexpr int PositionCount = 5;

struct NamedColour {
    const char* name;
    cv::Vec3b rgb;
};

// The named colours, indexed by Scene::colour and Scene::background.
const std::vector<NamedColour>& namedColours();
// RGB distance under which a colour is never a background for another: the shape must stand out.
constexpr double MinBackgroundContrast = 100.0;
// Whether `background` may lie behind a shape of `colour` (not the same, far enough apart).
bool allowedBackground(int colour, int background);

const char* shapeName(Shape shape); // "circle", ..., "cross"
const char* shapePlural(Shape shape); // "circles", ..., "crosses"
const char* sizeName(ShapeSize size); // "small", "large"
const char* positionName(Position position); // "centre", "left", "right", "top", "bottom"

struct Scene {
    Shape shape = Shape::Circle;
    int colour = 0; // index into namedColours()
    int background = 1; // index into namedColours(); never colour
    ShapeSize size = ShapeSize::Large;
    Position position = Position::Centre;
    int count = 1; // 1 or 2: two shapes of the same kind, colour and size, apart
    bool stacked = false; // two shapes in the centre: one above the other (else side by side)
    uint64_t variation = 0; // seeds the small jitter of size, place and angle in drawScene
    bool operator==(const Scene& o) const;
};

// Colour x shape pairs kept out of training, to measure whether the model composes:
// each colour and each shape appears once.
const std::vector<std::pair<int, Shape>>& heldOutPairs();
bool isHeldOut(int colour, Shape shape);

// A uniformly drawn scene (background among the allowed ones); with excludeHeldOut, never one of
// heldOutPairs().
Scene sampleScene(std::mt19937_64& rng, bool excludeHeldOut = false);

// The scene as an RGB uint8 image of size x size, anti-aliased (drawn at 4x and area-averaged).
cv::Mat drawScene(const Scene& scene, int size = 128);

// A plain-English prompt for the scene, from a few templates: it always names the colour, the shape
// (plural for two, with "two"), and the background; size and position only in some templates.
std::string promptOf(const Scene& scene, std::mt19937_64& rng);
// The prompt of template `index` (0 .. promptTemplateCount() - 1).
std::string promptOf(const Scene& scene, int index);
int promptTemplateCount();

// "two small red stars, top, on blue": for logs and test failures.
std::string describe(const Scene& scene);

// Deterministic helpers over the raw generator (same numbers with every standard library).
int randomInt(std::mt19937_64& rng, int n); // in [0, n)
double randomUnit(std::mt19937_64& rng); // in [0, 1)

} // namespace qd::demo
