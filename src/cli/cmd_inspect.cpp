// `ckptguard inspect CKPT [--format text|json] [--verify] [--objects] [--limit NAME=VALUE]...`
#include <fmt/format.h>

#include "checkpoint/checkpoint_info.h"
#include "checkpoint/inspect_render.h"
#include "cli/arguments.h"
#include "cli/commands.h"

namespace ckg::cli {

static const char* const kInspectUsage =
    "usage: ckptguard inspect CKPT [--format text|json] [--verify] [--objects] [--limit NAME=VALUE]...\n"
    "  List the tensors and structure of a checkpoint (torch.save zip or legacy, safetensors,\n"
    "  or a sharded checkpoint's index JSON) without executing anything in it.\n"
    "  --verify also reads every record, tensor data included, and checks its CRC-32.\n"
    "  --objects lists a whole-module pickle (torch.save(model)): its classes are names, never\n"
    "  imported or built; globals that run code are still refused.\n"
    "  --limit changes one of the reader's limits (names in the README, section Limits).\n"
    "  Exit codes: 0 ok, 1 the file reads but has findings (warnings), 2 usage or input error.\n";

int run_inspect(const std::vector<std::string>& argv, Io io) {
  std::string error;
  auto args = parse_args(argv, ArgSpec{{"--format", "--limit"}, {"--verify", "--objects"}}, &error);
  if (args && args->flags.count("--help")) {
    io.out << kInspectUsage;
    return kExitOk;
  }
  std::optional<std::string> format;
  if (args) format = output_format(*args, {"text", "json"}, &error);
  if (args && format && args->positional.size() != 1) {
    error = args->positional.empty() ? "missing CKPT" : "expected exactly one CKPT";
  }
  checkpoint::ReadLimits limits;
  if (args && error.empty() && args->options.count("--limit")) {
    for (const std::string& assignment : args->options.at("--limit")) {
      if (auto problem = checkpoint::set_limit(limits, assignment)) error = "--limit: " + *problem;
    }
  }
  if (!error.empty()) {
    io.err << "ckptguard inspect: " << error << "\n";
    return kExitUsage;
  }
  limits.inert_classes = args->flags.count("--objects") > 0;
  const std::string& path = args->positional[0];
  auto info = checkpoint::read_checkpoint(path, limits);
  if (!info) {
    std::string message = checkpoint::describe(info.error());
    if (!limits.inert_classes && message.find("(not on the allow-list)") != std::string::npos) {
      message += "; if it is a whole-module pickle (torch.save(model)), `ckptguard inspect --objects` lists it without building anything";
    }
    io.err << message << "\n";
    return kExitUsage;
  }
  if (args->flags.count("--verify")) {
    if (auto verified = checkpoint::verify_records(path, *info, limits); !verified) {
      io.err << checkpoint::describe(verified.error()) << "\n";
      return kExitUsage;
    }
  }
  if (*format == "json") {
    io.out << checkpoint::inspect_to_json(*info, path).dump(2) << "\n";
  } else {
    io.out << checkpoint::render_inspect_text(*info, path);
  }
  // A file torch 1.13's weights_only loader refuses is a finding (README: exit 1), as warnings are.
  auto verdict = info->details.find("weights_only_torch_1_13");
  bool refused = verdict != info->details.end() && !(*verdict)["loads"].get<bool>();
  return info->warnings.empty() && !refused ? kExitOk : kExitFindings;
}

}  // namespace ckg::cli
