// The `operator` module: the operators as functions (sort keys and reduce() use them), and
// itemgetter, attrgetter and methodcaller.
#include <fmt/format.h>

#include "interp/modules/modules.h"

namespace ckg::interp::modules {
namespace {

// -x, +x and ~x: numbers directly, anything else through its own __neg__, __pos__, __invert__.
Value unary(Interpreter& in, const char* op, const char* method, const Value& v) {
  if (is_unknown(v)) return v;
  if (v.is_int() || v.is_float() || v.is_bool()) {
    Value n = v.is_bool() ? Value::integer(v.as_bool() ? 1 : 0) : v;
    if (op[0] == '+') return n;
    if (op[0] == '-') return n.is_float() ? Value::floating(-n.as_float()) : Value::integer(-n.as_big());
    if (n.is_int()) return Value::integer(n.as_big().inverted());
  }
  if (auto* inst = v.as<InstanceObj>(); inst && inst->cls->lookup(method)) return in.call(in.get_attr(v, method), CallArgs{});
  in.raise("TypeError", fmt::format("bad operand type for unary {}: '{}'", op, type_name(v)));
}

// attrgetter's dotted names: 'a.b' reads a, then its b.
Value dotted_attr(Interpreter& in, Value obj, const std::string& path) {
  std::size_t start = 0;
  while (true) {
    std::size_t dot = path.find('.', start);
    obj = in.get_attr(obj, path.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) return obj;
    start = dot + 1;
  }
}

// itemgetter and attrgetter: one key gives the one value, several give a tuple of them.
Value getter(Interpreter& in, const std::string& name, std::vector<Value> keys, Value (*get)(Interpreter&, const Value&, const Value&)) {
  if (keys.empty()) in.raise("TypeError", fmt::format("{} expected 1 argument, got 0", name));
  return in.builtin("operator." + name, [keys, get](Interpreter& i, CallArgs& a) {
    const Value& obj = native_required(i, a, 0, "obj");
    if (keys.size() == 1) return get(i, obj, keys[0]);
    std::vector<Value> out;
    for (auto& k : keys) out.push_back(get(i, obj, k));
    return make_tuple(std::move(out));
  });
}

}  // namespace

void install_operator(Interpreter& in, ModuleNs& ns) {
  auto def = [&](const char* name, NativeFn fn) { in.set_global(&ns, name, in.builtin(std::string("operator.") + name, std::move(fn))); };
  struct Binary { const char* name; const char* symbol; };
  static const Binary binaries[] = {
      {"add", "+"},     {"sub", "-"},     {"mul", "*"},  {"truediv", "/"}, {"floordiv", "//"}, {"mod", "%"},
      {"pow", "**"},    {"matmul", "@"},  {"and_", "&"}, {"or_", "|"},     {"xor", "^"},        {"lshift", "<<"},
      {"rshift", ">>"}, {"concat", "+"},
  };
  for (const Binary& b : binaries) {
    std::string symbol = b.symbol;
    def(b.name, [symbol](Interpreter& i, CallArgs& a) { return i.binary(symbol, native_required(i, a, 0, "a"), native_required(i, a, 1, "b")); });
  }
  static const Binary comparisons[] = {{"eq", "=="}, {"ne", "!="}, {"lt", "<"}, {"le", "<="}, {"gt", ">"}, {"ge", ">="}};
  for (const Binary& c : comparisons) {
    std::string symbol = c.symbol;
    def(c.name, [symbol](Interpreter& i, CallArgs& a) { return i.compare(symbol, native_required(i, a, 0, "a"), native_required(i, a, 1, "b")); });
  }
  def("neg", [](Interpreter& i, CallArgs& a) { return unary(i, "-", "__neg__", native_required(i, a, 0, "a")); });
  def("pos", [](Interpreter& i, CallArgs& a) { return unary(i, "+", "__pos__", native_required(i, a, 0, "a")); });
  def("invert", [](Interpreter& i, CallArgs& a) { return unary(i, "~", "__invert__", native_required(i, a, 0, "a")); });
  def("inv", [](Interpreter& i, CallArgs& a) { return unary(i, "~", "__invert__", native_required(i, a, 0, "a")); });
  def("not_", [](Interpreter& i, CallArgs& a) { return Value::boolean(!i.truthy(native_required(i, a, 0, "a"))); });
  def("truth", [](Interpreter& i, CallArgs& a) { return Value::boolean(i.truthy(native_required(i, a, 0, "a"))); });
  def("is_", [](Interpreter& i, CallArgs& a) { return i.compare("is", native_required(i, a, 0, "a"), native_required(i, a, 1, "b")); });
  def("is_not", [](Interpreter& i, CallArgs& a) { return i.compare("is not", native_required(i, a, 0, "a"), native_required(i, a, 1, "b")); });
  def("contains", [](Interpreter& i, CallArgs& a) { return i.compare("in", native_required(i, a, 1, "b"), native_required(i, a, 0, "a")); });
  def("getitem", [](Interpreter& i, CallArgs& a) { return i.get_item(native_required(i, a, 0, "a"), native_required(i, a, 1, "b")); });
  def("itemgetter", [](Interpreter& i, CallArgs& a) {
    return getter(i, "itemgetter", a.positional, [](Interpreter& j, const Value& obj, const Value& key) { return j.get_item(obj, key); });
  });
  def("attrgetter", [](Interpreter& i, CallArgs& a) {
    for (auto& name : a.positional) {
      if (!name.is_str()) i.raise("TypeError", "attribute name must be a string");
    }
    return getter(i, "attrgetter", a.positional, [](Interpreter& j, const Value& obj, const Value& name) { return dotted_attr(j, obj, name.as_str()); });
  });
  def("methodcaller", [](Interpreter& i, CallArgs& a) {
    const Value& name = native_required(i, a, 0, "name");
    if (!name.is_str()) i.raise("TypeError", "method name must be a string");
    CallArgs bound{std::vector<Value>(a.positional.begin() + 1, a.positional.end()), a.keywords};
    return i.builtin("operator.methodcaller", [name, bound](Interpreter& j, CallArgs& b) {
      return j.call(j.get_attr(native_required(j, b, 0, "obj"), name.as_str()), bound);
    });
  });
}

}  // namespace ckg::interp::modules
