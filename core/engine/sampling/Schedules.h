#pragma once
// Sigma schedules: the decreasing noise levels a sampler steps through, each a free function
// returning steps + 1 values that end with the final sigma (0 unless the schedule says otherwise).
// Names follow AUTOMATIC1111's "Schedule type" labels (docs/reference.md §2); the formulas are
// k-diffusion's and A1111's (modules/sd_schedulers.py), the model's default is diffusers'.
#include <string>
#include <vector>

#include "sampling/NoiseSchedule.h"

namespace qd
{

// Model's default: diffusers' timesteps for the config's spacing (leading + steps_offset for SD),
// sigma interpolated linearly over them (np.interp), then 0. What EulerDiscreteScheduler uses.
std::vector<double> defaultSigmas(int steps, const NoiseSchedule& model);
// A1111 "Uniform": k-diffusion's get_sigmas, timesteps T-1..0 evenly, log-sigma interpolation, then 0.
std::vector<double> uniformSigmas(int steps, const NoiseSchedule& model);
// Karras et al. 2022 (arXiv 2206.00364) eq. 5: sigma_i^(1/rho) evenly spaced, then 0.
std::vector<double> karrasSigmas(int steps, double sigmaMin, double sigmaMax, double rho = 7.0);
// log(sigma) evenly spaced, then 0 (k-diffusion get_sigmas_exponential).
std::vector<double> exponentialSigmas(int steps, double sigmaMin, double sigmaMax);
// log(sigma) on a ramp^rho, then 0 (k-diffusion get_sigmas_polyexponential; A1111 rho 1).
std::vector<double> polyexponentialSigmas(int steps, double sigmaMin, double sigmaMax, double rho = 1.0);
// SGM Uniform: timesteps of sigma_max..sigma_min evenly over steps+1 points, the last dropped, then 0.
std::vector<double> sgmUniformSigmas(int steps, const NoiseSchedule& model);
// Simple (ComfyUI/A1111): every (T/steps)-th sigma of the model's table from the top, then 0.
std::vector<double> simpleSigmas(int steps, const NoiseSchedule& model);
// Normal: timesteps of sigma_max..sigma_min evenly over `steps` points, then 0.
std::vector<double> normalSigmas(int steps, const NoiseSchedule& model);
// DDIM (uniform): table sigmas at 1, 1+k, 1+2k, ... (k = T // steps), descending, then 0. May hold
// more than steps + 1 values (A1111 behaviour: ceil((T-1)/k) sigmas).
std::vector<double> ddimUniformSigmas(int steps, const NoiseSchedule& model);
// Align Your Steps (Sabour et al. 2024): NVIDIA's 11-point tables (docs/reference.md §2), log-linearly
// interpolated to `steps` points, then 0.
std::vector<double> alignYourStepsSigmas(int steps, bool sdxl);
// KL Optimal (arXiv 2406.04807 via A1111): tan of evenly spaced arctan(sigma). steps + 1 values
// from sigma_max down to sigma_min, with no 0 appended (as A1111 does).
std::vector<double> klOptimalSigmas(int steps, double sigmaMin, double sigmaMax);
// Beta (arXiv 2407.12173): sigma_min + ppf(1 - i/(steps-1); alpha, beta) * (sigma_max - sigma_min),
// then 0. A1111's defaults alpha = beta = 0.6.
std::vector<double> betaSigmas(
    int steps, double sigmaMin, double sigmaMax, double alpha = 0.6, double beta = 0.6);

// Schedule type labels in A1111's order: Automatic, Uniform, Karras, Exponential, Polyexponential,
// SGM Uniform, KL Optimal, Align Your Steps, Simple, Normal, DDIM, Beta.
const std::vector<std::string>& scheduleTypes();
// The canonical label for a label or an A1111 internal name ("karras", "sgm_uniform",
// "SGMUniform", ...), matched case-insensitively; throws EngineError listing the valid labels.
std::string canonicalScheduleType(const std::string& name);
// Sigmas of schedule `type` (any name canonicalScheduleType accepts except Automatic, which the
// sampler registry resolves) over the model's full sigma range. `sdxl` picks the SDXL Align Your
// Steps table.
std::vector<double> scheduleSigmas(
    const std::string& type, int steps, const NoiseSchedule& model, bool sdxl = false);

// Regularized incomplete beta function I_x(a, b) and its inverse (scipy.stats.beta.cdf / .ppf).
double incompleteBeta(double x, double a, double b);
double incompleteBetaInverse(double p, double a, double b);

} // namespace qd
