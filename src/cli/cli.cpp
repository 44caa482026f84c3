// Command dispatch and top-level usage.
#include "cli/cli.h"

#include <cstdlib>
#include <map>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/version.h"
#include "interp/predict.h"
#include "text/did_you_mean.h"

namespace ckg::cli {

namespace {

using Command = int (*)(const std::vector<std::string>&, Io);

struct CommandInfo {
  Command run;
  const char* summary;
};

const std::map<std::string, CommandInfo>& commands() {
  static const std::map<std::string, CommandInfo> table = {
      {"keys", {run_keys, "predict a model's state_dict keys from its source"}},
      {"branches", {run_branches, "enumerate configuration branches, witnesses and their compatibility"}},
      {"inspect", {run_inspect, "list a checkpoint's tensors and structure without running it"}},
      {"report", {run_report, "a review report for a change: lint, breaking model edits, branches (markdown, html, sarif, ...)"}},
      {"diff", {run_diff, "model edits that break loading old checkpoints, with the remap that fixes them"}},
      {"check", {run_check, "will a checkpoint load into a model (or match another checkpoint), and how to fix it"}},
      {"lint", {run_lint, "check Python sources for checkpoint pitfalls (CKG3xx load semantics, CKG4xx safety)"}},
      {"rules", {run_rules, "list the lint rules, or print one rule's documentation"}},
  };
  return table;
}

void print_usage(std::ostream& out) {
  out << "usage: ckptguard COMMAND [ARGS...]\n\ncommands:\n";
  for (const auto& [name, info] : commands()) out << fmt::format("  {:<10} {}\n", name, info.summary);
  out << "\nRun 'ckptguard COMMAND --help' for a command's options. Exit codes: 0 ok, 1 findings, 2 usage or input error.\n";
}

}  // namespace

int run(const std::vector<std::string>& args, Io io) {
  if (args.empty()) {
    print_usage(io.err);
    return kExitUsage;
  }
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    print_usage(io.out);
    return kExitOk;
  }
  if (args[0] == "--version") {
    print_version(io.out);
    return kExitOk;
  }
  if (const char* spec = std::getenv("CKPTGUARD_INTERP_LIMITS"); spec && *spec) {
    interp::InterpreterLimits limits;
    if (auto error = interp::parse_interpreter_limits(spec, limits)) {
      io.err << fmt::format("ckptguard: CKPTGUARD_INTERP_LIMITS: {}\n", *error);
      return kExitUsage;
    }
    interp::set_interpreter_limits(limits);
  }
  auto it = commands().find(args[0]);
  if (it == commands().end()) {
    std::vector<std::string> names;
    for (const auto& [name, command] : commands()) names.push_back(name);
    io.err << fmt::format("ckptguard: unknown command '{}'{} (run 'ckptguard --help')\n", args[0],
                          text::did_you_mean_suffix(args[0], names));
    return kExitUsage;
  }
  try {
    return it->second.run(std::vector<std::string>(args.begin() + 1, args.end()), io);
  } catch (const std::exception& e) {
    // Last line of defence: an internal error is still one line and exit 2, never a crash.
    io.err << fmt::format("ckptguard {}: internal error: {}\n", args[0], e.what());
    return kExitUsage;
  }
}

}  // namespace ckg::cli
