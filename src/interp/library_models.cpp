// Installed libraries' definitions that cannot be followed statically, replaced once their module
// has loaded by natives that have the same effect on the model's structure.
#include <map>
#include <optional>

#include <fmt/format.h>

#include "interp/interpreter.h"

namespace ckg::interp {

// torchvision.models._utils.handle_legacy_interface(weights=("pretrained", default), ...): the
// builders' shim from `pretrained=` to `weights=` (it reads signatures with inspect). Either way
// the architecture is the default's (a pretrained checkpoint fits it), so the legacy keyword
// becomes `weights=None`.
static void torchvision_legacy_interface(Interpreter& in, ModuleNs& ns) {
  Value decorator_factory = in.builtin("torchvision.models._utils.handle_legacy_interface", [](Interpreter& i, CallArgs& a) {
    std::vector<std::pair<std::string, std::string>> renames;
    for (const auto& [weights_param, spec] : a.keywords) {
      auto* t = spec.as<TupleObj>();
      if (t && !t->items.empty() && t->items[0].is_str()) renames.emplace_back(t->items[0].as_str(), weights_param);
    }
    return i.builtin("torchvision.models._utils.handle_legacy_interface.outer_wrapper", [renames](Interpreter& i, CallArgs& a) {
      const Value& builder = native_required(i, a, 0, "builder");
      auto* fn = builder.as<FunctionObj>();
      if (!fn) return builder;
      auto copy = std::make_shared<FunctionObj>(*fn);
      copy->legacy_keywords.insert(copy->legacy_keywords.end(), renames.begin(), renames.end());
      return Value::object(copy);
    });
  });
  in.set_global(&ns, "handle_legacy_interface", decorator_factory);
}

namespace {

// One side of an einops pattern: groups of axis names, one group per tensor dimension
// ("b (h w) c" is {b}, {h, w}, {c}); "..." is a group of its own, "1" an empty group.
using Groups = std::vector<std::vector<std::string>>;

std::optional<Groups> parse_side(const std::string& side) {
  Groups out;
  std::vector<std::string>* open = nullptr;
  std::vector<std::string> group;
  std::size_t i = 0;
  while (i < side.size()) {
    char c = side[i];
    if (c == ' ') { ++i; continue; }
    if (c == '(') {
      if (open) return std::nullopt;
      group.clear();
      open = &group;
      ++i;
      continue;
    }
    if (c == ')') {
      if (!open) return std::nullopt;
      out.push_back(group);
      open = nullptr;
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < side.size() && side[j] != ' ' && side[j] != '(' && side[j] != ')') ++j;
    std::string token = side.substr(i, j - i);
    i = j;
    std::vector<std::string> axes;
    if (token != "1") axes.push_back(token);
    if (open) open->insert(open->end(), axes.begin(), axes.end());
    else out.push_back(axes);
  }
  if (open) return std::nullopt;
  return out;
}

// The shape einops.rearrange/repeat/reduce give `input` under `pattern`, with axis lengths from
// the keywords; nullopt when it cannot be worked out (the caller's result is then unknown).
std::optional<std::vector<std::int64_t>> einops_shape(Interpreter& i, const TensorObj& input, const std::string& pattern,
                                                      const CallArgs& a) {
  std::size_t arrow = pattern.find("->");
  if (arrow == std::string::npos || !input.shape) return std::nullopt;
  auto left = parse_side(pattern.substr(0, arrow));
  auto right = parse_side(pattern.substr(arrow + 2));
  if (!left || !right) return std::nullopt;
  std::map<std::string, std::int64_t> sizes;
  for (const auto& [k, v] : a.keywords) {
    if (v.is_int()) sizes[k] = v.as_int();
  }
  const auto& shape = *input.shape;
  std::size_t ellipsis = left->size();
  for (std::size_t g = 0; g < left->size(); ++g) {
    if ((*left)[g].size() == 1 && (*left)[g][0] == "...") ellipsis = g;
  }
  std::size_t named = left->size() - (ellipsis < left->size() ? 1 : 0);
  if (ellipsis == left->size() ? shape.size() != named : shape.size() < named) {
    i.raise("EinopsError", fmt::format("Wrong shape: expected {} dims. Received {}-dim tensor.", named, shape.size()));
  }
  std::vector<std::int64_t> ellipsis_dims;
  std::size_t d = 0;
  for (std::size_t g = 0; g < left->size(); ++g) {
    if (g == ellipsis) {
      std::size_t span = shape.size() - named;
      ellipsis_dims.assign(shape.begin() + static_cast<std::ptrdiff_t>(d), shape.begin() + static_cast<std::ptrdiff_t>(d + span));
      d += span;
      continue;
    }
    std::int64_t dim = shape[d++];
    std::int64_t known = 1;
    std::string missing;
    for (const auto& axis : (*left)[g]) {
      auto it = sizes.find(axis);
      if (it != sizes.end()) known *= it->second;
      else if (missing.empty()) missing = axis;
      else return std::nullopt;
    }
    if (!missing.empty()) {
      if (dim == kUnknownDim || known == 0 || dim % known != 0) return std::nullopt;
      sizes[missing] = dim / known;
    }
  }
  std::vector<std::int64_t> out;
  for (const auto& group : *right) {
    if (group.size() == 1 && group[0] == "...") {
      out.insert(out.end(), ellipsis_dims.begin(), ellipsis_dims.end());
      continue;
    }
    std::int64_t n = 1;
    for (const auto& axis : group) {
      auto it = sizes.find(axis);
      if (it == sizes.end()) return std::nullopt;
      n *= it->second;
    }
    out.push_back(n);
  }
  return out;
}

}  // namespace

void install_library_models(Interpreter& in) {
  // einops is modelled rather than followed (its functions dispatch through backends found by
  // class reflection): rearrange/repeat/reduce by the shapes their patterns give, its torch
  // layers as the stateless modules they are.
  ModuleNs* einops = in.new_native_module("einops");
  for (const char* name : {"rearrange", "repeat", "reduce"}) {
    std::string fn = name;
    in.set_global(einops, fn, in.builtin("einops." + fn, [fn](Interpreter& i, CallArgs& a) {
      const Value& tensor = native_required(i, a, 0, "tensor");
      const Value& pattern = native_required(i, a, 1, "pattern");
      auto* t = tensor.as<TensorObj>();
      if (!t || !pattern.is_str()) return i.unknown(fmt::format("einops.{} of a value ckptguard does not track", fn));
      auto shape = einops_shape(i, *t, pattern.as_str(), a);
      if (!shape) return i.unknown(fmt::format("einops.{}('{}') of a shape ckptguard cannot resolve", fn, pattern.as_str()));
      return i.new_tensor(*shape, t->dtype);
    }));
  }
  ModuleNs* layers = in.new_native_module("einops.layers");
  ModuleNs* torch_layers = in.new_native_module("einops.layers.torch");
  in.set_global(einops, "layers", Value::object(ObjPtr(ObjPtr(), layers)));
  in.set_global(layers, "torch", Value::object(ObjPtr(ObjPtr(), torch_layers)));
  for (const char* name : {"Rearrange", "Reduce"}) {
    ClassObj* cls = in.new_native_class(std::string("einops.layers.torch.") + name, {in.module_class()});
    in.add_method(cls, "__init__", [](Interpreter&, CallArgs&) { return Value::none(); });
    in.set_global(torch_layers, name, Value::object(ObjPtr(ObjPtr(), cls)));
  }
}

void apply_library_models(Interpreter& in, ModuleNs& ns) {
  if (ns.name == "torchvision.models._utils") torchvision_legacy_interface(in, ns);
}

}  // namespace ckg::interp
