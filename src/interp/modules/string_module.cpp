// The `string` module's constants (ascii_letters, digits, punctuation, ...) and capwords.
#include "interp/modules/modules.h"

namespace ckg::interp::modules {

void install_string(Interpreter& in, ModuleNs& ns) {
  const std::string lowercase = "abcdefghijklmnopqrstuvwxyz", uppercase = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  const std::string digits = "0123456789", punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", whitespace = " \t\n\r\x0b\x0c";
  in.set_global(&ns, "ascii_lowercase", Value::string(lowercase));
  in.set_global(&ns, "ascii_uppercase", Value::string(uppercase));
  in.set_global(&ns, "ascii_letters", Value::string(lowercase + uppercase));
  in.set_global(&ns, "digits", Value::string(digits));
  in.set_global(&ns, "hexdigits", Value::string(digits + "abcdefABCDEF"));
  in.set_global(&ns, "octdigits", Value::string("01234567"));
  in.set_global(&ns, "punctuation", Value::string(punctuation));
  in.set_global(&ns, "whitespace", Value::string(whitespace));
  in.set_global(&ns, "printable", Value::string(digits + lowercase + uppercase + punctuation + whitespace));
  // capwords(s, sep=None): split, capitalize each word, join (with sep, or one space)
  in.set_global(&ns, "capwords", in.builtin("string.capwords", [](Interpreter& i, CallArgs& a) {
    Value sep = native_arg_or(a, 1, "sep", Value::none());
    Value words = i.call(i.get_attr(native_required(i, a, 0, "s"), "split"), CallArgs{{sep}, {}});
    std::vector<Value> capitalized;
    for (const Value& word : i.iterate(words)) capitalized.push_back(i.call(i.get_attr(word, "capitalize"), CallArgs{}));
    Value joiner = sep.is_none() ? Value::string(" ") : sep;
    return i.call(i.get_attr(joiner, "join"), CallArgs{{make_list(std::move(capitalized))}, {}});
  }));
}

}  // namespace ckg::interp::modules
