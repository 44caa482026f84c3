// The `numbers` module: the numeric tower. CPython registers int, bool and float as virtual
// subclasses of its ABCs; here the ABCs join those types' MROs, so isinstance() answers alike.
#include "interp/modules/modules.h"

namespace ckg::interp::modules {

void install_numbers(Interpreter& in, ModuleNs& ns) {
  auto cls_value = [](ClassObj* c) { return Value::object(ObjPtr(ObjPtr(), c)); };
  ClassObj* number = in.new_native_class("numbers.Number", {in.types.object});
  ClassObj* complex = in.new_native_class("numbers.Complex", {number});
  ClassObj* real = in.new_native_class("numbers.Real", {complex});
  ClassObj* rational = in.new_native_class("numbers.Rational", {real});
  ClassObj* integral = in.new_native_class("numbers.Integral", {rational});
  for (ClassObj* c : {number, complex, real, rational, integral}) in.set_global(&ns, c->name, cls_value(c));
  auto join = [](ClassObj* type, std::vector<ClassObj*> abcs) {
    auto& mro = type->mro;
    auto object_at = mro.end() - 1;  // object stays last
    mro.insert(object_at, abcs.begin(), abcs.end());
  };
  join(in.types.int_, {integral, rational, real, complex, number});
  join(in.types.bool_, {integral, rational, real, complex, number});
  join(in.types.float_, {real, complex, number});
}

}  // namespace ckg::interp::modules
