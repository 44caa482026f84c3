// Classifying state_dict changes between two versions of a model.
#include "compare/model_diff.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "diagnostics/codes.h"

namespace ckg::compare {

namespace {

using diag::Diagnostic;
using diag::RuleInfo;
using diag::Severity;

std::vector<std::string> split(const std::string& key) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    std::size_t dot = key.find('.', start);
    parts.push_back(key.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return parts;
}

std::string join(const std::vector<std::string>& parts, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n && i < parts.size(); ++i) out += (i ? "." : "") + parts[i];
  return out;
}

bool is_index(const std::string& s) { return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }); }

std::string owner(const std::string& key) {
  auto dot = key.rfind('.');
  return dot == std::string::npos ? std::string() : key.substr(0, dot);
}

std::string leaf(const std::string& key) {
  auto dot = key.rfind('.');
  return dot == std::string::npos ? key : key.substr(dot + 1);
}

// The keys of `layer` (a module path, or a key of the root), in state_dict order.
std::vector<std::string> keys_of_layer(const manifest::KeyManifest& m, const std::string& layer) {
  std::vector<std::string> out;
  for (const auto& k : m.keys) {
    if (k.name == layer || k.name.rfind(layer + ".", 0) == 0) out.push_back(k.name);
  }
  return out;
}

bool same_tensor(const manifest::KeyEntry& a, const manifest::KeyEntry& b) {
  return leaf(a.name) == leaf(b.name) && a.kind == b.kind && a.shape == b.shape && a.dtype == b.dtype;
}

std::string shape_text(const std::optional<std::vector<std::int64_t>>& s) {
  return s ? fmt::format("[{}]", fmt::join(*s, ", ")) : std::string("?");
}

const RuleInfo& rule(const std::string& code) { return diag::rule_in(diff_rules(), code); }

Diagnostic finding(const std::string& code, const std::string& target, const std::string& message, const std::string& help,
                   const std::string& file, int line, const std::optional<std::string>& old_value,
                   const std::optional<std::string>& new_value) {
  Diagnostic d = diag::make_diagnostic(rule(code), message, {file, line, 1, line, 1}, help);
  d.data["target"] = target;
  d.data["old"] = old_value ? nlohmann::ordered_json(*old_value) : nlohmann::ordered_json(nullptr);
  d.data["new"] = new_value ? nlohmann::ordered_json(*new_value) : nlohmann::ordered_json(nullptr);
  return d;
}

// How an old layer path became a new one, reduced to the component that changed: a rename of
// `linear2` moves `linear2.0` and `linear2.1` alike. Returns the rule and the (old, new) paths
// that name the change.
struct Move {
  std::string code;
  std::string from, to;
};

Move classify_move(const std::string& old_owner, const std::string& new_owner) {
  auto a = split(old_owner), b = split(new_owner);
  if (a.size() == b.size()) {
    std::size_t first = a.size();
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (a[i] != b[i]) { first = i; break; }
    }
    bool rest_equal = first < a.size() && std::equal(a.begin() + static_cast<std::ptrdiff_t>(first) + 1, a.end(),
                                                     b.begin() + static_cast<std::ptrdiff_t>(first) + 1);
    if (rest_equal) {
      std::string code = is_index(a[first]) && is_index(b[first]) ? "CKG103" : "CKG101";
      return {code, join(a, first + 1), join(b, first + 1)};
    }
    bool only_indices = true;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (a[i] != b[i] && (!is_index(a[i]) || !is_index(b[i]))) only_indices = false;
    }
    if (only_indices) return {"CKG103", old_owner, new_owner};
  }
  return {"CKG102", old_owner, new_owner};
}

}  // namespace

