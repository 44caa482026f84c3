// The arguments shared by commands that analyse one `FILE::NAME` target.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "interp/predict.h"

namespace ckg::cli {

struct TargetRequest {
  bool run = false;     // false: already answered (help or usage error), exit with exit_code
  int exit_code = kExitOk;
  std::string spec;     // FILE::NAME as given
  interp::Target target;
  std::vector<interp::ConfigItem> config;
  std::string format;   // one of the command's formats (text or json unless it says otherwise)
  bool is_path = false; // allow_path: the positional was a plain path, not FILE::NAME
  std::set<std::string> flags;  // the command's own flags that were given
};

// Parses `FILE::NAME [--config KEY=VALUE]... [--format text|json]`, printing help or a one-line
// usage error (prefixed with `ckptguard COMMAND:`) itself.
// With `allow_path`, a positional without `::` is accepted as a plain path (is_path).
// `formats` lists the --format values the command renders; `flags` its own options without a value.
TargetRequest parse_target_request(const std::vector<std::string>& argv, const char* command, const char* usage, Io io,
                                   bool allow_path = false,
                                   const std::set<std::string>& formats = {"text", "json"},
                                   const std::set<std::string>& flags = {});

// Prints a prediction error as `file:line: message` and returns the usage/input exit code.
int report_prediction_error(const interp::PredictionError& error, Io io);

}  // namespace ckg::cli
