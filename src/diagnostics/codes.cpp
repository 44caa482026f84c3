// The code registry.
#include "diagnostics/codes.h"

#include <algorithm>
#include <stdexcept>

#include "text/did_you_mean.h"

namespace ckg::diag {

const std::vector<CodeInfo>& codes() {
  static const std::vector<CodeInfo> table = {
    {"CKG001", "syntax-error", Severity::error, Family::input,
     "the file does not compile: CPython would raise SyntaxError, IndentationError or TabError"},
    {"CKG002", "unreadable-file", Severity::error, Family::input,
     "a file could not be read as Python source"},
    {"CKG101", "key-renamed", Severity::error, Family::state_dict_keys,
     "a layer's attribute name changed: its keys are renamed"},
    {"CKG102", "key-moved", Severity::error, Family::state_dict_keys,
     "a layer moved under another parent: its key prefix changed"},
    {"CKG103", "sequential-reorder", Severity::error, Family::state_dict_keys,
     "nn.Sequential/ModuleList indices shifted"},
    {"CKG104", "key-removed", Severity::error, Family::state_dict_keys,
     "keys present in old checkpoints no longer exist"},
    {"CKG105", "key-added", Severity::error, Family::state_dict_keys,
     "new keys that old checkpoints do not have"},
    {"CKG106", "buffer-made-non-persistent", Severity::error, Family::state_dict_keys,
     "a buffer was registered with persistent=False"},
    {"CKG107", "branch-default-flipped", Severity::error, Family::state_dict_keys,
     "a parameter's default now selects another configuration branch"},
    {"CKG108", "branch-removed", Severity::error, Family::state_dict_keys,
     "a configuration branch no longer exists"},
    {"CKG109", "branch-added", Severity::note, Family::state_dict_keys,
     "a new configuration branch"},
    {"CKG110", "model-not-buildable", Severity::error, Family::state_dict_keys,
     "a model the change reaches built before it and cannot be built after it"},
    {"CKG201", "shape-changed", Severity::error, Family::shapes_and_dtypes,
     "a tensor's shape changed"},
    {"CKG202", "dtype-changed", Severity::warning, Family::shapes_and_dtypes,
     "a tensor's dtype changed"},
    {"CKG301", "nonstrict-load-ignored", Severity::warning, Family::load_semantics,
     "`load_state_dict(..., strict=False)` whose missing and unexpected keys are never looked at"},
    {"CKG302", "wrapper-state-dict-saved", Severity::error, Family::load_semantics,
     "a checkpoint saves the state_dict of a `DataParallel`, `DistributedDataParallel` or `torch.compile` wrapper"},
    {"CKG303", "environment-dependent-module", Severity::warning, Family::load_semantics,
     "a module's parameters, buffers or submodules depend on the runtime environment, not on configuration"},
    {"CKG304", "optimizer-saved-apart", Severity::warning, Family::load_semantics,
     "optimizer state and model state are not saved in the same checkpoint"},
    {"CKG305", "unguarded-key-prefix-strip", Severity::warning, Family::load_semantics,
     "a wrapper prefix is stripped from state_dict keys without checking that the key starts with it"},
    {"CKG306", "state-dict-loaded-into-wrapper", Severity::error, Family::load_semantics,
     "`load_state_dict` on a `DataParallel`, `DistributedDataParallel` or `torch.compile` wrapper"},
    {"CKG401", "torch-load-without-weights-only", Severity::warning, Family::checkpoint_safety,
     "`torch.load` without `weights_only=True` can run code stored in the checkpoint"},
    {"CKG402", "whole-module-saved", Severity::warning, Family::checkpoint_safety,
     "`torch.save` pickles a whole `nn.Module` instead of its state_dict"},
    {"CKG501", "checkpoint-missing-keys", Severity::error, Family::checkpoint_check,
     "the model has keys the checkpoint lacks"},
    {"CKG502", "checkpoint-unexpected-keys", Severity::error, Family::checkpoint_check,
     "the checkpoint has keys the model lacks"},
    {"CKG503", "checkpoint-size-mismatch", Severity::error, Family::checkpoint_check,
     "a checkpoint tensor has another shape than the model's"},
    {"CKG504", "checkpoint-dtype-mismatch", Severity::warning, Family::checkpoint_check,
     "a checkpoint tensor has another dtype than the model's"},
    {"CKG505", "optimizer-state-mismatch", Severity::error, Family::checkpoint_check,
     "the checkpoint's optimizer state does not fit the model"},
  };
  return table;
}

const CodeInfo* find_code(std::string_view code_or_name) {
  for (const auto& c : codes()) {
    if (c.code == code_or_name || c.name == code_or_name) return &c;
  }
  return nullptr;
}

std::optional<std::string> unknown_code(std::string_view code) {
  if (find_code(code)) return std::nullopt;
  const CodeInfo* best = nullptr;
  std::size_t best_distance = 3;
  for (const auto& c : codes()) {
    std::size_t d = std::min(text::edit_distance(code, c.code), text::edit_distance(code, c.name));
    if (d < best_distance) best = &c, best_distance = d;
  }
  std::string message = "unknown code '" + std::string(code) + "'";
  if (best) message += " (did you mean " + std::string(best->code) + "?)";
  return message;
}

std::string_view family_prefix(Family f) {
  switch (f) {
    case Family::input: return "CKG0";
    case Family::state_dict_keys: return "CKG1";
    case Family::shapes_and_dtypes: return "CKG2";
    case Family::load_semantics: return "CKG3";
    case Family::checkpoint_safety: return "CKG4";
    case Family::checkpoint_check: return "CKG5";
  }
  return "CKG";
}

std::string_view family_tag(Family f) {
  switch (f) {
    case Family::input: return "input";
    case Family::state_dict_keys: return "state-dict-keys";
    case Family::shapes_and_dtypes: return "shapes-and-dtypes";
    case Family::load_semantics: return "load-semantics";
    case Family::checkpoint_safety: return "checkpoint-safety";
    case Family::checkpoint_check: return "checkpoint-check";
  }
  return "";
}

RuleInfo rule(std::string_view code, std::string doc) {
  const CodeInfo* c = find_code(code);
  if (!c || c->code != code) throw std::logic_error("ckptguard: rule for unregistered code " + std::string(code));
  return RuleInfo{std::string(c->code), std::string(c->name), c->severity, std::string(c->summary), std::move(doc)};
}

const RuleInfo& rule_in(const std::vector<RuleInfo>& rules, std::string_view code) {
  for (const auto& r : rules) {
    if (r.code == code) return r;
  }
  throw std::logic_error("ckptguard: no rule documents code " + std::string(code));
}

}  // namespace ckg::diag
