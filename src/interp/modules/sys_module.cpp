// The `sys` module, as model code reads it: sys.modules (the modules the interpreter has
// loaded), version_info, platform, maxsize; an empty argv.
#include <cstdint>
#include <limits>

#include "interp/modules/modules.h"

namespace ckg::interp::modules {

void install_sys(Interpreter& in, ModuleNs& ns) {
  // sys.modules[name]: the module by its dotted name, imported if it is not yet loaded.
  ClassObj* modules_cls = in.new_native_class("sys._Modules", {in.types.object});
  auto module_named = [](Interpreter& i, const Value& name) -> Value {
    if (!name.is_str()) i.raise("KeyError", repr(name));
    return i.import_module(name.as_str(), i.here());
  };
  in.add_method(modules_cls, "__getitem__", [module_named](Interpreter& i, CallArgs& a) { return module_named(i, native_required(i, a, 1, "key")); });
  in.add_method(modules_cls, "get", [module_named](Interpreter& i, CallArgs& a) { return module_named(i, native_required(i, a, 1, "key")); });
  in.add_method(modules_cls, "__contains__", [](Interpreter& i, CallArgs&) { return i.unknown("membership in sys.modules is not modelled"); });
  in.set_global(&ns, "modules", Value::object(std::make_shared<InstanceObj>(modules_cls)));
  in.set_global(&ns, "version_info", make_tuple({Value::integer(3), Value::integer(11), Value::integer(2), Value::string("final"), Value::integer(0)}));
  in.set_global(&ns, "platform", Value::string("linux"));
  in.set_global(&ns, "maxsize", Value::integer(std::numeric_limits<std::int64_t>::max()));
  in.set_global(&ns, "argv", make_list({}));
}

}  // namespace ckg::interp::modules
