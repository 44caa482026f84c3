// Suppression comments, found among the tree's comment leaves.
#include "diagnostics/suppression.h"

#include <cctype>
#include <string_view>

#include "parse/syntax.h"

namespace ckg::diag {

namespace {

using parse::Kind;

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

void add_codes(std::string_view list, std::set<std::string>& codes) {
  std::string code;
  for (char c : list) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      code += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    } else {
      if (!code.empty()) codes.insert(code);
      code.clear();
    }
  }
  if (!code.empty()) codes.insert(code);
}

// `# ckptguard: ignore`, `# ckptguard: ignore[CKG301, CKG401]` and `# noqa: CKG301` anywhere in a
// comment. A bare `# noqa` is left to other tools: it does not silence ckptguard.
bool parse_comment(std::string_view comment, bool& all, std::set<std::string>& codes) {
  bool any = false;
  for (std::size_t at = comment.find("ckptguard:"); at != std::string_view::npos;
       at = comment.find("ckptguard:", at + 1)) {
    std::string_view rest = trim(comment.substr(at + 10));
    if (rest.rfind("ignore", 0) != 0) continue;
    rest = trim(rest.substr(6));
    if (!rest.empty() && rest.front() == '[') {
      std::size_t close = rest.find(']');
      add_codes(rest.substr(1, close == std::string_view::npos ? std::string_view::npos : close - 1), codes);
    } else {
      all = true;
    }
    any = true;
  }
  for (std::size_t at = comment.find("noqa:"); at != std::string_view::npos; at = comment.find("noqa:", at + 1)) {
    std::string_view rest = comment.substr(at + 5);
    std::set<std::string> listed;
    add_codes(rest.substr(0, rest.find('#')), listed);
    for (const auto& c : listed) {
      if (c.rfind("CKG", 0) == 0) codes.insert(c), any = true;
    }
  }
  return any;
}

}  // namespace

Suppressions::Suppressions(const parse::SourceFile& file) : file_(file) {
  TSTreeCursor cursor = ts_tree_cursor_new(file.root());
  // Comments are leaves anywhere in the tree; walk it all (cheap next to parsing).
  bool more = true;
  while (more) {
    TSNode n = ts_tree_cursor_current_node(&cursor);
    if (parse::kind(n) == Kind::k_comment) {
      bool all = false;
      std::set<std::string> codes;
      if (parse_comment(file.node_text(n), all, codes)) {
        Line& line = by_line_[static_cast<int>(ts_node_start_point(n).row) + 1];
        line.all = line.all || all;
        line.codes.insert(codes.begin(), codes.end());
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
}

bool Suppressions::silences_line(int line, const std::string& code) const {
  auto it = by_line_.find(line);
  return it != by_line_.end() && (it->second.all || it->second.codes.count(code) > 0);
}

bool Suppressions::silences(const Diagnostic& d) const {
  if (silences_line(d.span.line, d.code)) return true;
  // The first line of the statement containing the finding.
  TSPoint p{static_cast<uint32_t>(d.span.line - 1), static_cast<uint32_t>(d.span.column > 0 ? d.span.column - 1 : 0)};
  TSNode n = ts_node_named_descendant_for_point_range(file_.root(), p, p);
  while (!ts_node_is_null(n)) {
    TSNode parent = ts_node_parent(n);
    if (ts_node_is_null(parent)) break;
    Kind k = parse::kind(parent);
    if (k == Kind::k_block || k == Kind::k_module) break;
    n = parent;
  }
  int first = ts_node_is_null(n) ? d.span.line : static_cast<int>(ts_node_start_point(n).row) + 1;
  return first != d.span.line && silences_line(first, d.code);
}

}  // namespace ckg::diag
