// Symbol and field tables for tree-sitter-python, built once from the grammar itself.
#include "parse/syntax.h"

#include <array>
#include <cstring>
#include <string_view>
#include <unordered_map>

#include "parse/source_file.h"

namespace ckg::parse {
namespace {

struct Tables {
  std::vector<Kind> kind_of_symbol;
  TSFieldId field_ids[static_cast<int>(Field::count)] = {};

  Tables() {
    const TSLanguage* lang = python_language();
    std::unordered_map<std::string_view, Kind> by_name = {
#define CKG_KIND_NAME(name) {#name, Kind::k_##name},
        CKG_PYTHON_NODE_KINDS(CKG_KIND_NAME)
#undef CKG_KIND_NAME
    };
    uint32_t count = ts_language_symbol_count(lang);
    kind_of_symbol.assign(count, Kind::other);
    // Several symbols may share a name (aliases); map them all.
    for (uint32_t s = 0; s < count; ++s) {
      if (ts_language_symbol_type(lang, static_cast<TSSymbol>(s)) != TSSymbolTypeRegular) continue;
      auto it = by_name.find(ts_language_symbol_name(lang, static_cast<TSSymbol>(s)));
      if (it != by_name.end()) kind_of_symbol[s] = it->second;
    }
    static const char* const field_names[] = {
        "alias", "alternative", "argument", "arguments", "attribute", "body", "cause", "condition",
        "consequence", "definition", "function", "key", "left", "module_name", "name", "object",
        "operator", "operators", "parameters", "right", "subscript", "superclasses", "type", "value",
        "expression", "format_specifier", "type_conversion"};
    static_assert(sizeof(field_names) / sizeof(field_names[0]) == static_cast<int>(Field::count));
    for (int f = 0; f < static_cast<int>(Field::count); ++f) {
      field_ids[f] = ts_language_field_id_for_name(lang, field_names[f],
                                                   static_cast<uint32_t>(std::strlen(field_names[f])));
    }
  }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

}  // namespace

Kind kind(TSNode node) {
  if (ts_node_is_null(node)) return Kind::other;  // an absent field: ts_node_symbol would read through null
  const auto& t = tables();
  TSSymbol s = ts_node_symbol(node);
  return s < t.kind_of_symbol.size() ? t.kind_of_symbol[s] : Kind::other;
}

namespace {

// tree-sitter finds the i-th child, or a child by field, by walking from the first one, and the
// interpreter revisits the same nodes in every call and loop iteration. Each node's named
// children and fields are therefore collected once with a cursor and cached per tree (a tree's
// entries are dropped when its SourceFile is destroyed).
struct NodeInfo {
  std::vector<TSNode> named;
  std::array<TSNode, static_cast<std::size_t>(Field::count)> fields{};
};
using NodeCache = std::unordered_map<const void*, NodeInfo>;
thread_local std::unordered_map<const TSTree*, NodeCache> node_cache;

thread_local const TSTree* last_tree = nullptr;
thread_local NodeCache* last_cache = nullptr;

const NodeInfo& info(TSNode node) {
  if (node.tree != last_tree) {
    last_cache = &node_cache[node.tree];
    last_tree = node.tree;
  }
  NodeCache& cache = *last_cache;
  auto it = cache.find(node.id);
  if (it != cache.end()) return it->second;
  NodeInfo out;
  const auto& ids = tables().field_ids;
  TSTreeCursor cursor = ts_tree_cursor_new(node);
  if (ts_tree_cursor_goto_first_child(&cursor)) {
    do {
      TSNode c = ts_tree_cursor_current_node(&cursor);
      // Comments and backslash continuations are extras: they may sit between any two children
      // (`x = a \ <newline> if c else b`) and are never operands.
      if (ts_node_is_named(c) && !ts_node_is_extra(c)) out.named.push_back(c);
      TSFieldId fid = ts_tree_cursor_current_field_id(&cursor);
      if (fid == 0) continue;
      for (std::size_t f = 0; f < out.fields.size(); ++f) {
        if (ids[f] == fid && ts_node_is_null(out.fields[f])) out.fields[f] = c;  // first child with the field
      }
    } while (ts_tree_cursor_goto_next_sibling(&cursor));
  }
  ts_tree_cursor_delete(&cursor);
  return cache.emplace(node.id, std::move(out)).first->second;
}

}  // namespace

void forget_tree(const TSTree* tree) {
  node_cache.erase(tree);
  last_tree = nullptr;
  last_cache = nullptr;
}

const std::vector<TSNode>& named_children(TSNode node) { return info(node).named; }

TSNode field(TSNode node, Field f) { return info(node).fields[static_cast<std::size_t>(f)]; }

std::vector<TSNode> field_children(TSNode node, Field f) {
  std::vector<TSNode> out;
  TSFieldId id = tables().field_ids[static_cast<int>(f)];
  if (id == 0) return out;
  TSTreeCursor cursor = ts_tree_cursor_new(node);
  if (ts_tree_cursor_goto_first_child(&cursor)) {
    do {
      if (ts_tree_cursor_current_field_id(&cursor) == id) out.push_back(ts_tree_cursor_current_node(&cursor));
    } while (ts_tree_cursor_goto_next_sibling(&cursor));
  }
  ts_tree_cursor_delete(&cursor);
  return out;
}

}  // namespace ckg::parse
