// The `enum` module: Enum, IntEnum, Flag-less basics, and auto(), whose values restart at 1 in
// every class (the class builder numbers auto() members in definition order).
#include "interp/modules/modules.h"

namespace ckg::interp::modules {

void install_enum(Interpreter& in, ModuleNs& ns) {
  auto cls_value = [](ClassObj* c) { return Value::object(ObjPtr(ObjPtr(), c)); };
  ClassObj* enum_cls = in.new_native_class("enum.Enum", {in.types.object});
  enum_cls->is_enum = true;
  in.set_global(&ns, "Enum", cls_value(enum_cls));
  ClassObj* int_enum = in.new_native_class("enum.IntEnum", {in.types.int_, enum_cls});
  int_enum->is_enum = true;
  in.set_global(&ns, "IntEnum", cls_value(int_enum));
  // `ClassName.MEMBER` is how CPython shows a member (str() and repr() alike for the basics).
  in.add_method(enum_cls, "__repr__", [](Interpreter& i, CallArgs& a) {
    Value self = native_required(i, a, 0, "self");
    return Value::string("<" + i.class_of(self)->name + "." + i.get_attr(self, "name").as_str() + ": " + i.display(i.get_attr(self, "value"), true) + ">");
  });
  in.add_method(enum_cls, "__str__", [](Interpreter& i, CallArgs& a) {
    Value self = native_required(i, a, 0, "self");
    return Value::string(i.class_of(self)->name + "." + i.get_attr(self, "name").as_str());
  });
  // Members are singletons; a member of a class mixing in int or str also equals its value.
  in.add_method(enum_cls, "__eq__", [](Interpreter& i, CallArgs& a) {
    Value self = native_required(i, a, 0, "self"), other = native_required(i, a, 1, "other");
    if (self.is_obj() && other.is_obj() && self.obj() == other.obj()) return Value::boolean(true);
    ClassObj* cls = i.class_of(self);
    bool mixin = cls->is_subclass_of(i.types.int_) || cls->is_subclass_of(i.types.str) || cls->is_subclass_of(i.types.float_);
    if (!mixin || other.as<InstanceObj>()) return Value::boolean(false);
    return i.compare("==", i.get_attr(self, "value"), other);
  });
  in.add_method(int_enum, "__str__", [](Interpreter& i, CallArgs& a) {
    return Value::string(i.display(i.get_attr(native_required(i, a, 0, "self"), "value"), false));
  });
  // auto() is a marker the class builder replaces with the next value of its own class.
  ClassObj* auto_cls = in.new_native_class("enum.auto", {in.types.object});
  auto_cls->native_new = [auto_cls](Interpreter&, CallArgs&) { return Value::object(std::make_shared<InstanceObj>(auto_cls)); };
  in.set_global(&ns, "auto", cls_value(auto_cls));
  in.set_global(&ns, "unique", in.builtin("enum.unique", [](Interpreter& i, CallArgs& a) { return native_required(i, a, 0, "enumeration"); }));
}

}  // namespace ckg::interp::modules
