// The `dataclasses` module: @dataclass (with init/repr/eq/order/frozen), field, fields, replace,
// asdict, astuple, is_dataclass, MISSING and FrozenInstanceError, as CPython 3.11 defines them.
// The class body's annotated names reach ClassObj::dataclass_fields through the class builder;
// each field's options live in its Field object in __dataclass_fields__, as in CPython.
#include <algorithm>

#include <fmt/format.h>

#include "interp/modules/modules.h"

namespace ckg::interp::modules {
namespace {

struct Dataclasses {
  ClassObj* field = nullptr;      // dataclasses.Field
  ClassObj* frozen_error = nullptr;
  Value missing;                  // dataclasses.MISSING
};

Value cls_value(ClassObj* c) { return Value::object(ObjPtr(ObjPtr(), c)); }

bool is_missing(const Dataclasses& d, const Value& v) { return v.is_obj() && v.obj() == d.missing.obj(); }

// What field() said of a field besides its default: whether __init__ takes it, repr() shows
// it, and ==/ordering compare it.
struct FieldOptions {
  bool init = true;
  bool repr = true;
  bool compare = true;
};

bool option_of(const InstanceObj& spec, const char* name) {
  const Value* v = spec.attrs.find(name);
  return !v || !v->is_bool() || v->as_bool();
}

FieldOptions options_of(const InstanceObj& spec) {
  return {option_of(spec, "init"), option_of(spec, "repr"), option_of(spec, "compare")};
}

// A Field object as fields() returns it.
Value field_object(const Dataclasses& d, const DataclassField& f, const FieldOptions& options) {
  auto fo = std::make_shared<InstanceObj>(d.field);
  fo->attrs.set("name", Value::string(f.name));
  fo->attrs.set("default", f.default_value ? *f.default_value : d.missing);
  fo->attrs.set("default_factory", f.default_factory.is_none() ? d.missing : f.default_factory);
  fo->attrs.set("type", Value::none());
  fo->attrs.set("init", Value::boolean(options.init));
  fo->attrs.set("repr", Value::boolean(options.repr));
  fo->attrs.set("compare", Value::boolean(options.compare));
  return Value::object(fo);
}

ClassObj* dataclass_of(Interpreter& in, const Value& v) {
  if (auto* c = v.as<ClassObj>()) return c->is_dataclass ? c : nullptr;
  ClassObj* c = in.class_of(v);
  return c && c->is_dataclass && v.as<InstanceObj>() ? c : nullptr;
}

// A field's options, read back from the Field objects in the class's __dataclass_fields__.
FieldOptions options_of(const ClassObj& cls, const std::string& name) {
  const Value* fields = cls.attrs.find("__dataclass_fields__");
  Value* field = fields && fields->as<DictObj>() ? fields->as<DictObj>()->find(Value::string(name)) : nullptr;
  auto* spec = field ? field->as<InstanceObj>() : nullptr;
  return spec ? options_of(*spec) : FieldOptions{};
}

bool in_init(const ClassObj& cls, const std::string& name) { return options_of(cls, name).init; }

std::string dataclass_repr(Interpreter& in, const Value& self, ClassObj* cls) {
  std::string out = cls->name + "(";
  bool first = true;
  for (auto& f : cls->dataclass_fields) {
    if (!options_of(*cls, f.name).repr) continue;
    if (!first) out += ", ";
    first = false;
    Value v = in.get_attr(self, f.name);
    out += f.name + "=" + in.display(v, true);
  }
  return out + ")";
}

// The unhashable defaults CPython refuses, since every instance would share them.
bool is_mutable_default(Interpreter& in, const Value& v) {
  if (v.as<ListObj>() || v.as<DictObj>()) return true;
  if (auto* s = v.as<SetObj>()) return !s->frozen;
  ClassObj* c = v.as<InstanceObj>() ? in.class_of(v) : nullptr;
  const Value* hash = c ? c->lookup("__hash__") : nullptr;
  return hash && hash->is_none();
}

// What @dataclass(...) was asked for; keyword-only, as in CPython.
struct DataclassOptions {
  bool frozen = false;
  bool init = true;
  bool repr = true;
  bool eq = true;
  bool order = false;
};

// order=True: <, <=, > and >= compare the compared fields as tuples, between instances of the
// same class only.
void add_ordering(Interpreter& in, ClassObj* cls) {
  for (const char* op : {"<", "<=", ">", ">="}) {
    std::string method = op[0] == '<' ? (op[1] ? "__le__" : "__lt__") : (op[1] ? "__ge__" : "__gt__");
    if (cls->attrs.find(method)) {
      in.raise("TypeError", fmt::format("Cannot overwrite attribute {} in class {}. Consider using functools.total_ordering", method, cls->name));
    }
    std::string symbol = op;
    in.add_method(cls, method, [cls, symbol](Interpreter& i, CallArgs& a) {
      Value self = native_required(i, a, 0, "self"), other = native_required(i, a, 1, "other");
      if (i.class_of(other) != i.class_of(self)) return Value::string("NotImplemented");
      std::vector<Value> mine, theirs;
      for (auto& f : cls->dataclass_fields) {
        if (!options_of(*cls, f.name).compare) continue;
        mine.push_back(i.get_attr(self, f.name));
        theirs.push_back(i.get_attr(other, f.name));
      }
      return i.compare(symbol, make_tuple(std::move(mine)), make_tuple(std::move(theirs)));
    });
  }
}

Value make_dataclass(Interpreter& in, const Dataclasses& d, const Value& cls_v, const DataclassOptions& want) {
  auto* cls = cls_v.as<ClassObj>();
  if (!cls) return cls_v;
  if (want.order && !want.eq) in.raise("ValueError", "eq must be true if order is true");
  std::vector<DataclassField> fields;
  std::vector<FieldOptions> options;  // one per field
  for (auto it = cls->mro.rbegin(); it != cls->mro.rend(); ++it) {
    ClassObj* c = *it;
    if (c != cls && !c->is_dataclass) continue;
    for (auto& fld : c->dataclass_fields) {
      DataclassField out{fld.name, fld.default_value, fld.default_factory};
      FieldOptions opts = c == cls ? FieldOptions{} : options_of(*c, fld.name);
      if (c == cls) {
        if (const Value* v = cls->attrs.find(fld.name)) {
          if (auto* spec = v->as<InstanceObj>(); spec && spec->cls == d.field) {
            if (const Value* dv = spec->attrs.find("default"); dv && !is_missing(d, *dv)) out.default_value = *dv;
            if (const Value* df = spec->attrs.find("default_factory"); df && !is_missing(d, *df)) out.default_factory = *df;
            opts = options_of(*spec);
            // A field with a default keeps it as a class attribute, as in CPython.
            if (out.default_value) cls->attrs.set(fld.name, *out.default_value);
            else cls->attrs.erase(fld.name);
          } else {
            out.default_value = *v;
          }
        }
        if (out.default_value && is_mutable_default(in, *out.default_value)) {
          in.raise("ValueError", fmt::format("mutable default {} for field {} is not allowed: use default_factory",
                                             in.display(in.call(cls_value(in.types.type), CallArgs{{*out.default_value}, {}}), true), fld.name));
        }
      }
      auto existing = std::find_if(fields.begin(), fields.end(), [&](auto& x) { return x.name == out.name; });
      if (existing != fields.end()) {
        *existing = out;
        options[static_cast<std::size_t>(existing - fields.begin())] = opts;
      } else {
        fields.push_back(out);
        options.push_back(opts);
      }
    }
  }
  // __init__'s parameters are in field order, so a required one cannot follow a defaulted one.
  bool defaulted = false;
  for (std::size_t k = 0; k < fields.size(); ++k) {
    if (!options[k].init) continue;
    bool has_default = fields[k].default_value || !fields[k].default_factory.is_none();
    if (defaulted && !has_default) in.raise("TypeError", fmt::format("non-default argument '{}' follows default argument", fields[k].name));
    defaulted = defaulted || has_default;
  }
  cls->dataclass_fields = fields;
  cls->is_dataclass = true;
  auto fields_dict = std::make_shared<DictObj>();
  for (std::size_t k = 0; k < fields.size(); ++k) fields_dict->set(Value::string(fields[k].name), field_object(d, fields[k], options[k]));
  cls->attrs.set("__dataclass_fields__", Value::object(fields_dict));
  // Class patterns match positional sub-patterns against the __init__ fields, in order.
  if (!cls->attrs.find("__match_args__")) {
    std::vector<Value> match_args;
    for (std::size_t k = 0; k < fields.size(); ++k) {
      if (options[k].init) match_args.push_back(Value::string(fields[k].name));
    }
    cls->attrs.set("__match_args__", make_tuple(std::move(match_args)));
  }
  ClassObj* frozen_error = d.frozen_error;
  if (want.init && !cls->attrs.find("__init__")) {
    in.add_method(cls, "__init__", [cls](Interpreter& i, CallArgs& a) {
      Value self = native_required(i, a, 0, "self");
      auto* inst = self.as<InstanceObj>();
      // Frozen classes set their fields through object.__setattr__, as CPython's __init__ does.
      auto store = [&](const std::string& name, Value v) {
        if (inst && !inst->module) inst->attrs.set(name, std::move(v));
        else i.set_attr(self, name, std::move(v));
      };
      std::size_t pos = 1;
      for (auto& fld : cls->dataclass_fields) {
        Value v;
        bool init = in_init(*cls, fld.name);
        if (const Value* kw = init ? a.keyword(fld.name) : nullptr) v = *kw;
        else if (init && pos < a.positional.size()) v = a.positional[pos++];
        else if (fld.default_value) v = *fld.default_value;
        else if (!fld.default_factory.is_none()) v = i.call(fld.default_factory, CallArgs{});
        else if (!init) continue;
        else i.raise("TypeError", fmt::format("{}.__init__() missing 1 required positional argument: '{}'", cls->name, fld.name));
        store(fld.name, v);
      }
      for (auto& kw : a.keywords) {
        const std::string& k = kw.first;
        auto known = std::find_if(cls->dataclass_fields.begin(), cls->dataclass_fields.end(), [&](auto& f) { return f.name == k; });
        if (known == cls->dataclass_fields.end() || !in_init(*cls, k)) i.raise("TypeError", fmt::format("{}.__init__() got an unexpected keyword argument '{}'", cls->name, k));
      }
      if (pos < a.positional.size()) i.raise("TypeError", fmt::format("{}.__init__() takes {} positional arguments but {} were given", cls->name, pos, a.positional.size()));
      if (cls->lookup("__post_init__")) i.call(i.get_attr(self, "__post_init__"), CallArgs{});
      return Value::none();
    });
  }
  if (want.repr && !cls->attrs.find("__repr__")) {
    in.add_method(cls, "__repr__", [cls](Interpreter& i, CallArgs& a) {
      Value self = native_required(i, a, 0, "self");
      ClassObj* c = i.class_of(self);
      return Value::string(dataclass_repr(i, self, c && c->is_dataclass ? c : cls));
    });
  }
  if (want.eq && !cls->attrs.find("__eq__")) {
    in.add_method(cls, "__eq__", [cls](Interpreter& i, CallArgs& a) {
      Value self = native_required(i, a, 0, "self"), other = native_required(i, a, 1, "other");
      if (i.class_of(other) != i.class_of(self)) return Value::string("NotImplemented");
      for (auto& f : cls->dataclass_fields) {
        if (!options_of(*cls, f.name).compare) continue;
        if (!i.truthy(i.compare("==", i.get_attr(self, f.name), i.get_attr(other, f.name)))) return Value::boolean(false);
      }
      return Value::boolean(true);
    });
  }
  if (want.order) add_ordering(in, cls);
  if (want.frozen) {
    for (const char* name : {"__setattr__", "__delattr__"}) {
      in.add_method(cls, name, [frozen_error](Interpreter& i, CallArgs& a) -> Value {
        const Value& field = native_required(i, a, 1, "name");
        auto inst = std::make_shared<InstanceObj>(frozen_error);
        std::string message = fmt::format("cannot assign to field '{}'", field.is_str() ? field.as_str() : std::string());
        inst->exception_args.push_back(Value::string(message));
        throw PyError{Value::object(inst), "FrozenInstanceError", message, i.here(), i.project_location()};
      });
    }
  }
  return cls_v;
}

// asdict/astuple: dataclass instances become dicts (or tuples), recursively through lists,
// tuples and dicts; other values are deep-copied.
Value convert(Interpreter& in, const Value& v, bool as_dict) {
  if (ClassObj* c = dataclass_of(in, v)) {
    if (as_dict) {
      auto d = std::make_shared<DictObj>();
      for (auto& f : c->dataclass_fields) d->set(Value::string(f.name), convert(in, in.get_attr(v, f.name), true));
      return Value::object(d);
    }
    std::vector<Value> items;
    for (auto& f : c->dataclass_fields) items.push_back(convert(in, in.get_attr(v, f.name), false));
    return make_tuple(std::move(items));
  }
  if (auto* l = v.as<ListObj>()) {
    std::vector<Value> items;
    for (auto& x : l->items) items.push_back(convert(in, x, as_dict));
    return make_list(std::move(items));
  }
  if (auto* t = v.as<TupleObj>(); t && !t->named) {
    std::vector<Value> items;
    for (auto& x : t->items) items.push_back(convert(in, x, as_dict));
    return make_tuple(std::move(items));
  }
  if (auto* d = v.as<DictObj>()) {
    auto out = std::make_shared<DictObj>();
    out->ordered_dict = d->ordered_dict;
    for (auto& [k, x] : d->items) out->set(convert(in, k, as_dict), convert(in, x, as_dict));
    return Value::object(out);
  }
  return deep_copy_value(in, v);
}

}  // namespace

void install_dataclasses(Interpreter& in, ModuleNs& ns) {
  auto d = std::make_shared<Dataclasses>();
  d->field = in.new_native_class("dataclasses.Field", {in.types.object});
  ClassObj* attribute_error = in.exception_class("AttributeError");
  d->frozen_error = in.new_native_class("dataclasses.FrozenInstanceError", {attribute_error});
  ClassObj* missing_type = in.new_native_class("dataclasses._MISSING_TYPE", {in.types.object});
  d->missing = Value::object(std::make_shared<InstanceObj>(missing_type));
  in.set_global(&ns, "Field", cls_value(d->field));
  in.set_global(&ns, "FrozenInstanceError", cls_value(d->frozen_error));
  in.set_global(&ns, "MISSING", d->missing);

  in.set_global(&ns, "field", in.builtin("dataclasses.field", [d](Interpreter&, CallArgs& a) {
    auto f = std::make_shared<InstanceObj>(d->field);
    f->attrs.set("default", d->missing);
    f->attrs.set("default_factory", d->missing);
    for (auto& [k, v] : a.keywords) f->attrs.set(k, v);
    return Value::object(f);
  }));
  // @dataclass and @dataclass(frozen=True, ...): options are keyword-only, as in CPython.
  auto options_from = [](const CallArgs& a) {
    auto flag = [&](const char* name, bool fallback) {
      const Value* v = a.keyword(name);
      return v && v->is_bool() ? v->as_bool() : fallback;
    };
    DataclassOptions o;
    o.frozen = flag("frozen", o.frozen);
    o.init = flag("init", o.init);
    o.repr = flag("repr", o.repr);
    o.eq = flag("eq", o.eq);
    o.order = flag("order", o.order);
    return o;
  };
  in.set_global(&ns, "dataclass", in.builtin("dataclasses.dataclass", [d, options_from](Interpreter& i, CallArgs& a) -> Value {
    DataclassOptions want = options_from(a);
    if (!a.positional.empty()) return make_dataclass(i, *d, a.positional[0], want);
    return i.builtin("dataclasses.dataclass", [d, want](Interpreter& j, CallArgs& b) {
      return make_dataclass(j, *d, native_required(j, b, 0, nullptr), want);
    });
  }));
  in.set_global(&ns, "fields", in.builtin("dataclasses.fields", [](Interpreter& i, CallArgs& a) -> Value {
    const Value& v = native_required(i, a, 0, "class_or_instance");
    if (is_unknown(v)) return v;
    ClassObj* c = dataclass_of(i, v);
    if (!c) i.raise("TypeError", "must be called with a dataclass type or instance");
    std::vector<Value> out;
    for (auto& entry : c->attrs.find("__dataclass_fields__")->as<DictObj>()->items) out.push_back(entry.second);
    return make_tuple(std::move(out));
  }));
  in.set_global(&ns, "is_dataclass", in.builtin("dataclasses.is_dataclass", [](Interpreter& i, CallArgs& a) {
    return Value::boolean(dataclass_of(i, native_required(i, a, 0, "obj")) != nullptr);
  }));
  in.set_global(&ns, "replace", in.builtin("dataclasses.replace", [](Interpreter& i, CallArgs& a) -> Value {
    const Value& obj = native_required(i, a, 0, "obj");
    if (is_unknown(obj)) return obj;
    ClassObj* c = dataclass_of(i, obj);
    if (!c || obj.as<ClassObj>()) i.raise("TypeError", "replace() should be called on dataclass instances");
    CallArgs args;
    for (auto& f : c->dataclass_fields) {
      if (!in_init(*c, f.name)) continue;
      if (const Value* kw = a.keyword(f.name)) args.keywords.emplace_back(f.name, *kw);
      else args.keywords.emplace_back(f.name, i.get_attr(obj, f.name));
    }
    for (auto& kw : a.keywords) {
      if (std::none_of(args.keywords.begin(), args.keywords.end(), [&](auto& e) { return e.first == kw.first; })) args.keywords.push_back(kw);
    }
    return i.call(cls_value(c), std::move(args));
  }));
  in.set_global(&ns, "asdict", in.builtin("dataclasses.asdict", [](Interpreter& i, CallArgs& a) -> Value {
    const Value& obj = native_required(i, a, 0, "obj");
    if (is_unknown(obj)) return obj;
    if (!dataclass_of(i, obj) || obj.as<ClassObj>()) i.raise("TypeError", "asdict() should be called on dataclass instances");
    return convert(i, obj, true);
  }));
  in.set_global(&ns, "astuple", in.builtin("dataclasses.astuple", [](Interpreter& i, CallArgs& a) -> Value {
    const Value& obj = native_required(i, a, 0, "obj");
    if (is_unknown(obj)) return obj;
    if (!dataclass_of(i, obj) || obj.as<ClassObj>()) i.raise("TypeError", "astuple() should be called on dataclass instances");
    return convert(i, obj, false);
  }));
}

}  // namespace ckg::interp::modules
