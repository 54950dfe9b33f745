#pragma once
// Each subcommand of qdiffusion-cli registers itself on the CLI11 app and returns the callback that
// runs it. Exit codes: 0 success, 1 runtime failure, 2 bad input.
#include <functional>

#include <CLI/CLI.hpp>

namespace qd::cli {

using Runner = std::function<int()>;

struct Command {
    CLI::App* sub;
    Runner run;
};

// tokenize "PROMPT" [--json] [--chunks] (CmdTokenize.cpp)
Command addTokenizeCommand(CLI::App& app);

} // namespace qd::cli
