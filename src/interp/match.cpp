// The match statement: structural pattern matching as CPython 3.11 runs it (PEP 634).
#include <algorithm>

#include <fmt/format.h>

#include "interp/interpreter.h"
#include "parse/syntax.h"

namespace ckg::interp {

using parse::Kind;
using parse::named_children;

namespace {

// Whether `node` has an anonymous child spelled `token` (the comma that makes `(x,)` a tuple).
bool has_token(TSNode node, const char* token) {
  for (std::uint32_t i = 0, n = ts_node_child_count(node); i < n; ++i) {
    TSNode c = ts_node_child(node, i);
    if (!ts_node_is_named(c) && std::string_view(ts_node_type(c)) == token) return true;
  }
  return false;
}

// One attempt to match a subject against a case's pattern. Names are collected and bound only
// when the whole pattern matches, as CPython stores them after its last test: a failed
// alternative of an or-pattern leaves nothing behind.
class Matcher {
 public:
  Matcher(Interpreter& in, Frame& f) : in_(in), f_(f) {}

  bool match(TSNode pattern, const Value& subject);
  // An open sequence pattern: `case a, *rest:` (the case clause's patterns, without brackets).
  bool match_sequence(const std::vector<TSNode>& items, const Value& subject);
  void bind() {
    for (auto& [target, value] : bindings_) in_.assign(f_, target, value);
  }

 private:
  bool match_literal(TSNode node, const Value& subject);
  bool match_equal(TSNode node, const Value& subject, const Value& expected);
  bool match_mapping(TSNode node, const Value& subject);
  bool match_class(TSNode node, const Value& subject);
  Value value_of(TSNode node);
  // Structural tests cannot tell about an unresolved subject: noted, and taken as no match
  // (as an if-condition on an unresolved value is taken as false).
  bool known(const Value& subject) {
    if (!is_unknown(subject)) return true;
    in_.note_unknown(subject, "match pattern tested on an unresolved value");
    return false;
  }

