#pragma once
#include <stdexcept>

namespace qd {

// Every engine failure a person can act on (bad file, bad key, bad parameter) is an EngineError
// whose message names the file / key / value and what was expected. Std-only, so front ends can
// catch it without seeing torch.
class EngineError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Thrown when a CancelToken asks a generation to stop without a result (Skip).
class Cancelled : public EngineError {
public:
    Cancelled()
        : EngineError("generation cancelled")
    {
    }
};

} // namespace qd
