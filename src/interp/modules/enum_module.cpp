// The `enum` module: Enum, IntEnum, Flag and auto(), whose metaclass EnumType makes a class the
// container of its members (len, iteration, subscript by name, `in`). The class builder
// (exec.cpp) makes the members, numbering auto() ones through _generate_next_value_ defined here.
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

// The members of an enum class in definition order, without aliases (a name whose value an
// earlier member already has), as _member_names_ lists them.
std::vector<Value> canonical_members(Interpreter& in, const Value& cls) {
  std::vector<Value> out;
  const Value* members = cls.as<ClassObj>() ? cls.as<ClassObj>()->attrs.find("__members__") : nullptr;
  if (!members || !members->as<DictObj>()) return out;
  for (auto& [name, member] : members->as<DictObj>()->items) {
    if (in.get_attr(member, "_name_").as_str() == name.as_str()) out.push_back(member);
  }
  return out;
}

// EnumType: the metaclass that makes an enum class a container of its members.
ClassObj* install_enum_type(Interpreter& in) {
  ClassObj* meta = in.new_native_class("enum.EnumType", {in.types.type});
  in.add_method(meta, "__iter__", [](Interpreter& i, CallArgs& a) { return make_list(canonical_members(i, native_required(i, a, 0, "cls"))); });
  in.add_method(meta, "__len__", [](Interpreter& i, CallArgs& a) {
    return Value::integer(static_cast<std::int64_t>(canonical_members(i, native_required(i, a, 0, "cls")).size()));
  });
  in.add_method(meta, "__getitem__", [](Interpreter& i, CallArgs& a) {
    Value cls = native_required(i, a, 0, "cls"), name = native_required(i, a, 1, "name");
    const Value* members = cls.as<ClassObj>() ? cls.as<ClassObj>()->attrs.find("__members__") : nullptr;
    Value* member = members && members->as<DictObj>() ? members->as<DictObj>()->find(name) : nullptr;
    if (!member) i.raise_key_error(name);
    return *member;
  });
  // Python 3.11: a non-member on the left of `in` is a TypeError.
  in.add_method(meta, "__contains__", [](Interpreter& i, CallArgs& a) {
    Value cls = native_required(i, a, 0, "cls"), member = native_required(i, a, 1, "member");
    ClassObj* of = i.class_of(member);
    if (!of || !of->is_enum) {
      i.raise("TypeError", fmt::format("unsupported operand type(s) for 'in': '{}' and 'EnumType'", type_name(member)));
    }
    return Value::boolean(of->is_subclass_of(cls.as<ClassObj>()));
  });
  in.add_method(meta, "__repr__", [](Interpreter& i, CallArgs& a) {
    return Value::string("<enum '" + native_required(i, a, 0, "cls").as<ClassObj>()->name + "'>");
  });
  return meta;
}

// IntEnum members are ints in arithmetic and ordering: the operators act on their values.
void add_int_operators(Interpreter& in, ClassObj* int_enum) {
  auto value_of = [](Interpreter& i, const Value& v) {
    ClassObj* c = i.class_of(v);
    return c && c->is_enum && v.as<InstanceObj>() ? i.get_attr(v, "_value_") : v;
  };
  struct Op { const char* method; const char* symbol; bool reflected; };
  static const Op binaries[] = {
      {"__add__", "+", false},  {"__radd__", "+", true},   {"__sub__", "-", false},       {"__rsub__", "-", true},
      {"__mul__", "*", false},  {"__rmul__", "*", true},   {"__floordiv__", "//", false}, {"__rfloordiv__", "//", true},
      {"__truediv__", "/", false}, {"__rtruediv__", "/", true}, {"__mod__", "%", false},   {"__rmod__", "%", true},
      {"__pow__", "**", false}, {"__rpow__", "**", true},  {"__and__", "&", false},       {"__rand__", "&", true},
      {"__or__", "|", false},   {"__ror__", "|", true},    {"__xor__", "^", false},       {"__rxor__", "^", true},
      {"__lshift__", "<<", false}, {"__rlshift__", "<<", true}, {"__rshift__", ">>", false}, {"__rrshift__", ">>", true},
  };
  for (const Op& op : binaries) {
    std::string symbol = op.symbol;
    bool reflected = op.reflected;
    in.add_method(int_enum, op.method, [value_of, symbol, reflected](Interpreter& i, CallArgs& a) {
      Value self = value_of(i, native_required(i, a, 0, "self")), other = value_of(i, native_required(i, a, 1, "other"));
      return reflected ? i.binary(symbol, other, self) : i.binary(symbol, self, other);
    });
  }
  static const Op comparisons[] = {{"__lt__", "<", false}, {"__le__", "<=", false}, {"__gt__", ">", false}, {"__ge__", ">=", false}};
  for (const Op& op : comparisons) {
    std::string symbol = op.symbol;
    in.add_method(int_enum, op.method, [value_of, symbol](Interpreter& i, CallArgs& a) {
      return i.compare(symbol, value_of(i, native_required(i, a, 0, "self")), value_of(i, native_required(i, a, 1, "other")));
    });
  }
  for (const char* method : {"__int__", "__index__"}) {
    in.add_method(int_enum, method, [](Interpreter& i, CallArgs& a) { return i.get_attr(native_required(i, a, 0, "self"), "_value_"); });
  }
  in.add_method(int_enum, "__hash__", [](Interpreter& i, CallArgs& a) { return i.hash(i.get_attr(native_required(i, a, 0, "self"), "_value_")); });
  in.add_method(int_enum, "__bool__", [](Interpreter& i, CallArgs& a) { return Value::boolean(i.truthy(i.get_attr(native_required(i, a, 0, "self"), "_value_"))); });
}

}  // namespace

void install_enum(Interpreter& in, ModuleNs& ns) {
  ClassObj* enum_type = install_enum_type(in);
  in.set_global(&ns, "EnumType", cls_value(enum_type));
  in.set_global(&ns, "EnumMeta", cls_value(enum_type));
  ClassObj* enum_cls = in.new_native_class("enum.Enum", {in.types.object});
  enum_cls->is_enum = true;
  enum_cls->metaclass = cls_value(enum_type);
  in.set_global(&ns, "Enum", cls_value(enum_cls));
  ClassObj* int_enum = in.new_native_class("enum.IntEnum", {in.types.int_, enum_cls});
  int_enum->is_enum = true;
  int_enum->metaclass = cls_value(enum_type);
  add_int_operators(in, int_enum);
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
  flag->metaclass = cls_value(enum_type);
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
