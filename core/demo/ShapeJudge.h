#pragma once
// Reads back what a picture of the demo world shows, with classical OpenCV only: the background
// colour, the shapes' colour, their class by contour analysis, how many, how large and where. It
// is how tests judge the demo model's outputs by meaning (issue 15); the rules are in
// docs/demo-model.md ("The judge").
#include "core/demo/ShapesDataset.h"

#include <string>

namespace qd::demo
{

struct Judgement {
    // Whether the picture looks like a scene at all: a plain background along the border, shape
    // pixels of one clear colour, a recognised outline, one or two shapes. The fields below are
    // filled as well as they can be either way.
    bool confident = false;
    std::string doubt; // why not confident ("" when confident)

    int background = -1; // nearest named colour of the border, -1 when none is near
    int colour = -1; // nearest named colour of the shape pixels, -1 when none is near
    bool shapeKnown = false;
    Shape shape = Shape::Circle; // of the largest shape; meaningful when shapeKnown
    int count = 0; // shapes of at least a third of the largest one's area
    ShapeSize size = ShapeSize::Small; // of the largest shape
    Position position = Position::Centre; // of the centroid of all shape pixels

    // Measured values, for reports and tuning.
    cv::Vec3b backgroundRgb, colourRgb; // medians
    double backgroundShare = 0; // border pixels close to the border's median colour
    double colourShare = 0; // shape pixels close to the shape pixels' median colour
    double reach = 0; // the largest shape's enclosing radius / side
    cv::Point2d centroid; // in [0, 1]^2
    // Of the largest shape: area / hull area, the hull's circularity, and the hull's area over that
    // of the smallest enclosing triangle and rectangle.
    double solidity = 0, circularity = 0, triangleFit = 0, rectangleFit = 0;
    int defects = 0; // deep convexity defects of the largest shape
    int holes = 0; // holes of the largest shape
};

// `rgb`: an RGB uint8 picture of any size of at least 16 x 16 (the judge's thresholds are
// fractions of the side).
Judgement judgeImage(const cv::Mat& rgb);

// The criterion: confident, and the shape's colour, the background colour and the shape
// class are the scene's. Count, size and position are reported apart (matchesFully).
bool matches(const Judgement& judgement, const Scene& scene);
// matches() and also the count, the size and the position.
bool matchesFully(const Judgement& judgement, const Scene& scene);

// "two large red stars, left, on blue (confident)" or "... (unsure: <doubt>)".
std::string describe(const Judgement& judgement);

} // namespace qd::demo
