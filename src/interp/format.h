// Python's format mini-language for f-strings, str.format and %-formatting.
#pragma once

#include <string>

#include "interp/value.h"

namespace ckg::interp {

class Interpreter;

// format(value, spec): fill/align/sign/width/precision/type for ints, floats and strings.
std::string format_value(Interpreter& in, const Value& v, const std::string& spec);
// "...{}...{name}...".format(*args, **kwargs)
std::string format_string(Interpreter& in, const std::string& fmt, const CallArgs& args);
// "%d %s" % args
std::string percent_format(Interpreter& in, const std::string& fmt, const Value& args);

}  // namespace ckg::interp
