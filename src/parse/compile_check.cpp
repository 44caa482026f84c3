// compile_error(): CPython's tokenizer checks (python_tokenizer.cpp), then its parser's and its
// compiler's checks over the tree-sitter tree, combined in the order CPython makes them.
#include "parse/compile_check.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <fmt/format.h>

#include "parse/source_file.h"
#include "parse/syntax.h"

namespace ckg::parse {

namespace {

// CPython raises errors in passes: parsing (with the tokenizer), the symbol table, the compiler.
// Within a pass the first error in source order wins.
enum class Pass { parser, symtable, compiler };

struct Found {
  Pass pass;
  CompileError error;
  bool generic = false;      // the parser's plain "invalid syntax"
  bool tree_sitter = false;  // an ERROR or MISSING node: tree-sitter's grammar objected
};

bool is_keyword(std::string_view s) {
  static const std::set<std::string_view> kKeywords = {
      "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
      "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in",
      "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while", "with", "yield"};
  return kKeywords.count(s) > 0;
}

// How CPython names an expression that cannot be assigned to or deleted.
const char* target_description(Kind k) {
  switch (k) {
    case Kind::k_call: return "function call";
    case Kind::k_integer: case Kind::k_float: case Kind::k_string: case Kind::k_concatenated_string: return "literal";
    case Kind::k_true: return "True";
    case Kind::k_false: return "False";
    case Kind::k_none: return "None";
    case Kind::k_ellipsis: return "ellipsis";
    case Kind::k_binary_operator: case Kind::k_unary_operator: case Kind::k_boolean_operator: case Kind::k_not_operator:
      return "expression";
    case Kind::k_comparison_operator: return "comparison";
    case Kind::k_lambda: return "lambda";
    case Kind::k_conditional_expression: return "conditional expression";
    case Kind::k_await: return "await expression";
    case Kind::k_list_comprehension: return "list comprehension";
    case Kind::k_set_comprehension: return "set comprehension";
    case Kind::k_dictionary_comprehension: return "dict comprehension";
    case Kind::k_generator_expression: return "generator expression";
    case Kind::k_dictionary: return "dict literal";
    case Kind::k_set: return "set display";
    case Kind::k_named_expression: return "named expression";
    case Kind::k_yield: return "yield expression";
    default: return nullptr;
  }
}

enum class ScopeKind { module, class_body, function, lambda };

struct Scope {
  ScopeKind kind;
  bool is_async = false;
};

class TreeChecker {
 public:
  explicit TreeChecker(const SourceFile& file) : file_(file) {}

  std::vector<Found> run() {
    // An explicit stack: hostile sources nest deeply, and the C++ stack must not follow them.
    struct Item {
      TSNode node;
      int scope;
      int loops;  // enclosing loop bodies in this scope
      bool top;   // a statement of the module itself
      std::size_t depth;
    };
    scopes_.push_back({ScopeKind::module});
    std::vector<Item> stack{{file_.root(), 0, 0, false, 0}};
    bool seen_code = false;  // for `from __future__`, which must come first
    while (!stack.empty()) {
      Item item = stack.back();
      stack.pop_back();
      TSNode n = item.node;
      int scope = item.scope, loops = item.loops;
      if (ts_node_is_missing(n)) {
        bool colon = std::strcmp(ts_node_type(n), ":") == 0;
        add(Pass::parser, n, colon ? "expected ':'" : "invalid syntax", !colon, true);
        continue;
      }
      if (std::strcmp(ts_node_type(n), "ERROR") == 0 && !has_error_child(n)) error_node(n);
      check(n, scope, loops, seen_code);
      if (item.top && parse::kind(n) != Kind::k_future_import_statement && !is_docstring(n) &&
          parse::kind(n) != Kind::k_comment) {
        seen_code = true;
      }
      // Every later walk of the tree recurses (the interpreter evaluates `- - - 1` by recursion):
      // a file nested deeper is refused here, as CPython refuses one it cannot compile.
      if (item.depth == kMaxSyntaxDepth) {
        add(Pass::parser, n, fmt::format("too deeply nested: more than {} levels of syntax (limit max_syntax_depth)", kMaxSyntaxDepth));
        continue;
      }
      // Children, pushed in reverse so they pop in source order.
      Kind k = parse::kind(n);
      int child_scope = scope, child_loops = loops;
      if (k == Kind::k_function_definition || k == Kind::k_lambda || k == Kind::k_class_definition) {
        ScopeKind sk = k == Kind::k_class_definition ? ScopeKind::class_body
                       : k == Kind::k_lambda         ? ScopeKind::lambda
                                                     : ScopeKind::function;
        bool is_async = k == Kind::k_function_definition && ts_node_child_count(n) > 0 &&
                        file_.node_text(ts_node_child(n, 0)) == "async";
        scopes_.push_back({sk, is_async});
        child_scope = static_cast<int>(scopes_.size()) - 1;
        child_loops = 0;
      }
      uint32_t count = ts_node_child_count(n);
      for (uint32_t i = count; i-- > 0;) {
        TSNode c = ts_node_child(n, i);
        int c_loops = child_loops;
        // Only the body of a loop is inside it: its `else` clause is not.
        if ((k == Kind::k_for_statement || k == Kind::k_while_statement) && c.id == field(n, Field::body).id) ++c_loops;
        // A class or function's name, decorators, bases, defaults belong to the enclosing scope.
        bool body_or_params = c.id == field(n, Field::body).id || c.id == field(n, Field::parameters).id;
        stack.push_back({c, body_or_params ? child_scope : scope, body_or_params ? c_loops : loops, k == Kind::k_module, item.depth + 1});
      }
    }
    return std::move(found_);
  }

