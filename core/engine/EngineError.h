#pragma once
// The engine's one exception type, in a header of its own so that torch-free parsers (the
// safetensors header and pickle readers, which the fuzzers build without LibTorch) can use it.
#include <stdexcept>

namespace qd {

// Every engine failure a person can act on (bad file, bad key, bad parameter) is an EngineError
// whose message names the file / key / value and what was expected.
class EngineError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

} // namespace qd
