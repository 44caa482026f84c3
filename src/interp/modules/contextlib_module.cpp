// The `contextlib` module: suppress and nullcontext, the context managers model code wraps
// around optional pieces, and contextmanager (generator-based managers). The module's other
// names are unknown, as for any module outside the project.
#include <utility>

#include "interp/generators.h"
#include "interp/modules/modules.h"

namespace ckg::interp::modules {

namespace {

GeneratorObj& managed_generator(Interpreter& in, CallArgs& a) {
  auto* g = in.get_attr(native_required(in, a, 0, "self"), "gen").as<GeneratorObj>();
  if (!g) in.raise("TypeError", "a generator context manager without its generator");
  return *g;
}

}  // namespace

void install_contextlib(Interpreter& in, ModuleNs& ns) {
  auto cls_value = [](ClassObj* c) { return Value::object(ObjPtr(ObjPtr(), c)); };

  // contextmanager(func): calling the function gives a manager around its generator (see
  // Interpreter::call_function): __enter__ runs it to its yield, __exit__ resumes it, throwing
  // in the exception the with-block raised, as contextlib._GeneratorContextManager does.
  ClassObj* manager = in.new_native_class("contextlib._GeneratorContextManager", {in.types.object});
  in.add_method(manager, "__enter__", [](Interpreter& i, CallArgs& a) {
    std::optional<Value> v = i.resume(managed_generator(i, a), Value::none());
    if (!v) i.raise("RuntimeError", "generator didn't yield");
    return *v;
  });
  in.add_method(manager, "__exit__", [](Interpreter& i, CallArgs& a) {
    GeneratorObj& g = managed_generator(i, a);
    const Value& raised = native_arg_or(a, 2, "value", Value::none());
    if (raised.is_none()) {
      if (i.resume(g, Value::none())) i.raise("RuntimeError", "generator didn't stop");
      return Value::boolean(false);
    }
    PyError error = i.exception_from(raised);
    try {
      if (i.resume(g, Value::none(), &error)) i.raise("RuntimeError", "generator didn't stop after throw()");
    } catch (PyError& e) {
      // The same exception coming back is not suppressed; another one replaces it.
      if (e.exc.is_obj() && e.exc.obj() == raised.obj()) return Value::boolean(false);
      throw;
    }
    return Value::boolean(true);  // the generator caught it and finished
  });
  in.set_global(&ns, "contextmanager", in.builtin("contextlib.contextmanager", [manager](Interpreter& i, CallArgs& a) {
    const Value& func = native_required(i, a, 0, "func");
    auto* fn = func.as<FunctionObj>();
    if (!fn) return i.unknown("contextlib.contextmanager of something other than a function");
    auto wrapped = std::make_shared<FunctionObj>(*fn);
    wrapped->context_manager = manager;
    return Value::object(wrapped);
  }));

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
