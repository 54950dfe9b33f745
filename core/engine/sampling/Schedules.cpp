#include "sampling/Schedules.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>

#include "io/StateDict.h"

namespace qd
{

namespace
{

void checkSteps(int steps, const char* what)
{
    if (steps < 1)
        throw EngineError(
            std::string(what) + " schedule: steps " + std::to_string(steps) + " (expected >= 1)");
}

void checkRange(double sigmaMin, double sigmaMax, const char* what)
{
    if (!(sigmaMin > 0 && sigmaMax > sigmaMin && std::isfinite(sigmaMax)))
        throw EngineError(std::string(what) + " schedule: sigma range [" + std::to_string(sigmaMin) + ", "
            + std::to_string(sigmaMax) + "] (expected 0 < sigma_min < sigma_max)");
}

// torch.linspace / np.linspace semantics: n points from a to b, the last exactly b.
double lerpPoint(double a, double b, int i, int n)
{
    return n > 1 ? (i == n - 1 ? b : a + (b - a) * i / (n - 1)) : a;
}

std::string lower(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

} // namespace

std::vector<double> defaultSigmas(int steps, const NoiseSchedule& model)
{
    checkSteps(steps, "default");
    std::vector<double> out;
    for (double t : model.inferenceTimesteps(steps, TimestepGrid::Fractional))
        out.push_back(toFloat32(model.sigmaAtTimestep(t)));
    out.push_back(0.0);
    return out;
}

std::vector<double> uniformSigmas(int steps, const NoiseSchedule& model)
{
    checkSteps(steps, "Uniform");
    const double tMax = model.numTrainTimesteps() - 1;
    std::vector<double> out;
    for (int i = 0; i < steps; ++i)
        out.push_back(model.timestepToSigma(lerpPoint(tMax, 0.0, i, steps)));
    out.push_back(0.0);
    return out;
}

std::vector<double> karrasSigmas(int steps, double sigmaMin, double sigmaMax, double rho)
{
    checkSteps(steps, "Karras");
    checkRange(sigmaMin, sigmaMax, "Karras");
    const double minInv = std::pow(sigmaMin, 1.0 / rho), maxInv = std::pow(sigmaMax, 1.0 / rho);
    std::vector<double> out;
    for (int i = 0; i < steps; ++i)
        out.push_back(std::pow(maxInv + lerpPoint(0.0, 1.0, i, steps) * (minInv - maxInv), rho));
    out.push_back(0.0);
    return out;
}

std::vector<double> exponentialSigmas(int steps, double sigmaMin, double sigmaMax)
{
    checkSteps(steps, "Exponential");
    checkRange(sigmaMin, sigmaMax, "Exponential");
    std::vector<double> out;
    for (int i = 0; i < steps; ++i)
        out.push_back(std::exp(lerpPoint(std::log(sigmaMax), std::log(sigmaMin), i, steps)));
    out.push_back(0.0);
    return out;
}

std::vector<double> polyexponentialSigmas(int steps, double sigmaMin, double sigmaMax, double rho)
{
    checkSteps(steps, "Polyexponential");
    checkRange(sigmaMin, sigmaMax, "Polyexponential");
    std::vector<double> out;
    for (int i = 0; i < steps; ++i) {
        const double ramp = std::pow(lerpPoint(1.0, 0.0, i, steps), rho);
        out.push_back(std::exp(ramp * (std::log(sigmaMax) - std::log(sigmaMin)) + std::log(sigmaMin)));
    }
    out.push_back(0.0);
    return out;
}

std::vector<double> sgmUniformSigmas(int steps, const NoiseSchedule& model)
{
    checkSteps(steps, "SGM Uniform");
    const double start = model.sigmaToTimestep(model.sigmaMax()),
                 end = model.sigmaToTimestep(model.sigmaMin());
    std::vector<double> out;
    for (int i = 0; i < steps; ++i) // linspace(start, end, steps + 1)[:-1]
        out.push_back(model.timestepToSigma(lerpPoint(start, end, i, steps + 1)));
    out.push_back(0.0);
    return out;
}

std::vector<double> simpleSigmas(int steps, const NoiseSchedule& model)
{
    checkSteps(steps, "Simple");
    const auto& table = model.sigmas();
    const double stride = double(table.size()) / steps;
    std::vector<double> out;
    for (int i = 0; i < steps; ++i)
        out.push_back(table[table.size() - 1 - static_cast<size_t>(i * stride)]);
    out.push_back(0.0);
    return out;
}

std::vector<double> normalSigmas(int steps, const NoiseSchedule& model)
{
    checkSteps(steps, "Normal");
    const double start = model.sigmaToTimestep(model.sigmaMax()),
                 end = model.sigmaToTimestep(model.sigmaMin());
    std::vector<double> out;
    for (int i = 0; i < steps; ++i)
        out.push_back(model.timestepToSigma(lerpPoint(start, end, i, steps)));
    out.push_back(0.0);
    return out;
}

std::vector<double> ddimUniformSigmas(int steps, const NoiseSchedule& model)
{
    checkSteps(steps, "DDIM");
    const auto& table = model.sigmas();
    const size_t stride = std::max<size_t>(table.size() / steps, 1);
    std::vector<double> out;
    for (size_t x = 1; x < table.size(); x += stride)
        out.push_back(table[x]);
    std::reverse(out.begin(), out.end());
    out.push_back(0.0);
    return out;
}

std::vector<double> alignYourStepsSigmas(int steps, bool sdxl)
{
    checkSteps(steps, "Align Your Steps");
    // https://research.nvidia.com/labs/toronto-ai/AlignYourSteps/howto.html (10 steps + sigma_min)
    static const std::vector<double> sd15
        = { 14.615, 6.475, 3.861, 2.697, 1.886, 1.396, 0.963, 0.652, 0.399, 0.152, 0.029 };
    static const std::vector<double> xl
        = { 14.615, 6.315, 3.771, 2.181, 1.342, 0.862, 0.555, 0.380, 0.234, 0.113, 0.029 };
    const std::vector<double>& table = sdxl ? xl : sd15;
    const int n = static_cast<int>(table.size());
    std::vector<double> out;
    if (steps == n) {
        out = table;
    } else {
        // np.interp over x = linspace(0, 1, 11) of log(sigma) (ascending), evaluated at steps points.
        for (int i = steps - 1; i >= 0; --i) {
            const double x = lerpPoint(0.0, 1.0, i, steps) * (n - 1);
            const int j = std::min(static_cast<int>(std::floor(x)), n - 2);
            const double ylo = std::log(table[n - 1 - j]), yhi = std::log(table[n - 2 - j]);
            out.push_back(std::exp(ylo + (yhi - ylo) * (x - j)));
        }
    }
    out.push_back(0.0);
    return out;
}

std::vector<double> klOptimalSigmas(int steps, double sigmaMin, double sigmaMax)
{
    checkSteps(steps, "KL Optimal");
    checkRange(sigmaMin, sigmaMax, "KL Optimal");
    const double aMin = std::atan(sigmaMin), aMax = std::atan(sigmaMax);
    std::vector<double> out;
    for (int i = 0; i <= steps; ++i) {
        const double f = double(i) / steps;
        out.push_back(std::tan(f * aMin + (1.0 - f) * aMax));
    }
    return out;
}

std::vector<double> betaSigmas(int steps, double sigmaMin, double sigmaMax, double alpha, double beta)
{
    checkSteps(steps, "Beta");
    checkRange(sigmaMin, sigmaMax, "Beta");
    if (!(alpha > 0 && beta > 0))
        throw EngineError("Beta schedule: alpha " + std::to_string(alpha) + ", beta " + std::to_string(beta)
            + " (expected both > 0)");
    std::vector<double> out;
    for (int i = 0; i < steps; ++i) {
        const double p = 1.0 - lerpPoint(0.0, 1.0, i, steps);
        out.push_back(sigmaMin + incompleteBetaInverse(p, alpha, beta) * (sigmaMax - sigmaMin));
    }
    out.push_back(0.0);
    return out;
}

const std::vector<std::string>& scheduleTypes()
{
    static const std::vector<std::string> labels
        = { "Automatic", "Uniform", "Karras", "Exponential", "Polyexponential", "SGM Uniform", "KL Optimal",
              "Align Your Steps", "Simple", "Normal", "DDIM", "Beta" };
    return labels;
}

std::string canonicalScheduleType(const std::string& name)
{
    const std::string key = lower(name);
    for (const std::string& label : scheduleTypes()) {
        std::string internal = lower(label);
        std::replace(internal.begin(), internal.end(), ' ', '_');
        if (key == lower(label) || key == internal)
            return label;
    }
    if (key == "sgmuniform")
        return "SGM Uniform";
    std::string valid;
    for (const std::string& label : scheduleTypes())
        valid += (valid.empty() ? "" : ", ") + label;
    throw EngineError("unknown schedule type '" + name + "' (valid: " + valid + ")");
}

std::vector<double> scheduleSigmas(const std::string& type, int steps, const NoiseSchedule& model, bool sdxl)
{
    const std::string label = canonicalScheduleType(type);
    const double lo = model.sigmaMin(), hi = model.sigmaMax();
    if (label == "Uniform")
        return uniformSigmas(steps, model);
    if (label == "Karras")
        return karrasSigmas(steps, lo, hi);
    if (label == "Exponential")
        return exponentialSigmas(steps, lo, hi);
    if (label == "Polyexponential")
        return polyexponentialSigmas(steps, lo, hi);
    if (label == "SGM Uniform")
        return sgmUniformSigmas(steps, model);
    if (label == "KL Optimal")
        return klOptimalSigmas(steps, lo, hi);
    if (label == "Align Your Steps")
        return alignYourStepsSigmas(steps, sdxl);
    if (label == "Simple")
        return simpleSigmas(steps, model);
    if (label == "Normal")
        return normalSigmas(steps, model);
    if (label == "DDIM")
        return ddimUniformSigmas(steps, model);
    if (label == "Beta")
        return betaSigmas(steps, lo, hi);
    throw EngineError(
        "schedule type 'Automatic' depends on the sampler: resolve it with the sampler registry");
}

// Numerical Recipes' continued fraction for I_x(a, b) (modified Lentz), used on the side of x where
// it converges fast; scipy's beta.ppf is then inverted by bisection to double precision. Written
// here because the engine must build with LibTorch alone (no Boost.Math / scipy).
double incompleteBeta(double x, double a, double b)
{
    if (!(x > 0))
        return 0.0;
    if (!(x < 1))
        return 1.0;
    if (x > (a + 1) / (a + b + 2))
        return 1.0 - incompleteBeta(1.0 - x, b, a);
    const double front = std::exp(std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x)
                             + b * std::log1p(-x))
        / a;
    const double tiny = 1e-300;
    double f = 1.0, c = 1.0, d = 0.0;
    for (int i = 0; i <= 400; ++i) {
        const int m = i / 2;
        double numerator;
        if (i == 0)
            numerator = 1.0;
        else if (i % 2 == 0)
            numerator = m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m));
        else
            numerator = -((a + m) * (a + b + m) * x) / ((a + 2.0 * m) * (a + 2.0 * m + 1.0));
        d = 1.0 + numerator * d;
        d = std::abs(d) < tiny ? 1.0 / tiny : 1.0 / d;
        c = 1.0 + numerator / c;
        c = std::abs(c) < tiny ? tiny : c;
        const double cd = c * d;
        f *= cd;
        if (std::abs(1.0 - cd) < 1e-16)
            break;
    }
    return front * (f - 1.0);
}

double incompleteBetaInverse(double p, double a, double b)
{
    if (!(p > 0))
        return 0.0;
    if (!(p < 1))
        return 1.0;
    double lo = 0.0, hi = 1.0;
    for (int i = 0; i < 200 && hi - lo > 1e-17; ++i) {
        const double mid = 0.5 * (lo + hi);
        (incompleteBeta(mid, a, b) < p ? lo : hi) = mid;
    }
    return 0.5 * (lo + hi);
}

} // namespace qd
