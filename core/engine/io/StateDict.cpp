#include "io/StateDict.h"

#include "io/MappedFile.h"

#include <sstream>

#include <torch/torch.h>

namespace qd
{

std::string shapeString(at::IntArrayRef shape)
{
    std::ostringstream s;
    s << '[';
    for (size_t i = 0; i < shape.size(); ++i)
        s << (i ? ", " : "") << shape[i];
    s << ']';
    return s.str();
}

int loadModule(torch::nn::Module& module, const StateDict& sd, const std::string& prefix,
    const std::string& source, const LoadOptions& options)
{
    c10::InferenceMode guard;
    std::set<std::string> used;
    std::vector<std::string> missing;
    int copied = 0;
    auto copyInto = [&](const std::string& name, torch::Tensor& target) {
        const std::string key = prefix + name;
        auto it = sd.find(key);
        if (it == sd.end()) {
            if (!options.optional.count(name))
                missing.push_back(key);
            return;
        }
        const torch::Tensor& src = it->second;
        if (src.sizes() != target.sizes())
            throw EngineError(source + ": tensor '" + key + "' has shape " + shapeString(src.sizes())
                + ", expected " + shapeString(target.sizes()));
        if (!src.is_floating_point())
            throw EngineError(source + ": tensor '" + key + "' has integer type "
                + std::string(c10::toString(src.scalar_type())) + ", expected floating point");
        target.copy_(src);
        // A memory-mapped source has done its job: drop its pages from the resident set, so that
        // converting a checkpoint (fp16 file -> fp32 model) peaks near the model's size instead of
        // the model plus the file.
        if (src.device().is_cpu() && src.is_contiguous() && target.data_ptr() != src.data_ptr())
            MappedFile::dropPages(src.data_ptr(), uint64_t(src.nbytes()));
        used.insert(key);
        ++copied;
    };
    for (auto& p : module.named_parameters(/*recurse=*/true))
        copyInto(p.key(), p.value());
    for (auto& b : module.named_buffers(/*recurse=*/true))
        copyInto(b.key(), b.value());
    if (!missing.empty()) {
        std::string list;
        for (size_t i = 0; i < missing.size() && i < 8; ++i)
            list += (i ? ", " : "") + missing[i];
        if (missing.size() > 8)
            list += ", ... (" + std::to_string(missing.size()) + " in all)";
        throw EngineError(source + ": missing required tensor(s): " + list);
    }
    if (options.unexpected) {
        for (auto it = sd.lower_bound(prefix);
             it != sd.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it)
            if (!used.count(it->first))
                options.unexpected->push_back(it->first);
    }
    return copied;
}

} // namespace qd
