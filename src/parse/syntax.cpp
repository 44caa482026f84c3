// Symbol and field tables for tree-sitter-python, built once from the grammar itself.
#include "parse/syntax.h"

#include <array>
#include <cstdint>
#include <cstring>
#include <deque>
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

namespace detail {

namespace {

NodeInfo collect(TSNode node) {
  NodeInfo out;
  const auto& t = tables();
  TSSymbol s = ts_node_symbol(node);
  out.kind = s < t.kind_of_symbol.size() ? t.kind_of_symbol[s] : Kind::other;
  out.field_slot.fill(NodeInfo::kNoField);
  TSTreeCursor cursor = ts_tree_cursor_new(node);
  if (ts_tree_cursor_goto_first_child(&cursor)) {
    do {
      TSNode c = ts_tree_cursor_current_node(&cursor);
      // Comments and backslash continuations are extras: they may sit between any two children
      // (`x = a \ <newline> if c else b`) and are never operands.
      if (ts_node_is_named(c) && !ts_node_is_extra(c)) out.named.push_back(c);
      TSFieldId fid = ts_tree_cursor_current_field_id(&cursor);
      if (fid == 0) continue;
      for (std::size_t f = 0; f < out.field_slot.size(); ++f) {
        if (t.field_ids[f] != fid || out.field_slot[f] != NodeInfo::kNoField || out.with_field.size() >= NodeInfo::kNoField) continue;
        out.field_slot[f] = static_cast<std::uint8_t>(out.with_field.size());  // first child with the field
        out.with_field.push_back(c);
      }
    } while (ts_tree_cursor_goto_next_sibling(&cursor));
  }
  ts_tree_cursor_delete(&cursor);
  return out;
}

thread_local std::unordered_map<const TSTree*, NodeCache> node_cache;

}  // namespace

const NodeInfo kAbsent = [] {
  NodeInfo none;
  none.field_slot.fill(NodeInfo::kNoField);
  return none;
}();
thread_local const TSTree* last_tree = nullptr;
thread_local NodeCache* last_cache = nullptr;

NodeCache& cache_of(const TSTree* tree) { return node_cache[tree]; }

const NodeInfo& NodeCache::insert(TSNode node) {
  infos_.push_back(collect(node));
  if ((infos_.size() + 1) * 2 > slots_.size()) {
    std::vector<Slot> old(std::max<std::size_t>(slots_.size() * 2, 1024));
    old.swap(slots_);
    for (const Slot& s : old) {
      if (s.info != nullptr) place(s.id, s.alias, s.info);
    }
  }
  place(node.id, node.context[3], &infos_.back());
  return infos_.back();
}

void NodeCache::place(const void* id, std::uint32_t alias, const NodeInfo* info) {
  std::size_t mask = slots_.size() - 1;
  std::size_t i = hash(id, alias) & mask;
  while (slots_[i].info != nullptr) i = (i + 1) & mask;
  slots_[i] = Slot{id, alias, info};
}

}  // namespace detail

void forget_tree(const TSTree* tree) {
  detail::node_cache.erase(tree);
  detail::last_tree = nullptr;
  detail::last_cache = nullptr;
}

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
