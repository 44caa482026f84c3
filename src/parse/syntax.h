// Fast, typed access to tree-sitter-python nodes: node kinds and field names as enums.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
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

// What the interpreter asks of a node on every visit: its kind, named children and fields.
// Collected once per node with a cursor (tree-sitter finds a child by walking from the first one)
// and cached per tree; a tree's entries are dropped when its SourceFile is destroyed. Hot paths
// take a node's NodeInfo once (`info(node)`) instead of looking it up for each field.
struct NodeInfo {
  static constexpr std::uint8_t kNoField = 0xff;

  Kind kind = Kind::other;
  std::array<std::uint8_t, static_cast<std::size_t>(Field::count)> field_slot{};  // into with_field
  std::vector<TSNode> named;       // except comments and line continuations
  std::vector<TSNode> with_field;  // the first child carrying each field

  // The child carrying field `f`; a null node when absent.
  TSNode field(Field f) const {
    std::uint8_t slot = field_slot[static_cast<std::size_t>(f)];
    return slot == kNoField ? TSNode{} : with_field[slot];
  }
};

namespace detail {

// One tree's NodeInfos, found by open addressing on the node's identity: its subtree pointer plus
// the alias its parent gives it (small leaves are stored inline, so two leaves of one symbol can
// share an id). The lookup is inline because it runs for every field of every evaluated node.
class NodeCache {
 public:
  const NodeInfo& get(TSNode node) {
    if (!slots_.empty()) {
      std::size_t mask = slots_.size() - 1;
      for (std::size_t i = hash(node.id, node.context[3]) & mask; slots_[i].info != nullptr; i = (i + 1) & mask) {
        if (slots_[i].id == node.id && slots_[i].alias == node.context[3]) return *slots_[i].info;
      }
    }
    return insert(node);
  }

 private:
  struct Slot {
    const void* id = nullptr;
    std::uint32_t alias = 0;
    const NodeInfo* info = nullptr;
  };
  static std::size_t hash(const void* id, std::uint32_t alias) {
    auto bits = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(id)) ^ (std::uint64_t{alias} << 48);
    return static_cast<std::size_t>((bits * 0x9E3779B97F4A7C15ull) >> 20);
  }
  const NodeInfo& insert(TSNode node);
  void place(const void* id, std::uint32_t alias, const NodeInfo* info);

  std::vector<Slot> slots_;
  std::deque<NodeInfo> infos_;  // stable addresses: callers keep references to `named`
};

extern const NodeInfo kAbsent;
extern thread_local const TSTree* last_tree;
extern thread_local NodeCache* last_cache;
NodeCache& cache_of(const TSTree* tree);

}  // namespace detail

// The node's cached kind, children and fields; an absent (null) node has none.
inline const NodeInfo& info(TSNode node) {
  if (node.id == nullptr) return detail::kAbsent;
  if (node.tree != detail::last_tree) {
    detail::last_cache = &detail::cache_of(node.tree);
    detail::last_tree = node.tree;
  }
  return detail::last_cache->get(node);
}

inline Kind kind(TSNode node) { return info(node).kind; }
// The child carrying field `f`; a null node when absent.
inline TSNode field(TSNode node, Field f) { return info(node).field(f); }
// What ts_node_is_null tests, inline: it is asked on every field access of every evaluation.
inline bool is_null(TSNode node) { return node.id == nullptr; }
// Named children except comments. The reference stays valid while the node's tree lives.
inline const std::vector<TSNode>& named_children(TSNode node) { return info(node).named; }
// Drops cached data about `tree`; called when its SourceFile is destroyed.
void forget_tree(const TSTree* tree);
// All children (named or not) carrying field `f`, e.g. comparison operators.
std::vector<TSNode> field_children(TSNode node, Field f);

}  // namespace ckg::parse
