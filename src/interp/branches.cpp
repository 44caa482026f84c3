// Branch enumeration by guided re-execution: each run builds the model with concrete witness
// arguments whose values are tainted by parameter; conditions that depend on tainted values are
// recorded, and the values they compare against become the next witnesses to try.
#include "interp/branches.h"

#include <algorithm>
#include <cctype>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>

#include <fmt/format.h>

#include "interp/session.h"
#include "interp/workspace.h"
#include "parse/syntax.h"

namespace ckg::interp {

namespace {

using parse::Kind;

constexpr int kMaxSlots = 64;  // one taint bit per explored parameter

bool is_scalar(const Value& v) { return v.is_none() || v.is_bool() || v.is_int() || v.is_float() || v.is_str(); }

struct Slot {
  std::string name;   // "use_bn" or "config.tie"
  std::string param;  // the constructor parameter it belongs to
  std::string field;  // attribute of a config object; empty for a plain parameter
  Value default_value;
  const Param* declaration = nullptr;  // the parameter (of the target or a **kwargs callee)
  std::vector<Value> candidates;

  void add_candidate(const Value& v) {
    if (!is_scalar(v)) return;
    for (auto& c : candidates) {
      if (c.tag() == v.tag() && repr(c) == repr(v)) return;
    }
    candidates.push_back(v);
  }
};

using Witness = std::vector<Value>;  // one value per slot

std::string witness_key(const Witness& w) {
  std::string key;
  for (auto& v : w) key += repr(v) + "\x1f";
  return key;
}

std::string manifest_key(const manifest::KeyManifest& m) {
  std::string key;
  for (auto& k : m.keys) {
    key += k.name + "|" + manifest::to_string(k.kind) + "|" + (k.dtype ? *k.dtype : "?") + "|";
    if (k.shape) for (auto d : *k.shape) key += std::to_string(d) + ",";
    key += "\n";
  }
  return key;
}

// Parameters reachable through `**kwargs`: the target forwards its keyword arguments to
// another callable (resnet18(**kwargs) -> _resnet(..., **kwargs) -> ResNet(...)); that callee's
// parameters with defaults, not set explicitly at the call, can be given to the target.
void collect_forwarded(Interpreter& in, const FunctionObj& fn, std::vector<const Param*>& out, int depth) {
  if (depth > 4 || !fn.file || !fn.globals) return;
  const Param* var_kw = nullptr;
  for (auto& p : fn.params) {
    if (p.kind == Param::Kind::var_keyword) var_kw = &p;
  }
  if (!var_kw) return;
  std::vector<TSNode> pending{parse::field(fn.node, parse::Field::body)};
  while (!pending.empty()) {
    TSNode n = pending.back();
    pending.pop_back();
    if (parse::kind(n) == parse::Kind::k_function_definition || parse::kind(n) == parse::Kind::k_class_definition) continue;
    if (parse::kind(n) == parse::Kind::k_call) {
      TSNode args = parse::field(n, parse::Field::arguments);
      bool forwards = false;
      std::set<std::string> explicit_names;
      for (TSNode a : parse::named_children(args)) {
        if (parse::kind(a) == parse::Kind::k_dictionary_splat &&
            fn.file->node_text(parse::named_children(a).at(0)) == var_kw->name) {
          forwards = true;
        }
        if (parse::kind(a) == parse::Kind::k_keyword_argument) {
          explicit_names.insert(std::string(fn.file->node_text(parse::field(a, parse::Field::name))));
        }
      }
      if (forwards) {
        Frame frame;
        frame.file = fn.file;
        frame.env = fn.globals->globals;
        frame.module = fn.globals;
        FrameScope scope(in, frame);
        Value callee;
        try {
          callee = in.eval(frame, parse::field(n, parse::Field::function));
        } catch (PyError&) {
          continue;
        }
        bool skip_first = false;
        const std::vector<Param>* params = signature_of(callee, skip_first);
        if (!params) continue;
        std::size_t positional_given = 0;
        for (TSNode a : parse::named_children(args)) {
          Kind k = parse::kind(a);
          if (k != parse::Kind::k_keyword_argument && k != parse::Kind::k_dictionary_splat && k != parse::Kind::k_list_splat) ++positional_given;
        }
        for (std::size_t i = skip_first ? 1 : 0, pos = 0; i < params->size(); ++i, ++pos) {
          const Param& p = (*params)[i];
          if (p.kind == Param::Kind::var_keyword) {
            if (auto* inner = callee.as<FunctionObj>()) collect_forwarded(in, *inner, out, depth + 1);
            if (auto* cls = callee.as<ClassObj>()) {
              if (const Value* init = cls->lookup("__init__"); init && init->as<FunctionObj>()) {
                collect_forwarded(in, *init->as<FunctionObj>(), out, depth + 1);
              }
            }
            continue;
          }
          if (p.kind == Param::Kind::var_positional || !p.default_value || explicit_names.count(p.name)) continue;
          if (p.kind == Param::Kind::positional && pos < positional_given) continue;
          if (std::none_of(out.begin(), out.end(), [&](auto* q) { return q->name == p.name; })) out.push_back(&p);
        }
      }
    }
    for (TSNode c : parse::named_children(n)) pending.push_back(c);
  }
}

struct Run {
  bool ok = false;
  Prediction prediction;
  Observation observation;
};

struct Group {
  Witness witness;  // the first witness that took this path
  Prediction prediction;
  std::vector<std::vector<Decision>> paths;
};

std::string path_key(const std::vector<Decision>& decisions) {
  std::string key;
  for (auto& d : decisions) key += d.site + (d.outcome ? "+" : "-");
  return key;
}

// Decisions taken the same way at every visit within one path (a site inside a loop may go both
// ways; such a site says nothing about the path as a whole).
std::vector<Decision> stable_decisions(const std::vector<Decision>& path) {
  std::vector<Decision> out;
  std::set<std::string> conflicting;
  for (auto& d : path) {
    auto it = std::find_if(out.begin(), out.end(), [&](auto& o) { return o.site == d.site; });
    if (it == out.end()) out.push_back(d);
    else if (it->outcome != d.outcome) conflicting.insert(d.site);
  }
  out.erase(std::remove_if(out.begin(), out.end(), [&](auto& d) { return conflicting.count(d.site) != 0; }), out.end());
  return out;
}

// Whether `name` occurs in `text` as a whole name (or as the head of `name.field`).
bool mentions(const std::string& text, const std::string& name) {
  auto is_name_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  for (std::size_t at = text.find(name); at != std::string::npos; at = text.find(name, at + 1)) {
    bool starts = at == 0 || (!is_name_char(text[at - 1]) && text[at - 1] != '.');
    bool ends = at + name.size() == text.size() || !is_name_char(text[at + name.size()]);
    if (starts && ends) return true;
  }
  return false;
}

// The decision as what held, in terms of the parameters (`norm == 'batch'`, `not use_bn`), when
// the tested value is derived from them alone: every parameter it depends on is in the text.
std::optional<Derivation> held_of_parameters(const Decision& d, const std::vector<Slot>& slots) {
  if (!d.derivation || d.derivation->form == Derivation::Form::literal) return std::nullopt;
  for (std::size_t slot = 0; slot < slots.size(); ++slot) {
    if ((d.taint >> slot & 1) && !mentions(d.derivation->text, slots[slot].name)) return std::nullopt;
  }
  return d.outcome ? *d.derivation : negated(*d.derivation);
}

// A decision on a value computed some other way: its source text, negated when it did not hold.
std::string render_text(const Decision& d) {
  const std::string& text = d.text;
  if (d.outcome) return text;
  if (text.rfind("not ", 0) == 0 && text.find_first_of(" \t\n", 4) == std::string::npos) return text.substr(4);
  return text.find_first_of(" \t\n") == std::string::npos ? "not " + text : "not (" + text + ")";
}

// What held, simplified: an equality implies everything else about its parameter, and several
// inequalities are one `not in`.
std::vector<std::string> simplify(const std::vector<Derivation>& held) {
  std::map<std::string, const Derivation*> equal;
  std::map<std::string, std::vector<std::string>> unequal;
  for (const auto& h : held) {
    if (h.form == Derivation::Form::comparison && h.op == "==") equal.emplace(h.parameter, &h);
    if (h.form == Derivation::Form::comparison && h.op == "!=") unequal[h.parameter].push_back(h.literal);
  }
  std::vector<std::string> out;
  std::set<std::string> done;
  for (const auto& h : held) {
    if (h.form == Derivation::Form::expression) {
      out.push_back(h.text);
      continue;
    }
    if (auto eq = equal.find(h.parameter); eq != equal.end()) {
      if (done.insert(h.parameter).second) out.push_back(eq->second->text);
      continue;
    }
    if (h.op == "!=" && unequal[h.parameter].size() > 1) {
      if (done.insert(h.parameter).second) {
        out.push_back(fmt::format("{} not in ({})", h.parameter, fmt::join(unequal[h.parameter], ", ")));
      }
      continue;
    }
    out.push_back(h.text);
  }
  return out;
}

// The decisions every path of a branch shares, except those that went the same way in every run
// of the exploration (they do not tell branches apart).
// Decisions on size parameters alone are left out: the branch holds for every size.
std::string render_condition(const Group& g, const std::vector<Slot>& slots, const std::set<std::string>& varying,
                             std::uint64_t size_slots) {
  std::vector<Decision> common = stable_decisions(g.paths.front());
  common.erase(std::remove_if(common.begin(), common.end(), [&](const Decision& d) {
                 return !varying.count(d.site) || (d.taint & ~size_slots) == 0;
               }), common.end());
  for (std::size_t p = 1; p < g.paths.size(); ++p) {
    std::vector<Decision> other = stable_decisions(g.paths[p]);
    common.erase(std::remove_if(common.begin(), common.end(), [&](const Decision& d) {
                   return std::none_of(other.begin(), other.end(), [&](auto& o) { return o.site == d.site && o.outcome == d.outcome; });
                 }), common.end());
  }
  std::vector<Derivation> held;
  std::vector<std::string> parts;
  for (auto& d : common) {
    if (auto h = held_of_parameters(d, slots)) held.push_back(std::move(*h));
    else parts.push_back(render_text(d));
  }
  std::vector<std::string> clauses = simplify(held);
  clauses.insert(clauses.end(), parts.begin(), parts.end());
  std::vector<std::string> unique;
  for (auto& c : clauses) {
    if (std::find(unique.begin(), unique.end(), c) == unique.end()) unique.push_back(c);
  }
  return unique.empty() ? "True" : fmt::format("{}", fmt::join(unique, " and "));
}

// ---- size parameters ---------------------------------------------------------------------

// A key-path component naming a numbered child ("0" in `layers.0.weight`).
bool is_numbered(const std::string& part) {
  return !part.empty() && std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Key names with every numbered component as "#": what stays when only counts change.
std::set<std::string> numbered_as_hash(const manifest::KeyManifest& m) {
  std::set<std::string> out;
  for (const auto& k : m.keys) {
    std::string name;
    std::size_t start = 0;
    while (start <= k.name.size()) {
      std::size_t dot = std::min(k.name.find('.', start), k.name.size());
      std::string part = k.name.substr(start, dot - start);
      name += (start ? "." : "") + (is_numbered(part) ? std::string("#") : part);
      start = dot + 1;
    }
    out.insert(name + "|" + manifest::to_string(k.kind));
  }
  return out;
}

// Which keys `a` and `b` disagree on, by the prefix before their first numbered component (or
// their layer): "count of mask.conv.*" when children come and go, else "shapes of fc.*".
std::string size_effect_between(const manifest::KeyManifest& a, const manifest::KeyManifest& b) {
  std::map<std::string, std::vector<std::int64_t>> shapes;
  for (const auto& k : a.keys) shapes[k.name] = k.shape.value_or(std::vector<std::int64_t>{});
  std::set<std::string> counted, reshaped;
  auto prefix = [](const std::string& name, bool numbered) {
    std::size_t start = 0;
    while (start < name.size()) {
      std::size_t dot = std::min(name.find('.', start), name.size());
      std::string part = name.substr(start, dot - start);
      if (numbered && is_numbered(part)) {
        return name.substr(0, start) + "*";
      }
      start = dot + 1;
    }
    std::size_t last = name.rfind('.');
    return last == std::string::npos ? name : name.substr(0, last) + ".*";
  };
  std::set<std::string> in_b;
  for (const auto& k : b.keys) {
    in_b.insert(k.name);
    auto it = shapes.find(k.name);
    if (it == shapes.end()) counted.insert(prefix(k.name, true));
    else if (it->second != k.shape.value_or(std::vector<std::int64_t>{})) reshaped.insert(prefix(k.name, false));
  }
  for (const auto& k : a.keys) {
    if (!in_b.count(k.name)) counted.insert(prefix(k.name, true));
  }
  auto listed = [](const std::set<std::string>& s) {
    std::vector<std::string> v(s.begin(), s.end());
    if (v.size() > 3) return fmt::format("{} and {} more", fmt::join(v.begin(), v.begin() + 3, ", "), v.size() - 3);
    return fmt::format("{}", fmt::join(v, ", "));
  };
  if (!counted.empty()) return "count of " + listed(counted);
  return reshaped.empty() ? std::string("shapes") : "shapes of " + listed(reshaped);
}

// Integer parameters whose values, all else equal, only change shapes and numbered children:
// their values are not branches (README: sizes are not configurations). Returns the effect of
// each, by slot. A group whose witness sets such a value is dropped when the same witness with
// default sizes (`rerun` gives its manifest key) builds a group that stays.
std::map<std::size_t, std::string> collapse_size_parameters(
    std::vector<Group>& groups, const std::vector<Slot>& slots,
    const std::function<std::optional<std::string>(const Witness&)>& rerun) {
  auto same_except = [&](const Group& a, const Group& b, std::size_t slot) {
    for (std::size_t i = 0; i < slots.size(); ++i) {
      if (i != slot && repr(a.witness[i]) != repr(b.witness[i])) return false;
    }
    return repr(a.witness[slot]) != repr(b.witness[slot]);
  };
  std::vector<std::set<std::string>> shapes_aside;
  for (const auto& g : groups) shapes_aside.push_back(numbered_as_hash(g.prediction.manifest));
  std::map<std::size_t, std::string> effects;
  for (std::size_t slot = 0; slot < slots.size(); ++slot) {
    if (slots[slot].default_value.tag() != Value::Tag::integer) continue;  // not bool, str or None
    int pairs = 0;
    bool structural = false;
    std::string effect;
    for (std::size_t a = 0; a < groups.size() && !structural; ++a) {
      for (std::size_t b = a + 1; b < groups.size() && !structural; ++b) {
        if (!same_except(groups[a], groups[b], slot)) continue;
        ++pairs;
        const auto& sa = shapes_aside[a];
        const auto& sb = shapes_aside[b];
        std::vector<std::string> differ;
        std::set_symmetric_difference(sa.begin(), sa.end(), sb.begin(), sb.end(), std::back_inserter(differ));
        // Children that exist only for some counts (none at 0) are numbered ones too.
        structural = std::any_of(differ.begin(), differ.end(), [](const std::string& n) { return n.find('#') == std::string::npos; });
        if (effect.empty()) effect = size_effect_between(groups[a].prediction.manifest, groups[b].prediction.manifest);
      }
    }
    if (pairs > 0 && !structural) effects.emplace(slot, effect);
  }
  if (effects.empty()) return effects;
  auto at_default_sizes = [&](const Witness& w) {
    Witness out = w;
    for (const auto& [slot, effect] : effects) out[slot] = slots[slot].default_value;
    return out;
  };
  std::set<std::string> staying;
  for (const auto& g : groups) {
    if (witness_key(at_default_sizes(g.witness)) == witness_key(g.witness)) staying.insert(manifest_key(g.prediction.manifest));
  }
  groups.erase(std::remove_if(groups.begin(), groups.end(), [&](const Group& g) {
                 Witness projected = at_default_sizes(g.witness);
                 if (witness_key(projected) == witness_key(g.witness)) return false;
                 std::optional<std::string> key = rerun(projected);
                 return key && staying.count(*key);
               }), groups.end());
  return effects;
}

}  // namespace

BranchResult enumerate_branches_in(ProjectSession& session, const Target& target, const std::vector<ConfigItem>& config,
                                   BranchLimits limits) {
  auto prepared_or = session.prepare(target, config);
  if (auto* err = std::get_if<PredictionError>(&prepared_or)) return {std::nullopt, *err};
  PreparedTarget prepared = std::get<PreparedTarget>(std::move(prepared_or));
  Interpreter& in = session.interpreter();

  auto given = [&](const std::string& name) {
    return std::any_of(prepared.config.begin(), prepared.config.end(), [&](auto& kv) { return kv.first == name; });
  };

  // ---- parameters and slots ----------------------------------------------------------------
  BranchSet set;
  std::vector<Slot> slots;
  std::vector<std::string> missing;  // required arguments without a --config value
  bool skip_first = false;
  if (const std::vector<Param>* params = signature_of(prepared.callee, skip_first)) {
    for (std::size_t i = skip_first ? 1 : 0; i < params->size(); ++i) {
      const Param& p = (*params)[i];
      if (p.kind == Param::Kind::var_positional || p.kind == Param::Kind::var_keyword) continue;
      ConstructorParameter cp{p.name, p.default_value ? std::optional<std::string>(repr(*p.default_value)) : std::nullopt, false, {}};
      if (!p.default_value && !given(p.name)) {
        missing.push_back(p.name);
        continue;
      }
      if (p.default_value && !given(p.name)) {
        if (is_scalar(*p.default_value)) {
          cp.explored = true;
          slots.push_back({p.name, p.name, "", *p.default_value, &p, {}});
        } else if (auto* obj = p.default_value->as<InstanceObj>(); obj && !obj->module && obj->cls->mro.size() > 1) {
          // A config object: its scalar fields are explored one by one.
          for (auto& [field, v] : obj->attrs.items()) {
            if (!is_scalar(v)) continue;
            slots.push_back({p.name + "." + field, p.name, field, v, nullptr, {}});
            set.parameters.push_back({p.name + "." + field, repr(v), true, {}});
          }
        }
      }
      set.parameters.push_back(cp);
    }
  }
  if (!missing.empty()) {
    std::vector<std::string> flags;
    for (auto& m : missing) flags.push_back("--config " + m + "=VALUE");
    return {std::nullopt, PredictionError{target.file, 0, fmt::format("'{}' needs argument{} {} without default{}: pass {}", target.name,
                                                                      missing.size() == 1 ? "" : "s", fmt::format("'{}'", fmt::join(missing, "', '")),
                                                                      missing.size() == 1 ? "" : "s", fmt::join(flags, " "))}};
  }
  std::vector<const Param*> forwarded;
  if (auto* fn = prepared.callee.as<FunctionObj>()) collect_forwarded(in, *fn, forwarded, 0);
  if (auto* cls = prepared.callee.as<ClassObj>()) {
    if (const Value* init = cls->lookup("__init__"); init && init->as<FunctionObj>()) collect_forwarded(in, *init->as<FunctionObj>(), forwarded, 0);
  }
  for (const Param* fp : forwarded) {
    const Param& p = *fp;
    bool known = std::any_of(set.parameters.begin(), set.parameters.end(), [&](auto& q) { return q.name == p.name; });
    if (known || given(p.name)) continue;
    bool scalar = is_scalar(*p.default_value);
    set.parameters.push_back({p.name, repr(*p.default_value), scalar, {}});
    if (scalar) slots.push_back({p.name, p.name, "", *p.default_value, &p, {}});
  }
  if (slots.size() > kMaxSlots) slots.resize(kMaxSlots);
  for (auto& s : slots) {
    s.add_candidate(s.default_value);
    if (s.default_value.is_bool()) s.add_candidate(Value::boolean(!s.default_value.as_bool()));
  }

  // ---- one run -------------------------------------------------------------------------------
  Value deepcopy = *in.builtins().vars.find("__ckptguard_deepcopy__");
  auto run = [&](const Witness& w) {
    Run r;
    CallArgs args;
    for (auto& kv : prepared.config) args.keywords.push_back(kv);
    std::map<std::string, Value> config_objects;
    in.default_taint.clear();
    for (std::size_t i = 0; i < slots.size(); ++i) {
      Value v = w[i].with_taint(std::uint64_t{1} << i).with_derivation(Derivation::of_parameter(slots[i].name));
      if (slots[i].field.empty()) {
        // A default is not passed (a builder may refuse explicit values it sets itself); its
        // declaration taints the default instead.
        bool is_default = w[i].tag() == slots[i].default_value.tag() && repr(w[i]) == repr(slots[i].default_value);
        if (is_default && slots[i].declaration) in.default_taint[slots[i].declaration] |= std::uint64_t{1} << i;
        else args.keywords.emplace_back(slots[i].name, v);
        continue;
      }
      auto it = config_objects.find(slots[i].param);
      if (it == config_objects.end()) {
        const std::vector<Param>* params = signature_of(prepared.callee, skip_first);
        for (auto& p : *params) {
          if (p.name == slots[i].param) it = config_objects.emplace(p.name, in.call(deepcopy, CallArgs{{*p.default_value}, {}})).first;
        }
      }
      in.set_attr(it->second, slots[i].field, v);
    }
    for (auto& [name, obj] : config_objects) args.keywords.emplace_back(name, obj);
    in.observing = &r.observation;
    auto built = session.build(target, prepared, std::move(args));
    in.observing = nullptr;
    in.default_taint.clear();
    if (auto* p = std::get_if<Prediction>(&built)) {
      r.ok = true;
      r.prediction = std::move(*p);
    }
    return r;
  };

  // ---- exploration ---------------------------------------------------------------------------
  Witness defaults;
  for (auto& s : slots) defaults.push_back(s.default_value);
  std::deque<Witness> queue{defaults};
  std::set<std::string> seen;
  std::vector<std::pair<Witness, std::uint64_t>> explored;  // witness, slots its decisions depend on
  std::vector<Group> paths;
  std::map<std::string, std::size_t> path_of;
  std::map<std::string, std::set<bool>> outcomes;  // decision site -> outcomes seen in runs that built
  std::optional<PredictionError> default_error;

  auto learn = [&](const Observation& obs) {
    for (auto& [taint, value, op] : obs.comparisons) {
      for (std::size_t i = 0; i < slots.size(); ++i) {
        if (!(taint >> i & 1)) continue;
        slots[i].add_candidate(value);
        // The literal and its neighbour on the other side of the boundary: `x > L` and `x <= L`
        // switch between L and L+1, `x >= L` and `x < L` between L-1 and L.
        bool above = op == ">" || op == "<=";
        bool below = op == ">=" || op == "<";
        if ((above || below) && value.is_int() && !value.is_bool()) {
          slots[i].add_candidate(Value::integer(value.as_big() + BigInt(above ? 1 : -1)));
        } else if ((above || below) && value.is_float()) {
          slots[i].add_candidate(Value::floating(value.as_float() + (above ? 0.5 : -0.5)));
        }
      }
    }
    for (auto& d : obs.decisions) {
      for (std::size_t i = 0; i < slots.size(); ++i) {
        if (!(d.taint >> i & 1)) continue;
        // A truth test: one value of the other truthiness.
        const Value& dv = slots[i].default_value;
        if (dv.is_none()) slots[i].add_candidate(Value::boolean(true)), slots[i].add_candidate(Value::boolean(false));
        else if (dv.is_int() && !dv.is_bool()) slots[i].add_candidate(Value::integer(dv.as_bool() ? 0 : 1));
        else if (dv.is_float()) slots[i].add_candidate(Value::floating(dv.as_float() == 0.0 ? 0.5 : 0.0));
        else if (dv.is_str()) slots[i].add_candidate(Value::string(dv.as_str().empty() ? "x" : ""));
      }
    }
  };
  auto mutate = [&](const Witness& w, std::uint64_t relevant) {
    for (std::size_t i = 0; i < slots.size(); ++i) {
      if (!(relevant >> i & 1)) continue;
      for (auto& c : slots[i].candidates) {
        Witness next = w;
        next[i] = c;
        if (!seen.count(witness_key(next))) queue.push_back(next);
      }
    }
  };

  while (true) {
    while (!queue.empty()) {
      if (set.runs >= limits.max_runs || static_cast<int>(paths.size()) >= limits.max_branches) {
        set.truncated = true;
        break;
      }
      Witness w = queue.front();
      queue.pop_front();
      if (!seen.insert(witness_key(w)).second) continue;
      Run r = run(w);
      ++set.runs;
      learn(r.observation);
      std::uint64_t relevant = 0;
      for (auto& d : r.observation.decisions) relevant |= d.taint;
      bool new_path = false;
      if (!r.ok) {
        if (set.runs == 1) {
          // The default configuration itself fails: report why, as `keys` would.
          auto built = session.predict(target, config);
          default_error = built.error;
        }
      } else {
        // A path is one branch whatever sizes its witness happened to use; paths that give the
        // same keys, shapes and dtypes are merged below.
        std::string key = path_key(r.observation.decisions);
        if (!path_of.count(key)) {
          path_of.emplace(key, paths.size());
          paths.push_back({w, r.prediction, {r.observation.decisions}});
          new_path = true;
        }
      }
      // A decision tells branches apart only when built configurations took it both ways; one
      // whose other way only raised (an argument check, a layer rejecting hidden_size=0) holds
      // in every branch and says nothing about which.
      if (r.ok) {
        for (auto& d : r.observation.decisions) outcomes[d.site].insert(d.outcome);
      }
      // Only a witness that found a new path is worth varying further: its neighbours are where
      // the next unseen paths are; a repeat's neighbours were queued from the first witness.
      if (new_path) {
        explored.emplace_back(w, relevant);
        mutate(w, relevant);
      }
    }
    if (set.truncated) break;
    // Candidates learnt late may not have been tried from witnesses explored early.
    for (auto& [w, relevant] : explored) mutate(w, relevant);
    if (queue.empty()) break;
  }
  std::vector<Group> groups;
  std::map<std::string, std::size_t> group_of;
  for (auto& p : paths) {
    std::string key = manifest_key(p.prediction.manifest);
    auto it = group_of.find(key);
    if (it == group_of.end()) {
      group_of.emplace(key, groups.size());
      groups.push_back(p);
    } else {
      groups[it->second].paths.push_back(p.paths.front());
    }
  }
  std::uint64_t size_slots = 0;
  auto rerun = [&](const Witness& w) -> std::optional<std::string> {
    Run r = run(w);
    return r.ok ? std::optional(manifest_key(r.prediction.manifest)) : std::nullopt;
  };
  for (const auto& [slot, effect] : collapse_size_parameters(groups, slots, rerun)) {
    size_slots |= std::uint64_t{1} << slot;
    for (auto& p : set.parameters) {
      if (p.name == slots[slot].name) p.size_effect = effect;
    }
  }
  std::set<std::string> varying;
  for (auto& [site, seen_outcomes] : outcomes) {
    if (seen_outcomes.size() > 1) varying.insert(site);
  }
  if (groups.empty()) {
    return {std::nullopt, default_error ? *default_error
                                        : PredictionError{target.file, 0, fmt::format("no configuration of '{}' could be built", target.name)}};
  }

  for (auto& g : groups) {
    Branch b;
    std::vector<std::string> changed;
    for (auto& kv : config) b.witness.emplace_back(kv.key, kv.value_source);
    for (std::size_t i = 0; i < slots.size(); ++i) {
      if (repr(g.witness[i]) == repr(slots[i].default_value) && g.witness[i].tag() == slots[i].default_value.tag()) continue;
      b.witness.emplace_back(slots[i].name, repr(g.witness[i]));
      changed.push_back(slots[i].name + "=" + repr(g.witness[i]));
    }
    b.id = changed.empty() ? "default" : fmt::format("{}", fmt::join(changed, ","));
    b.condition = render_condition(g, slots, varying, size_slots);
    b.manifest = g.prediction.manifest;
    b.unresolved = g.prediction.unresolved;
    b.executed = g.prediction.executed;
    b.load_customizations = g.prediction.load_customizations;
    set.branches.push_back(std::move(b));
  }
  // The default configuration's branch first, the rest in discovery order.
  std::stable_partition(set.branches.begin(), set.branches.end(), [](const Branch& b) { return b.id == "default"; });
  return {std::move(set), std::nullopt};
}

BranchResult enumerate_branches(const Target& target, const std::vector<ConfigItem>& config, BranchLimits limits) {
  return Workspace().branches(target, config, limits);
}

std::vector<BranchResult> enumerate_branches_batch(const std::vector<PredictionRequest>& requests, BranchLimits limits) {
  Workspace workspace;
  std::vector<BranchResult> out;
  for (const auto& r : requests) out.push_back(workspace.branches(r.target, r.config, limits));
  return out;
}

}  // namespace ckg::interp
