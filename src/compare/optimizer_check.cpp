// Optimizer state checks, following torch.optim's state_dict layout:
// {"state": {index: {name: tensor}}, "param_groups": [{"params": [index, ...], options...}]}.
#include "compare/optimizer_check.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "text/did_you_mean.h"

namespace ckg::compare {

namespace {

// torch.optim families, told apart by the options their param groups carry.
struct Family {
  const char* name;
  std::vector<const char*> group_keys;  // all present
  std::vector<const char*> classes;     // optimizer classes of the family
};

const std::vector<Family>& families() {
  static const std::vector<Family> table = {
      // torch 1.13's param-group options; the first family whose keys are all present wins.
      {"SGD", {"momentum", "dampening", "nesterov"}, {"SGD"}},
      {"Adam/AdamW", {"betas", "amsgrad"}, {"Adam", "AdamW"}},
      {"NAdam", {"betas", "momentum_decay"}, {"NAdam"}},
      {"Adamax", {"betas", "eps", "weight_decay", "maximize"}, {"Adamax"}},
      {"RAdam", {"betas", "eps", "weight_decay"}, {"RAdam"}},
      {"SparseAdam", {"betas", "eps", "maximize"}, {"SparseAdam"}},
      {"RMSprop", {"alpha", "centered"}, {"RMSprop"}},
      {"Adagrad", {"lr_decay", "initial_accumulator_value"}, {"Adagrad"}},
      {"Adadelta", {"rho"}, {"Adadelta"}},
      {"ASGD", {"lambd", "alpha", "t0"}, {"ASGD"}},
      {"Rprop", {"etas", "step_sizes"}, {"Rprop"}},
      {"LBFGS", {"history_size", "line_search_fn"}, {"LBFGS"}},
  };
  return table;
}

const nlohmann::json* at_path(const nlohmann::json& root, const std::vector<std::string>& path) {
  const nlohmann::json* node = &root;
  for (const auto& p : path) {
    if (!node->is_object() || !node->contains(p)) return nullptr;
    node = &(*node)[p];
  }
  return node;
}

std::string shape_text(const std::vector<std::int64_t>& s) { return fmt::format("[{}]", fmt::join(s, ", ")); }

}  // namespace

std::variant<std::string, std::string> optimizer_class(const std::string& given) {
  std::string name = given;
  for (const char* prefix : {"torch.optim.", "optim."}) {
    if (name.rfind(prefix, 0) == 0) name = name.substr(std::string(prefix).size());
  }
  std::vector<std::string> classes;
  for (const auto& f : families()) classes.insert(classes.end(), f.classes.begin(), f.classes.end());
  for (const auto& c : classes) {
    if (std::equal(c.begin(), c.end(), name.begin(), name.end(), [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
      return std::variant<std::string, std::string>(std::in_place_index<0>, c);
    }
  }
  return std::variant<std::string, std::string>(
      std::in_place_index<1>, fmt::format("--optimizer {}: not a torch.optim optimizer{}; one of {}", given,
                                          text::did_you_mean_suffix(name, classes), fmt::join(classes, ", ")));
}

std::vector<OptimizerReport> check_optimizers(const checkpoint::CheckpointInfo& info, const manifest::KeyManifest& model,
                                              const std::optional<std::string>& given) {
  std::vector<OptimizerReport> out;
  // model.parameters(): parameters in state_dict order, a tied tensor once.
  std::vector<const manifest::KeyEntry*> params;
  for (const auto& k : model.keys) {
    if (k.kind == manifest::TensorKind::parameter && k.alias_of.empty()) params.push_back(&k);
  }
  for (const auto& path : info.optimizer_paths) {
    OptimizerReport r;
    r.path = path;
    r.given = given;
    r.model_parameters = static_cast<int>(params.size());
    const nlohmann::json* groups = at_path(info.metadata, path);
    groups = groups ? at_path(*groups, {"param_groups"}) : nullptr;
    if (!groups || !groups->is_array()) {
      r.problems.push_back("the optimizer state has no readable param_groups");
      out.push_back(std::move(r));
      continue;
    }
    std::vector<std::int64_t> order;  // state indices in model.parameters() order
    std::set<std::string> options;
    for (const auto& g : *groups) {
      int n = 0;
      if (g.contains("params") && g["params"].is_array()) {
        for (const auto& p : g["params"]) {
          if (p.is_number_integer()) order.push_back(p.get<std::int64_t>()), ++n;
        }
      }
      r.group_sizes.push_back(n);
      for (const auto& [k, v] : g.items()) options.insert(k);
    }
    for (const auto& f : families()) {
      if (std::all_of(f.group_keys.begin(), f.group_keys.end(), [&](const char* k) { return options.count(k) != 0; })) {
        r.family = f.name;
        break;
      }
    }
    if (r.family.empty()) r.family = "unknown";
    if (given && r.family != "unknown") {
      const auto& fam = *std::find_if(families().begin(), families().end(), [&](auto& f) { return r.family == f.name; });
      bool fits = std::any_of(fam.classes.begin(), fam.classes.end(), [&](const char* c) { return *given == c; });
      if (!fits) r.problems.push_back(fmt::format("checkpoint holds {} state; {} was given", r.family, *given));
    }
    if (static_cast<int>(order.size()) != r.model_parameters) {
      r.problems.push_back(fmt::format("the optimizer state covers {} parameters in {} group{}; the model has {} parameters",
                                       order.size(), r.group_sizes.size(), r.group_sizes.size() == 1 ? "" : "s", r.model_parameters));
    }
    // Per-parameter state, matched by position as Optimizer.load_state_dict does.
    std::map<std::string, std::map<std::string, std::vector<std::int64_t>>> state;  // index -> name -> shape
    for (const auto& t : info.tensors) {
      if (t.path.size() != path.size() + 3 || !std::equal(path.begin(), path.end(), t.path.begin()) || t.path[path.size()] != "state") continue;
      state[t.path[path.size() + 1]][t.path[path.size() + 2]] = t.shape;
    }
    for (std::size_t i = 0; i < order.size() && i < params.size(); ++i) {
      auto it = state.find(std::to_string(order[i]));
      if (it == state.end() || !params[i]->shape) continue;
      for (const auto& [name, shape] : it->second) {
        if (name == "step" || shape.empty()) continue;  // scalars
        if (shape != *params[i]->shape) {
          r.problems.push_back(fmt::format("state '{}' of parameter #{} has shape {}, but that position is `{}` with shape {} "
                                           "(parameters reordered, added or removed?)",
                                           name, i, shape_text(shape), params[i]->name, shape_text(*params[i]->shape)));
        }
      }
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace ckg::compare
