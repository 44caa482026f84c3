// Prefix detection and rename matching for checkpoints that fail to load.
#include "compare/suggest.h"

#include <algorithm>
#include <optional>
#include <set>
#include <string_view>
#include <unordered_map>

#include <fmt/format.h>

namespace ckg::compare {

namespace {

std::size_t overlap(const std::vector<std::string>& names, const std::set<std::string>& model) {
  return static_cast<std::size_t>(std::count_if(names.begin(), names.end(), [&](auto& n) { return model.count(n) != 0; }));
}

std::string leaf_name(const std::string& key) {
  auto dot = key.rfind('.');
  return dot == std::string::npos ? key : key.substr(dot + 1);
}

// Wrapper prefixes torch and popular trainers add, plus any first component common to all keys.
std::vector<std::string> candidate_prefixes(const std::vector<std::string>& keys) {
  std::vector<std::string> out = {"module.", "_orig_mod.", "_orig_mod.module.", "module._orig_mod.", "model.", "model.module."};
  if (!keys.empty()) {
    auto dot = keys.front().find('.');
    if (dot != std::string::npos) {
      std::string first = keys.front().substr(0, dot + 1);
      if (std::all_of(keys.begin(), keys.end(), [&](auto& k) { return k.rfind(first, 0) == 0; }) &&
          std::find(out.begin(), out.end(), first) == out.end()) {
        out.push_back(first);
      }
    }
  }
  return out;
}

}  // namespace

manifest::KeyManifest apply_remap(const manifest::KeyManifest& checkpoint, const std::map<std::string, std::string>& remap) {
  manifest::KeyManifest out = checkpoint;
  for (auto& k : out.keys) {
    auto it = remap.find(k.name);
    if (it != remap.end()) k.name = it->second;
  }
  return out;
}

Suggestions suggest_fixes(const manifest::KeyManifest& checkpoint, const manifest::KeyManifest& model) {
  Suggestions out;
  std::set<std::string> model_keys;
  for (auto& k : model.keys) model_keys.insert(k.name);
  std::vector<std::string> ckpt_keys;
  for (auto& k : checkpoint.keys) ckpt_keys.push_back(k.name);
  std::size_t base = overlap(ckpt_keys, model_keys);

  // 1. A prefix to strip from every checkpoint key (or to add to it).
  std::string best_prefix;
  bool add = false;
  std::size_t best = base;
  for (const auto& p : candidate_prefixes(ckpt_keys)) {
    std::vector<std::string> stripped;
    for (auto& k : ckpt_keys) stripped.push_back(k.rfind(p, 0) == 0 ? k.substr(p.size()) : k);
    std::size_t score = overlap(stripped, model_keys);
    if (score > best) best = score, best_prefix = p, add = false;
  }
  std::vector<std::string> model_names(model_keys.begin(), model_keys.end());
  for (const auto& p : candidate_prefixes(model_names)) {
    if (std::any_of(model_names.begin(), model_names.end(), [&](auto& k) { return k.rfind(p, 0) != 0; })) continue;
    std::vector<std::string> prefixed;
    for (auto& k : ckpt_keys) prefixed.push_back(p + k);
    std::size_t score = overlap(prefixed, model_keys);
    if (score > best) best = score, best_prefix = p, add = true;
  }
  manifest::KeyManifest renamed = checkpoint;
  if (!best_prefix.empty()) {
    Suggestion s;
    s.kind = add ? "add-prefix" : "strip-prefix";
    std::string origin = best_prefix == "module." ? " (DataParallel/DistributedDataParallel)"
                         : best_prefix.rfind("_orig_mod.", 0) == 0 ? " (torch.compile)" : "";
    s.message = add ? fmt::format("checkpoint keys lack the model's '{}' prefix", best_prefix)
                    : fmt::format("checkpoint keys carry a '{}' prefix{}: strip it", best_prefix, origin);
    for (auto& k : ckpt_keys) {
      std::string target = add ? best_prefix + k : (k.rfind(best_prefix, 0) == 0 ? k.substr(best_prefix.size()) : k);
      if (target != k) s.remap[k] = target;
    }
    s.confidence = static_cast<double>(best) / static_cast<double>(std::max<std::size_t>(model_keys.size(), 1));
    renamed = apply_remap(checkpoint, s.remap);
    out.remap = s.remap;
    out.items.push_back(std::move(s));
  }

  // 2. Renames: a missing model key and a leftover checkpoint key with the same tensor name,
  //    shape and dtype, paired in order (the position heuristic detectron2 uses for suffixes).
  LoadReport mid = simulate_load(renamed, model);
  // Indexes instead of scans, so that thousands of renames stay near-linear: keys by name, the
  // unused leftovers by tensor name (and by name and shape), the prefix remap inverted.
  std::unordered_map<std::string_view, const manifest::KeyEntry*> renamed_keys, model_entries;
  for (const auto& k : renamed.keys) renamed_keys.emplace(k.name, &k);
  for (const auto& k : model.keys) model_entries.emplace(k.name, &k);
  std::vector<const manifest::KeyEntry*> leftovers;
  for (auto& u : mid.unexpected) {
    auto it = renamed_keys.find(u);
    leftovers.push_back(it == renamed_keys.end() ? nullptr : it->second);
  }
  using Shape = std::vector<std::int64_t>;
  std::map<std::string, std::set<std::size_t>> by_leaf, shapeless_by_leaf;
  std::map<std::pair<std::string, Shape>, std::set<std::size_t>> by_leaf_shape;
  for (std::size_t i = 0; i < leftovers.size(); ++i) {
    if (!leftovers[i]) continue;
    const std::string leaf = leaf_name(leftovers[i]->name);
    by_leaf[leaf].insert(i);
    if (leftovers[i]->shape) by_leaf_shape[{leaf, *leftovers[i]->shape}].insert(i);
    else shapeless_by_leaf[leaf].insert(i);
  }
  std::map<std::string, std::string> unprefixed;  // prefix remap, target -> original
  for (const auto& [k, v] : out.remap) unprefixed[v] = k;
  for (const auto& missing : mid.missing) {
    auto found = model_entries.find(missing);
    if (found == model_entries.end()) continue;
    const manifest::KeyEntry* m = found->second;
    const std::string leaf = leaf_name(m->name);
    // Candidates: unused leftovers with the same tensor name whose shape agrees (or is unknown).
    std::vector<const std::set<std::size_t>*> pools;
    if (m->shape) {
      pools = {&by_leaf_shape[{leaf, *m->shape}], &shapeless_by_leaf[leaf]};
    } else {
      pools = {&by_leaf[leaf]};
    }
    std::size_t candidates = 0;
    std::optional<std::size_t> first;
    for (const auto* pool : pools) {
      candidates += pool->size();
      if (!pool->empty() && (!first || *pool->begin() < *first)) first = *pool->begin();
    }
    if (!first) continue;
    std::size_t pick = *first;  // the first in checkpoint order, keeping the order aligned
    const std::string pick_leaf = leaf_name(leftovers[pick]->name);
    by_leaf[pick_leaf].erase(pick);
    if (leftovers[pick]->shape) by_leaf_shape[{pick_leaf, *leftovers[pick]->shape}].erase(pick);
    else shapeless_by_leaf[pick_leaf].erase(pick);
    std::string from = leftovers[pick]->name;
    // Undo the prefix step so that the remap is from original checkpoint keys.
    auto prefixed = unprefixed.find(from);
    std::string original = prefixed == unprefixed.end() ? from : prefixed->second;
    Suggestion s;
    s.kind = "rename";
    s.confidence = candidates == 1 ? 0.9 : 0.5;
    s.message = fmt::format("'{}' looks renamed to '{}' (same tensor name and shape{})", from, missing,
                            candidates == 1 ? "" : fmt::format(", 1 of {} candidates, matched by position", candidates));
    s.remap[original] = missing;
    out.remap[original] = missing;
    out.items.push_back(std::move(s));
  }

  out.after = simulate_load(apply_remap(checkpoint, out.remap), model);
  for (auto& s : out.items) s.resolves = out.after.compatible();
  out.rules = compact_rules(out.remap);
  out.python = python_fix(out.rules);
  return out;
}

}  // namespace ckg::compare
