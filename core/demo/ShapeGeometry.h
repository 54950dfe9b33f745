#pragma once
// Private to qd_demo: the measures the drawing uses and the judge reads back. Lengths are fractions
// of the picture's side, so one scene looks the same at 64 and 128 pixels.
#include "core/demo/ShapesDataset.h"

#include <vector>

namespace qd::demo
{

constexpr int Supersample = 4; // drawn at 4x, then area-averaged

// A shape's radius r: a circle's radius; other shapes are scaled so that their areas come close
// (about 2.0-3.1 r^2) and none reaches further than 1.25 r from its centre.
constexpr double SmallRadius = 0.095; // 12 px at 128
constexpr double LargeRadius = 0.17; // 22 px at 128
constexpr double RadiusJitter = 0.06; // r varies by +-6 %
constexpr double RingInner = 0.55; // the ring's hole, times r
constexpr double SquareHalfSide = 0.82;
constexpr double TriangleReach = 1.25; // circumradius of the equilateral triangle
constexpr double StarReach = 1.2; // five points
constexpr double StarInner = 0.48; // inner corners, times the points' radius (a regular star: 0.38)
constexpr double CrossArm = 1.05; // a plus sign's half-length
constexpr double CrossThick = 0.33; // and half-thickness

constexpr double SideOffset = 0.28; // "left" puts the centre at x = 0.28
constexpr double PlaceJitter = 0.025; // centres move by up to +-2.5 % in x and y
constexpr double AngleJitter = 12; // degrees, either way
constexpr double PairGap = 0.05; // between the reaches of two shapes
constexpr double Margin = 0.03; // kept free along every edge

// The judge's thresholds, between the ranges drawn above: the farthest reach of a small shape is
// 0.095 * 1.06 * 1.25 = 0.126, the nearest of a large one 0.17 * 0.94 * 1.0 = 0.160.
constexpr double SizeThreshold = 0.143;
// A centroid within this of the middle in both x and y is "centre" (drawn within 0.025; sides at
// 0.28 +- 0.025 from the edge, i.e. 0.195 or more from the middle).
constexpr double CentreThreshold = 0.11;

// Where drawScene puts the shapes: centres in [0, 1]^2, r as a fraction of the side, angles in
// radians; one entry per shape.
struct Layout {
    double radius = 0;
    std::vector<cv::Point2d> centres;
    std::vector<double> angles;
};
Layout layoutOf(const Scene& scene);

// How far the shape reaches from its centre, times r.
double shapeReach(Shape shape);
double colourDistance(const cv::Vec3b& a, const cv::Vec3b& b);

} // namespace qd::demo
