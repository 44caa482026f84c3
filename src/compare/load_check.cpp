// load_state_dict simulation, following torch/nn/modules/module.py (1.13) step by step.
#include "compare/load_check.h"

#include <algorithm>
#include <map>
#include <set>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

namespace ckg::compare {

namespace {

std::string torch_size(const std::vector<std::int64_t>& shape) { return fmt::format("torch.Size([{}])", fmt::join(shape, ", ")); }

std::string prefix_of(const std::string& path) { return path.empty() ? path : path + "."; }

// The module that owns key `k`: parameter and buffer names have no dots.
std::string owner_of(const std::string& key) {
  auto dot = key.rfind('.');
  return dot == std::string::npos ? std::string() : key.substr(0, dot);
}

std::string quoted_list(const std::vector<std::string>& keys) {
  std::string out;
  for (std::size_t i = 0; i < keys.size(); ++i) out += (i ? ", \"" : "\"") + keys[i] + "\"";
  return out;
}

}  // namespace

LoadReport simulate_load(const manifest::KeyManifest& checkpoint, const manifest::KeyManifest& model) {
  LoadReport report;
  std::map<std::string, const manifest::KeyEntry*> ckpt;
  for (const auto& k : checkpoint.keys) ckpt.emplace(k.name, &k);
  std::map<std::string, int> ckpt_version;  // the checkpoint's _metadata
  for (const auto& m : checkpoint.modules) ckpt_version.emplace(m.path, m.version);
  bool has_metadata = !checkpoint.modules.empty();

  // Per module of the model: its direct children and its local state names.
  std::map<std::string, std::set<std::string>> children, local;
  for (const auto& m : model.modules) {
    if (m.path.empty()) continue;
    auto dot = m.path.rfind('.');
    children[dot == std::string::npos ? std::string() : m.path.substr(0, dot)].insert(m.path.substr(dot == std::string::npos ? 0 : dot + 1));
  }
  for (const auto& k : model.keys) local[owner_of(k.name)].insert(k.name.substr(k.name.rfind('.') == std::string::npos ? 0 : k.name.rfind('.') + 1));

  // _NormBase._load_from_state_dict supplies num_batches_tracked itself when the checkpoint's
  // metadata for that module is missing or older than version 2.
  std::unordered_set<std::string_view> model_keys;
  for (const auto& k : model.keys) model_keys.insert(k.name);
  std::set<std::string> supplied;
  for (const auto& m : model.modules) {
    if (m.version < 2) continue;
    std::string key = prefix_of(m.path) + "num_batches_tracked";
    if (!model_keys.count(key) || ckpt.count(key)) continue;
    auto it = ckpt_version.find(m.path);
    int version = !has_metadata || it == ckpt_version.end() ? 0 : it->second;
    if (version < 2) supplied.insert(key);
  }

  std::vector<std::string> size_msgs;
  for (const auto& k : model.keys) {
    auto it = ckpt.find(k.name);
    if (it == ckpt.end()) {
      if (!supplied.count(k.name)) report.missing.push_back(k.name);
      continue;
    }
    const manifest::KeyEntry& c = *it->second;
    if (k.shape && c.shape) {
      bool scalar_from_1d = k.shape->empty() && c.shape->size() == 1;  // torch 0.3 compatibility rule
      if (*k.shape != *c.shape && !scalar_from_1d) {
        report.shape_mismatch.push_back({k.name, *c.shape, *k.shape});
        size_msgs.push_back(fmt::format("size mismatch for {}: copying a param with shape {} from checkpoint, "
                                        "the shape in current model is {}.", k.name, torch_size(*c.shape), torch_size(*k.shape)));
        continue;
      }
    }
    if (k.dtype && c.dtype && *k.dtype != *c.dtype) report.dtype_mismatch.push_back({k.name, *c.dtype, *k.dtype});
  }

  // Unexpected keys: each module, in traversal order, looks at the checkpoint keys under its
  // prefix whose first name is neither one of its children nor one of its own tensors. A key is
  // under the modules named by its dotted prefixes only, so each key asks those (a hash lookup
  // per dot, up to the longest module path) instead of every module scanning every key; the
  // findings are then put in torch's order: traversal position, then checkpoint order.
  std::vector<std::string> traversal;
  for (const auto& m : model.modules) traversal.push_back(m.path);
  if (traversal.empty()) traversal.push_back("");
  std::unordered_map<std::string_view, std::vector<std::size_t>> positions;  // path -> traversal
  std::size_t longest = 0;
  for (std::size_t t = 0; t < traversal.size(); ++t) {
    positions[traversal[t]].push_back(t);
    longest = std::max(longest, traversal[t].size());
  }
  std::vector<std::pair<std::size_t, std::size_t>> found;  // (traversal position, key index)
  for (std::size_t j = 0; j < checkpoint.keys.size(); ++j) {
    const std::string_view name = checkpoint.keys[j].name;
    for (std::size_t end = 0; end != std::string_view::npos && end <= longest;
         end = name.find('.', end + 1)) {
      auto at = positions.find(name.substr(0, end));
      if (at == positions.end()) continue;
      const std::string_view rest = name.substr(end == 0 ? 0 : end + 1);
      const std::string first(rest.substr(0, rest.find('.')));
      const std::string path(at->first);
      if (children[path].count(first) || local[path].count(first)) continue;
      for (std::size_t t : at->second) found.emplace_back(t, j);
    }
  }
  std::sort(found.begin(), found.end());
  for (const auto& [t, j] : found) report.unexpected.push_back(checkpoint.keys[j].name);

  std::vector<std::string> msgs;
  if (!report.missing.empty()) msgs.push_back(fmt::format("Missing key(s) in state_dict: {}. ", quoted_list(report.missing)));
  if (!report.unexpected.empty()) msgs.push_back(fmt::format("Unexpected key(s) in state_dict: {}. ", quoted_list(report.unexpected)));
  msgs.insert(msgs.end(), size_msgs.begin(), size_msgs.end());
  if (!msgs.empty()) {
    std::string name = model.modules.empty() ? std::string("Module") : model.modules.front().type;
    report.pytorch_error = fmt::format("Error(s) in loading state_dict for {}:\n\t{}", name, fmt::join(msgs, "\n\t"));
  }
  return report;
}

LoadReport interpreted_load(std::vector<std::string> missing, std::vector<std::string> unexpected,
                            const std::vector<std::string>& messages, std::optional<std::string> pytorch_error,
                            const manifest::KeyManifest& checkpoint, const manifest::KeyManifest& model) {
  LoadReport report;
  report.missing = std::move(missing);
  report.unexpected = std::move(unexpected);
  report.pytorch_error = std::move(pytorch_error);
  // "size mismatch for K: copying a param with shape torch.Size([..]) from checkpoint, the shape
  // in current model is torch.Size([..])." (torch's words, as the interpreted loader writes them)
  auto shape_at = [](const std::string& m, std::size_t from) {
    std::vector<std::int64_t> dims;
    std::size_t open = m.find("torch.Size([", from), close = m.find("])", open);
    if (open == std::string::npos || close == std::string::npos) return std::make_pair(dims, std::string::npos);
    std::string inside = m.substr(open + 12, close - open - 12);
    for (std::size_t p = 0; p < inside.size();) {
      std::size_t comma = inside.find(',', p);
      dims.push_back(std::stoll(inside.substr(p, comma == std::string::npos ? std::string::npos : comma - p)));
      if (comma == std::string::npos) break;
      p = comma + 1;
    }
    return std::make_pair(dims, close);
  };
  for (const auto& m : messages) {
    if (m.rfind("size mismatch for ", 0) != 0) continue;
    std::string key = m.substr(18, m.find(':') - 18);
    auto [from_checkpoint, end] = shape_at(m, 0);
    auto [in_model, unused] = shape_at(m, end);
    report.shape_mismatch.push_back({key, from_checkpoint, in_model});
  }
  for (const auto& k : model.keys) {
    const manifest::KeyEntry* c = checkpoint.find(k.name);
    if (c && k.dtype && c->dtype && *k.dtype != *c->dtype) report.dtype_mismatch.push_back({k.name, *c->dtype, *k.dtype});
  }
  return report;
}

}  // namespace ckg::compare
