// JSON and text rendering of configuration branches and their compatibility matrix.
#include "report/branches_report.h"

#include <algorithm>

#include <fmt/format.h>

#include "compare/load_check.h"
#include "manifest/completeness.h"
#include "report/keys_report.h"

namespace ckg::report {

nlohmann::ordered_json branches_to_json(const BranchesReport& report) {
  nlohmann::ordered_json j;
  j["target"] = report.target;
  j["torch"] = CKPTGUARD_CATALOGUE_TORCH;  // the torch release the prediction models
  j["parameters"] = nlohmann::ordered_json::array();
  for (const auto& p : report.set.parameters) {
    j["parameters"].push_back({{"name", p.name}, {"default", p.default_ ? nlohmann::ordered_json(*p.default_) : nlohmann::ordered_json(nullptr)}});
    if (!p.size_effect.empty()) j["parameters"].back()["size"] = p.size_effect;
  }
  j["branches"] = nlohmann::ordered_json::array();
  for (const auto& b : report.set.branches) {
    nlohmann::ordered_json branch;
    branch["id"] = b.id;
    branch["condition"] = b.condition;
    branch["witness"] = nlohmann::ordered_json::object();
    for (const auto& [k, v] : b.witness) branch["witness"][k] = v;
    branch["keys"] = nlohmann::ordered_json::array();
    for (const auto& k : b.manifest.keys) branch["keys"].push_back(key_to_json(k));
    branch["unresolved"] = unresolved_to_json(b.unresolved);
    branch["complete"] = manifest::incompleteness(b.manifest, b.unresolved).empty();
    j["branches"].push_back(std::move(branch));
  }
  j["truncated"] = report.set.truncated;
  auto gaps = manifest::incompleteness(report.set);
  j["complete"] = gaps.empty();
  j["incomplete_reasons"] = unresolved_to_json(gaps);
  // Extension: loading branch A's state_dict into branch B, as torch would report it.
  j["matrix"] = nlohmann::ordered_json::array();
  for (const auto& from : report.set.branches) {
    for (const auto& to : report.set.branches) {
      if (&from == &to) continue;
      compare::LoadReport r = compare::simulate_load(from.manifest, to.manifest);
      nlohmann::ordered_json cell;
      cell["from"] = from.id;
      cell["to"] = to.id;
      cell["compatible"] = r.compatible();
      cell["missing"] = r.missing;
      cell["unexpected"] = r.unexpected;
      cell["shape_mismatch"] = nlohmann::ordered_json::array();
      for (const auto& m : r.shape_mismatch) cell["shape_mismatch"].push_back({{"name", m.name}, {"checkpoint", m.checkpoint}, {"model", m.model}});
      cell["pytorch_error"] = r.pytorch_error ? nlohmann::ordered_json(*r.pytorch_error) : nlohmann::ordered_json(nullptr);
      j["matrix"].push_back(std::move(cell));
    }
  }
  return j;
}

std::string render_branches_text(const BranchesReport& report) {
  const auto& set = report.set;
  std::string out = fmt::format("{}: {} branch{}{} ({} constructor runs)\n", report.target, set.branches.size(),
                                set.branches.size() == 1 ? "" : "es", set.truncated ? ", more branches not explored" : "", set.runs);
  std::vector<std::string> explored;
  for (const auto& p : set.parameters) {
    if (p.explored) explored.push_back(p.name + "=" + p.default_.value_or("?"));
  }
  out += fmt::format("explored parameters (defaults): {}\n", explored.empty() ? "none" : fmt::format("{}", fmt::join(explored, ", ")));
  std::vector<std::string> sizes;
  for (const auto& p : set.parameters) {
    if (!p.size_effect.empty()) sizes.push_back(fmt::format("{} ({})", p.name, p.size_effect));
  }
  if (!sizes.empty()) out += fmt::format("size parameters (any value, same branch): {}\n", fmt::join(sizes, "; "));
  for (std::size_t i = 0; i < set.branches.size(); ++i) {
    const auto& b = set.branches[i];
    out += fmt::format("\n[{}] {}\n    when: {}\n", i, b.id, b.condition);
    std::vector<std::string> witness;
    for (const auto& [k, v] : b.witness) witness.push_back(k + "=" + v);
    out += fmt::format("    witness: {}\n", witness.empty() ? "(defaults)" : fmt::format("{}", fmt::join(witness, ", ")));
    KeysReport keys{"", {}, b.manifest, b.unresolved};
    std::string table = render_keys_text(keys);
    table = table.substr(table.find('\n') + 1);  // drop the per-target headline
    for (std::size_t pos = 0; pos < table.size();) {
      std::size_t nl = table.find('\n', pos);
      out += "  " + table.substr(pos, nl - pos) + "\n";
      pos = nl == std::string::npos ? table.size() : nl + 1;
    }
  }
  if (set.branches.size() > 1) {
    out += "\ncompatibility (row: checkpoint saved by branch, column: model built as branch)\n";
    out += fmt::format("{:>8}", "");
    for (std::size_t j = 0; j < set.branches.size(); ++j) out += fmt::format(" {:>5}", "[" + std::to_string(j) + "]");
    out += "\n";
    for (std::size_t i = 0; i < set.branches.size(); ++i) {
      out += fmt::format("{:>8}", "[" + std::to_string(i) + "]");
      for (std::size_t j = 0; j < set.branches.size(); ++j) {
        if (i == j) { out += fmt::format(" {:>5}", "-"); continue; }
        auto r = compare::simulate_load(set.branches[i].manifest, set.branches[j].manifest);
        out += fmt::format(" {:>5}", r.compatible() ? "ok" : "FAIL");
      }
      out += "\n";
    }
    for (std::size_t i = 0; i < set.branches.size(); ++i) {
      for (std::size_t j = 0; j < set.branches.size(); ++j) {
        if (i == j) continue;
        auto r = compare::simulate_load(set.branches[i].manifest, set.branches[j].manifest);
        if (r.compatible()) continue;
        out += fmt::format("\n[{}] -> [{}]: {}\n", i, j, *r.pytorch_error);
      }
    }
  }
  return out;
}

}  // namespace ckg::report