const std::vector<RuleInfo>& diff_rules() {
  static const std::vector<RuleInfo> rules = {
      diag::rule("CKG101",
       "**What**: the same layer (same tensor names, shapes and dtypes, same position) is registered under a new "
       "attribute name, e.g. `self.linear2` became `self.fc2`.\n\n**Why**: every checkpoint saved with the old code has "
       "`linear2.*` keys; `load_state_dict(strict=True)` raises on them, and `strict=False` silently leaves `fc2` "
       "randomly initialised.\n\n**Use instead**: keep the name, or migrate old checkpoints with the emitted remap "
       "(a load_state_dict pre-hook or a one-off conversion script)."),
      diag::rule("CKG102",
       "**What**: a layer now lives under another module, e.g. `conv1` moved into `stem.0`.\n\n**Why**: old checkpoints "
       "have the old prefix; loading fails or, with strict=False, skips the layer.\n\n**Use instead**: migrate with the "
       "emitted remap."),
      diag::rule("CKG103",
       "**What**: numbered children changed index, e.g. a layer inserted at the front of an `nn.Sequential` shifts "
       "`features.0` to `features.1` (the seed example).\n\n**Why**: numbered keys no longer line up; with strict=False "
       "weights land in the wrong layers or are dropped.\n\n**Use instead**: append instead of insert, name the "
       "children with an OrderedDict, or migrate with the emitted remap."),
      diag::rule("CKG104",
       "**What**: a parameter or buffer was removed.\n\n**Why**: loading an old checkpoint raises \"Unexpected key(s)\"."
       "\n\n**Use instead**: if intended, drop the keys when loading (and say so with `# ckptguard: ignore[CKG104]`)."),
      diag::rule("CKG105",
       "**What**: a parameter or buffer was added.\n\n**Why**: loading an old checkpoint raises \"Missing key(s)\"; with "
       "strict=False the new layer silently keeps its random initialisation.\n\n**Use instead**: provide a migration "
       "that initialises the new keys, or make the layer conditional on a flag whose default keeps old checkpoints loading."),
      diag::rule("CKG106",
       "**What**: a buffer that old checkpoints contain is now non-persistent.\n\n**Why**: `load_state_dict(strict=True)` "
       "raises \"Unexpected key(s)\" for it.\n\n**Use instead**: drop the key when loading old checkpoints."),
      diag::rule("CKG107",
       "**What**: a constructor default changed (e.g. `use_extra_layer=False` became `True`), so a default build has "
       "other keys.\n\n**Why**: checkpoints saved with the default configuration no longer load into a default build."
       "\n\n**Use instead**: keep the default and opt in explicitly, or pin the old value where old checkpoints are loaded."),
      diag::rule("CKG108",
       "**What**: a set of keys one configuration produced can no longer be produced.\n\n**Why**: checkpoints saved in "
       "that configuration cannot be loaded by any configuration of the new code."),
      diag::rule("CKG109",
       "**What**: the model gained a configuration with keys no old configuration had. Old checkpoints still load into "
       "their own configurations; this is reported for review."),
      diag::rule("CKG110",
       "**What**: a model the change can reach was built from the old version and cannot be built from the new one: "
       "its constructor raises, or ckptguard cannot follow the new code.\n\n**Why**: nothing can be said about its "
       "checkpoints, and if the constructor really raises, none of them loads. `diff` never passes such a change "
       "silently; suppress it at the reported line when ckptguard is the one that cannot follow."),
      diag::rule("CKG201",
       "**What**: the same key has another shape, e.g. a width change.\n\n**Why**: loading raises \"size mismatch\", even "
       "with strict=False."),
      diag::rule("CKG202",
       "**What**: the same key has another dtype.\n\n**Why**: load_state_dict casts silently; precision can be lost or "
       "integer buffers corrupted."),
  };
  return rules;
}

