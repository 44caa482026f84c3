// `ckptguard check` results as diagnostics, so the review formats (SARIF, GitHub annotations,
// Markdown, HTML) show a checkpoint that will not load exactly as they show lint and diff findings.
#pragma once

#include <string>
#include <vector>

#include "compare/load_check.h"
#include "compare/optimizer_check.h"
#include "compare/suggest.h"
#include "diagnostics/diagnostic.h"
#include "manifest/key_manifest.h"

namespace ckg::compare {

// The rules `check` reports (for `ckptguard rules`, SARIF and the README).
const std::vector<diag::RuleInfo>& check_rules();

// One diagnostic per layer torch would object to (or cast silently), and one per suggested remap
// (wrapper prefix, rename) for the keys it accounts for. Findings point at the source
// line that creates the model's layer when the prediction knows it; otherwise at `fallback` (the
// model file, or the other checkpoint). `checkpoint` names the checkpoint in messages.
std::vector<diag::Diagnostic> check_findings(const std::string& checkpoint, const manifest::KeyManifest& checkpoint_keys,
                                             const manifest::KeyManifest& model, const LoadReport& load,
                                             const Suggestions& suggestions, const std::vector<OptimizerReport>& optimizers,
                                             const diag::Span& fallback);

}  // namespace ckg::compare