 private:
  bool is_docstring(TSNode n) const {
    if (parse::kind(n) != Kind::k_expression_statement) return false;
    const auto& kids = named_children(n);
    return kids.size() == 1 && parse::kind(kids[0]) == Kind::k_string;
  }

  void add(Pass pass, TSNode at, std::string message, bool generic = false, bool tree_sitter = false) {
    Location where = file_.location(at);
    found_.push_back({pass, CompileError{"SyntaxError", where.line, where.column, std::move(message)}, generic, tree_sitter});
  }

  // Error recovery may wrap a long valid stretch in an ERROR node, and nest the tokens it skipped
  // in ERROR nodes inside it: the innermost one is where parsing failed.
  static bool has_error_child(TSNode n) {
    for (uint32_t i = 0, count = ts_node_child_count(n); i < count; ++i) {
      if (ts_node_has_error(ts_node_child(n, i))) return true;
    }
    return false;
  }

  // tree-sitter skipped tokens. Inside brackets, after a complete expression, CPython's parser
  // suspects a missing comma and points at that expression.
  void error_node(TSNode error) {
    TSNode previous = ts_node_prev_named_sibling(error);
    while (!ts_node_is_null(previous) && parse::kind(previous) == Kind::k_comment) previous = ts_node_prev_named_sibling(previous);
    bool bracketed = false;
    for (TSNode up = ts_node_parent(error); !ts_node_is_null(up) && !bracketed; up = ts_node_parent(up)) {
      Kind k = parse::kind(up);
      if (k == Kind::k_block || k == Kind::k_module) break;
      bracketed = k == Kind::k_argument_list || k == Kind::k_list || k == Kind::k_tuple || k == Kind::k_set ||
                  k == Kind::k_dictionary || k == Kind::k_parenthesized_expression;
    }
    if (bracketed && !ts_node_is_null(previous) && std::strcmp(ts_node_type(previous), "ERROR") != 0) {
      add(Pass::parser, previous, "invalid syntax. Perhaps you forgot a comma?", false, true);
    } else {
      add(Pass::parser, error, "invalid syntax", true, true);
    }
  }

  bool inside_function(int scope) const {
    return scopes_[static_cast<std::size_t>(scope)].kind == ScopeKind::function ||
           scopes_[static_cast<std::size_t>(scope)].kind == ScopeKind::lambda;
  }

  void check_target(TSNode target, const char* context, bool augmented) {
    Kind k = parse::kind(target);
    if (k == Kind::k_parenthesized_expression && !named_children(target).empty()) {
      check_target(named_children(target)[0], context, augmented);
      return;
    }
    if (k == Kind::k_pattern_list || k == Kind::k_tuple_pattern || k == Kind::k_list_pattern || k == Kind::k_tuple ||
        k == Kind::k_list) {
      if (augmented) {
        add(Pass::parser, target, fmt::format("'{}' is an illegal expression for augmented assignment",
                                              k == Kind::k_list || k == Kind::k_list_pattern ? "list" : "tuple"));
        return;
      }
      int starred = 0;
      for (TSNode c : named_children(target)) {
        if (parse::kind(c) == Kind::k_list_splat_pattern || parse::kind(c) == Kind::k_list_splat) ++starred;
        else check_target(c, context, false);
      }
      if (starred > 1) add(Pass::compiler, target, "multiple starred expressions in assignment");
      return;
    }
    if (const char* what = target_description(k)) {
      if (augmented) {
        add(Pass::parser, target, fmt::format("'{}' is an illegal expression for augmented assignment", what));
      } else if (std::strcmp(context, "assign") == 0) {
        bool constant = k == Kind::k_true || k == Kind::k_false || k == Kind::k_none;
        add(Pass::parser, target, constant ? fmt::format("cannot assign to {}", what)
                                           : fmt::format("cannot assign to {} here. Maybe you meant '==' instead of '='?", what));
      } else if (std::strcmp(context, "delete") == 0) {
        add(Pass::parser, target, fmt::format("cannot delete {}", what));
      } else {
        add(Pass::parser, target, fmt::format("cannot assign to {}", what));
      }
    }
  }

