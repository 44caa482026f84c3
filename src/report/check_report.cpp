// JSON and text rendering of a load check.
#include "report/check_report.h"
#include "report/diff_report.h"

#include <string_view>

#include <fmt/format.h>

#include "report/diagnostics_render.h"

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

// torch's message, one part per line. Keys may hold newlines too, so a part starts a line only
// after torch's own separator ("\n\t") and before one of its own message starts; everything else
// is escaped.
static std::string torch_error_text(const std::string& error) {
  static constexpr std::string_view kStarts[] = {"Missing key(s) in state_dict: ", "Unexpected key(s) in state_dict: ",
                                                 "size mismatch for "};
  std::string out = "    RuntimeError: ";
  std::size_t start = 0;
  for (std::size_t at = error.find("\n\t"); at != std::string::npos; at = error.find("\n\t", at + 1)) {
    const std::string_view next = std::string_view(error).substr(at + 2);
    bool torch_part = false;
    for (auto s : kStarts) torch_part = torch_part || next.substr(0, s.size()) == s;
    if (!torch_part) continue;
    out += escape_text(std::string_view(error).substr(start, at - start)) + "\n    ";
    start = at + 2;
  }
  return out + escape_text(std::string_view(error).substr(start)) + "\n";
}

std::string render_check_text(const CheckReport& report) {
  const auto& r = report.load;
  const auto joined = [](const std::vector<std::string>& path) { return escape_text(fmt::format("{}", fmt::join(path, " / "))); };
  std::string out = fmt::format("{} -> {}: {}\n", escape_text(report.checkpoint), escape_text(report.model),
                                r.compatible() ? "loads with strict=True" : "does NOT load with strict=True");
  if (report.state_dict_path && !report.state_dict_path->empty()) {
    out += fmt::format("  state_dict found at {}\n", joined(*report.state_dict_path));
  }
  auto list = [&](const char* title, const std::vector<std::string>& keys) {
    if (keys.empty()) return;
    out += fmt::format("  {} ({}):\n", title, keys.size());
    for (const auto& k : keys) out += "    " + escape_text(k) + "\n";
  };
  list("missing from the checkpoint", r.missing);
  list("unexpected in the checkpoint", r.unexpected);
  if (!r.shape_mismatch.empty()) {
    out += fmt::format("  shape mismatch ({}):\n", r.shape_mismatch.size());
    for (const auto& m : r.shape_mismatch) out += fmt::format("    {}: checkpoint {} vs model {}\n", escape_text(m.name), shape_text(m.checkpoint), shape_text(m.model));
  }
  if (!r.dtype_mismatch.empty()) {
    out += fmt::format("  dtype differs ({}; load_state_dict casts silently):\n", r.dtype_mismatch.size());
    for (const auto& m : r.dtype_mismatch) {
      out += fmt::format("    {}: checkpoint {} vs model {}\n", escape_text(m.name), escape_text(m.checkpoint), escape_text(m.model));
    }
  }
  if (r.pytorch_error) out += "  torch would raise:\n" + torch_error_text(*r.pytorch_error);
  if (!report.suggestions.items.empty()) {
    out += fmt::format("  suggestions ({} after the remap):\n", report.suggestions.after.compatible() ? "loads" : "still does not load");
    for (const auto& s : report.suggestions.items) out += fmt::format("    - {} (confidence {:.2f})\n", escape_text(s.message), s.confidence);
    out += "  remap:\n";
    std::string py = report.suggestions.python;
    for (std::size_t pos = 0; pos < py.size();) {
      std::size_t nl = py.find('\n', pos);
      out += "    " + escape_text(py.substr(pos, nl - pos)) + "\n";
      pos = nl == std::string::npos ? py.size() : nl + 1;
    }
  }
  if (!report.matching_configs.empty()) {
    out += "  the checkpoint loads into the model built with:\n";
    for (const auto& c : report.matching_configs) out += "    " + (c.empty() ? std::string("(the default configuration)") : escape_text(c)) + "\n";
  }
  for (const auto& o : report.optimizers) {
    out += fmt::format("  optimizer state at {} ({}): {}\n", joined(o.path), o.family,
                       o.compatible() ? "fits the model" : "does NOT fit");
    for (const auto& p : o.problems) out += "    " + escape_text(p) + "\n";
  }
  for (const auto& n : report.notes) out += "  note: " + escape_text(n) + "\n";
  return out;
}

}  // namespace ckg::report
