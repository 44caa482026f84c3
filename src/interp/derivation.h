// Derivations: how a value was computed from the explored constructor parameters, as Python
// over them ("kernel_size - stride", "norm == 'none'"), when every step is an operator on
// parameters and literals. Branch conditions are rendered from them, so a flag computed in the
// user's code (`bias=norm == "none"`) and tested inside a layer (`if bias:`) reads as
// `norm == 'none'`, not as a test of whatever name the layer gave it.
#pragma once

#include <string>

namespace ckg::interp {

struct Derivation {
  // Python's operator precedence, lowest first, for parenthesising `text` inside another operator.
  enum Precedence : int {
    boolean_or = 1, boolean_and, boolean_not, comparison, bit_or, bit_xor, bit_and, shift, sum, term, unary, power, atom
  };
  // The forms conditions on one parameter are simplified by, and everything else.
  enum class Form { parameter, negated_parameter, comparison, literal, expression };

  std::string text;
  int precedence = atom;
  Form form = Form::expression;
  std::string parameter, op, literal;  // of the parameter forms and of a comparison with a literal

  static Derivation of_parameter(const std::string& name);
  static Derivation of_literal(const std::string& python);
};

// The precedence of a binary or comparison operator ("+", "//", "not in").
int operator_precedence(const std::string& op);
// `a OP b`. A parameter compared with a literal (either side of == and !=) is a comparison form.
Derivation combined(const Derivation& a, const std::string& op, const Derivation& b);
// `-a`, `~a`, `+a`.
Derivation unary(const std::string& op, const Derivation& a);
// `not d`, simplified: a comparison states the opposite comparison, `not not p` is `p`.
Derivation negated(const Derivation& d);

}  // namespace ckg::interp