  void check_parameters(TSNode params) {
    std::set<std::string> names;
    bool seen_default = false, keyword_only = false;
    for (TSNode p : named_children(params)) {
      Kind k = parse::kind(p);
      TSNode name = p;
      if (k == Kind::k_default_parameter || k == Kind::k_typed_default_parameter) {
        seen_default = true;
        name = field(p, Field::name);
      } else if (k == Kind::k_typed_parameter || k == Kind::k_list_splat_pattern || k == Kind::k_dictionary_splat_pattern) {
        if (k != Kind::k_typed_parameter) keyword_only = true;
        const auto& kids = named_children(p);
        name = kids.empty() ? TSNode{} : kids[0];
        if (k == Kind::k_typed_parameter && !kids.empty() && (parse::kind(kids[0]) == Kind::k_list_splat_pattern ||
                                                               parse::kind(kids[0]) == Kind::k_dictionary_splat_pattern)) {
          keyword_only = true;
          const auto& inner = named_children(kids[0]);
          name = inner.empty() ? TSNode{} : inner[0];
        } else if (k == Kind::k_typed_parameter && seen_default && !keyword_only) {
          add(Pass::parser, p, "non-default argument follows default argument");
        }
      } else if (k == Kind::k_keyword_separator) {
        keyword_only = true;
        continue;
      } else if (k == Kind::k_identifier) {
        if (seen_default && !keyword_only) add(Pass::parser, p, "non-default argument follows default argument");
      } else {
        continue;
      }
      if (!ts_node_is_null(name) && parse::kind(name) == Kind::k_identifier) {
        std::string text(file_.node_text(name));
        if (!names.insert(text).second) add(Pass::symtable, name, fmt::format("duplicate argument '{}' in function definition", text));
      }
    }
  }

  void check_arguments(TSNode args) {
    bool keyword = false, keyword_unpacking = false;
    std::set<std::string> names;
    for (TSNode a : named_children(args)) {
      Kind k = parse::kind(a);
      if (k == Kind::k_keyword_argument) {
        keyword = true;
        std::string name(file_.node_text(field(a, Field::name)));
        if (!names.insert(name).second) add(Pass::compiler, a, fmt::format("keyword argument repeated: {}", name));
      } else if (k == Kind::k_dictionary_splat) {
        keyword_unpacking = true;
      } else if (k == Kind::k_list_splat) {
        if (keyword_unpacking) add(Pass::parser, a, "iterable argument unpacking follows keyword argument unpacking");
      } else if (keyword_unpacking) {
        add(Pass::parser, a, "positional argument follows keyword argument unpacking");
      } else if (keyword) {
        add(Pass::parser, a, "positional argument follows keyword argument");
      }
    }
  }

