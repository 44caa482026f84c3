// One walk over a file's tree collecting calls, imports, assignments and identifiers for the rules.
#include "analyzers/context.h"

#include <algorithm>
#include <cctype>

namespace ckg::lint {

using parse::Field;
using parse::Kind;
using parse::field;
using parse::kind;
using parse::named_children;

bool is_kind(TSNode node, Kind k) { return !ts_node_is_null(node) && kind(node) == k; }

TSNode unparenthesize(TSNode node) {
  while (is_kind(node, Kind::k_parenthesized_expression) && named_children(node).size() == 1) {
    node = named_children(node)[0];
  }
  return node;
}

TSNode parent_skipping_parens(TSNode node) {
  TSNode p = ts_node_parent(node);
  while (is_kind(p, Kind::k_parenthesized_expression)) p = ts_node_parent(p);
  return p;
}

bool is_false(TSNode node) { return is_kind(unparenthesize(node), Kind::k_false); }
bool is_true(TSNode node) { return is_kind(unparenthesize(node), Kind::k_true); }

namespace {

bool same(TSNode a, TSNode b) { return ts_node_eq(a, b); }

bool contains(TSNode outer, TSNode inner) {
  return ts_node_start_byte(outer) <= ts_node_start_byte(inner) && ts_node_end_byte(inner) <= ts_node_end_byte(outer);
}

// Identifiers bound (not read) by a target expression: `a`, `a, b`, `(a, [b, *c])`.
void target_names(TSNode target, std::vector<TSNode>& out) {
  switch (kind(target)) {
    case Kind::k_identifier: out.push_back(target); break;
    case Kind::k_pattern_list:
    case Kind::k_tuple_pattern:
    case Kind::k_list_pattern:
    case Kind::k_tuple:
    case Kind::k_list:
    case Kind::k_expression_list:
    case Kind::k_parenthesized_expression:
    case Kind::k_list_splat_pattern:
    case Kind::k_list_splat:
      for (TSNode c : named_children(target)) target_names(c, out);
      break;
    default: break;
  }
}

}  // namespace

Context::Context(const parse::SourceFile& file) : file_(file) { collect(); }

diag::Span Context::span(TSNode node) const { return span(node, node); }

diag::Span Context::span(TSNode from, TSNode to) const {
  TSPoint s = ts_node_start_point(from), e = ts_node_end_point(to);
  return diag::Span{file_.path(), static_cast<int>(s.row) + 1, static_cast<int>(s.column) + 1,
                    static_cast<int>(e.row) + 1, static_cast<int>(e.column) + 1};
}

diag::Diagnostic Context::make(const diag::RuleInfo& info, TSNode node, std::string message, std::string help) const {
  return diag::make_diagnostic(info, std::move(message), span(node), std::move(help));
}

void Context::collect() {
  // A cursor walk: cheap next to named_children(), which caches every node it is asked about.
  const TSLanguage* lang = ts_tree_language(file_.root().tree);
  const TSFieldId attribute_field = ts_language_field_id_for_name(lang, "attribute", 9);
  const TSFieldId name_field = ts_language_field_id_for_name(lang, "name", 4);
  struct Open {
    TSNode node;
    uint32_t end;
  };
  std::vector<Open> scopes{{file_.root(), UINT32_MAX}};
  std::vector<Open> classes;
  std::vector<Kind> parents;  // kinds of the cursor's ancestors
  TSTreeCursor cursor = ts_tree_cursor_new(file_.root());
  while (true) {
    TSNode n = ts_tree_cursor_current_node(&cursor);
    uint32_t start = ts_node_start_byte(n);
    while (scopes.size() > 1 && scopes.back().end <= start) scopes.pop_back();
    while (!classes.empty() && classes.back().end <= start) classes.pop_back();
    Kind k = ts_node_is_named(n) ? kind(n) : Kind::other;
    TSNode scope = scopes.back().node;
    auto place = [&]() { places_[n.id] = Place{scope, classes.empty() ? TSNode{} : classes.back().node}; };
    switch (k) {
      case Kind::k_call:
        calls_.push_back(n);
        place();
        break;
      case Kind::k_class_definition: classes_.push_back(n); break;
      case Kind::k_function_definition: functions_[std::string(text(field(n, Field::name)))].push_back(n); break;
      case Kind::k_import_statement:
      case Kind::k_import_from_statement: add_import(n); break;
      case Kind::k_assignment:
        add_assignment(n, scope);
        place();
        break;
      case Kind::k_augmented_assignment: {
        TSNode left = field(n, Field::left);
        if (is_kind(left, Kind::k_identifier)) loop_bindings_[std::string(text(left))].push_back(n);
        break;
      }
      case Kind::k_for_statement:
      case Kind::k_for_in_clause:
      case Kind::k_named_expression:
      case Kind::k_as_pattern: {
        // Loop variables, walrus targets, `with ... as f`, `except E as e`: bound, value unknown.
        std::vector<TSNode> names;
        TSNode t = k == Kind::k_named_expression ? field(n, Field::name)
                   : k == Kind::k_as_pattern     ? field(n, Field::alias)
                                                 : field(n, Field::left);
        if (!ts_node_is_null(t)) {
          if (kind(t) == Kind::other) {
            for (TSNode c : named_children(t)) target_names(c, names);
          } else {
            target_names(t, names);
          }
        }
        for (TSNode id : names) loop_bindings_[std::string(text(id))].push_back(id);
        break;
      }
      case Kind::k_identifier: {
        TSFieldId f = ts_tree_cursor_current_field_id(&cursor);
        Kind parent = parents.empty() ? Kind::other : parents.back();
        bool is_attr_name = parent == Kind::k_attribute && f == attribute_field;
        bool is_kwarg_name = parent == Kind::k_keyword_argument && f == name_field;
        if (!is_attr_name && !is_kwarg_name) {
          identifiers_[std::string(text(n))].push_back(n);
          place();
        }
        break;
      }
      case Kind::k_attribute:
      case Kind::k_subscript:
      case Kind::k_if_statement:
        if (k == Kind::k_subscript) subscripts_.push_back(n);
        if (k == Kind::k_if_statement) if_statements_.push_back(n);
        place();
        break;
      default: break;
    }
    if (k == Kind::k_function_definition || k == Kind::k_lambda) scopes.push_back({n, ts_node_end_byte(n)});
    if (k == Kind::k_class_definition) classes.push_back({n, ts_node_end_byte(n)});
    if (ts_tree_cursor_goto_first_child(&cursor)) {
      parents.push_back(k);
      continue;
    }
    bool done = false;
    while (!ts_tree_cursor_goto_next_sibling(&cursor)) {
      if (!ts_tree_cursor_goto_parent(&cursor)) {
        done = true;
        break;
      }
      parents.pop_back();
    }
    if (done) break;
  }
  ts_tree_cursor_delete(&cursor);
}

void Context::add_import(TSNode stmt) {
  auto dotted = [&](TSNode n) { return std::string(text(n)); };
  auto first_segment = [](const std::string& s) { return s.substr(0, s.find('.')); };
  if (kind(stmt) == Kind::k_import_statement) {
    for (TSNode c : named_children(stmt)) {
      if (is_kind(c, Kind::k_dotted_name)) {
        std::string q = dotted(c);
        imports_.emplace(first_segment(q), first_segment(q));
      } else if (is_kind(c, Kind::k_aliased_import)) {
        imports_.emplace(std::string(text(field(c, Field::alias))), dotted(field(c, Field::name)));
      }
    }
    return;
  }
  TSNode module = field(stmt, Field::module_name);
  if (!is_kind(module, Kind::k_dotted_name)) return;  // relative imports are not resolved
  std::string base = dotted(module);
  for (TSNode c : named_children(stmt)) {
    if (same(c, module)) continue;
    if (is_kind(c, Kind::k_dotted_name)) {
      imports_.emplace(dotted(c), base + "." + dotted(c));
    } else if (is_kind(c, Kind::k_aliased_import)) {
      imports_.emplace(std::string(text(field(c, Field::alias))), base + "." + dotted(field(c, Field::name)));
    }
  }
}

void Context::add_assignment(TSNode stmt, TSNode scope) {
  // `a = b = value` nests: the right side of the outer assignment is itself an assignment.
  TSNode value = field(stmt, Field::right);
  while (is_kind(value, Kind::k_assignment)) value = field(value, Field::right);
  TSNode target = field(stmt, Field::left);
  assignments_.push_back({stmt, target, value, scope});
  if (is_kind(target, Kind::k_identifier)) {
    assignments_by_name_[std::string(text(target))].push_back(assignments_.size() - 1);
  } else {
    std::vector<TSNode> names;
    target_names(target, names);
    for (TSNode id : names) loop_bindings_[std::string(text(id))].push_back(id);
  }
}

std::vector<TSNode> Context::calls_in(TSNode node) const {
  uint32_t start = ts_node_start_byte(node), end = ts_node_end_byte(node);
  auto first = std::lower_bound(calls_.begin(), calls_.end(), start,
                                [](TSNode c, uint32_t at) { return ts_node_start_byte(c) < at; });
  std::vector<TSNode> out;
  for (auto it = first; it != calls_.end() && ts_node_start_byte(*it) < end; ++it) out.push_back(*it);
  return out;
}

std::vector<TSNode> Context::functions(std::string_view name) const {
  auto it = functions_.find(std::string(name));
  return it == functions_.end() ? std::vector<TSNode>{} : it->second;
}

std::string Context::qualified_name(TSNode expr) const {
  expr = unparenthesize(expr);
  if (ts_node_is_null(expr)) return {};
  if (kind(expr) == Kind::k_identifier) {
    auto it = imports_.find(std::string(text(expr)));
    if (it == imports_.end()) return {};
    // A parameter of the same name shadows the import.
    if (is_parameter(scope_of(expr), text(expr))) return {};
    return it->second;
  }
  if (kind(expr) == Kind::k_attribute) {
    std::string base = qualified_name(field(expr, Field::object));
    if (base.empty()) return {};
    return base + "." + std::string(text(field(expr, Field::attribute)));
  }
  return {};
}

bool Context::imports(std::string_view prefix) const {
  for (const auto& [name, q] : imports_) {
    if (q == prefix || (q.size() > prefix.size() && q.compare(0, prefix.size(), prefix) == 0 && q[prefix.size()] == '.')) {
      return true;
    }
  }
  return false;
}

TSNode Context::local_class(std::string_view name) const {
  for (TSNode c : classes_) {
    if (text(field(c, Field::name)) == name) return c;
  }
  return TSNode{};
}

bool Context::is_local_module_class(std::string_view name) const {
  std::vector<std::string_view> seen;
  std::vector<std::string_view> work{name};
  while (!work.empty() && seen.size() < 32) {
    std::string_view n = work.back();
    work.pop_back();
    if (std::find(seen.begin(), seen.end(), n) != seen.end()) continue;
    seen.push_back(n);
    TSNode cls = local_class(n);
    if (ts_node_is_null(cls)) continue;
    TSNode bases = field(cls, Field::superclasses);
    if (ts_node_is_null(bases)) continue;
    for (TSNode b : named_children(bases)) {
      if (is_kind(b, Kind::k_keyword_argument)) continue;
      std::string q = qualified_name(b);
      std::string_view t = text(b);
      std::string_view last = t.substr(t.rfind('.') == std::string_view::npos ? 0 : t.rfind('.') + 1);
      if (last == "Module") return true;
      if (q.rfind("torch.nn.", 0) == 0 && !last.empty() && std::isupper(static_cast<unsigned char>(last[0]))) return true;
      if (kind(b) == Kind::k_identifier) work.push_back(t);
    }
  }
  return false;
}

TSNode Context::scope_of(TSNode node) const {
  if (auto it = places_.find(node.id); it != places_.end()) return it->second.scope;
  for (TSNode p = ts_node_parent(node); !ts_node_is_null(p); p = ts_node_parent(p)) {
    Kind k = kind(p);
    if (k == Kind::k_function_definition || k == Kind::k_lambda) {
      // Parameters and decorators belong to the function's own scope only for parameters.
      return p;
    }
    if (k == Kind::k_module) return p;
  }
  return file_.root();
}

TSNode Context::class_of(TSNode node) const {
  if (auto it = places_.find(node.id); it != places_.end()) return it->second.cls;
  for (TSNode p = ts_node_parent(node); !ts_node_is_null(p); p = ts_node_parent(p)) {
    if (kind(p) == Kind::k_class_definition) return p;
  }
  return TSNode{};
}

TSNode Context::last_value(TSNode scope, std::string_view name, uint32_t before, bool* found) const {
  if (found) *found = false;
  uint32_t best = 0;
  bool have = false;
  TSNode value{};
  auto it = assignments_by_name_.find(std::string(name));
  if (it != assignments_by_name_.end()) {
    for (std::size_t i : it->second) {
      const Assignment& a = assignments_[i];
      uint32_t at = ts_node_start_byte(a.statement);
      if (at >= before || !same(a.scope, scope)) continue;
      if (!have || at >= best) {
        best = at;
        have = true;
        value = a.value;
      }
    }
  }
  auto lb = loop_bindings_.find(std::string(name));
  if (lb != loop_bindings_.end()) {
    for (TSNode n : lb->second) {
      uint32_t at = ts_node_start_byte(n);
      if (at >= before || !same(scope_of(n), scope)) continue;
      if (!have || at > best) {
        best = at;
        have = true;
        value = TSNode{};
      }
    }
  }
  if (!have && is_parameter(scope, name)) have = true;
  if (found) *found = have;
  return value;
}

std::vector<TSNode> Context::attribute_values(TSNode cls, std::string_view attr) const {
  std::vector<TSNode> out;
  for (const Assignment& a : assignments_) {
    if (!is_kind(a.target, Kind::k_attribute) || !contains(cls, a.statement)) continue;
    TSNode obj = field(a.target, Field::object);
    if (text(obj) != "self" || text(field(a.target, Field::attribute)) != attr) continue;
    if (!same(class_of(a.statement), cls)) continue;
    out.push_back(a.value);
  }
  return out;
}

bool Context::is_read(TSNode scope, std::string_view name) const {
  auto it = identifiers_.find(std::string(name));
  if (it == identifiers_.end()) return false;
  for (TSNode id : it->second) {
    if (!contains(scope, id)) continue;
    TSNode p = ts_node_parent(id);
    // Binding positions are not reads.
    bool binding = false;
    for (TSNode q = id; !ts_node_is_null(p); q = p, p = ts_node_parent(p)) {
      Kind pk = kind(p);
      if (pk == Kind::k_assignment || pk == Kind::k_augmented_assignment) {
        binding = same(field(p, Field::left), q) && pk == Kind::k_assignment;
        break;
      }
      if (pk == Kind::k_for_statement || pk == Kind::k_for_in_clause) {
        binding = same(field(p, Field::left), q);
        break;
      }
      if (pk == Kind::k_pattern_list || pk == Kind::k_tuple_pattern || pk == Kind::k_list_pattern ||
          pk == Kind::k_list_splat_pattern || pk == Kind::k_parenthesized_expression) {
        continue;
      }
      if (pk == Kind::k_parameters || pk == Kind::k_lambda_parameters || pk == Kind::k_typed_parameter) {
        binding = true;
        break;
      }
      if (pk == Kind::k_default_parameter || pk == Kind::k_typed_default_parameter) {
        binding = same(field(p, Field::name), q);
        break;
      }
      break;
    }
    if (!binding) return true;
  }
  return false;
}

bool Context::is_parameter(TSNode scope, std::string_view name) const {
  if (!is_kind(scope, Kind::k_function_definition) && !is_kind(scope, Kind::k_lambda)) return false;
  TSNode params = field(scope, Field::parameters);
  if (ts_node_is_null(params)) return false;
  for (TSNode p : named_children(params)) {
    TSNode id = p;
    if (!is_kind(p, Kind::k_identifier)) {
      id = field(p, Field::name);
      if (ts_node_is_null(id)) {
        for (TSNode c : named_children(p)) {
          if (is_kind(c, Kind::k_identifier)) {
            id = c;
            break;
          }
        }
      }
    }
    if (!ts_node_is_null(id) && text(id) == name) return true;
  }
  return false;
}

TSNode Context::keyword(TSNode call, std::string_view name) const {
  TSNode args = field(call, Field::arguments);
  if (!is_kind(args, Kind::k_argument_list)) return TSNode{};
  for (TSNode a : named_children(args)) {
    if (is_kind(a, Kind::k_keyword_argument) && text(field(a, Field::name)) == name) return field(a, Field::value);
  }
  return TSNode{};
}

std::vector<TSNode> Context::positional(TSNode call) const {
  std::vector<TSNode> out;
  TSNode args = field(call, Field::arguments);
  if (!is_kind(args, Kind::k_argument_list)) {
    if (is_kind(args, Kind::k_generator_expression)) out.push_back(args);
    return out;
  }
  for (TSNode a : named_children(args)) {
    Kind k = kind(a);
    if (k == Kind::k_keyword_argument || k == Kind::k_list_splat || k == Kind::k_dictionary_splat) continue;
    out.push_back(a);
  }
  return out;
}

bool Context::has_splat(TSNode call) const {
  TSNode args = field(call, Field::arguments);
  if (!is_kind(args, Kind::k_argument_list)) return false;
  for (TSNode a : named_children(args)) {
    if (is_kind(a, Kind::k_list_splat) || is_kind(a, Kind::k_dictionary_splat)) return true;
  }
  return false;
}

std::string_view Context::method_name(TSNode call) const {
  TSNode fn = field(call, Field::function);
  if (!is_kind(fn, Kind::k_attribute)) return {};
  return text(field(fn, Field::attribute));
}

TSNode Context::method_object(TSNode call) const {
  TSNode fn = field(call, Field::function);
  if (!is_kind(fn, Kind::k_attribute)) return TSNode{};
  return field(fn, Field::object);
}

}  // namespace ckg::lint
