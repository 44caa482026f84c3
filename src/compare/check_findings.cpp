#include "compare/check_findings.h"

#include <fmt/format.h>

namespace ckg::compare {

using diag::Diagnostic;
using diag::RuleInfo;
using diag::Severity;

const std::vector<RuleInfo>& check_rules() {
  static const std::vector<RuleInfo> rules = {
      {"CKG501", "checkpoint-missing-keys", Severity::error, "the model has keys the checkpoint lacks",
       "**What**: `ckptguard check` found model keys that the checkpoint does not contain.\n\n**Why**: "
       "`load_state_dict(strict=True)` raises \"Missing key(s)\"; with strict=False those layers silently keep their "
       "random initialisation.\n\n**Use instead**: load into the configuration the checkpoint was saved with (check "
       "prints it), or migrate the checkpoint with the printed remap."},
      {"CKG502", "checkpoint-unexpected-keys", Severity::error, "the checkpoint has keys the model lacks",
       "**What**: the checkpoint contains keys no tensor of the model takes.\n\n**Why**: "
       "`load_state_dict(strict=True)` raises \"Unexpected key(s)\"; with strict=False the weights are dropped."
       "\n\n**Use instead**: strip a wrapper prefix such as `module.`, remap renamed keys, or build the configuration "
       "that has those layers."},
      {"CKG503", "checkpoint-size-mismatch", Severity::error, "a checkpoint tensor has another shape than the model's",
       "**What**: the same key has another shape in the checkpoint.\n\n**Why**: `load_state_dict` raises "
       "\"size mismatch\", even with strict=False.\n\n**Use instead**: build the model with the width the "
       "checkpoint was saved with."},
      {"CKG504", "checkpoint-dtype-mismatch", Severity::warning, "a checkpoint tensor has another dtype than the model's",
       "**What**: the same key has another dtype in the checkpoint.\n\n**Why**: `load_state_dict` copies with a "
       "silent cast; precision can be lost or integer buffers corrupted."},
      {"CKG505", "optimizer-state-mismatch", Severity::error, "the checkpoint's optimizer state does not fit the model",
       "**What**: the optimizer state's param groups, state keys or state shapes do not match the model's "
       "parameters or the optimizer class.\n\n**Why**: `optimizer.load_state_dict` raises, or (same counts, other "
       "order) silently gives each parameter another parameter's moments.\n\n**Use instead**: save model and "
       "optimizer state from the same model, in the same configuration."},
  };
  return rules;
}

namespace {

const RuleInfo& rule(const std::string& code) {
  for (const auto& r : check_rules()) {
    if (r.code == code) return r;
  }
  return check_rules().front();
}

// Number of leading dotted components `a` and `b` share: 1 for `fc.weight` and `fc.bias`.
std::size_t shared_components(const std::string& a, const std::string& b) {
  std::size_t shared = 0;
  for (std::size_t i = 0; i < a.size() && i < b.size() && a[i] == b[i]; ++i) shared += a[i] == '.';
  return shared;
}

// Where the model creates `key`'s tensor, else where it creates the key sharing most leading
// components with it (an unexpected key usually sits next to layers the model has), else `fallback`.
diag::Span locate(const std::string& key, const manifest::KeyManifest& model, const diag::Span& fallback) {
  const manifest::KeyEntry* best = nullptr;
  std::size_t best_shared = 0;
  for (const auto& k : model.keys) {
    if (k.origin_file.empty() || k.origin_line <= 0) continue;
    std::size_t shared = k.name == key ? key.size() + 1 : shared_components(key, k.name);
    if (shared > best_shared) best = &k, best_shared = shared;
  }
  if (!best) return fallback;
  return {best->origin_file, best->origin_line, 1, best->origin_line, 1};
}

Diagnostic finding(const std::string& code, std::string message, std::string help, diag::Span span, const std::string& key) {
  const RuleInfo& r = rule(code);
  Diagnostic d;
  d.code = r.code;
  d.name = r.name;
  d.severity = r.severity;
  d.message = std::move(message);
  d.help = std::move(help);
  d.span = std::move(span);
  if (!key.empty()) d.data["key"] = key;
  return d;
}

std::string shape_text(const std::vector<std::int64_t>& s) { return fmt::format("[{}]", fmt::join(s, ", ")); }

}  // namespace

std::vector<Diagnostic> check_findings(const std::string& checkpoint, const LoadReport& load,
                                       const std::vector<OptimizerReport>& optimizers,
                                       const manifest::KeyManifest& model, const diag::Span& fallback) {
  std::vector<Diagnostic> out;
  for (const auto& key : load.missing) {
    out.push_back(finding("CKG501", fmt::format("`{}` is missing from {}", key, checkpoint),
                          "strict loading raises 'Missing key(s)'; strict=False keeps this tensor's random initialisation",
                          locate(key, model, fallback), key));
  }
  for (const auto& key : load.unexpected) {
    out.push_back(finding("CKG502", fmt::format("{} has `{}`, which the model does not take", checkpoint, key),
                          "strict loading raises 'Unexpected key(s)'; strict=False drops this tensor",
                          locate(key, model, fallback), key));
  }
  for (const auto& m : load.shape_mismatch) {
    out.push_back(finding("CKG503",
                          fmt::format("`{}` is {} in {} but {} in the model", m.name, shape_text(m.checkpoint), checkpoint,
                                      shape_text(m.model)),
                          "load_state_dict raises 'size mismatch' even with strict=False", locate(m.name, model, fallback),
                          m.name));
  }
  for (const auto& m : load.dtype_mismatch) {
    out.push_back(finding("CKG504",
                          fmt::format("`{}` is {} in {} but {} in the model", m.name, m.checkpoint, checkpoint, m.model),
                          "load_state_dict casts silently", locate(m.name, model, fallback), m.name));
  }
  for (const auto& o : optimizers) {
    std::string where = o.path.empty() ? std::string("optimizer state") : fmt::format("{}", fmt::join(o.path, "."));
    for (const auto& problem : o.problems) {
      out.push_back(finding("CKG505", fmt::format("{} in {}: {}", where, checkpoint, problem),
                            "save model and optimizer state from the same model and configuration", fallback, ""));
    }
  }
  return out;
}

}  // namespace ckg::compare
