// A stand-in for the engine's Pipeline::open while the real pipeline is being written: the real
// InferenceWorker runs on it, "generating" synthetic images step by step (noise fading into colour
// bands, ~25 ms a step) so that the GUI can be driven, timed and looked at. Linked into qd_ui only
// while qd_engine has no Pipeline.cpp (ui/CMakeLists.txt). std only, like the engine.
#include "Pipeline.h"

#include <chrono>
#include <cmath>
#include <random>
#include <thread>

namespace qd {

namespace {

Image synthetic(const GenerationParams& p, int64_t seed, int width, int height, double t)
{
    Image img;
    img.width = width;
    img.height = height;
    img.pixels.resize(size_t(width) * height * 3);
    std::mt19937 noise(uint32_t(seed * 7919 + int64_t(t * 1000)));
    std::uniform_real_distribution<double> u01(0.0, 1.0);
    const double phase = double(seed % 97) / 9.0 + double(p.prompt.size() % 13);
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x) {
            const double u = double(x) / width, v = double(y) / height;
            const double c[3] = {0.5 + 0.5 * std::sin(6.0 * u + 3.0 * v + phase),
                                 0.5 + 0.5 * std::cos(4.0 * v - 2.0 * u + phase),
                                 0.5 + 0.5 * std::sin(5.0 * (u * v) + 1.3 * phase)};
            uint8_t* px = img.pixels.data() + (size_t(y) * width + x) * 3;
            for (int k = 0; k < 3; ++k)
                px[k] = uint8_t(255.0 * std::clamp(t * c[k] + (1.0 - t) * u01(noise), 0.0, 1.0));
        }
    return img;
}

class StubPipeline : public Pipeline {
public:
    explicit StubPipeline(ModelSpec spec)
        : m_spec(std::move(spec))
    {
    }

    ModelInfo info() const override
    {
        ModelInfo i;
        i.name = m_spec.checkpoint.empty() ? "demo (tiny fill-rule model)" : m_spec.checkpoint;
        i.family = "SD1";
        i.prediction = "epsilon";
        i.demo = m_spec.checkpoint.empty();
        i.defaultSize = 64;
        i.device = m_spec.device;
        i.dtype = m_spec.dtype;
        return i;
    }

    std::vector<GeneratedImage> generate(const GenerationParams& params, const GenerationInputs&,
                                         const PreviewOptions& preview, const StepCallback& onStep,
                                         CancelToken* cancel) override
    {
        if (params.width % 8 || params.height % 8)
            throw EngineError("Size: " + std::to_string(params.width) + "x" + std::to_string(params.height)
                              + " must be a multiple of 8");
        std::vector<GeneratedImage> out;
        const int steps = std::max(1, params.steps);
        for (int b = 0; b < std::max(1, params.batchCount); ++b) {
            const int64_t seed = params.seed + int64_t(b) * std::max(1, params.batchSize);
            int done = 0;
            for (int s = 1; s <= steps; ++s) {
                if (cancel && cancel->stopRequested())
                    break;
                std::this_thread::sleep_for(std::chrono::milliseconds(25));
                done = s;
                StepUpdate u;
                u.batchIndex = b;
                u.step = s;
                u.totalSteps = steps;
                if (preview.method != PreviewMethod::None)
                    u.previews.push_back(synthetic(params, seed, std::max(8, params.width / 8),
                                                   std::max(8, params.height / 8), double(s) / steps));
                onStep(u);
            }
            if (cancel && cancel->state() == CancelToken::Skip)
                return {};
            for (int i = 0; i < std::max(1, params.batchSize); ++i) {
                GeneratedImage g;
                g.params = params;
                g.params.seed = seed + i;
                g.params.modelName = info().name;
                g.image = synthetic(params, seed + i, params.width, params.height, double(done) / steps);
                g.interrupted = done < steps;
                out.push_back(std::move(g));
            }
            if (cancel && cancel->state() == CancelToken::Interrupt)
                break;
        }
        return out;
    }

private:
    ModelSpec m_spec;
};

} // namespace

std::unique_ptr<Pipeline> Pipeline::open(const ModelSpec& spec)
{
    return std::make_unique<StubPipeline>(spec);
}

} // namespace qd
