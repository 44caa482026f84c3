// JSON and text rendering of a load check.
#include "report/check_report.h"
#include "report/diff_report.h"

#include <fmt/format.h>

namespace ckg::report {

static nlohmann::ordered_json load_fields(const compare::LoadReport& r) {
  nlohmann::ordered_json j;
  j["compatible"] = r.compatible();
  j["missing"] = r.missing;
  j["unexpected"] = r.unexpected;
  j["shape_mismatch"] = nlohmann::ordered_json::array();
  for (const auto& m : r.shape_mismatch) j["shape_mismatch"].push_back({{"name", m.name}, {"checkpoint", m.checkpoint}, {"model", m.model}});
  j["dtype_mismatch"] = nlohmann::ordered_json::array();
  for (const auto& m : r.dtype_mismatch) j["dtype_mismatch"].push_back({{"name", m.name}, {"checkpoint", m.checkpoint}, {"model", m.model}});
  return j;
}

nlohmann::ordered_json check_to_json(const CheckReport& report) {
  nlohmann::ordered_json j = load_fields(report.load);
  j["suggestions"] = nlohmann::ordered_json::array();
  for (const auto& s : report.suggestions.items) {
    j["suggestions"].push_back({{"kind", s.kind}, {"message", s.message}, {"confidence", s.confidence}, {"remap", s.remap}});
  }
  j["pytorch_error"] = report.load.pytorch_error ? nlohmann::ordered_json(*report.load.pytorch_error) : nlohmann::ordered_json(nullptr);
  // Extensions of the contract.
  j["checkpoint"] = report.checkpoint;
  j["model"] = report.model;
  j["state_dict_path"] = report.state_dict_path ? nlohmann::ordered_json(*report.state_dict_path) : nlohmann::ordered_json(nullptr);
  j["remap"] = report.suggestions.remap;
  j["remap_rules"] = remap_rules_to_json(report.suggestions.rules);
  j["remap_python"] = report.suggestions.python.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(report.suggestions.python);
  nlohmann::ordered_json after;
  after["compatible"] = report.suggestions.after.compatible();
  after["pytorch_error"] = report.suggestions.after.pytorch_error ? nlohmann::ordered_json(*report.suggestions.after.pytorch_error) : nlohmann::ordered_json(nullptr);
  j["after_remap"] = report.suggestions.remap.empty() ? nlohmann::ordered_json(nullptr) : after;
  j["matching_configs"] = report.matching_configs;
  j["optimizers"] = nlohmann::ordered_json::array();
  for (const auto& o : report.optimizers) {
    j["optimizers"].push_back({{"path", o.path}, {"family", o.family},
                               {"given", o.given ? nlohmann::ordered_json(*o.given) : nlohmann::ordered_json(nullptr)},
                               {"group_sizes", o.group_sizes}, {"model_parameters", o.model_parameters},
                               {"compatible", o.compatible()}, {"problems", o.problems}});
  }
  j["notes"] = report.notes;
  return j;
}

static std::string shape_text(const std::vector<std::int64_t>& s) { return fmt::format("[{}]", fmt::join(s, ", ")); }

std::string render_check_text(const CheckReport& report) {
  const auto& r = report.load;
  std::string out = fmt::format("{} -> {}: {}\n", report.checkpoint, report.model,
                                r.compatible() ? "loads with strict=True" : "does NOT load with strict=True");
  if (report.state_dict_path && !report.state_dict_path->empty()) {
    out += fmt::format("  state_dict found at {}\n", fmt::join(*report.state_dict_path, " / "));
  }
  auto list = [&](const char* title, const std::vector<std::string>& keys) {
    if (keys.empty()) return;
    out += fmt::format("  {} ({}):\n", title, keys.size());
    for (const auto& k : keys) out += "    " + k + "\n";
  };
  list("missing from the checkpoint", r.missing);
  list("unexpected in the checkpoint", r.unexpected);
  if (!r.shape_mismatch.empty()) {
    out += fmt::format("  shape mismatch ({}):\n", r.shape_mismatch.size());
    for (const auto& m : r.shape_mismatch) out += fmt::format("    {}: checkpoint {} vs model {}\n", m.name, shape_text(m.checkpoint), shape_text(m.model));
  }
  if (!r.dtype_mismatch.empty()) {
    out += fmt::format("  dtype differs ({}; load_state_dict casts silently):\n", r.dtype_mismatch.size());
    for (const auto& m : r.dtype_mismatch) out += fmt::format("    {}: checkpoint {} vs model {}\n", m.name, m.checkpoint, m.model);
  }
  if (r.pytorch_error) {
    out += "  torch would raise:\n    RuntimeError: ";
    for (char c : *r.pytorch_error) out += c == '\n' ? std::string("\n    ") : std::string(1, c);
    out += "\n";
  }
  if (!report.suggestions.items.empty()) {
    out += fmt::format("  suggestions ({} after the remap):\n", report.suggestions.after.compatible() ? "loads" : "still does not load");
    for (const auto& s : report.suggestions.items) out += fmt::format("    - {} (confidence {:.2f})\n", s.message, s.confidence);
    out += "  remap:\n";
    std::string py = report.suggestions.python;
    for (std::size_t pos = 0; pos < py.size();) {
      std::size_t nl = py.find('\n', pos);
      out += "    " + py.substr(pos, nl - pos) + "\n";
      pos = nl == std::string::npos ? py.size() : nl + 1;
    }
  }
  if (!report.matching_configs.empty()) {
    out += "  the checkpoint loads into the model built with:\n";
    for (const auto& c : report.matching_configs) out += "    " + (c.empty() ? std::string("(the default configuration)") : c) + "\n";
  }
  for (const auto& o : report.optimizers) {
    out += fmt::format("  optimizer state at {} ({}): {}\n", fmt::join(o.path, " / "), o.family,
                       o.compatible() ? "fits the model" : "does NOT fit");
    for (const auto& p : o.problems) out += "    " + p + "\n";
  }
  for (const auto& n : report.notes) out += "  note: " + n + "\n";
  return out;
}

}  // namespace ckg::report
