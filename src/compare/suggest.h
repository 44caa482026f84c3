// Fixes for a checkpoint that does not load: wrapper prefixes (DataParallel `module.`,
// torch.compile `_orig_mod.`, a model-name prefix) and renamed keys matched by shape and position.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "compare/load_check.h"
#include "compare/remap_rules.h"
#include "manifest/key_manifest.h"

namespace ckg::compare {

struct Suggestion {
  std::string kind;     // "strip-prefix", "add-prefix", "rename"
  std::string message;  // one line, for people
  double confidence = 0;
  std::map<std::string, std::string> remap;  // checkpoint key -> model key
  bool resolves = false;  // applying every suggestion's remap makes the load succeed
};

struct Suggestions {
  std::vector<Suggestion> items;
  std::map<std::string, std::string> remap;  // all remaps together
  std::vector<RemapRule> rules;              // the same, compact
  LoadReport after;                          // the load once the remap is applied
  std::string python;                        // ready-to-paste code applying the remap
};

Suggestions suggest_fixes(const manifest::KeyManifest& checkpoint, const manifest::KeyManifest& model);

// The checkpoint with its keys renamed by `remap` (unmapped keys unchanged, order kept).
manifest::KeyManifest apply_remap(const manifest::KeyManifest& checkpoint, const std::map<std::string, std::string>& remap);

}  // namespace ckg::compare
