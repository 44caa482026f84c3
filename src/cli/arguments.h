// A small, strict argument parser shared by the subcommands.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace ckg::cli {

struct ParsedArgs {
  std::vector<std::string> positional;
  std::map<std::string, std::vector<std::string>> options;  // "--config" -> values, in order
  std::set<std::string> flags;                              // "--staged", "--help", ...

  std::optional<std::string> last(const std::string& option) const;
};

struct ArgSpec {
  std::set<std::string> valued;  // options taking a value: "--format", "--config", ...
  std::set<std::string> flags;   // options without a value
};

// Parses `args`; on error returns nullopt and sets `error` to a one-line message.
std::optional<ParsedArgs> parse_args(const std::vector<std::string>& args, const ArgSpec& spec, std::string* error);

// Validates --format against the allowed values (default "text").
std::optional<std::string> output_format(const ParsedArgs& args, const std::set<std::string>& allowed, std::string* error);

}  // namespace ckg::cli
