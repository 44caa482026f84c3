// One entry point per subcommand; each parses its own arguments (argv after the command name).
#pragma once

#include <string>
#include <vector>

#include "cli/cli.h"

namespace ckg::cli {

int run_keys(const std::vector<std::string>& args, Io io);
int run_branches(const std::vector<std::string>& args, Io io);
int run_inspect(const std::vector<std::string>& args, Io io);
int run_check(const std::vector<std::string>& args, Io io);
int run_lint(const std::vector<std::string>& args, Io io);
int run_rules(const std::vector<std::string>& args, Io io);
int run_diff(const std::vector<std::string>& args, Io io);
int run_report(const std::vector<std::string>& args, Io io);

}  // namespace ckg::cli
