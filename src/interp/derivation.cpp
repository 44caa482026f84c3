// Derivation: Python text over parameters, parenthesised by precedence.
#include "interp/derivation.h"

#include <map>

namespace ckg::interp {

namespace {

std::string operand(const Derivation& d, int precedence) { return d.precedence <= precedence ? "(" + d.text + ")" : d.text; }

std::string opposite_comparison(const std::string& op) {
  static const std::map<std::string, std::string> opposite{
      {"==", "!="}, {"!=", "=="}, {"<", ">="}, {">=", "<"}, {">", "<="}, {"<=", ">"},
      {"in", "not in"}, {"not in", "in"}, {"is", "is not"}, {"is not", "is"}};
  auto it = opposite.find(op);
  return it == opposite.end() ? std::string() : it->second;
}

Derivation comparison(const std::string& parameter, const std::string& op, const std::string& literal) {
  return {parameter + " " + op + " " + literal, Derivation::comparison, Derivation::Form::comparison, parameter, op, literal};
}

}  // namespace

Derivation Derivation::of_parameter(const std::string& name) { return {name, atom, Form::parameter, name, "", ""}; }

Derivation Derivation::of_literal(const std::string& python) { return {python, atom, Form::literal, "", "", ""}; }

int operator_precedence(const std::string& op) {
  static const std::map<std::string, int> precedence{
      {"|", Derivation::bit_or}, {"^", Derivation::bit_xor}, {"&", Derivation::bit_and}, {"<<", Derivation::shift},
      {">>", Derivation::shift}, {"+", Derivation::sum}, {"-", Derivation::sum}, {"*", Derivation::term},
      {"/", Derivation::term}, {"//", Derivation::term}, {"%", Derivation::term}, {"@", Derivation::term},
      {"**", Derivation::power}, {"and", Derivation::boolean_and}, {"or", Derivation::boolean_or}};
  auto it = precedence.find(op);
  return it == precedence.end() ? Derivation::comparison : it->second;
}

Derivation combined(const Derivation& a, const std::string& op, const Derivation& b) {
  int precedence = operator_precedence(op);
  if (precedence == Derivation::comparison) {
    if (a.form == Derivation::Form::parameter && b.form == Derivation::Form::literal) return comparison(a.parameter, op, b.text);
    bool symmetric = op == "==" || op == "!=";
    if (symmetric && b.form == Derivation::Form::parameter && a.form == Derivation::Form::literal) {
      return comparison(b.parameter, op, a.text);
    }
  }
  return {operand(a, precedence) + " " + op + " " + operand(b, precedence), precedence, Derivation::Form::expression, "", "", ""};
}

Derivation unary(const std::string& op, const Derivation& a) {
  return {op + operand(a, Derivation::unary - 1), Derivation::unary, Derivation::Form::expression, "", "", ""};
}

Derivation negated(const Derivation& d) {
  switch (d.form) {
    case Derivation::Form::parameter: return {"not " + d.parameter, Derivation::boolean_not, Derivation::Form::negated_parameter, d.parameter, "", ""};
    case Derivation::Form::negated_parameter: return Derivation::of_parameter(d.parameter);
    case Derivation::Form::comparison:
      if (std::string op = opposite_comparison(d.op); !op.empty()) return comparison(d.parameter, op, d.literal);
      break;
    default: break;
  }
  return {"not " + operand(d, Derivation::boolean_not - 1), Derivation::boolean_not, Derivation::Form::expression, "", "", ""};
}

}  // namespace ckg::interp
