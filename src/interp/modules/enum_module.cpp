// The `enum` module: Enum, IntEnum, Flag and auto(). The class builder (exec.cpp) makes the
// members, numbering auto() ones through the class's _generate_next_value_ defined here.
#include <algorithm>

#include <fmt/format.h>

#include "interp/modules/modules.h"

namespace ckg::interp::modules {
namespace {

Value cls_value(ClassObj* c) { return Value::object(ObjPtr(ObjPtr(), c)); }

// The Flag member with `value`: a named member, else a pseudo-member made once per value and
// named after the members it combines ("R|W"; None for 0), as Flag._missing_ does.
Value flag_member(const Value& like, std::int64_t value) {
  auto* self = like.as<InstanceObj>();
  ClassObj* cls = self->cls;
  auto* members = cls->attrs.find("__members__")->as<DictObj>();
  std::string names;
  for (auto& entry : members->items) {
    std::int64_t bits = entry.second.as<InstanceObj>()->attrs.find("_value_")->as_int();
    if (bits == value) return entry.second;
    if (bits != 0 && (bits & (bits - 1)) == 0 && (value & bits) == bits) names += (names.empty() ? "" : "|") + entry.first.as_str();
  }
  Value* cache = cls->attrs.find("_value2member_map_");
  if (!cache) {
    cls->attrs.set("_value2member_map_", Value::object(std::make_shared<DictObj>()));
    cache = cls->attrs.find("_value2member_map_");
  }
  auto* pseudo = cache->as<DictObj>();
  if (Value* known = pseudo->find(Value::integer(value))) return *known;
  auto made = std::make_shared<InstanceObj>(cls);
  made->cls_holder = self->cls_holder;
  Value name = value == 0 ? Value::none() : Value::string(names);
  made->attrs.set("name", name);
  made->attrs.set("_name_", name);
  made->attrs.set("value", Value::integer(value));
  made->attrs.set("_value_", Value::integer(value));
  pseudo->set(Value::integer(value), Value::object(made));
  return Value::object(made);
}

// A binary Flag operator: members of the same class combine bitwise, anything else is
// NotImplemented.
void add_flag_operator(Interpreter& in, ClassObj* flag, const char* name, std::int64_t (*combine)(std::int64_t, std::int64_t)) {
  in.add_method(flag, name, [combine](Interpreter& i, CallArgs& a) {
    Value self = native_required(i, a, 0, "self"), other = native_required(i, a, 1, "other");
    if (i.class_of(other) != i.class_of(self)) return Value::string("NotImplemented");
    std::int64_t x = i.get_attr(self, "_value_").as_int(), y = i.get_attr(other, "_value_").as_int();
    return flag_member(self, combine(x, y));
  });
}

}  // namespace

void install_enum(Interpreter& in, ModuleNs& ns) {
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
  // auto() values: the last value plus one, or `start`.
  enum_cls->attrs.set("_generate_next_value_", in.builtin("_generate_next_value_", [](Interpreter& i, CallArgs& a) {
    auto* last_values = native_required(i, a, 3, "last_values").as<ListObj>();
    if (last_values && !last_values->items.empty() && last_values->items.back().is_int()) {
      return i.binary("+", last_values->items.back(), Value::integer(1));
    }
    return native_required(i, a, 1, "start");
  }));
  // Flag: auto() gives the next power of two; members combine with | and &, and `a in b` tests
  // that a's bits are all in b.
  ClassObj* flag = in.new_native_class("enum.Flag", {enum_cls});
  flag->is_enum = true;
  in.set_global(&ns, "Flag", cls_value(flag));
  flag->attrs.set("_generate_next_value_", in.builtin("_generate_next_value_", [](Interpreter& i, CallArgs& a) {
    std::int64_t high = 0;
    if (auto* last_values = native_required(i, a, 3, "last_values").as<ListObj>()) {
      for (const Value& v : last_values->items) high = std::max(high, v.as_int());
    }
    if (high == 0) return native_required(i, a, 1, "start");
    std::int64_t next = 1;
    while (next <= high) next <<= 1;
    return Value::integer(next);
  }));
  add_flag_operator(in, flag, "__or__", [](std::int64_t x, std::int64_t y) { return x | y; });
  add_flag_operator(in, flag, "__and__", [](std::int64_t x, std::int64_t y) { return x & y; });
  in.add_method(flag, "__contains__", [](Interpreter& i, CallArgs& a) {
    Value self = native_required(i, a, 0, "self"), other = native_required(i, a, 1, "other");
    if (i.class_of(other) != i.class_of(self)) {
      i.raise("TypeError", fmt::format("unsupported operand type(s) for 'in': '{}' and '{}'", type_name(other), i.class_of(self)->name));
    }
    std::int64_t bits = i.get_attr(other, "_value_").as_int();
    return Value::boolean((i.get_attr(self, "_value_").as_int() & bits) == bits);
  });
  in.add_method(flag, "__bool__", [](Interpreter& i, CallArgs& a) {
    return Value::boolean(i.get_attr(native_required(i, a, 0, "self"), "_value_").as_int() != 0);
  });
  // A pseudo-member of no bits has no name: `<P: 0>`, `P(0)`.
  in.add_method(flag, "__repr__", [](Interpreter& i, CallArgs& a) {
    Value self = native_required(i, a, 0, "self");
    Value name = i.get_attr(self, "_name_");
    std::string shown = i.class_of(self)->name + (name.is_str() ? "." + name.as_str() : std::string());
    return Value::string("<" + shown + ": " + i.display(i.get_attr(self, "_value_"), true) + ">");
  });
  in.add_method(flag, "__str__", [](Interpreter& i, CallArgs& a) {
    Value self = native_required(i, a, 0, "self");
    Value name = i.get_attr(self, "_name_");
    std::string cls = i.class_of(self)->name;
    return Value::string(name.is_str() ? cls + "." + name.as_str() : cls + "(" + i.display(i.get_attr(self, "_value_"), true) + ")");
  });
  // auto() is a marker the class builder replaces with the next value of its own class.
  ClassObj* auto_cls = in.new_native_class("enum.auto", {in.types.object});
  auto_cls->native_new = [auto_cls](Interpreter&, CallArgs&) { return Value::object(std::make_shared<InstanceObj>(auto_cls)); };
  in.set_global(&ns, "auto", cls_value(auto_cls));
  in.set_global(&ns, "unique", in.builtin("enum.unique", [](Interpreter& i, CallArgs& a) { return native_required(i, a, 0, "enumeration"); }));
}

}  // namespace ckg::interp::modules
