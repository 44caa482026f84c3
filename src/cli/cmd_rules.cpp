// `ckptguard rules [CODE] [--format text|json|markdown]`: every lint rule, or one rule's doc.
#include <cctype>

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "analyzers/lint.h"
#include "compare/check_findings.h"
#include "compare/model_diff.h"
#include "cli/arguments.h"
#include "cli/commands.h"

namespace ckg::cli {

static const char* const kRulesUsage =
    "usage: ckptguard rules [CODE] [--format text|json|markdown]\n"
    "  List every rule 'ckptguard lint' checks, or print one rule's documentation\n"
    "  (CODE is a code like CKG301 or a rule name like nonstrict-load-ignored).\n";

namespace {

nlohmann::ordered_json to_json(const diag::RuleInfo& r) {
  return {{"code", r.code}, {"name", r.name}, {"severity", diag::to_string(r.severity)}, {"summary", r.summary}, {"doc", r.doc}};
}

std::string markdown_cell(std::string_view s) {
  std::string out;
  for (char c : s) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

}  // namespace

int run_rules(const std::vector<std::string>& argv, Io io) {
  std::string error;
  auto args = parse_args(argv, ArgSpec{{"--format"}, {}}, &error);
  if (args && args->flags.count("--help")) {
    io.out << kRulesUsage;
    return kExitOk;
  }
  std::optional<std::string> format;
  if (args) format = output_format(*args, {"text", "json", "markdown"}, &error);
  if (format && args->positional.size() > 1) error = "expected at most one CODE";
  if (!error.empty()) {
    io.err << "ckptguard rules: " << error << "\n";
    return kExitUsage;
  }
  // Every code ckptguard reports: lint rules, the model-edit diff's and the checker's, by code.
  std::vector<diag::RuleInfo> rules = lint::rule_infos();
  for (const auto* more : {&compare::diff_rules(), &compare::check_rules()}) rules.insert(rules.end(), more->begin(), more->end());
  std::sort(rules.begin(), rules.end(), [](const auto& a, const auto& b) { return a.code < b.code; });

  if (args->positional.empty()) {
    if (*format == "json") {
      nlohmann::ordered_json list = nlohmann::ordered_json::array();
      for (const auto& r : rules) list.push_back(to_json(r));
      io.out << list.dump(2) << "\n";
    } else if (*format == "markdown") {
      io.out << "| Code | Name | Severity | What it flags |\n|---|---|---|---|\n";
      for (const auto& r : rules) {
        io.out << fmt::format("| `{}` | `{}` | {} | {} |\n", r.code, r.name, diag::to_string(r.severity), markdown_cell(r.summary));
      }
    } else {
      for (const auto& r : rules) {
        io.out << fmt::format("{}  {:<40} {:<8} {}\n", r.code, r.name, diag::to_string(r.severity), r.summary);
      }
    }
    return kExitOk;
  }

  const std::string& wanted = args->positional[0];
  std::string upper = wanted;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const diag::RuleInfo* rule = nullptr;
  for (const auto& r : rules) {
    if (r.code == upper || r.name == wanted) rule = &r;
  }
  if (!rule) {
    io.err << fmt::format("ckptguard rules: unknown rule '{}' (run 'ckptguard rules' for the list)\n", wanted);
    return kExitUsage;
  }
  if (*format == "json") {
    io.out << to_json(*rule).dump(2) << "\n";
  } else if (*format == "markdown") {
    io.out << fmt::format("### {} `{}`\n\n*{}* — {}\n\n", rule->code, rule->name, diag::to_string(rule->severity), rule->summary);
    // Demote the doc's headings one level under the rule's.
    std::string doc = rule->doc;
    for (std::size_t at = doc.find("## "); at != std::string::npos; at = doc.find("\n## ", at + 1)) {
      std::size_t hash = doc[at] == '\n' ? at + 1 : at;
      doc.insert(hash, "##");
      at = hash + 2;
    }
    io.out << doc << "\n";
  } else {
    io.out << fmt::format("{} {} ({})\n\n{}\n\n{}\n", rule->code, rule->name, diag::to_string(rule->severity), rule->summary, rule->doc);
  }
  return kExitOk;
}

}  // namespace ckg::cli
