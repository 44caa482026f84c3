// The `contextlib` module: suppress and nullcontext, the context managers model code wraps
// around optional pieces. contextmanager (generator-based managers) is not modelled; it and the
// module's other names are unknown, as for any module outside the project.
#include "interp/modules/modules.h"

namespace ckg::interp::modules {

void install_contextlib(Interpreter& in, ModuleNs& ns) {
  auto cls_value = [](ClassObj* c) { return Value::object(ObjPtr(ObjPtr(), c)); };

  // suppress(*exceptions): __exit__ swallows an exception of one of those types.
  ClassObj* suppress = in.new_native_class("contextlib.suppress", {in.types.object});
  in.add_method(suppress, "__init__", [](Interpreter& i, CallArgs& a) {
    std::vector<Value> exceptions(a.positional.begin() + 1, a.positional.end());
    i.set_attr(native_required(i, a, 0, "self"), "_exceptions", make_tuple(std::move(exceptions)));
    return Value::none();
  });
  in.add_method(suppress, "__enter__", [](Interpreter&, CallArgs&) { return Value::none(); });
  in.add_method(suppress, "__exit__", [](Interpreter& i, CallArgs& a) {
    auto* raised = native_required(i, a, 1, "exctype").as<ClassObj>();
    if (!raised) return Value::boolean(false);  // left without an exception
    for (const Value& handled : i.iterate(i.get_attr(native_required(i, a, 0, "self"), "_exceptions"))) {
      if (i.issubclass(raised, handled)) return Value::boolean(true);
    }
    return Value::boolean(false);
  });
  in.set_global(&ns, "suppress", cls_value(suppress));

  // nullcontext(enter_result=None): `with` gives enter_result and changes nothing.
  ClassObj* nullcontext = in.new_native_class("contextlib.nullcontext", {in.types.object});
  in.add_method(nullcontext, "__init__", [](Interpreter& i, CallArgs& a) {
    i.set_attr(native_required(i, a, 0, "self"), "enter_result", native_arg_or(a, 1, "enter_result", Value::none()));
    return Value::none();
  });
  in.add_method(nullcontext, "__enter__", [](Interpreter& i, CallArgs& a) {
    return i.get_attr(native_required(i, a, 0, "self"), "enter_result");
  });
  in.add_method(nullcontext, "__exit__", [](Interpreter&, CallArgs&) { return Value::boolean(false); });
  in.set_global(&ns, "nullcontext", cls_value(nullcontext));
}

}  // namespace ckg::interp::modules
