#include "Generation.h"

#include <torch/torch.h>

namespace qd {

torch::Tensor sampleBatch(SdModel& m, const BatchRequest& r, NoiseSource& noise)
{
    c10::InferenceMode guard;
    const int64_t B = r.batch;
    const std::vector<int64_t> shape{B, 4, r.latentHeight, r.latentWidth};
    torch::Tensor x;
    if (r.init) {
        auto mean = r.init->mean, std = r.init->std;
        if (mean.size(0) != B) {
            mean = mean.expand({B, -1, -1, -1});
            std = std.expand({B, -1, -1, -1});
        }
        const auto eps = noise.next(shape).to(mean.device(), mean.scalar_type());
        const auto x0 = (mean + std * eps).to(torch::kFloat32) * m.config().scaleFactor;
        x = r.plan.noisedLatents(x0, noise.next(shape).to(x0.device()));
    } else {
        x = r.plan.initialLatents(noise.next(shape).to(m.device()));
    }
    Denoiser denoiser([&m](const torch::Tensor& xIn, const torch::Tensor& t, const Conditioning& c) {
                          return m.unetCall(xIn, t, c);
                      },
                      std::make_shared<NoiseSchedule>(m.scheduleConfig()));
    denoiser.setGuidance({r.cond.repeated(B), r.uncond.repeated(B), r.cfgScale, r.guidanceRescale});
    r.plan.applyTo(denoiser);
    x = runSampler(r.plan.sampler, denoiser, x, r.plan.sigmas, r.onStep, &noise, r.stop, r.plan.options);
    return r.plan.finalLatents(x);
}

} // namespace qd
