// What every lint rule needs to know about one parsed file: imports resolved to qualified names,
// calls, assignments and scopes, collected in one walk of the tree. Light intra-function dataflow
// ("the last value bound to `m` before this line") is answered from these tables.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <tree_sitter/api.h>

#include "diagnostics/diagnostic.h"
#include "parse/source_file.h"
#include "parse/syntax.h"

namespace ckg::lint {

// `target = value` (also `target: T = value`), with the scope it binds in.
struct Assignment {
  TSNode statement;  // the assignment node
  TSNode target;     // identifier, attribute, subscript, pattern_list, ...
  TSNode value;      // null for an annotation without value
  TSNode scope;      // function_definition, lambda or module
};

class Context {
 public:
  explicit Context(const parse::SourceFile& file);
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  const parse::SourceFile& file() const { return file_; }
  std::string_view text(TSNode node) const { return ts_node_is_null(node) ? std::string_view{} : file_.node_text(node); }

  // A diagnostic span covering `node` (or `from` .. `to`).
  diag::Span span(TSNode node) const;
  diag::Span span(TSNode from, TSNode to) const;
  // A diagnostic with code, name and severity of `info`, spanning `node`.
  diag::Diagnostic make(const diag::RuleInfo& info, TSNode node, std::string message, std::string help) const;

  // Every call expression, in source order.
  const std::vector<TSNode>& calls() const { return calls_; }
  const std::vector<Assignment>& assignments() const { return assignments_; }
  // Every class definition, if statement and subscript, in source order.
  const std::vector<TSNode>& classes() const { return classes_; }
  const std::vector<TSNode>& if_statements() const { return if_statements_; }
  const std::vector<TSNode>& subscripts() const { return subscripts_; }
  // The calls inside `node`'s text range, in source order.
  std::vector<TSNode> calls_in(TSNode node) const;
  // Function definitions with that name, anywhere in the file.
  std::vector<TSNode> functions(std::string_view name) const;

  // The dotted name `expr` stands for through the file's imports: "torch.load" for `t.load` after
  // `import torch as t`, and for `load` after `from torch import load`. Empty when `expr` is not a
  // dotted name rooted in an imported name.
  std::string qualified_name(TSNode expr) const;
  // qualified_name of a call's callee.
  std::string callee(TSNode call) const { return qualified_name(parse::field(call, parse::Field::function)); }
  // True when `name` is bound by an import to `qualified` or to something inside it.
  bool imports(std::string_view qualified_prefix) const;

  // A class defined in this file with that name, or a null node.
  TSNode local_class(std::string_view name) const;
  // True when the local class `name` (transitively through local classes) derives from a class
  // whose qualified name is torch.nn.Module (or whose base name ends in "Module").
  bool is_local_module_class(std::string_view name) const;

  // Innermost function_definition or lambda containing `node`, else the module root.
  TSNode scope_of(TSNode node) const;
  // Innermost class_definition containing `node` (through methods), or a null node.
  TSNode class_of(TSNode node) const;

  // The value last assigned to the plain name `name` in `scope` before byte `before`, following
  // textual order (branches are not distinguished). Sets *found when some binding exists; the
  // returned node is null when that binding is not a simple `name = value` (loop variable, tuple
  // unpacking, `with ... as`, parameter, augmented assignment).
  TSNode last_value(TSNode scope, std::string_view name, uint32_t before, bool* found = nullptr) const;
  // Values assigned to `self.<attr>` in any method of `cls`.
  std::vector<TSNode> attribute_values(TSNode cls, std::string_view attr) const;
  // Whether identifier `name` is read anywhere in `scope` (including nested functions), other
  // than as the target of an assignment.
  bool is_read(TSNode scope, std::string_view name) const;
  // Whether `name` is a parameter of the function `scope`.
  bool is_parameter(TSNode scope, std::string_view name) const;

  // Keyword argument value `name=` of a call, or a null node.
  TSNode keyword(TSNode call, std::string_view name) const;
  // Positional arguments of a call (no splats, no keywords).
  std::vector<TSNode> positional(TSNode call) const;
  // Whether a call has `*args` or `**kwargs`.
  bool has_splat(TSNode call) const;
  // For `obj.method(...)`, "method"; otherwise empty.
  std::string_view method_name(TSNode call) const;
  // For `obj.method(...)`, `obj`; otherwise a null node.
  TSNode method_object(TSNode call) const;

 private:
  void collect();
  void add_import(TSNode stmt);
  void add_assignment(TSNode stmt, TSNode scope);

  const parse::SourceFile& file_;
  std::vector<TSNode> calls_;
  std::vector<Assignment> assignments_;
  std::vector<TSNode> classes_;
  std::vector<TSNode> if_statements_;
  std::vector<TSNode> subscripts_;
  // Scope and class of calls, identifiers, assignments, attributes, subscripts and ifs, so that
  // scope_of() need not climb with ts_node_parent (which walks down from the root each time).
  struct Place {
    TSNode scope;
    TSNode cls;
  };
  std::unordered_map<const void*, Place> places_;
  std::unordered_map<std::string, std::vector<TSNode>> functions_;
  std::unordered_map<std::string, std::string> imports_;  // local name -> qualified name
  std::unordered_map<std::string, std::vector<TSNode>> identifiers_;
  std::unordered_map<std::string, std::vector<std::size_t>> assignments_by_name_;  // plain-name targets
  std::unordered_map<std::string, std::vector<TSNode>> loop_bindings_;  // for/with/comprehension/except names
};

// Helpers on nodes that do not need the file.
bool is_kind(TSNode node, parse::Kind k);
TSNode parent_skipping_parens(TSNode node);
// Strips parentheses around an expression.
TSNode unparenthesize(TSNode node);
// True for `False` literal.
bool is_false(TSNode node);
bool is_true(TSNode node);

}  // namespace ckg::lint
