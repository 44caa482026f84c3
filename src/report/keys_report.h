// Renderers for predicted keys (`ckptguard keys`): the public JSON contract and a text table.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "manifest/key_manifest.h"

namespace ckg::report {

struct KeysReport {
  std::string target;                                   // FILE::NAME as given
  std::vector<std::pair<std::string, std::string>> config;  // KEY, VALUE source text
  manifest::KeyManifest manifest;
  std::vector<manifest::Unresolved> unresolved;
};

nlohmann::ordered_json key_to_json(const manifest::KeyEntry& key);
nlohmann::ordered_json unresolved_to_json(const std::vector<manifest::Unresolved>& unresolved);
nlohmann::ordered_json keys_to_json(const KeysReport& report);
std::string render_keys_text(const KeysReport& report);
// "incomplete (N): ..." and one line per reason; empty for a complete prediction.
std::string render_incompleteness_text(const std::vector<manifest::Unresolved>& gaps);

}  // namespace ckg::report
