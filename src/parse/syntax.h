// Fast, typed access to tree-sitter-python nodes: node kinds and field names as enums.
#pragma once

#include <cstdint>
#include <vector>

#include <tree_sitter/api.h>

namespace ckg::parse {

#define CKG_PYTHON_NODE_KINDS(X)                                                              \
  X(module) X(block) X(comment) X(expression_statement) X(assignment) X(augmented_assignment) \
  X(return_statement) X(if_statement) X(elif_clause) X(else_clause) X(for_statement)           \
  X(while_statement) X(try_statement) X(except_clause) X(finally_clause) X(with_statement)     \
  X(with_clause) X(with_item) X(raise_statement) X(pass_statement) X(break_statement)          \
  X(continue_statement) X(delete_statement) X(global_statement) X(nonlocal_statement)         \
  X(assert_statement) X(import_statement) X(import_from_statement)                            \
  X(future_import_statement) X(aliased_import) X(dotted_name) X(relative_import)               \
  X(import_prefix) X(wildcard_import) X(class_definition) X(function_definition)              \
  X(decorated_definition) X(decorator) X(parameters) X(lambda_parameters) X(typed_parameter)   \
  X(default_parameter) X(typed_default_parameter) X(list_splat_pattern)                       \
  X(dictionary_splat_pattern) X(keyword_separator) X(positional_separator) X(identifier)      \
  X(integer) X(float) X(string) X(string_start) X(string_content) X(string_end)               \
  X(escape_sequence) X(interpolation) X(format_specifier) X(format_expression)               \
  X(type_conversion)                                                                          \
  X(concatenated_string) X(true) X(false) X(none) X(ellipsis) X(attribute) X(subscript)       \
  X(slice) X(call) X(argument_list) X(keyword_argument) X(list_splat) X(dictionary_splat)     \
  X(binary_operator) X(unary_operator) X(not_operator) X(boolean_operator)                    \
  X(comparison_operator) X(conditional_expression) X(lambda) X(list) X(tuple) X(set)          \
  X(dictionary) X(pair) X(list_comprehension) X(dictionary_comprehension)                     \
  X(set_comprehension) X(generator_expression) X(for_in_clause) X(if_clause)                  \
  X(parenthesized_expression) X(expression_list) X(pattern_list) X(tuple_pattern)             \
  X(list_pattern) X(named_expression) X(type) X(await) X(yield) X(as_pattern)                 \
  X(escape_interpolation) X(line_continuation) X(match_statement)                             \
  X(case_clause) X(case_pattern) X(union_pattern) X(class_pattern) X(keyword_pattern)          \
  X(dict_pattern) X(splat_pattern) X(complex_pattern)

enum class Kind : std::uint16_t {
#define CKG_KIND_ENUM(name) k_##name,
  CKG_PYTHON_NODE_KINDS(CKG_KIND_ENUM)
#undef CKG_KIND_ENUM
      other
};

enum class Field : std::uint8_t {
  alias, alternative, argument, arguments, attribute, body, cause, condition, consequence,
  definition, function, key, left, module_name, name, object, operator_, operators,
  parameters, right, subscript, superclasses, type, value, expression, format_specifier,
  type_conversion, count
};

Kind kind(TSNode node);
TSNode field(TSNode node, Field f);  // null node when absent
inline bool is_null(TSNode node) { return ts_node_is_null(node); }
// Named children except comments. The reference stays valid while the node's tree lives.
const std::vector<TSNode>& named_children(TSNode node);
// Drops cached data about `tree`; called when its SourceFile is destroyed.
void forget_tree(const TSTree* tree);
// All children (named or not) carrying field `f`, e.g. comparison operators.
std::vector<TSNode> field_children(TSNode node, Field f);

}  // namespace ckg::parse
