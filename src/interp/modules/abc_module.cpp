// The `abc` module: ABCMeta (a metaclass, as in CPython), ABC, abstractmethod and its kin.
// ABCMeta.__new__ lists the abstract methods a class leaves unimplemented in
// __abstractmethods__, which instantiation refuses; register() and __subclasshook__ answer
// isinstance() and issubclass() through __instancecheck__ / __subclasscheck__.
#include "interp/modules/modules.h"

namespace ckg::interp::modules {

namespace {

// The function a class attribute is, or wraps (abstractmethod may sit under a property,
// classmethod or staticmethod).
FunctionObj* function_of(const Value& v) {
  if (auto* p = v.as<PropertyObj>()) return p->getter.as<FunctionObj>();
  if (auto* cm = v.as<ClassMethodObj>()) return cm->func.as<FunctionObj>();
  if (auto* sm = v.as<StaticMethodObj>()) return sm->func.as<FunctionObj>();
  return v.as<FunctionObj>();
}

bool is_abstract(Interpreter& in, const Value& v) {
  FunctionObj* fn = function_of(v);
  const Value* flag = fn ? fn->attrs.find("__isabstractmethod__") : nullptr;
  return flag && in.truthy(*flag);
}

// The classes register() made virtual subclasses of `abc`, kept where CPython keeps its
// bookkeeping: in the class's own namespace.
ListObj& registry(ClassObj& abc) {
  Value* held = abc.attrs.find("_abc_registry");
  if (!held || !held->as<ListObj>()) {
    abc.attrs.set("_abc_registry", make_list({}));
    held = abc.attrs.find("_abc_registry");
  }
  return *held->as<ListObj>();
}

bool abc_subclass(Interpreter& in, const Value& abc_value, ClassObj* sub) {
  auto* abc = abc_value.as<ClassObj>();
  if (sub->is_subclass_of(abc)) return true;
  if (const Value* hook = abc->lookup("__subclasshook__"); hook && hook->as<ClassMethodObj>()) {
    Value answer = in.call(hook->as<ClassMethodObj>()->func, CallArgs{{abc_value, Value::object(ObjPtr(ObjPtr(), sub))}, {}});
    if (!(answer.is_str() && answer.as_str() == "NotImplemented")) return in.truthy(answer);
  }
  for (ClassObj* c : abc->mro) {
    const Value* held = c->attrs.find("_abc_registry");
    if (!held || !held->as<ListObj>()) continue;
    for (auto& r : held->as<ListObj>()->items) {
      if (auto* rc = r.as<ClassObj>(); rc && sub->is_subclass_of(rc)) return true;
    }
  }
  return false;
}

}  // namespace

void install_abc(Interpreter& in, ModuleNs& ns) {
  auto& types = in.types;
  auto cls_value = [](ClassObj* c) { return Value::object(ObjPtr(ObjPtr(), c)); };
  ClassObj* meta = in.new_native_class("abc.ABCMeta", {types.type});
  meta->attrs.set("__new__", Value::object(std::make_shared<StaticMethodObj>(in.builtin("ABCMeta.__new__", [](Interpreter& i, CallArgs& a) {
    Value made = i.call(*i.types.type->attrs.find("__new__"), a);
    auto* cls = made.as<ClassObj>();
    if (!cls) return made;
    auto abstract = std::make_shared<SetObj>();
    abstract->frozen = true;
    for (auto& [name, v] : cls->attrs.items()) {
      if (is_abstract(i, v)) abstract->add(Value::string(name));
    }
    for (auto& b : cls->bases) {
      const Value* inherited = b.as<ClassObj>() ? b.as<ClassObj>()->lookup("__abstractmethods__") : nullptr;
      if (!inherited || !inherited->as<SetObj>()) continue;
      for (auto& name : inherited->as<SetObj>()->items) {
        const Value* now = cls->lookup(name.as_str());
        if (now && is_abstract(i, *now)) abstract->add(name);
      }
    }
    cls->attrs.set("__abstractmethods__", Value::object(abstract));
    return made;
  }))));
  in.add_method(meta, "register", [](Interpreter& i, CallArgs& a) {
    auto* abc = native_required(i, a, 0, "cls").as<ClassObj>();
    const Value& sub = native_required(i, a, 1, "subclass");
    if (!abc || !sub.as<ClassObj>()) i.raise("TypeError", "Can only register classes");
    registry(*abc).items.push_back(sub);
    return sub;
  });
  in.add_method(meta, "__subclasscheck__", [](Interpreter& i, CallArgs& a) {
    auto* sub = native_required(i, a, 1, "subclass").as<ClassObj>();
    if (!sub) i.raise("TypeError", "issubclass() arg 1 must be a class");
    return Value::boolean(abc_subclass(i, native_required(i, a, 0, "cls"), sub));
  });
  in.add_method(meta, "__instancecheck__", [](Interpreter& i, CallArgs& a) {
    ClassObj* of = i.class_of(native_required(i, a, 1, "instance"));
    return Value::boolean(of && abc_subclass(i, native_required(i, a, 0, "cls"), of));
  });
  ClassObj* abc = in.new_native_class("abc.ABC", {types.object});
  abc->metaclass = cls_value(meta);
  in.set_global(&ns, "ABCMeta", cls_value(meta));
  in.set_global(&ns, "ABC", cls_value(abc));
  in.set_global(&ns, "abstractmethod", in.builtin("abc.abstractmethod", [](Interpreter& i, CallArgs& a) {
    const Value& f = native_required(i, a, 0, "funcobj");
    if (FunctionObj* fn = function_of(f)) fn->attrs.set("__isabstractmethod__", Value::boolean(true));
    return f;
  }));
}

}  // namespace ckg::interp::modules