ModelDiff diff_manifests(const std::string& target, const manifest::KeyManifest& old_keys, const manifest::KeyManifest& new_keys) {
  ModelDiff out;
  std::set<std::string> old_names, new_names;
  for (auto& k : old_keys.keys) old_names.insert(k.name);
  for (auto& k : new_keys.keys) new_names.insert(k.name);
  std::vector<const manifest::KeyEntry*> removed, added;
  for (auto& k : old_keys.keys) {
    if (!new_names.count(k.name)) removed.push_back(&k);
  }
  for (auto& k : new_keys.keys) {
    if (!old_names.count(k.name)) added.push_back(&k);
  }

  // Shapes and dtypes of keys in both, one finding per layer.
  std::vector<std::pair<std::string, std::vector<std::string>>> reshaped, retyped;
  std::map<std::string, const manifest::KeyEntry*> first_of;
  auto add_to = [](auto& groups, const std::string& layer, std::string change) {
    if (groups.empty() || groups.back().first != layer) groups.push_back({layer, {}});
    groups.back().second.push_back(std::move(change));
  };
  for (auto& n : new_keys.keys) {
    const manifest::KeyEntry* o = old_keys.find(n.name);
    if (!o) continue;
    std::string layer = owner(n.name).empty() ? n.name : owner(n.name);
    first_of.emplace(layer, &n);
    if (o->shape && n.shape && *o->shape != *n.shape) {
      add_to(reshaped, layer, fmt::format("{} {} -> {}", leaf(n.name), shape_text(o->shape), shape_text(n.shape)));
    } else if (o->dtype && n.dtype && *o->dtype != *n.dtype) {
      add_to(retyped, layer, fmt::format("{} {} -> {}", leaf(n.name), *o->dtype, *n.dtype));
    }
  }
  for (auto& [layer, changes] : reshaped) {
    const auto* n = first_of[layer];
    out.findings.push_back(finding("CKG201", target, fmt::format("`{}` changed shape: {}", layer, fmt::join(changes, ", ")),
                                   "old checkpoints fail with 'size mismatch'; no key remap can fix a shape change",
                                   n->origin_file, n->origin_line, layer, layer));
    out.findings.back().data["keys"] = keys_of_layer(new_keys, layer);
  }
  for (auto& [layer, changes] : retyped) {
    const auto* n = first_of[layer];
    out.findings.push_back(finding("CKG202", target, fmt::format("`{}` changed dtype: {}", layer, fmt::join(changes, ", ")),
                                   "load_state_dict casts old values to the new dtype silently", n->origin_file, n->origin_line, layer, layer));
    out.findings.back().data["keys"] = keys_of_layer(new_keys, layer);
  }

  // Pair removed and added keys that hold the same tensor, in order: renames, moves, reorders.
  std::vector<bool> used(added.size(), false);
  std::map<std::pair<std::string, std::string>, std::vector<std::pair<const manifest::KeyEntry*, const manifest::KeyEntry*>>> moves;
  std::vector<std::pair<std::string, std::string>> move_order;
  std::map<std::pair<std::string, std::string>, std::string> move_codes;
  std::vector<const manifest::KeyEntry*> unmatched_removed;
  for (const auto* r : removed) {
    std::size_t pick = added.size();
    for (std::size_t i = 0; i < added.size(); ++i) {
      if (!used[i] && same_tensor(*r, *added[i])) { pick = i; break; }
    }
    if (pick == added.size()) { unmatched_removed.push_back(r); continue; }
    used[pick] = true;
    Move m = classify_move(owner(r->name), owner(added[pick]->name));
    auto key = std::make_pair(m.from, m.to);
    if (!moves.count(key)) move_order.push_back(key), move_codes[key] = m.code;
    moves[key].emplace_back(r, added[pick]);
  }
  for (const auto& key : move_order) {
    const auto& pairs = moves[key];
    const std::string& code = move_codes[key];
    std::vector<std::string> leaves;
    for (auto& [r, a] : pairs) {
      out.remap[r->name] = a->name;
      leaves.push_back(r->name.substr(key.first.empty() ? 0 : key.first.size() + 1));
    }
    // Point at the line that registers the renamed or moved layer in the new code.
    const auto* first_new = pairs.front().second;
    std::string origin_file = first_new->origin_file;
    int origin_line = first_new->origin_line;
    if (const auto* m = new_keys.find_module(key.second); m && m->origin_line > 0) origin_file = m->origin_file, origin_line = m->origin_line;
    std::string what = code == "CKG103" ? "moved to index" : code == "CKG101" ? "renamed to" : "moved to";
    auto d = finding(code, target,
                     fmt::format("`{}` {} `{}` ({} key{}: {})", key.first.empty() ? "<root>" : key.first, what, key.second,
                                 pairs.size(), pairs.size() == 1 ? "" : "s", fmt::join(leaves, ", ")),
                     "old checkpoints load after remapping their keys (see the emitted remap and migration)",
                     origin_file, origin_line, key.first, key.second);
    for (auto& [r, a] : pairs) {
      d.data["remap"][r->name] = a->name;
      d.data["old_keys"].push_back(r->name);
      d.data["new_keys"].push_back(a->name);
    }
    out.findings.push_back(std::move(d));
  }

  // What stayed unpaired: removed (maybe made non-persistent) and added keys, grouped by module.
  std::map<std::string, const manifest::KeyEntry*> non_persistent;
  for (auto& k : new_keys.non_persistent) non_persistent.emplace(k.name, &k);
  auto group = [](const std::vector<const manifest::KeyEntry*>& keys) {
    std::vector<std::pair<std::string, std::vector<const manifest::KeyEntry*>>> groups;
    for (const auto* k : keys) {
      std::string o = owner(k->name);
      if (groups.empty() || groups.back().first != o) groups.push_back({o, {}});
      groups.back().second.push_back(k);
    }
    return groups;
  };
  std::vector<const manifest::KeyEntry*> still_removed;
  for (const auto* r : unmatched_removed) {
    if (r->kind == manifest::TensorKind::buffer && non_persistent.count(r->name)) {
      const manifest::KeyEntry* where = non_persistent[r->name];
      out.findings.push_back(finding("CKG106", target, fmt::format("buffer `{}` is no longer saved (persistent=False)", r->name),
                                     "old checkpoints fail with 'Unexpected key(s)': drop the key when loading them",
                                     where->origin_file, where->origin_line, r->name, std::nullopt));
      out.findings.back().data["old_keys"].push_back(r->name);
      out.findings.back().data["non_persistent"].push_back(r->name);
    } else {
      still_removed.push_back(r);
    }
  }
  std::vector<const manifest::KeyEntry*> still_added;
  for (std::size_t i = 0; i < added.size(); ++i) {
    if (!used[i]) still_added.push_back(added[i]);
  }
  for (auto& [mod, keys] : group(still_removed)) {
    std::vector<std::string> names;
    for (auto* k : keys) names.push_back(k->name);
    // A removed key has no place in the new source; point at the model's first key's origin.
    const manifest::KeyEntry* where = new_keys.keys.empty() ? keys.front() : &new_keys.keys.front();
    auto d = finding("CKG104", target, fmt::format("{} removed: {}", mod.empty() ? "keys" : "`" + mod + "`", fmt::join(names, ", ")),
                     "old checkpoints fail with 'Unexpected key(s)'", where->origin_file, where->origin_line,
                     mod.empty() ? names.front() : mod, std::nullopt);
    d.data["old_keys"] = names;
    out.findings.push_back(std::move(d));
  }
  for (auto& [mod, keys] : group(still_added)) {
    std::vector<std::string> names;
    for (auto* k : keys) names.push_back(k->name);
    out.findings.push_back(finding("CKG105", target, fmt::format("{} added: {}", mod.empty() ? "keys" : "`" + mod + "`", fmt::join(names, ", ")),
                                   "old checkpoints fail with 'Missing key(s)'; with strict=False these stay randomly initialised",
                                   keys.front()->origin_file, keys.front()->origin_line, std::nullopt, mod.empty() ? names.front() : mod));
    out.findings.back().data["new_keys"] = names;
  }
  return out;
}

