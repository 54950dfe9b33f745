#pragma once
// The engine's one exception type, in a std-only header: torch-free parsers (the safetensors header
// and pickle readers, which the fuzzers build without LibTorch) and the Qt front ends use it
// without seeing torch.
#include <stdexcept>

namespace qd
{

// Every engine failure a person can act on (bad file, bad key, bad parameter) is an EngineError
// whose message names the file / key / value and what was expected.
class EngineError : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

// Thrown when a CancelToken asks a generation to stop without a result (Skip).
class Cancelled : public EngineError
{
public:
    Cancelled()
        : EngineError("generation cancelled")
    {
    }
};

} // namespace qd
