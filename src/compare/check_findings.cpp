#include "compare/check_findings.h"

#include <algorithm>
#include <set>
#include <unordered_map>

#include <fmt/format.h>

#include "diagnostics/codes.h"

namespace ckg::compare {

using diag::Diagnostic;
using diag::RuleInfo;
using diag::Severity;

const std::vector<RuleInfo>& check_rules() {
  static const std::vector<RuleInfo> rules = {
      diag::rule("CKG501",
       "**What**: `ckptguard check` found model keys that the checkpoint does not contain.\n\n**Why**: "
       "`load_state_dict(strict=True)` raises \"Missing key(s)\"; with strict=False those layers silently keep their "
       "random initialisation.\n\n**Use instead**: load into the configuration the checkpoint was saved with (check "
       "prints it), or migrate the checkpoint with the printed remap."),
      diag::rule("CKG502",
       "**What**: the checkpoint contains keys no tensor of the model takes.\n\n**Why**: "
       "`load_state_dict(strict=True)` raises \"Unexpected key(s)\"; with strict=False the weights are dropped."
       "\n\n**Use instead**: strip a wrapper prefix such as `module.`, remap renamed keys, or build the configuration "
       "that has those layers."),
      diag::rule("CKG503",
       "**What**: the same key has another shape in the checkpoint.\n\n**Why**: `load_state_dict` raises "
       "\"size mismatch\", even with strict=False.\n\n**Use instead**: build the model with the width the "
       "checkpoint was saved with."),
      diag::rule("CKG504",
       "**What**: the same key has another dtype in the checkpoint.\n\n**Why**: `load_state_dict` copies with a "
       "silent cast; precision can be lost or integer buffers corrupted."),
      diag::rule("CKG505",
       "**What**: the optimizer state's param groups, state keys or state shapes do not match the model's "
       "parameters or the optimizer class.\n\n**Why**: `optimizer.load_state_dict` raises, or (same counts, other "
       "order) silently gives each parameter another parameter's moments.\n\n**Use instead**: save model and "
       "optimizer state from the same model, in the same configuration."),
  };
  return rules;
}

namespace {

const RuleInfo& rule(const std::string& code) { return diag::rule_in(check_rules(), code); }

// Model keys that know where they were created, by full name and by each leading "a.b." part: the
// first in model order for each, so locating a key is a few lookups, not a scan of the model.
struct Origins {
  explicit Origins(const manifest::KeyManifest& model) {
    for (const auto& k : model.keys) {
      if (k.origin_file.empty() || k.origin_line <= 0) continue;
      by_name.emplace(k.name, &k);
      for (auto dot = k.name.find('.'); dot != std::string::npos; dot = k.name.find('.', dot + 1)) {
        by_prefix.emplace(k.name.substr(0, dot + 1), &k);
      }
    }
  }
  std::unordered_map<std::string, const manifest::KeyEntry*> by_name, by_prefix;
};

// Where the model creates `key`'s tensor, else where it creates the key sharing most leading
// components with it (an unexpected key usually sits next to layers the model has), else `fallback`.
diag::Span locate(const std::string& key, const Origins& origins, const diag::Span& fallback) {
  const manifest::KeyEntry* best = nullptr;
  if (auto exact = origins.by_name.find(key); exact != origins.by_name.end()) best = exact->second;
  for (auto end = key.size(); !best && end > 0;) {  // the longest shared "a.b." prefix first
    const auto dot = key.rfind('.', end - 1);
    if (dot == std::string::npos) break;
    if (auto it = origins.by_prefix.find(key.substr(0, dot + 1)); it != origins.by_prefix.end()) best = it->second;
    end = dot;
  }
  if (!best) return fallback;
  return {best->origin_file, best->origin_line, 1, best->origin_line, 1};
}

Diagnostic finding(const std::string& code, std::string message, std::string help, diag::Span span) {
  return diag::make_diagnostic(rule(code), std::move(message), std::move(span), std::move(help));
}

std::string shape_text(const std::vector<std::int64_t>& s) { return fmt::format("[{}]", fmt::join(s, ", ")); }

// Keys grouped by module, in first-seen order: one finding per layer or block, not per tensor
// (a missing Linear is one problem, not two; a missing ResNet block one, not ten).
struct LayerGroup {
  std::string layer;
  std::vector<std::string> keys;
  std::vector<std::string> details;  // per key, relative to the layer, e.g. "weight [3, 5] vs [2, 5]"
};

// Groups in first-seen order, found by layer name.
struct Groups {
  std::vector<LayerGroup> list;
  std::unordered_map<std::string, std::size_t> index;