static std::string manifest_key(const manifest::KeyManifest& m) {
  std::string key;
  for (auto& k : m.keys) key += k.name + "|" + manifest::to_string(k.kind) + "|" + shape_text(k.shape) + "|" + k.dtype.value_or("?") + "\n";
  return key;
}

ModelDiff diff_branches(const std::string& target, const manifest::BranchSet& old_set, const manifest::BranchSet& new_set,
                        const std::string& new_file, int new_line) {
  ModelDiff out;
  if (old_set.branches.empty() || new_set.branches.empty()) return out;
  auto add = [&](ModelDiff&& d, const std::string& branch) {
    for (auto& f : d.findings) {
      f.data["branch"] = branch;
      out.findings.push_back(std::move(f));
    }
    for (auto& [k, v] : d.remap) out.remap.emplace(k, v);
  };
  const manifest::Branch& old_default = old_set.branches.front();
  const manifest::Branch& new_default = new_set.branches.front();
  std::string old_key = manifest_key(old_default.manifest), new_key = manifest_key(new_default.manifest);

  // A default flip: the new default build differs, a parameter's default changed, and the old
  // default build is still reachable through a non-default branch of the new code.
  const manifest::Branch* reachable = nullptr;
  for (auto& b : new_set.branches) {
    if (&b != &new_default && manifest_key(b.manifest) == old_key) reachable = &b;
  }
  std::vector<std::string> changed_defaults;
  for (auto& p : new_set.parameters) {
    for (auto& q : old_set.parameters) {
      if (p.name == q.name && p.default_ != q.default_) {
        changed_defaults.push_back(fmt::format("{}={} (was {})", p.name, p.default_.value_or("<none>"), q.default_.value_or("<none>")));
      }
    }
  }
  if (old_key != new_key && reachable && !changed_defaults.empty()) {
    ModelDiff flip;
    flip.findings.push_back(finding("CKG107", target, fmt::format("default configuration changed keys: {}", fmt::join(changed_defaults, ", ")),
                                    fmt::format("old default checkpoints load into the new code built with {}", reachable->id),
                                    new_file, new_line, old_default.id, reachable->id));
    add(std::move(flip), old_default.id);
  } else if (old_key != new_key) {
    add(diff_manifests(target, old_default.manifest, new_default.manifest), old_default.id);
  }

  // Every other configuration, matched by its witness; configurations that vanished or appeared.
  std::set<std::string> new_keys, old_keys;
  for (auto& b : new_set.branches) new_keys.insert(manifest_key(b.manifest));
  for (auto& b : old_set.branches) old_keys.insert(manifest_key(b.manifest));
  for (auto& b : old_set.branches) {
    if (&b == &old_default) continue;
    auto match = std::find_if(new_set.branches.begin(), new_set.branches.end(), [&](auto& n) { return n.id == b.id; });
    if (match != new_set.branches.end()) {
      add(diff_manifests(fmt::format("{}[{}]", target, b.id), b.manifest, match->manifest), b.id);
      continue;
    }
    // A truncated exploration may simply not have reached the branch in the other version.
    if (new_keys.count(manifest_key(b.manifest)) || new_set.truncated || old_set.truncated) continue;
    ModelDiff gone;
    gone.findings.push_back(finding("CKG108", target, fmt::format("configuration `{}` ({}) no longer exists", b.id, b.condition),
                                    "checkpoints saved in that configuration no longer load into any configuration",
                                    new_file, new_line, b.id, std::nullopt));
    add(std::move(gone), b.id);
  }
  for (auto& b : new_set.branches) {
    if (&b == &new_default || old_keys.count(manifest_key(b.manifest)) || new_set.truncated || old_set.truncated) continue;
    if (std::any_of(old_set.branches.begin(), old_set.branches.end(), [&](auto& o) { return o.id == b.id; })) continue;
    ModelDiff appeared;
    appeared.findings.push_back(finding("CKG109", target, fmt::format("new configuration `{}` ({})", b.id, b.condition),
                                        "no action needed for old checkpoints", new_file, new_line, std::nullopt, b.id));
    add(std::move(appeared), b.id);
  }
  return out;
}

}  // namespace ckg::compare
