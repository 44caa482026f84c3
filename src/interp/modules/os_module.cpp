// The `os` module, as model code reads it: the environment is empty (os.environ.get gives
// its default, noted as environment-dependent) and os.path joins and splits names.
#include <fmt/format.h>

#include "interp/modules/modules.h"

namespace ckg::interp::modules {

void install_os(Interpreter& in, ModuleNs& ns) {
  ClassObj* environ_cls = in.new_native_class("os._Environ", {in.types.object});
  in.add_method(environ_cls, "get", [](Interpreter& i, CallArgs& a) -> Value {
    const Value& key = native_required(i, a, 1, "key");
    i.note_unresolved(i.here(), fmt::format("os.environ.get({}) read as unset: the result depends on the environment", repr(key)));
    return native_arg_or(a, 2, "default", Value::none());
  });
  in.add_method(environ_cls, "__contains__", [](Interpreter& i, CallArgs& a) -> Value {
    i.note_unresolved(i.here(), fmt::format("{} in os.environ read as false: the result depends on the environment", repr(native_required(i, a, 1, "key"))));
    return Value::boolean(false);
  });
  in.add_method(environ_cls, "__getitem__", [](Interpreter& i, CallArgs& a) -> Value {
    return i.unknown(fmt::format("os.environ[{}] depends on the environment", repr(native_required(i, a, 1, "key"))));
  });
  in.set_global(&ns, "environ", Value::object(std::make_shared<InstanceObj>(environ_cls)));
  in.set_global(&ns, "getenv", in.builtin("os.getenv", [](Interpreter& i, CallArgs& a) -> Value {
    i.note_unresolved(i.here(), fmt::format("os.getenv({}) read as unset: the result depends on the environment", repr(native_required(i, a, 0, "key"))));
    return native_arg_or(a, 1, "default", Value::none());
  }));
  in.set_global(&ns, "sep", Value::string("/"));

  ModuleNs* path = in.new_native_module("os.path");
  in.set_global(&ns, "path", Value::object(ObjPtr(ObjPtr(), path)));
  in.set_global(path, "sep", Value::string("/"));
  in.set_global(path, "join", in.builtin("os.path.join", [](Interpreter& i, CallArgs& a) -> Value {
    std::string out;
    for (auto& part : a.positional) {
      if (!part.is_str()) return is_unknown(part) ? part : i.unknown("os.path.join of a non-string");
      const std::string& p = part.as_str();
      if (!p.empty() && p[0] == '/') out = p;
      else if (out.empty() || out.back() == '/') out += p;
      else out += "/" + p;
    }
    return Value::string(out);
  }));
  in.set_global(path, "basename", in.builtin("os.path.basename", [](Interpreter& i, CallArgs& a) -> Value {
    const Value& p = native_required(i, a, 0, "p");
    if (!p.is_str()) return i.unknown("os.path.basename of a non-string");
    return Value::string(p.as_str().substr(p.as_str().rfind('/') + 1));
  }));
  in.set_global(path, "dirname", in.builtin("os.path.dirname", [](Interpreter& i, CallArgs& a) -> Value {
    const Value& p = native_required(i, a, 0, "p");
    if (!p.is_str()) return i.unknown("os.path.dirname of a non-string");
    std::size_t slash = p.as_str().rfind('/');
    if (slash == std::string::npos) return Value::string("");
    std::string head = p.as_str().substr(0, slash + 1);
    while (head.size() > 1 && head.back() == '/') head.pop_back();
    return Value::string(head);
  }));
  for (const char* name : {"exists", "isfile", "isdir"}) {
    std::string n = name;
    in.set_global(path, name, in.builtin("os.path." + n, [n](Interpreter& i, CallArgs&) {
      return i.unknown("os.path." + n + " depends on the file system");
    }));
  }
}

}  // namespace ckg::interp::modules
