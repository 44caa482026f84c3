// Branch enumeration by guided re-execution: each run builds the model with concrete witness
// arguments whose values are tainted by parameter; conditions that depend on tainted values are
// recorded, and the values they compare against become the next witnesses to try.
#include "interp/branches.h"

#include <algorithm>
#include <deque>
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

std::string render_decision(const Decision& d, const std::vector<Slot>& slots) {
  std::string text = d.text;
  bool single = d.taint != 0 && (d.taint & (d.taint - 1)) == 0;
  if (single && !d.template_.empty()) {
    std::size_t slot = 0;
    while (!(d.taint >> slot & 1)) ++slot;
    text = d.template_;
    text.replace(text.find(kParameterHole), 1, slots[slot].name);
  }
  if (d.outcome) return text;
  if (text.rfind("not ", 0) == 0 && text.find_first_of(" \t\n", 4) == std::string::npos) return text.substr(4);
  return text.find_first_of(" \t\n") == std::string::npos ? "not " + text : "not (" + text + ")";
}

// The decisions every path of a branch shares, except those that went the same way in every run
// of the exploration (they do not tell branches apart).
std::string render_condition(const Group& g, const std::vector<Slot>& slots, const std::set<std::string>& varying) {
  std::vector<Decision> common = stable_decisions(g.paths.front());
  common.erase(std::remove_if(common.begin(), common.end(), [&](const Decision& d) { return !varying.count(d.site); }), common.end());
  for (std::size_t p = 1; p < g.paths.size(); ++p) {
    std::vector<Decision> other = stable_decisions(g.paths[p]);
    common.erase(std::remove_if(common.begin(), common.end(), [&](const Decision& d) {
                   return std::none_of(other.begin(), other.end(), [&](auto& o) { return o.site == d.site && o.outcome == d.outcome; });
                 }), common.end());
  }
  std::vector<std::string> parts;
  for (auto& d : common) {
    std::string text = render_decision(d, slots);
    if (std::find(parts.begin(), parts.end(), text) == parts.end()) parts.push_back(text);
  }
  return parts.empty() ? "True" : fmt::format("{}", fmt::join(parts, " and "));
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
      ConstructorParameter cp{p.name, p.default_value ? std::optional<std::string>(repr(*p.default_value)) : std::nullopt, false};
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
            set.parameters.push_back({p.name + "." + field, repr(v), true});
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
    set.parameters.push_back({p.name, repr(*p.default_value), scalar});
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
      Value v = w[i].with_taint(std::uint64_t{1} << i);
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
  std::map<std::string, std::set<bool>> outcomes;  // decision site -> outcomes seen
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
      // A condition inside the torch.nn catalogue that fails a run only says the layer rejected
      // the witness (e.g. hidden_size=0); model code that raises marks a real dead branch.
      for (auto& d : r.observation.decisions) {
        if (r.ok || d.site.rfind("<ckptguard>", 0) != 0) outcomes[d.site].insert(d.outcome);
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
    b.condition = render_condition(g, slots, varying);
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