  void add(const std::string& layer, const std::string& key, std::string detail) {
    auto [it, inserted] = index.try_emplace(layer, list.size());
    if (inserted) list.push_back(LayerGroup{layer, {}, {}});
    list[it->second].keys.push_back(key);
    list[it->second].details.push_back(std::move(detail));
  }
};

std::string owner(const std::string& key) {
  auto dot = key.rfind('.');
  return dot == std::string::npos ? key : key.substr(0, dot);
}

// The outermost module of `key` that has no key at all in `other` (the whole missing block);
// the key's own layer when every enclosing module has some.
std::string absent_module(const std::string& key, const std::set<std::string>& other_prefixes) {
  for (auto dot = key.find('.'); dot != std::string::npos; dot = key.find('.', dot + 1)) {
    std::string prefix = key.substr(0, dot);
    if (!other_prefixes.count(prefix)) return prefix;
  }
  return owner(key);
}

// Every module path that holds a key of `keys` ("a", "a.b" for "a.b.weight").
std::set<std::string> module_prefixes(const manifest::KeyManifest& keys) {
  std::set<std::string> out;
  for (const auto& k : keys.keys) {
    for (auto dot = k.name.find('.'); dot != std::string::npos; dot = k.name.find('.', dot + 1)) out.insert(k.name.substr(0, dot));
  }
  return out;
}

std::string relative(const std::string& key, const std::string& layer) {
  return key.size() > layer.size() && key.compare(0, layer.size(), layer) == 0 ? key.substr(layer.size() + 1) : key;
}

// At most a few details, then how many more.
std::string details_text(const std::vector<std::string>& details) {
  constexpr std::size_t kShown = 4;
  if (details.size() <= kShown) return fmt::format("{}", fmt::join(details, ", "));
  return fmt::format("{}, and {} more", fmt::join(details.begin(), details.begin() + kShown, ", "), details.size() - kShown);
}

}  // namespace

std::vector<Diagnostic> check_findings(const std::string& checkpoint, const manifest::KeyManifest& checkpoint_keys,
                                       const manifest::KeyManifest& model, const LoadReport& load, const Suggestions& suggestions,
                                       const std::vector<OptimizerReport>& optimizers, const diag::Span& fallback) {
  std::vector<Diagnostic> out;
  // Keys a suggested remap accounts for (a wrapper prefix, a rename) are one finding per
  // suggestion: a DataParallel checkpoint is one problem, not a missing and an unexpected key per tensor.
  std::set<std::string> remapped_from, remapped_to;
  for (const auto& s : suggestions.items) {
    Diagnostic d = finding("CKG502", fmt::format("{} {} of {} under other names: {}", s.remap.size(),
                                                 s.remap.size() == 1 ? "key" : "keys", checkpoint, s.message),
                           suggestions.after.compatible()
                               ? "rename the keys with the suggested remap (`ckptguard check --format json` prints it as Python)"
                               : "the suggested remap helps but does not suffice; see `ckptguard check` for what remains",
                           fallback);
    d.data["keys"] = nlohmann::ordered_json::array();
    d.data["remap"] = s.remap;  // converted whole: ordered_json's operator[] searches the object
    for (const auto& [from, to] : s.remap) {
      remapped_from.insert(from);
      remapped_to.insert(to);
      d.data["keys"].push_back(from);
    }
    out.push_back(std::move(d));
  }

  Groups missing, unexpected, resized, retyped;
  std::set<std::string> in_checkpoint = module_prefixes(checkpoint_keys), in_model = module_prefixes(model);
  for (const auto& key : load.missing) {
    if (remapped_to.count(key)) continue;
    std::string layer = absent_module(key, in_checkpoint);
    missing.add(layer, key, relative(key, layer));
  }
  for (const auto& key : load.unexpected) {
    if (remapped_from.count(key)) continue;
    std::string layer = absent_module(key, in_model);
    unexpected.add(layer, key, relative(key, layer));
  }
  for (const auto& m : load.shape_mismatch) {
    resized.add(owner(m.name), m.name,
           fmt::format("{} {} vs {}", relative(m.name, owner(m.name)), shape_text(m.checkpoint), shape_text(m.model)));
  }
  for (const auto& m : load.dtype_mismatch) {
    retyped.add(owner(m.name), m.name, fmt::format("{} {} vs {}", relative(m.name, owner(m.name)), m.checkpoint, m.model));
  }
  const Origins origins(model);
  auto emit = [&](const Groups& groups, const std::string& code, const char* pattern, const char* help) {
    for (const auto& g : groups.list) {
      Diagnostic d = finding(code, fmt::format(fmt::runtime(pattern), g.layer, details_text(g.details), checkpoint), help,
                             locate(g.keys.front(), origins, fallback));
      d.data["keys"] = g.keys;
      out.push_back(std::move(d));
    }
  };
  emit(missing, "CKG501", "`{0}` ({1}) is missing from {2}",
       "strict loading raises 'Missing key(s)'; strict=False keeps these tensors' random initialisation");
  emit(unexpected, "CKG502", "`{0}` ({1}) is in {2} but not in the model",
       "strict loading raises 'Unexpected key(s)'; strict=False drops these tensors");
  emit(resized, "CKG503", "`{0}` has other shapes in {2} than in the model: {1}",
       "load_state_dict raises 'size mismatch' even with strict=False");
  emit(retyped, "CKG504", "`{0}` has other dtypes in {2} than in the model: {1}", "load_state_dict casts silently");

  for (const auto& o : optimizers) {
    std::string where = o.path.empty() ? std::string("optimizer state") : fmt::format("{}", fmt::join(o.path, "."));
    for (const auto& problem : o.problems) {
      out.push_back(finding("CKG505", fmt::format("{} in {}: {}", where, checkpoint, problem),
                            "save model and optimizer state from the same model and configuration", fallback));
    }
  }
  return out;
}

}  // namespace ckg::compare