  void check(TSNode n, int scope, int loops, bool seen_code) {
    const Scope& s = scopes_[static_cast<std::size_t>(scope)];
    switch (parse::kind(n)) {
      case Kind::k_identifier:
        if (is_keyword(file_.node_text(n))) add(Pass::parser, n, "invalid syntax", true);
        break;
      case Kind::k_return_statement:
        if (!inside_function(scope)) add(Pass::compiler, n, "'return' outside function");
        break;
      case Kind::k_yield:
        if (!inside_function(scope)) add(Pass::compiler, n, "'yield' outside function");
        break;
      case Kind::k_await:
        if (!inside_function(scope)) add(Pass::compiler, n, "'await' outside function");
        else if (!s.is_async && s.kind == ScopeKind::function) add(Pass::compiler, n, "'await' outside async function");
        break;
      case Kind::k_break_statement:
        if (loops == 0) add(Pass::compiler, n, "'break' outside loop");
        break;
      case Kind::k_continue_statement:
        if (loops == 0) add(Pass::compiler, n, "'continue' not properly in loop");
        break;
      case Kind::k_nonlocal_statement:
        if (s.kind == ScopeKind::module) add(Pass::symtable, n, "nonlocal declaration not allowed at module level");
        break;
      case Kind::k_parameters: case Kind::k_lambda_parameters:
        check_parameters(n);
        break;
      case Kind::k_argument_list:
        check_arguments(n);
        break;
      case Kind::k_call: {
        TSNode args = field(n, Field::arguments);
        if (parse::kind(args) == Kind::k_generator_expression) {
          for (TSNode c : named_children(args)) {
            if (parse::kind(c) == Kind::k_for_in_clause && field_children(c, Field::right).size() > 1) {
              add(Pass::parser, args, "Generator expression must be parenthesized");
            }
          }
        }
        break;
      }
      case Kind::k_assignment: {
        TSNode left = field(n, Field::left);
        if (parse::kind(left) == Kind::k_list_splat_pattern) {
          add(Pass::compiler, left, "starred assignment target must be in a list or tuple");
        } else {
          check_target(left, "assign", false);
        }
        break;
      }
      case Kind::k_augmented_assignment: check_target(field(n, Field::left), "assign", true); break;
      case Kind::k_for_statement: check_target(field(n, Field::left), "for", false); break;
      case Kind::k_delete_statement:
        for (TSNode t : named_children(n)) {
          if (parse::kind(t) == Kind::k_expression_list) {
            for (TSNode e : named_children(t)) check_target(e, "delete", false);
          } else {
            check_target(t, "delete", false);
          }
        }
        break;
      case Kind::k_comparison_operator:
        for (TSNode op : field_children(n, Field::operators)) {
          if (file_.node_text(op) == "<>") add(Pass::parser, op, "invalid syntax", true);
        }
        break;
      case Kind::k_future_import_statement: {
        if (seen_code) add(Pass::compiler, n, "from __future__ imports must occur at the beginning of the file");
        static const std::set<std::string_view> kFeatures = {"nested_scopes", "generators", "division", "absolute_import",
                                                             "with_statement", "print_function", "unicode_literals",
                                                             "barry_as_FLUFL", "generator_stop", "annotations"};
        for (TSNode name : field_children(n, Field::name)) {
          std::string_view text = file_.node_text(parse::kind(name) == Kind::k_aliased_import ? field(name, Field::name) : name);
          if (text == "braces") add(Pass::parser, name, "not a chance");
          else if (!kFeatures.count(text)) add(Pass::compiler, name, fmt::format("future feature {} is not defined", text));
        }
        break;
      }
      default: {
        std::string_view type = ts_node_type(n);
        if (type == "print_statement" || type == "exec_statement") {
          std::string name(type.substr(0, type.find('_')));
          add(Pass::parser, n, fmt::format("Missing parentheses in call to '{0}'. Did you mean {0}(...)?", name));
        } else if (type == "constrained_type" && std::strcmp(ts_node_type(ts_node_parent(n)), "type_parameter") != 0) {
          // `T: (int, str)` belongs in a type parameter list; the grammar also takes it for
          // `*args: Any **kwargs: Any`, an annotation followed by a stray colon.
          add(Pass::parser, n, "invalid syntax", true);
        }
        break;
      }
    }
  }

  const SourceFile& file_;
  std::vector<Scope> scopes_;
  std::vector<Found> found_;
};

bool before(const CompileError& a, const CompileError& b) { return std::tie(a.line, a.column) < std::tie(b.line, b.column); }

}  // namespace

std::optional<CompileError> compile_error(const SourceFile& file) {
  detail::TokenizerFindings tokens = detail::tokenize(file.text());
  std::vector<Found> found = TreeChecker(file).run();
  if (tokens.parser_error) found.push_back({Pass::parser, *tokens.parser_error, false, false});
  auto first_of = [&](Pass pass) -> const Found* {
    const Found* best = nullptr;
    for (const auto& f : found) {
      if (f.pass == pass && (!best || before(f.error, best->error))) best = &f;
    }
    return best;
  };
  const Found* parse = first_of(Pass::parser);
  // A tokenizer error stops the parser where it happens, and one after the parser's own error
  // replaces it too: CPython tokenizes the rest of the file looking for one. An unclosed bracket
  // is noticed at the end of the file, and replaces only an error on a later line than itself.
  if (tokens.error && (!tokens.at_eof || !parse || parse->error.line > tokens.error->line)) return tokens.error;
  // tree-sitter's recovery from a bracket left open to the end of the file can put an ERROR
  // before the bracket. CPython's parser reads on to the end there, unless the statements before
  // the bracket's are broken by themselves.
  if (tokens.error && parse->tree_sitter && parse->error.line < tokens.error->line) {
    LoadResult prefix = parse_source(file.path(), file.text().substr(0, tokens.statement_start));
    if (prefix.file) {
      std::vector<Found> before_bracket = TreeChecker(*prefix.file).run();
      if (std::none_of(before_bracket.begin(), before_bracket.end(), [](const Found& f) { return f.pass == Pass::parser; })) {
        return tokens.error;
      }
    }
  }
  if (parse) {
    CompileError e = parse->error;
    e.grammar_only = parse->tree_sitter;
    return e;
  }
  for (Pass pass : {Pass::symtable, Pass::compiler}) {
    if (const Found* f = first_of(pass)) return f->error;
  }
  return std::nullopt;
}

}  // namespace ckg::parse