  Interpreter& in_;
  Frame& f_;
  std::vector<std::pair<TSNode, Value>> bindings_;
};

// The value of a literal or a dotted name (`Color.RED`) in a pattern; a `-` before a number is
// a separate token of the pattern.
Value Matcher::value_of(TSNode node) {
  Value v;
  switch (parse::kind(node)) {
    case Kind::k_dotted_name: {
      const auto& parts = named_children(node);
      v = in_.lookup_name(f_, node_string(f_, parts.at(0)), parts[0]);
      for (std::size_t i = 1; i < parts.size(); ++i) v = in_.get_attr(v, node_string(f_, parts[i]));
      return v;
    }
    case Kind::k_complex_pattern: return in_.unknown("complex literal");
    default: v = in_.eval(f_, node);
  }
  TSNode before = ts_node_prev_sibling(node);
  if (!ts_node_is_null(before) && std::string_view(ts_node_type(before)) == "-") {
    v = v.is_float() ? Value::floating(-v.as_float()) : Value::integer(-v.as_big());
  }
  return v;
}

bool Matcher::match_equal(TSNode node, const Value& subject, const Value& expected) {
  Value equal = in_.compare("==", subject, expected);
  bool outcome = !is_unknown(equal) && in_.truthy(equal);
  if (is_unknown(equal)) in_.note_unknown(equal, "match pattern compared with an unresolved value");
  in_.observe_decision(f_, node, equal, outcome);
  return outcome;
}

// None, True and False match by identity; numbers, strings and dotted names by ==.
bool Matcher::match_literal(TSNode node, const Value& subject) {
  switch (parse::kind(node)) {
    case Kind::k_none: return known(subject) && subject.is_none();
    case Kind::k_true: case Kind::k_false:
      return known(subject) && subject.is_bool() && subject.as_bool() == (parse::kind(node) == Kind::k_true);
    default: return match_equal(node, subject, value_of(node));
  }
}

bool Matcher::match(TSNode node, const Value& subject) {
  in_.step();
  switch (parse::kind(node)) {
    case Kind::k_case_pattern: {
      const auto& kids = named_children(node);
      return kids.empty() || match(kids[0], subject);  // empty: the wildcard `_`
    }
    case Kind::k_dotted_name: {
      const auto& parts = named_children(node);
      if (parts.size() > 1) return match_literal(node, subject);
      bindings_.emplace_back(parts[0], subject);  // a capture pattern
      return true;
    }
    case Kind::k_as_pattern: {
      const auto& kids = named_children(node);
      if (!match(kids.at(0), subject)) return false;
      bindings_.emplace_back(kids.back(), subject);
      return true;
    }
    case Kind::k_union_pattern: {
      std::size_t before = bindings_.size();
      for (TSNode alternative : named_children(node)) {
        if (match(alternative, subject)) return true;
        bindings_.resize(before);
      }
      return false;
    }
    case Kind::k_tuple_pattern: {
      const auto& kids = named_children(node);
      // `(p)` only groups; `(p,)` is a sequence of one.
      if (kids.size() == 1 && !has_token(node, ",")) return match(kids[0], subject);
      return match_sequence(kids, subject);
    }
    case Kind::k_list_pattern: return match_sequence(named_children(node), subject);
    case Kind::k_dict_pattern: return match_mapping(node, subject);
    case Kind::k_class_pattern: return match_class(node, subject);
    default: return match_literal(node, subject);
  }
}

bool Matcher::match_sequence(const std::vector<TSNode>& items, const Value& subject) {
  if (!known(subject)) return false;
  // str, bytes and bytearray are not sequences to match, and neither are iterators.
  const std::vector<Value>* values = nullptr;
  if (auto* l = subject.as<ListObj>()) values = &l->items;
  else if (auto* t = subject.as<TupleObj>()) values = &t->items;
  if (!values) return false;
  std::size_t star = items.size();
  for (std::size_t i = 0; i < items.size(); ++i) {
    const auto& kids = named_children(items[i]);
    if (parse::kind(items[i]) == Kind::k_case_pattern && kids.size() == 1 && parse::kind(kids[0]) == Kind::k_splat_pattern) star = i;
  }
  // Copied: matching sub-patterns may run code (guards come later, but __eq__ does not).
  std::vector<Value> seq = *values;
  if (star == items.size()) {
    if (seq.size() != items.size()) return false;
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (!match(items[i], seq[i])) return false;
    }
    return true;
  }
  std::size_t after = items.size() - star - 1;
  if (seq.size() < items.size() - 1) return false;
  for (std::size_t i = 0; i < star; ++i) {
    if (!match(items[i], seq[i])) return false;
  }
  for (std::size_t i = 0; i < after; ++i) {
    if (!match(items[star + 1 + i], seq[seq.size() - after + i])) return false;
  }
  const auto& name = named_children(named_children(items[star])[0]);
  if (!name.empty()) {  // `*_` binds nothing
    std::vector<Value> rest(seq.begin() + static_cast<std::ptrdiff_t>(star), seq.end() - static_cast<std::ptrdiff_t>(after));
    bindings_.emplace_back(name[0], make_list(std::move(rest)));
  }
  return true;
}

bool Matcher::match_mapping(TSNode node, const Value& subject) {
  if (!known(subject)) return false;
  auto* dict = subject.as<DictObj>();
  if (!dict) return false;
  // Children come as key, value pattern, key, value pattern, ..., then `**rest`; a key may be
  // preceded by a `-` token, which value_of reads.
  std::vector<std::pair<TSNode, TSNode>> entries;
  TSNode rest{};
  TSNode key{};
  for (TSNode c : named_children(node)) {
    if (parse::kind(c) == Kind::k_splat_pattern) rest = c;
    else if (ts_node_is_null(key)) key = c;
    else { entries.emplace_back(key, c); key = TSNode{}; }
  }
  if (entries.size() > dict->items.size()) return false;
  std::vector<Value> keys;
  std::vector<Value> found;
  for (auto& entry : entries) {
    Value k = value_of(entry.first);
    for (const Value& seen : keys) {
      if (values_equal(seen, k)) in_.raise("ValueError", fmt::format("mapping pattern checks duplicate key ({})", repr(k)));
    }
    keys.push_back(k);
    // Looked up as dict.get does: a defaultdict does not make up a missing key.
    Value* v = dict->find(k);
    if (!v) return false;
    found.push_back(*v);
  }
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (!match(entries[i].second, found[i])) return false;
  }
  if (!ts_node_is_null(rest)) {
    auto remaining = std::make_shared<DictObj>();
    for (auto& item : dict->items) {
      const Value& k = item.first;
      if (std::none_of(keys.begin(), keys.end(), [&](const Value& used) { return values_equal(used, k); })) remaining->set(k, item.second);
    }
    bindings_.emplace_back(named_children(rest).at(0), Value::object(remaining));
  }
  return true;
}

