// Running the rules over one file, and inline suppression comments.
#include "analyzers/lint.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "parse/syntax.h"

namespace ckg::lint {

using parse::Kind;

const diag::RuleInfo kSyntaxError{
    "CKG001", "syntax-error", diag::Severity::error,
    "the file does not compile: CPython would raise SyntaxError, IndentationError or TabError",
    R"(## What it does
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
with CPython before refusing a file. Silence one with `# ckptguard: ignore[CKG001]` on the line.)"};

const diag::RuleInfo kUnreadableFile{
    "CKG002", "unreadable-file", diag::Severity::error,
    "a file could not be read as Python source",
    R"(## What it does
Reports a file that was given or found as Python source but could not be read: it does not exist,
is not readable, contains NUL bytes, or is larger than ckptguard's 10 MiB limit for one source.

## Why is this bad?
Nothing in the file was checked.

## Example
A `.py` file that is really a binary, or a generated module of several hundred megabytes.

## Use instead
Exclude the file from the paths you lint, or fix its permissions.)"};

namespace {

struct Suppression {
  bool all = false;
  std::set<std::string> codes;
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

void add_codes(std::string_view list, Suppression& s) {
  std::string code;
  for (char c : list) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      code += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    } else {
      if (!code.empty()) s.codes.insert(code);
      code.clear();
    }
  }
  if (!code.empty()) s.codes.insert(code);
}

// Parses `# ckptguard: ignore`, `# ckptguard: ignore[CKG301, CKG401]` and `# noqa: CKG301`
// anywhere in a comment. A bare `# noqa` is left to other tools: it does not silence ckptguard.
bool parse_suppression(std::string_view comment, Suppression& out) {
  bool any = false;
  for (std::size_t at = comment.find("ckptguard:"); at != std::string_view::npos;
       at = comment.find("ckptguard:", at + 1)) {
    std::string_view rest = trim(comment.substr(at + 10));
    if (rest.rfind("ignore", 0) != 0) continue;
    rest.remove_prefix(6);
    rest = trim(rest);
    if (!rest.empty() && rest.front() == '[') {
      std::size_t close = rest.find(']');
      add_codes(rest.substr(1, close == std::string_view::npos ? std::string_view::npos : close - 1), out);
    } else {
      out.all = true;
    }
    any = true;
  }
  for (std::size_t at = comment.find("noqa:"); at != std::string_view::npos; at = comment.find("noqa:", at + 1)) {
    std::string_view rest = comment.substr(at + 5);
    std::size_t end = rest.find('#');
    Suppression s;
    add_codes(rest.substr(0, end), s);
    for (const auto& c : s.codes) {
      if (c.rfind("CKG", 0) == 0) {
        out.codes.insert(c);
        any = true;
      }
    }
  }
  return any;
}

std::map<int, Suppression> suppressions(const parse::SourceFile& file) {
  std::map<int, Suppression> out;
  TSTreeCursor cursor = ts_tree_cursor_new(file.root());
  // Comments are leaves anywhere in the tree; walk it all (cheap next to parsing).
  bool more = true;
  while (more) {
    TSNode n = ts_tree_cursor_current_node(&cursor);
    if (parse::kind(n) == Kind::k_comment) {
      Suppression s;
      if (parse_suppression(file.node_text(n), s)) {
        Suppression& line = out[static_cast<int>(ts_node_start_point(n).row) + 1];
        line.all = line.all || s.all;
        line.codes.insert(s.codes.begin(), s.codes.end());
      }
    }
    if (ts_tree_cursor_goto_first_child(&cursor)) continue;
    while (!ts_tree_cursor_goto_next_sibling(&cursor)) {
      if (!ts_tree_cursor_goto_parent(&cursor)) {
        more = false;
        break;
      }
    }
  }
  ts_tree_cursor_delete(&cursor);
  return out;
}

// First line of the statement containing the (1-based, byte-column) position.
int statement_line(const parse::SourceFile& file, int line, int column) {
  TSPoint p{static_cast<uint32_t>(line - 1), static_cast<uint32_t>(column > 0 ? column - 1 : 0)};
  TSNode n = ts_node_named_descendant_for_point_range(file.root(), p, p);
  while (!ts_node_is_null(n)) {
    TSNode parent = ts_node_parent(n);
    if (ts_node_is_null(parent)) break;
    Kind k = parse::kind(parent);
    if (k == Kind::k_block || k == Kind::k_module) break;
    n = parent;
  }
  return ts_node_is_null(n) ? line : static_cast<int>(ts_node_start_point(n).row) + 1;
}

bool suppressed(const std::map<int, Suppression>& table, int line, const std::string& code) {
  auto it = table.find(line);
  return it != table.end() && (it->second.all || it->second.codes.count(code) > 0);
}

}  // namespace

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
  auto table = suppressions(file);
  if (!table.empty()) {
    found.erase(std::remove_if(found.begin(), found.end(),
                               [&](const diag::Diagnostic& d) {
                                 if (suppressed(table, d.span.line, d.code)) return true;
                                 int first = statement_line(file, d.span.line, d.span.column);
                                 return first != d.span.line && suppressed(table, first, d.code);
                               }),
                found.end());
  }
  std::stable_sort(found.begin(), found.end(), [](const diag::Diagnostic& a, const diag::Diagnostic& b) {
    return std::tie(a.span.line, a.span.column, a.code) < std::tie(b.span.line, b.span.column, b.code);
  });
  return found;
}

}  // namespace ckg::lint
