// Argument parsing: `--opt value`, `--opt=value`, flags, and `--` to end options.
#include "cli/arguments.h"

#include <fmt/format.h>

#include "text/did_you_mean.h"

namespace ckg::cli {

std::optional<std::string> ParsedArgs::last(const std::string& option) const {
  auto it = options.find(option);
  if (it == options.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::optional<ParsedArgs> parse_args(const std::vector<std::string>& args, const ArgSpec& spec, std::string* error) {
  ParsedArgs out;
  bool options_done = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (options_done || a.size() < 2 || a[0] != '-' ) {
      out.positional.push_back(a);
      continue;
    }
    if (a == "--") { options_done = true; continue; }
    std::string name = a, value;
    bool has_inline = false;
    if (auto eq = a.find('='); eq != std::string::npos && a.rfind("--", 0) == 0) {
      name = a.substr(0, eq);
      value = a.substr(eq + 1);
      has_inline = true;
    }
    if (name == "-h") name = "--help";
    if (spec.flags.count(name) || name == "--help") {
      if (has_inline) { *error = fmt::format("option {} takes no value", name); return std::nullopt; }
      out.flags.insert(name);
      continue;
    }
    if (!spec.valued.count(name)) {
      std::vector<std::string> known(spec.valued.begin(), spec.valued.end());
      known.insert(known.end(), spec.flags.begin(), spec.flags.end());
      *error = fmt::format("unknown option {}{}", name, text::did_you_mean_suffix(name, known));
      return std::nullopt;
    }
    if (!has_inline) {
      if (i + 1 >= args.size()) { *error = fmt::format("option {} needs a value", name); return std::nullopt; }
      value = args[++i];
    }
    out.options[name].push_back(value);
  }
  return out;
}

std::optional<std::string> output_format(const ParsedArgs& args, const std::set<std::string>& allowed, std::string* error) {
  std::string fmt_name = args.last("--format").value_or("text");
  if (!allowed.count(fmt_name)) {
    *error = fmt::format("unknown --format '{}' (expected one of: {})", fmt_name, fmt::join(allowed, ", "));
    return std::nullopt;
  }
  return fmt_name;
}

}  // namespace ckg::cli
