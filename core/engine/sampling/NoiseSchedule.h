#pragma once
// The model's discrete noise schedule (DDPM betas -> alphas_cumprod -> sigmas) and the timestep grids
// that diffusers' schedulers step on. Computed the way diffusers computes them (float32 tensors for
// betas / alphas_cumprod / sigmas, numpy-style double arithmetic for grids and interpolation,
// rounding half to even), so the sigma lists equal diffusers' to float precision.
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace qd
{

// What the UNet predicts: the noise (SD 1.x, SDXL) or v = alpha*eps - sigma*x0 (SD 2.x 768).
enum class Prediction { Epsilon, V };

struct NoiseScheduleConfig {
    int numTrainTimesteps = 1000;
    double betaStart = 0.00085; // SD 1.x / 2.x / XL (diffusers' scheduler_config.json)
    double betaEnd = 0.012;
    std::string betaSchedule = "scaled_linear"; // "scaled_linear" | "linear"
    bool rescaleZeroTerminalSnr = false; // arXiv 2305.08891, Algorithm 1
    std::string timestepSpacing = "leading"; // "leading" | "trailing" | "linspace"
    int stepsOffset = 1; // added to "leading" grids (SD configs use 1)
    bool setAlphaToOne = false; // DDIM/PNDM/LCM final alpha: 1, or alphas_cumprod[0]
    Prediction prediction = Prediction::Epsilon;

    // Reads the fields above from a diffusers scheduler config (scheduler_config.json or the
    // "scheduler_config" of a conformance case); absent keys keep diffusers' SD defaults above.
    static NoiseScheduleConfig fromDiffusers(const nlohmann::json& config);
    // Throws EngineError naming the bad field and the accepted values.
    void validate() const;
};

// How a diffusers scheduler class lays out its inference timesteps.
enum class TimestepGrid {
    Fractional, // Euler, Euler a, LMS, Heun, KDPM2(a), DPMSolverSDE: float timesteps, linspace unrounded
    Integer, // DDIM, DDPM, PNDM: integer timesteps
    SkipLast, // DPMSolverMultistep, UniPC, DEIS: N+1 grid points, the last dropped
};

class NoiseSchedule
{
public:
    explicit NoiseSchedule(NoiseScheduleConfig config = {});

    const NoiseScheduleConfig& config() const { return m_config; }
    int numTrainTimesteps() const { return m_config.numTrainTimesteps; }
    // alphas_cumprod[t] for t = 0..T-1 (float32 values, as diffusers holds them).
    const std::vector<double>& alphasCumprod() const { return m_alphasCumprod; }
    // sigma_t = sqrt((1 - alphas_cumprod[t]) / alphas_cumprod[t]), ascending in t (float32 values).
    const std::vector<double>& sigmas() const { return m_sigmas; }
    double sigmaMin() const { return m_sigmas.front(); }
    double sigmaMax() const { return m_sigmas.back(); }
    // The alphas_cumprod DDIM/PNDM/DEIS step to after their last timestep.
    double finalAlphaCumprod() const { return m_config.setAlphaToOne ? 1.0 : m_alphasCumprod.front(); }

    // sigma -> continuous timestep by interpolating log(sigma) between neighbouring grid points,
    // clamped to [0, T-1] (diffusers' _sigma_to_t, k-diffusion's DiscreteSchedule.sigma_to_t).
    double sigmaToTimestep(double sigma) const;
    // Continuous timestep -> sigma, interpolating log(sigma) (k-diffusion's t_to_sigma).
    double timestepToSigma(double t) const;
    // Timestep -> sigma, interpolating sigma linearly (diffusers: np.interp over the sigma table).
    double sigmaAtTimestep(double t) const;

    // The descending inference timesteps a diffusers scheduler of the given grid family makes for
    // `steps` steps with this config's spacing and offset.
    std::vector<double> inferenceTimesteps(int steps, TimestepGrid grid) const;

private:
    NoiseScheduleConfig m_config;
    std::vector<double> m_alphasCumprod;
    std::vector<double> m_sigmas;
    std::vector<double> m_logSigmas; // float32 logs, as numpy takes them of the float32 table
};

// numpy's np.round / Python's round on floats: halves go to the even neighbour.
double roundHalfEven(double v);
// Rounds to the nearest float32 (diffusers stores every sigma list as float32).
double toFloat32(double v);

} // namespace qd
