// Reflection model code uses to look things up by name: dir(), globals().
#include <algorithm>

#include <fmt/format.h>

#include "interp/interpreter.h"
#include "interp/torch_inventory.h"

namespace ckg::interp {

void install_reflection(Interpreter& in) {
  auto def = [&](const std::string& name, NativeFn fn) { in.builtins().vars.set(name, in.builtin(name, std::move(fn))); };

  // dir(): torch's modules and classes from the inventory of the real API, project modules from
  // their globals, instances from their attributes and their classes'.
  def("dir", [](Interpreter& i, CallArgs& a) {
    if (a.positional.empty()) {
      const Frame* f = i.frames.empty() ? nullptr : i.frames.back();
      std::vector<Value> names;
      if (f && f->env) for (auto& [k, v] : f->env->vars.items()) names.push_back(Value::string(k));
      return make_list(std::move(names));
    }
    Value obj = i.resolve_lazy(a.positional[0]);
    if (is_unknown(obj)) return obj;
    std::vector<std::string> names;
    std::string real;
    if (auto* ns = obj.as<ModuleNs>()) real = ns->name;
    else if (auto* cls = obj.as<ClassObj>()) real = cls->qualname;
    else if (auto* t = obj.as<TensorObj>()) real = t->is_parameter ? "torch.nn.Parameter" : "torch.Tensor";
    if (!real.empty() && inventory::covers(real)) {
      names = inventory::names(real);
    } else if (auto* ns = obj.as<ModuleNs>()) {
      if (ns->opaque) return i.unknown(fmt::format("dir() of {}, which is outside the project", ns->name));
      for (auto& [k, v] : ns->globals->vars.items()) names.push_back(k);
    } else {
      ClassObj* cls = obj.as<ClassObj>();
      if (auto* inst = obj.as<InstanceObj>()) {
        for (auto& [k, v] : inst->attrs.items()) names.push_back(k);
        cls = inst->cls;
      }
      if (!cls) cls = i.class_of(obj);
      if (cls) {
        if (cls->has_unknown_base) return i.unknown(fmt::format("dir() of {}, whose base is outside the project", cls->name));
        for (ClassObj* c : cls->mro) {
          for (auto& [k, v] : c->attrs.items()) names.push_back(k);
        }
      }
    }
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    std::vector<Value> out;
    for (auto& n : names) out.push_back(Value::string(n));
    return make_list(std::move(out));
  });

  // globals(): the calling module's namespace, read-only (a copy; writes through it are lost).
  def("globals", [](Interpreter& i, CallArgs&) {
    auto d = std::make_shared<DictObj>();
    const Frame* f = i.frames.empty() ? nullptr : i.frames.back();
    if (f && f->module) {
      for (auto& [k, v] : f->module->globals->vars.items()) d->set(Value::string(k), v);
    }
    return Value::object(d);
  });
  // locals() is with the builtins (parameters first, as CPython lists them); sys.modules is in
  // modules/sys_module.cpp.
}

}  // namespace ckg::interp
