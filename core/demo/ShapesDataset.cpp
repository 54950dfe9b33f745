#include "core/demo/ShapesDataset.h"

#include "core/demo/ShapeGeometry.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace qd::demo
{

const std::vector<NamedColour>& namedColours()
{
    // Chosen so that every two are at least 100 apart in RGB (orange / yellow, purple / grey are the
    // closest): the judge's nearest-colour rule then has room for a model's imprecise colours.
    static const std::vector<NamedColour> colours = {
        { "red", { 220, 30, 30 } },
        { "orange", { 245, 130, 20 } },
        { "yellow", { 250, 230, 40 } },
        { "green", { 40, 160, 60 } },
        { "blue", { 40, 80, 220 } },
        { "purple", { 140, 50, 190 } },
        { "pink", { 250, 130, 200 } },
        { "white", { 245, 245, 245 } },
        { "black", { 20, 20, 20 } },
        { "brown", { 115, 65, 25 } },
        { "grey", { 128, 128, 128 } },
    };
    return colours;
}

bool allowedBackground(int colour, int background)
{
    const auto& c = namedColours();
    if (colour == background || colour < 0 || background < 0 || colour >= int(c.size())
        || background >= int(c.size()))
        return false;
    return colourDistance(c[colour].rgb, c[background].rgb) >= MinBackgroundContrast;
}

const char* shapeName(Shape shape)
{
    static const char* names[] = { "circle", "square", "triangle", "star", "ring", "cross" };
    return names[int(shape)];
}

const char* shapePlural(Shape shape)
{
    static const char* names[] = { "circles", "squares", "triangles", "stars", "rings", "crosses" };
    return names[int(shape)];
}

const char* sizeName(ShapeSize size)
{
    return size == ShapeSize::Small ? "small" : "large";
}

const char* positionName(Position position)
{
    static const char* names[] = { "centre", "left", "right", "top", "bottom" };
    return names[int(position)];
}

bool Scene::operator==(const Scene& o) const
{
    return shape == o.shape && colour == o.colour && background == o.background && size == o.size
        && position == o.position && count == o.count && stacked == o.stacked && variation == o.variation;
}

const std::vector<std::pair<int, Shape>>& heldOutPairs()
{
    // Indices into namedColours(): red star, orange square, yellow ring, green cross, blue triangle,
    // purple circle. Each shape once, each of the six first colours once; every colour and shape
    // still appears in training with other partners.
    static const std::vector<std::pair<int, Shape>> pairs = {
        { 0, Shape::Star },
        { 1, Shape::Square },
        { 2, Shape::Ring },
        { 3, Shape::Cross },
        { 4, Shape::Triangle },
        { 5, Shape::Circle },
    };
    return pairs;
}

bool isHeldOut(int colour, Shape shape)
{
    const auto& pairs = heldOutPairs();
    return std::find(pairs.begin(), pairs.end(), std::make_pair(colour, shape)) != pairs.end();
}

int randomInt(std::mt19937_64& rng, int n)
{
    // The modulo bias is below 2^-50 for the small n used here.
    return int(rng() % uint64_t(n));
}

double randomUnit(std::mt19937_64& rng)
{
    return double(rng() >> 11) * 0x1.0p-53;
}

Scene sampleScene(std::mt19937_64& rng, bool excludeHeldOut)
{
    const int colours = int(namedColours().size());
    Scene s;
    do {
        s.colour = randomInt(rng, colours);
        s.shape = Shape(randomInt(rng, ShapeCount));
    } while (excludeHeldOut && isHeldOut(s.colour, s.shape));
    do
        s.background = randomInt(rng, colours);
    while (!allowedBackground(s.colour, s.background));
    s.size = ShapeSize(randomInt(rng, SizeCount));
    s.position = Position(randomInt(rng, PositionCount));
    s.count = 1 + randomInt(rng, 2);
    s.stacked = s.count == 2 && s.position == Position::Centre && randomInt(rng, 2) == 1;
    s.variation = rng();
    return s;
}

// ---- geometry ----------------------------------------------------------------------------------

namespace
{

// Corners of a regular polygon-like outline around the origin, radius in pixels, angle in radians,
// y pointing down; the first corner points up.
std::vector<cv::Point2d> outline(Shape shape, double r, double angle)
{
    std::vector<cv::Point2d> p;
    auto polar = [&](double radius, double a) {
        p.emplace_back(radius * std::sin(a + angle), -radius * std::cos(a + angle));
    };
    switch (shape) {
    case Shape::Square:
        for (int i = 0; i < 4; ++i)
            polar(r * SquareHalfSide * std::sqrt(2.0), CV_PI / 4 + i * CV_PI / 2);
        break;
    case Shape::Triangle:
        for (int i = 0; i < 3; ++i)
            polar(r * TriangleReach, i * 2 * CV_PI / 3);
        break;
    case Shape::Star:
        for (int i = 0; i < 10; ++i)
            polar(r * StarReach * (i % 2 ? StarInner : 1.0), i * CV_PI / 5);
        break;
    case Shape::Cross: {
        // A plus sign: arms of half-length CrossArm, half-thickness CrossThick (times r).
        const double a = r * CrossArm, t = r * CrossThick;
        const cv::Point2d q[12] = { { -t, -a }, { t, -a }, { t, -t }, { a, -t }, { a, t }, { t, t }, { t, a },
            { -t, a }, { -t, t }, { -a, t }, { -a, -t }, { -t, -t } };
        const double c = std::cos(angle), s = std::sin(angle);
        for (const auto& v : q)
            p.emplace_back(v.x * c - v.y * s, v.x * s + v.y * c);
        break;
    }
    case Shape::Circle:
    case Shape::Ring:
        break;
    }
    return p;
}

} // namespace

double shapeReach(Shape shape)
{
    switch (shape) {
    case Shape::Square:
        return SquareHalfSide * std::sqrt(2.0);
    case Shape::Triangle:
        return TriangleReach;
    case Shape::Star:
        return StarReach;
    case Shape::Cross:
        return std::hypot(CrossArm, CrossThick);
    default:
        return 1.0;
    }
}

double colourDistance(const cv::Vec3b& a, const cv::Vec3b& b)
{
    const double d0 = a[0] - b[0], d1 = a[1] - b[1], d2 = a[2] - b[2];
    return std::sqrt(d0 * d0 + d1 * d1 + d2 * d2);
}

Layout layoutOf(const Scene& scene)
{
    // The jitter draws from the scene's own generator, in a fixed order, so that a scene always
    // looks the same whatever was drawn before it.
    std::mt19937_64 rng(scene.variation);
    auto jitter = [&](double amount) { return (2 * randomUnit(rng) - 1) * amount; };

    Layout l;
    const double base = scene.size == ShapeSize::Small ? SmallRadius : LargeRadius;
    l.radius = base * (1 + jitter(RadiusJitter));
    const double reach = l.radius * shapeReach(scene.shape);

    cv::Point2d centre(0.5, 0.5);
    switch (scene.position) {
    case Position::Left:
        centre.x = SideOffset;
        break;
    case Position::Right:
        centre.x = 1 - SideOffset;
        break;
    case Position::Top:
        centre.y = SideOffset;
        break;
    case Position::Bottom:
        centre.y = 1 - SideOffset;
        break;
    case Position::Centre:
        break;
    }
    centre.x += jitter(PlaceJitter);
    centre.y += jitter(PlaceJitter);

    // Two shapes lie along the axis that keeps them inside the picture: one above the other on the
    // left and right, side by side at the top and bottom, either way in the centre.
    const bool vertical = scene.position == Position::Left || scene.position == Position::Right
        || (scene.position == Position::Centre && scene.stacked);
    const double half = scene.count == 2 ? reach + PairGap / 2 : 0.0;
    const cv::Point2d axis = vertical ? cv::Point2d(0, 1) : cv::Point2d(1, 0);

    // Keep every shape at least Margin inside the edges (a large pair fills most of its axis).
    const double ex = reach + half * axis.x, ey = reach + half * axis.y;
    centre.x = std::clamp(centre.x, std::min(0.5, Margin + ex), std::max(0.5, 1 - Margin - ex));
    centre.y = std::clamp(centre.y, std::min(0.5, Margin + ey), std::max(0.5, 1 - Margin - ey));

    for (int i = 0; i < scene.count; ++i) {
        const double side = scene.count == 2 ? (i == 0 ? -1.0 : 1.0) : 0.0;
        l.centres.push_back(centre + axis * (side * half));
        l.angles.push_back(jitter(AngleJitter) * CV_PI / 180);
    }
    return l;
}

cv::Mat drawScene(const Scene& scene, int size)
{
    if (size < 16)
        throw std::invalid_argument("drawScene: size " + std::to_string(size) + " is below 16 pixels");
    const auto& colours = namedColours();
    if (scene.colour < 0 || scene.colour >= int(colours.size()) || scene.background < 0
        || scene.background >= int(colours.size()))
        throw std::invalid_argument("drawScene: colour index out of range in " + describe(scene));
    const cv::Vec3b fg = colours[scene.colour].rgb, bg = colours[scene.background].rgb;
    const cv::Scalar fgs(fg[0], fg[1], fg[2]), bgs(bg[0], bg[1], bg[2]);

    // Drawn at Supersample x the size with hard edges, then area-averaged: exact anti-aliasing.
    const int big = size * Supersample;
    constexpr int shift = 4; // sub-pixel bits of the drawing coordinates
    const double unit = big * double(1 << shift);
    cv::Mat canvas(big, big, CV_8UC3, bgs);
    const Layout l = layoutOf(scene);
    auto fixed = [&](double v) { return int(std::lround(v * unit)); };
    for (size_t i = 0; i < l.centres.size(); ++i) {
        const cv::Point c(fixed(l.centres[i].x), fixed(l.centres[i].y));
        if (scene.shape == Shape::Circle || scene.shape == Shape::Ring) {
            cv::circle(canvas, c, fixed(l.radius), fgs, cv::FILLED, cv::LINE_8, shift);
            if (scene.shape == Shape::Ring)
                cv::circle(canvas, c, fixed(l.radius * RingInner), bgs, cv::FILLED, cv::LINE_8, shift);
            continue;
        }
        std::vector<cv::Point> poly;
        for (const auto& v : outline(scene.shape, l.radius, l.angles[i]))
            poly.emplace_back(c.x + fixed(v.x), c.y + fixed(v.y));
        cv::fillPoly(canvas, std::vector<std::vector<cv::Point>> { poly }, fgs, cv::LINE_8, shift);
    }
    cv::Mat out;
    cv::resize(canvas, out, cv::Size(size, size), 0, 0, cv::INTER_AREA);
    return out;
}

// ---- prompts -----------------------------------------------------------------------------------

namespace
{

const char* positionPhrase(Position p)
{
    static const char* phrases[]
        = { "in the centre", "on the left", "on the right", "at the top", "at the bottom" };
    return phrases[int(p)];
}

std::string article(const std::string& next)
{
    return std::string(next.find_first_of("aeiou") == 0 ? "an" : "a");
}

} // namespace

int promptTemplateCount()
{
    return 5;
}

std::string promptOf(const Scene& scene, int index)
{
    const auto& colours = namedColours();
    const std::string colour = colours[scene.colour].name, bg = colours[scene.background].name;
    const std::string shape = scene.count == 2 ? shapePlural(scene.shape) : shapeName(scene.shape);
    const std::string size = sizeName(scene.size), pos = positionPhrase(scene.position);
    // "a red", "an orange", "a large", "two"
    auto counted = [&](const std::string& next) {
        return (scene.count == 2 ? std::string("two") : article(next)) + " " + next;
    };
    const std::string onBackground = " on " + article(bg) + " " + bg + " background";
    switch (index) {
    case 0: // a red circle on a blue background
        return counted(colour) + " " + shape + onBackground;
    case 1: // a large yellow ring on the left on a black background
        return counted(size) + " " + colour + " " + shape + " " + pos + onBackground;
    case 2: // two small green stars at the top, white background
        return counted(size) + " " + colour + " " + shape + " " + pos + ", " + bg + " background";
    case 3: // a pink cross on the right, grey background
        return counted(colour) + " " + shape + " " + pos + ", " + bg + " background";
    case 4: // a small purple square on a yellow background
        return counted(size) + " " + colour + " " + shape + onBackground;
    default:
        throw std::invalid_argument("promptOf: no prompt template " + std::to_string(index));
    }
}

std::string promptOf(const Scene& scene, std::mt19937_64& rng)
{
    return promptOf(scene, randomInt(rng, promptTemplateCount()));
}

std::string describe(const Scene& scene)
{
    const auto& colours = namedColours();
    auto name = [&](int i) { return i >= 0 && i < int(colours.size()) ? colours[i].name : "?"; };
    return std::string(scene.count == 2 ? "two " : "one ") + sizeName(scene.size) + " " + name(scene.colour)
        + " " + (scene.count == 2 ? shapePlural(scene.shape) : shapeName(scene.shape)) + ", "
        + positionName(scene.position) + ", on " + name(scene.background);
}

} // namespace qd::demo
