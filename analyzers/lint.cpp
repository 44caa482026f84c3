// Running the rules over one file, and inline suppression comments.
#include "diagnostics/codes.h"
#include "analyzers/lint.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "diagnostics/suppression.h"
#include "parse/syntax.h"

namespace ckg::lint {

using parse::Kind;

const diag::RuleInfo kSyntaxError = diag::rule("CKG001", R"(## What it does
Reports a Python file that CPython would refuse to compile, at the line CPython reports and with
its exception: syntax errors, an indented block that is missing or not expected, indentation that
mixes tabs and spaces inconsistently (TabError), bytes that are not UTF-8 without a PEP 263 coding
declaration, and the compiler's own checks such as `return` outside a function.

## Why is this bad?
The file will not import. ckptguard still checks the rest of it, but code next to the error may be
misread, so findings there can be missing or wrong; `ckptguard diff` and the pre-commit hook refuse
a changed file that does not compile (exit 2).

## Example
```python
def save(model, path:
    torch.save(model.state_dict(), path)
```

## Use instead
Fix the error. The few valid constructs that the tree-sitter grammar misreads (such as
`a, *b = x, *[]`) are marked `grammar_only` in the finding's data; `ckptguard diff` confirms those
with CPython before refusing a file. Silence one with `# ckptguard: ignore[CKG001]` on the line.)");

const diag::RuleInfo kUnreadableFile = diag::rule("CKG002", R"(## What it does
Reports a file that was given or found as Python source but could not be read: it does not exist,
is not readable, contains NUL bytes, or is larger than ckptguard's 10 MiB limit for one source.

## Why is this bad?
Nothing in the file was checked.

## Example
A `.py` file that is really a binary, or a generated module of several hundred megabytes.

## Use instead
Exclude the file from the paths you lint, or fix its permissions.)");

const Rule* find_rule(std::string_view code) {
  for (const Rule& r : rules()) {
    if (r.info.code == code) return &r;
  }
  return nullptr;
}

std::vector<diag::RuleInfo> rule_infos() {
  std::vector<diag::RuleInfo> out{kSyntaxError, kUnreadableFile};
  for (const Rule& r : rules()) out.push_back(r.info);
  return out;
}

diag::Diagnostic unreadable_file(const std::string& path, const std::string& reason) {
  return diag::make_diagnostic(kUnreadableFile, "could not be read: " + reason, diag::Span{path, 1, 1, 1, 1},
                               "exclude the file from the linted paths, or make it readable Python source");
}

std::vector<diag::Diagnostic> lint_file(const parse::SourceFile& file, const CodeFilter& enabled) {
  std::vector<diag::Diagnostic> found;
  if (enabled(kSyntaxError.code)) {
    if (auto err = file.first_syntax_error()) {
      diag::Diagnostic d = diag::make_diagnostic(
          kSyntaxError, err->reason, diag::Span{file.path(), err->where.line, err->where.column, err->where.line, err->where.column},
          "fix it; the rest of the file was checked");
      if (file.compile_error()->grammar_only) d.data["grammar_only"] = true;
      found.push_back(std::move(d));
    }
  }
  Context ctx(file);
  for (const Rule& r : rules()) {
    if (enabled(r.info.code)) r.check(ctx, found);
  }
  if (found.empty()) return found;
  diag::Suppressions suppressions(file);
  if (!suppressions.empty()) {
    found.erase(std::remove_if(found.begin(), found.end(), [&](const diag::Diagnostic& d) { return suppressions.silences(d); }),
                found.end());
  }
  std::stable_sort(found.begin(), found.end(), [](const diag::Diagnostic& a, const diag::Diagnostic& b) {
    return std::tie(a.span.line, a.span.column, a.code) < std::tie(b.span.line, b.span.column, b.code);
  });
  return found;
}

}  // namespace ckg::lint