bool Matcher::match_class(TSNode node, const Value& subject) {
  const auto& kids = named_children(node);
  Value cls_value = value_of(kids.at(0));
  if (!known(cls_value)) return false;
  auto* cls = cls_value.as<ClassObj>();
  if (!cls) in_.raise("TypeError", "called match pattern must be a type");
  if (!known(subject) || !in_.isinstance(subject, cls_value)) return false;
  std::vector<TSNode> positional;
  std::vector<TSNode> keywords;
  for (std::size_t i = 1; i < kids.size(); ++i) {
    const auto& inner = named_children(kids[i]);
    if (inner.size() == 1 && parse::kind(inner[0]) == Kind::k_keyword_pattern) keywords.push_back(inner[0]);
    else positional.push_back(kids[i]);
  }
  // Positional sub-patterns name attributes through __match_args__; without it, the builtin
  // types below (and their subclasses) match their one positional sub-pattern against the
  // subject itself.
  std::vector<std::string> names;
  bool match_self = false;
  if (!positional.empty()) {
    if (const Value* args = cls->lookup("__match_args__")) {
      auto* tuple = args->as<TupleObj>();
      if (!tuple) in_.raise("TypeError", fmt::format("{}.__match_args__ must be a tuple (got {})", cls->name, type_name(*args)));
      for (const Value& name : tuple->items) {
        if (!name.is_str()) in_.raise("TypeError", fmt::format("__match_args__ elements must be strings (got {})", type_name(name)));
        names.push_back(name.as_str());
      }
    } else {
      const auto& t = in_.types;
      for (ClassObj* self_matching : {t.bool_, t.dict, t.float_, t.frozenset, t.int_, t.list, t.set, t.str, t.tuple}) {
        if (self_matching && cls->is_subclass_of(self_matching)) match_self = true;
      }
    }
    std::size_t allowed = match_self ? 1 : names.size();
    if (positional.size() > allowed) {
      in_.raise("TypeError", fmt::format("{}() accepts {} positional sub-pattern{} ({} given)", cls->name, allowed,
                                         allowed == 1 ? "" : "s", positional.size()));
    }
  }
  std::vector<std::pair<std::string, TSNode>> wanted;
  for (std::size_t i = 0; i < positional.size(); ++i) wanted.emplace_back(match_self ? std::string() : names[i], positional[i]);
  for (TSNode kw : keywords) {
    const auto& parts = named_children(kw);
    wanted.emplace_back(node_string(f_, parts.at(0)), parts.at(1));
  }
  for (std::size_t i = 0; i < wanted.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (!wanted[i].first.empty() && wanted[i].first == wanted[j].first) {
        in_.raise("TypeError", fmt::format("{}() got multiple sub-patterns for attribute '{}'", cls->name, wanted[i].first));
      }
    }
  }
  // Every attribute is read before any sub-pattern is tried, as CPython's MATCH_CLASS does; a
  // missing one is no match.
  std::vector<Value> attributes;
  for (auto& w : wanted) {
    if (w.first.empty()) { attributes.push_back(subject); continue; }
    try {
      attributes.push_back(in_.get_attr(subject, w.first));
    } catch (PyError& err) {
      if (err.type != "AttributeError") throw;
      return false;
    }
  }
  for (std::size_t i = 0; i < wanted.size(); ++i) {
    if (!match(wanted[i].second, attributes[i])) return false;
  }
  return true;
}

}  // namespace

Flow exec_match(Interpreter& in, Frame& f, TSNode stmt) {
  const auto& kids = named_children(stmt);
  // `match a, b:` matches the tuple (a, b).
  Value subject;
  if (kids.size() > 2 || has_token(stmt, ",")) {
    std::vector<Value> items;
    for (std::size_t i = 0; i + 1 < kids.size(); ++i) items.push_back(in.eval(f, kids[i]));
    subject = make_tuple(std::move(items));
  } else {
    subject = in.eval(f, kids.at(0));
  }
  for (TSNode clause : named_children(kids.back())) {
    if (parse::kind(clause) != Kind::k_case_clause) continue;
    std::vector<TSNode> patterns;
    TSNode guard{}, body{};
    for (TSNode c : named_children(clause)) {
      switch (parse::kind(c)) {
        case Kind::k_case_pattern: patterns.push_back(c); break;
        case Kind::k_if_clause: guard = c; break;
        default: body = c;
      }
    }
    Matcher m(in, f);
    // `case a, *rest:` is a sequence pattern without brackets.
    bool open_sequence = patterns.size() > 1 || has_token(clause, ",");
    if (!(open_sequence ? m.match_sequence(patterns, subject) : m.match(patterns.at(0), subject))) continue;
    m.bind();
    if (!ts_node_is_null(guard)) {
      TSNode condition = named_children(guard).at(0);
      Value cond = in.eval(f, condition);
      if (is_unknown(cond)) in.note_unknown(cond, "match guard depends on an unresolved value");
      bool taken = !is_unknown(cond) && in.truthy(cond);
      in.observe_decision(f, condition, cond, taken);
      if (!taken) continue;
    }
    return in.exec_block(f, body);
  }
  return Flow::normal;
}

}  // namespace ckg::interp
