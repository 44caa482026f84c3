// The ckptguard command line: dispatch to one function per command.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace ckg::cli {

struct Io {
  std::ostream& out;  // machine formats and results only
  std::ostream& err;  // diagnostics and errors
};

// Exit codes shared by every command.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFindings = 1;
inline constexpr int kExitUsage = 2;

// Runs `ckptguard ARGS...` (argv without the program name) and returns the exit code.
int run(const std::vector<std::string>& args, Io io);

}  // namespace ckg::cli
