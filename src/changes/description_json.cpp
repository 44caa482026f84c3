// JSON (de)serialisation of model descriptions for the analysis cache.
#include "changes/description_json.h"

#include <nlohmann/json.hpp>

namespace ckg::changes {

namespace {

using nlohmann::json;

json range_json(const std::string& file, int line, int end_line) { return json::array({file, line, end_line}); }
json range_json(const manifest::SourceRange& r) { return range_json(r.file, r.line, r.end_line); }
manifest::SourceRange range(const json& j) { return {j.at(0).get<std::string>(), j.at(1).get<int>(), j.at(2).get<int>()}; }

json ranges(const std::vector<manifest::SourceRange>& rs) {
  json out = json::array();
  for (const auto& r : rs) out.push_back(range_json(r));
  return out;
}

std::vector<manifest::SourceRange> ranges(const json& j) {
  std::vector<manifest::SourceRange> out;
  for (const auto& r : j) out.push_back(range(r));
  return out;
}

json key(const manifest::KeyEntry& k) {
  return json{{"n", k.name}, {"k", k.kind == manifest::TensorKind::parameter ? 0 : 1}, {"s", k.shape ? json(*k.shape) : json()},
              {"d", k.dtype ? json(*k.dtype) : json()}, {"o", range_json(k.origin_file, k.origin_line, k.origin_end_line)},
              {"a", k.alias_of}};
}

manifest::KeyEntry key(const json& j) {
  manifest::KeyEntry k;
  k.name = j.at("n").get<std::string>();
  k.kind = j.at("k").get<int>() == 0 ? manifest::TensorKind::parameter : manifest::TensorKind::buffer;
  if (!j.at("s").is_null()) k.shape = j.at("s").get<std::vector<std::int64_t>>();
  if (!j.at("d").is_null()) k.dtype = j.at("d").get<std::string>();
  manifest::SourceRange o = range(j.at("o"));
  k.origin_file = o.file, k.origin_line = o.line, k.origin_end_line = o.end_line;
  k.alias_of = j.at("a").get<std::string>();
  return k;
}

json keys(const std::vector<manifest::KeyEntry>& ks) {
  json out = json::array();
  for (const auto& k : ks) out.push_back(key(k));
  return out;
}

std::vector<manifest::KeyEntry> keys(const json& j) {
  std::vector<manifest::KeyEntry> out;
  for (const auto& k : j) out.push_back(key(k));
  return out;
}

}  // namespace

std::string branch_set_to_json(const manifest::BranchSet& set) {
  json j;
  j["truncated"] = set.truncated;
  j["runs"] = set.runs;
  for (const auto& p : set.parameters) {
    j["parameters"].push_back({p.name, p.default_ ? json(*p.default_) : json(), p.explored});
  }
  for (const auto& b : set.branches) {
    json modules = json::array();
    for (const auto& m : b.manifest.modules) {
      modules.push_back(json::array({m.path, m.type, m.version, range_json(m.origin_file, m.origin_line, m.origin_end_line),
                                     ranges(m.created_at)}));
    }
    json unresolved = json::array();
    for (const auto& u : b.unresolved) unresolved.push_back({u.file, u.line, u.reason});
    j["branches"].push_back({{"id", b.id}, {"condition", b.condition}, {"witness", b.witness}, {"keys", keys(b.manifest.keys)},
                             {"non_persistent", keys(b.manifest.non_persistent)}, {"modules", modules},
                             {"unresolved", unresolved}, {"executed", ranges(b.executed)},
                             {"load", ranges(b.load_customizations)}});
  }
  return j.dump();
}

std::optional<manifest::BranchSet> branch_set_from_json(std::string_view text) {
  try {
    json j = json::parse(text);
    manifest::BranchSet set;
    set.truncated = j.at("truncated").get<bool>();
    set.runs = j.at("runs").get<int>();
    for (const auto& p : j.value("parameters", json::array())) {
      set.parameters.push_back({p.at(0).get<std::string>(), p.at(1).is_null() ? std::nullopt : std::optional<std::string>(p.at(1).get<std::string>()),
                                p.at(2).get<bool>()});
    }
    for (const auto& b : j.at("branches")) {
      manifest::Branch branch;
      branch.id = b.at("id").get<std::string>();
      branch.condition = b.at("condition").get<std::string>();
      branch.witness = b.at("witness").get<std::vector<std::pair<std::string, std::string>>>();
      branch.manifest.keys = keys(b.at("keys"));
      branch.manifest.non_persistent = keys(b.at("non_persistent"));
      for (const auto& m : b.at("modules")) {
        manifest::SourceRange o = range(m.at(3));
        branch.manifest.modules.push_back({m.at(0).get<std::string>(), m.at(1).get<std::string>(), m.at(2).get<int>(), o.file,
                                           o.line, o.end_line, ranges(m.at(4))});
      }
      for (const auto& u : b.at("unresolved")) branch.unresolved.push_back({u.at(0).get<std::string>(), u.at(1).get<int>(), u.at(2).get<std::string>()});
      branch.executed = ranges(b.at("executed"));
      branch.load_customizations = ranges(b.at("load"));
      set.branches.push_back(std::move(branch));
    }
    return set;
  } catch (const json::exception&) {
    return std::nullopt;  // an entry from another layout: a miss
  }
}

std::string models_to_json(const std::vector<interp::ModelTarget>& models, const std::string& error) {
  json j;
  j["error"] = error;
  j["models"] = json::array();
  for (const auto& m : models) j["models"].push_back({m.name, m.line, m.is_class, m.required});
  return j.dump();
}

std::optional<std::pair<std::vector<interp::ModelTarget>, std::string>> models_from_json(std::string_view text) {
  try {
    json j = json::parse(text);
    std::vector<interp::ModelTarget> models;
    for (const auto& m : j.at("models")) {
      models.push_back({m.at(0).get<std::string>(), m.at(1).get<int>(), m.at(2).get<bool>(), m.at(3).get<std::vector<std::string>>()});
    }
    return std::make_pair(std::move(models), j.at("error").get<std::string>());
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

}  // namespace ckg::changes
