// JSON and text rendering of a key prediction.
#include "report/keys_report.h"

#include <algorithm>

#include <fmt/format.h>

#include "manifest/completeness.h"

namespace ckg::report {

nlohmann::ordered_json key_to_json(const manifest::KeyEntry& key) {
  nlohmann::ordered_json j;
  j["name"] = key.name;
  j["kind"] = manifest::to_string(key.kind);
  j["shape"] = key.shape ? nlohmann::ordered_json(*key.shape) : nlohmann::ordered_json(nullptr);
  j["dtype"] = key.dtype ? nlohmann::ordered_json(*key.dtype) : nlohmann::ordered_json(nullptr);
  return j;
}

nlohmann::ordered_json unresolved_to_json(const std::vector<manifest::Unresolved>& unresolved) {
  nlohmann::ordered_json j = nlohmann::ordered_json::array();
  for (const auto& u : unresolved) j.push_back({{"file", u.file}, {"line", u.line}, {"reason", u.reason}});
  return j;
}

nlohmann::ordered_json keys_to_json(const KeysReport& report) {
  nlohmann::ordered_json j;
  j["target"] = report.target;
  j["config"] = nlohmann::ordered_json::object();
  for (const auto& [k, v] : report.config) j["config"][k] = v;
  j["torch"] = CKPTGUARD_CATALOGUE_TORCH;  // the torch release the prediction models
  j["keys"] = nlohmann::ordered_json::array();
  for (const auto& key : report.manifest.keys) j["keys"].push_back(key_to_json(key));
  j["unresolved"] = unresolved_to_json(report.unresolved);
  auto gaps = manifest::incompleteness(report.manifest, report.unresolved);
  j["complete"] = gaps.empty();
  j["incomplete_reasons"] = unresolved_to_json(gaps);
  return j;
}

std::string render_incompleteness_text(const std::vector<manifest::Unresolved>& gaps) {
  if (gaps.empty()) return {};
  std::string out = fmt::format("incomplete ({}): keys may be missing or wrong because of\n", gaps.size());
  for (const auto& u : gaps) {
    out += u.file.empty() ? fmt::format("  {}\n", u.reason) : fmt::format("  {}:{}: {}\n", u.file, u.line, u.reason);
  }
  return out;
}

static std::string shape_text(const manifest::KeyEntry& key) {
  if (!key.shape) return "?";
  return fmt::format("[{}]", fmt::join(*key.shape, ", "));
}

std::string render_keys_text(const KeysReport& report) {
  std::size_t params = 0;
  for (const auto& k : report.manifest.keys) params += k.kind == manifest::TensorKind::parameter;
  std::string out = fmt::format("{}: {} keys ({} parameters, {} buffers)\n", report.target, report.manifest.keys.size(),
                                params, report.manifest.keys.size() - params);
  std::size_t name_w = 3, shape_w = 5;
  for (const auto& k : report.manifest.keys) {
    name_w = std::max(name_w, k.name.size());
    shape_w = std::max(shape_w, shape_text(k).size());
  }
  if (!report.manifest.keys.empty()) {
    out += fmt::format("  {:<{}}  {:<9}  {:<{}}  {}\n", "KEY", name_w, "KIND", "SHAPE", shape_w, "DTYPE");
    for (const auto& k : report.manifest.keys) {
      out += fmt::format("  {:<{}}  {:<9}  {:<{}}  {}\n", k.name, name_w, manifest::to_string(k.kind), shape_text(k), shape_w,
                         k.dtype.value_or("?"));
    }
  }
  out += render_incompleteness_text(manifest::incompleteness(report.manifest, report.unresolved));
  return out;
}

}  // namespace ckg::report
