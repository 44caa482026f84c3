// Inline suppressions: `# ckptguard: ignore`, `# ckptguard: ignore[CKG301, CKG401]` and
// `# noqa: CKG301` in a comment silence findings on that line, or on any line of the statement
// whose first line carries the comment. Shared by lint and the change analysis.
#pragma once

#include <map>
#include <set>
#include <string>

#include "diagnostics/diagnostic.h"
#include "parse/source_file.h"

namespace ckg::diag {

class Suppressions {
 public:
  explicit Suppressions(const parse::SourceFile& file);

  bool silences(const Diagnostic& d) const;
  bool empty() const { return by_line_.empty(); }

 private:
  struct Line {
    bool all = false;
    std::set<std::string> codes;
  };
  bool silences_line(int line, const std::string& code) const;

  const parse::SourceFile& file_;
  std::map<int, Line> by_line_;
};

}  // namespace ckg::diag
