#include "core/demo/ShapeJudge.h"

#include "core/demo/ShapeGeometry.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace qd::demo
{

namespace
{

// RGB distances. A pixel this far from the background's median is a shape pixel (half-way between
// two named colours at least 100 apart: an anti-aliased edge is cut in its middle).
constexpr double ShapeThreshold = 50;
// A border (shape) pixel this close to the median counts as "the" background (shape) colour.
constexpr double SameColour = 40;
// A median farther than this from every named colour is no named colour.
constexpr double NearestLimit = 70;
// Shares of pixels a confident reading needs: of the border, and of the shapes' inner pixels (lower:
// a small ring at 64 x 64 is a band under 3 pixels wide, and keeps few unblended pixels).
constexpr double MinShare = 0.7;
constexpr double MinColourShare = 0.55;
// Components smaller than this (times the side squared) are specks; a small star is about 0.02.
constexpr double MinArea = 0.003;
// A convexity defect deeper than this (times the square root of the hull's area) is a notch
// between arms: about 0.21 for the star, 0.28 for the cross, near 0 for convex shapes.
constexpr double DeepDefect = 0.1;

cv::Vec3b median(std::vector<cv::Vec3b> pixels)
{
    cv::Vec3b m;
    if (pixels.empty())
        return m;
    for (int c = 0; c < 3; ++c) {
        std::vector<uchar> v(pixels.size());
        for (size_t i = 0; i < pixels.size(); ++i)
            v[i] = pixels[i][c];
        std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
        m[c] = v[v.size() / 2];
    }
    return m;
}

double shareNear(const std::vector<cv::Vec3b>& pixels, const cv::Vec3b& centre)
{
    if (pixels.empty())
        return 0;
    const auto n = std::count_if(pixels.begin(), pixels.end(),
        [&](const cv::Vec3b& p) { return colourDistance(p, centre) < SameColour; });
    return double(n) / pixels.size();
}

int nearestColour(const cv::Vec3b& rgb)
{
    const auto& colours = namedColours();
    int best = -1;
    double bestDistance = NearestLimit;
    for (int i = 0; i < int(colours.size()); ++i) {
        const double d = colourDistance(rgb, colours[i].rgb);
        if (d <= bestDistance) {
            best = i;
            bestDistance = d;
        }
    }
    return best;
}

struct Outline {
    bool known = false;
    Shape shape = Shape::Circle;
    double solidity = 0, circularity = 0, triangleFit = 0, rectangleFit = 0, reach = 0; // reach in pixels
    int defects = 0, holes = 0;
};

// The class of one component (a binary mask holding only it), by the rules of docs/demo-model.md.
Outline classify(const cv::Mat& mask)
{
    Outline o;
    std::vector<std::vector<cv::Point>> contours;
    std::vector<cv::Vec4i> hierarchy; // [next, previous, first child, parent]
    cv::findContours(mask, contours, hierarchy, cv::RETR_CCOMP, cv::CHAIN_APPROX_NONE);
    int outer = -1;
    for (int i = 0; i < int(contours.size()); ++i)
        if (hierarchy[i][3] < 0
            && (outer < 0 || cv::contourArea(contours[i]) > cv::contourArea(contours[outer])))
            outer = i;
    if (outer < 0 || contours[outer].size() < 5)
        return o;
    const auto& contour = contours[outer];
    const double area = cv::contourArea(contour);
    for (int i = 0; i < int(contours.size()); ++i)
        if (hierarchy[i][3] == outer && cv::contourArea(contours[i]) >= 0.05 * area)
            ++o.holes;

    std::vector<cv::Point> hull;
    cv::convexHull(contour, hull);
    const double hullArea = cv::contourArea(hull), hullLength = cv::arcLength(hull, true);
    if (hullArea <= 0 || hullLength <= 0)
        return o;
    o.solidity = area / hullArea;
    o.circularity = 4 * CV_PI * hullArea / (hullLength * hullLength);
    // How well the hull fills the smallest triangle and rectangle around it: rotation-free, and
    // steadier on small pixelated outlines than vertex counts or the circularity.
    std::vector<cv::Point2f> triangle;
    o.triangleFit = hullArea / std::max(1e-9, cv::minEnclosingTriangle(hull, triangle));
    o.rectangleFit = hullArea / std::max(1e-9, double(cv::minAreaRect(hull).size.area()));
    cv::Point2f c;
    float r = 0;
    cv::minEnclosingCircle(contour, c, r);
    o.reach = r;

    std::vector<int> hullIndices;
    cv::convexHull(contour, hullIndices, false, false);
    std::vector<cv::Vec4i> defects;
    if (hullIndices.size() >= 3) {
        try {
            cv::convexityDefects(contour, hullIndices, defects);
        } catch (const cv::Exception&) {
            defects.clear(); // a self-touching outline; the solidity rule still applies
        }
    }
    const double deep = DeepDefect * std::sqrt(hullArea);
    for (const auto& d : defects)
        o.defects += d[3] / 256.0 > deep; // depth is fixed-point, 8 fractional bits

    o.known = true;
    if (o.holes >= 1)
        o.shape = Shape::Ring;
    else if (o.defects >= 5)
        o.shape = Shape::Star;
    else if (o.defects == 4)
        o.shape = Shape::Cross;
    else if (o.solidity < 0.64) // a star is 0.59, a cross 0.69, convex shapes 1
        o.shape = Shape::Star;
    else if (o.solidity < 0.78) // small pixelated triangles come down to 0.84
        o.shape = Shape::Cross;
    else if (o.triangleFit >= 0.8) // triangles about 0.95, circles 0.60, squares 0.50
        o.shape = Shape::Triangle;
    else if (o.rectangleFit >= 0.88) // squares about 0.97, circles 0.79
        o.shape = Shape::Square;
    else
        o.shape = Shape::Circle;
    return o;
}

} // namespace

Judgement judgeImage(const cv::Mat& picture)
{
    if (picture.type() != CV_8UC3 || picture.rows < 16 || picture.cols < 16)
        throw std::invalid_argument("judgeImage: expected an RGB uint8 picture of at least 16 x 16, got "
            + std::to_string(picture.cols) + " x " + std::to_string(picture.rows) + " of type "
            + std::to_string(picture.type()));
    // A 3 x 3 median first, from 96 pixels up: a model's grain would otherwise break plain colours
    // into specks (with it, sigma-30 noise is read as well as clean pictures at 128). At 64 a small
    // star's arms are 3-4 pixels thick and the median would blunt them into a cross.
    cv::Mat rgb = picture;
    if (std::min(picture.rows, picture.cols) >= 96)
        cv::medianBlur(picture, rgb, 3);
    Judgement j;
    const int side = std::min(rgb.rows, rgb.cols);
    auto doubt = [&](const std::string& why) {
        if (j.doubt.empty())
            j.doubt = why;
    };

    // 1. The background: the median of a border strip (1/32 of the side) and its nearest colour.
    const int strip = std::max(1, side / 32);
    std::vector<cv::Vec3b> border;
    for (int y = 0; y < rgb.rows; ++y)
        for (int x = 0; x < rgb.cols; ++x)
            if (y < strip || x < strip || y >= rgb.rows - strip || x >= rgb.cols - strip)
                border.push_back(rgb.at<cv::Vec3b>(y, x));
    j.backgroundRgb = median(border);
    j.backgroundShare = shareNear(border, j.backgroundRgb);
    j.background = nearestColour(j.backgroundRgb);
    if (j.backgroundShare < MinShare)
        doubt("the border is not one plain colour");
    else if (j.background < 0)
        doubt("the background is no named colour");

    // 2. Shape pixels: far from the measured background; shapes are their large components.
    cv::Mat mask(rgb.size(), CV_8U);
    for (int y = 0; y < rgb.rows; ++y)
        for (int x = 0; x < rgb.cols; ++x)
            mask.at<uchar>(y, x)
                = colourDistance(rgb.at<cv::Vec3b>(y, x), j.backgroundRgb) > ShapeThreshold ? 255 : 0;
    cv::Mat labels, stats, centroids;
    const int n = cv::connectedComponentsWithStats(mask, labels, stats, centroids, 8, CV_32S);
    const double minArea = MinArea * side * side;
    int largest = -1;
    for (int i = 1; i < n; ++i)
        if (stats.at<int>(i, cv::CC_STAT_AREA) >= minArea
            && (largest < 0 || stats.at<int>(i, cv::CC_STAT_AREA) > stats.at<int>(largest, cv::CC_STAT_AREA)))
            largest = i;
    if (largest < 0) {
        doubt("no shape stands out from the background");
        return j;
    }
    std::vector<int> shapes;
    const int largestArea = stats.at<int>(largest, cv::CC_STAT_AREA);
    int counted = 0;
    for (int i = 1; i < n; ++i)
        if (stats.at<int>(i, cv::CC_STAT_AREA) >= std::max(minArea, largestArea / 3.0)) {
            shapes.push_back(i);
            counted += stats.at<int>(i, cv::CC_STAT_AREA);
        }
    j.count = int(shapes.size());
    if (j.count > 2)
        doubt(std::to_string(j.count) + " shapes");
    if (counted < 0.8 * cv::countNonZero(mask))
        doubt("much of what differs from the background is specks, not shapes");

    // 3. The colour: the median of the shapes' pixels, their anti-aliased rim eroded away when
    //    enough is left.
    cv::Mat shapeMask = cv::Mat::zeros(rgb.size(), CV_8U);
    for (int i : shapes)
        shapeMask.setTo(255, labels == i);
    cv::Mat inner;
    cv::erode(shapeMask, inner, cv::getStructuringElement(cv::MORPH_RECT, { 3, 3 }));
    if (cv::countNonZero(inner) < 0.3 * counted)
        inner = shapeMask;
    std::vector<cv::Vec3b> pixels;
    for (int y = 0; y < rgb.rows; ++y)
        for (int x = 0; x < rgb.cols; ++x)
            if (inner.at<uchar>(y, x))
                pixels.push_back(rgb.at<cv::Vec3b>(y, x));
    j.colourRgb = median(pixels);
    j.colourShare = shareNear(pixels, j.colourRgb);
    j.colour = nearestColour(j.colourRgb);
    if (j.colourShare < MinColourShare)
        doubt("the shapes are not one plain colour");
    else if (j.colour < 0)
        doubt("the shapes' colour is no named colour");
    else if (j.colour == j.background)
        doubt("the shapes and the background have the same colour");

    // 4. The class of each shape; the largest one's is the picture's.
    for (size_t k = 0; k < shapes.size(); ++k) {
        const Outline o = classify(labels == shapes[k]);
        if (shapes[k] == largest) {
            j.shapeKnown = o.known;
            j.shape = o.shape;
            j.solidity = o.solidity;
            j.circularity = o.circularity;
            j.triangleFit = o.triangleFit;
            j.rectangleFit = o.rectangleFit;
            j.defects = o.defects;
            j.holes = o.holes;
            j.reach = o.reach / side;
        } else if (o.known && o.shape != j.shape && j.shapeKnown) {
            doubt("two shapes of different kinds");
        }
    }
    if (!j.shapeKnown)
        doubt("no outline could be read");
    j.size = j.reach < SizeThreshold ? ShapeSize::Small : ShapeSize::Large;

    // 5. Where: the centroid of all shape pixels.
    const cv::Moments m = cv::moments(shapeMask, true);
    j.centroid = { m.m10 / m.m00 / rgb.cols, m.m01 / m.m00 / rgb.rows };
    const double dx = j.centroid.x - 0.5, dy = j.centroid.y - 0.5;
    if (std::max(std::abs(dx), std::abs(dy)) < CentreThreshold)
        j.position = Position::Centre;
    else if (std::abs(dx) >= std::abs(dy))
        j.position = dx < 0 ? Position::Left : Position::Right;
    else
        j.position = dy < 0 ? Position::Top : Position::Bottom;

    j.confident = j.doubt.empty();
    return j;
}

bool matches(const Judgement& j, const Scene& scene)
{
    return j.confident && j.colour == scene.colour && j.background == scene.background && j.shapeKnown
        && j.shape == scene.shape;
}

bool matchesFully(const Judgement& j, const Scene& scene)
{
    return matches(j, scene) && j.count == scene.count && j.size == scene.size
        && j.position == scene.position;
}

std::string describe(const Judgement& j)
{
    const auto& colours = namedColours();
    auto name = [&](int i) { return i >= 0 ? colours[i].name : "unnamed"; };
    const std::string shape = !j.shapeKnown ? "shapes"
        : j.count == 2                      ? shapePlural(j.shape)
                                            : shapeName(j.shape);
    return std::to_string(j.count) + " " + sizeName(j.size) + " " + name(j.colour) + " " + shape + ", "
        + positionName(j.position) + ", on " + name(j.background)
        + (j.confident ? " (confident)" : " (unsure: " + j.doubt + ")");
}

} // namespace qd::demo
