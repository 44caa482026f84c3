// Expression evaluation.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string_view>

#include <fmt/format.h>

#include "interp/format.h"
#include "interp/generators.h"
#include "interp/interpreter.h"
#include "parse/syntax.h"

namespace ckg::interp {

using parse::Field;
using parse::Kind;
using parse::field;
using parse::named_children;

namespace {

Value parse_integer(std::string text) {
  std::string digits;
  for (char c : text) {
    if (c != '_') digits += c;
  }
  int base = 10;
  std::size_t skip = 0;
  if (digits.size() > 1 && digits[0] == '0') {
    char p = static_cast<char>(std::tolower(static_cast<unsigned char>(digits[1])));
    if (p == 'x') base = 16, skip = 2;
    else if (p == 'o') base = 8, skip = 2;
    else if (p == 'b') base = 2, skip = 2;
  }
  if (!digits.empty() && (digits.back() == 'l' || digits.back() == 'L')) return Value::floating(std::strtod(digits.c_str(), nullptr));
  auto v = BigInt::parse(std::string_view(digits).substr(skip), base);
  return v ? Value::integer(std::move(*v)) : Value::floating(std::strtod(digits.c_str(), nullptr));
}

// Decodes backslash escapes of a non-raw string literal body.
std::string decode_escapes(std::string_view s, bool is_bytes) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c != '\\' || i + 1 >= s.size()) {
      out += c;
      continue;
    }
    char e = s[++i];
    switch (e) {
      case '\n': break;  // line continuation inside the literal
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': {
        int v = 0, n = 0;
        while (n < 3 && i < s.size() && s[i] >= '0' && s[i] <= '7') v = v * 8 + (s[i++] - '0'), ++n;
        --i;
        out += static_cast<char>(v);
        break;
      }
      case 'x': {
        if (i + 2 < s.size() + 0 && i + 2 <= s.size() - 1) {
          auto byte = std::strtol(std::string(s.substr(i + 1, 2)).c_str(), nullptr, 16);
          out += is_bytes ? std::string(1, static_cast<char>(byte)) : utf8_encode(static_cast<char32_t>(byte));
          i += 2;
        }
        break;
      }
      case 'u': case 'U': {
        if (is_bytes) { out += '\\'; out += e; break; }
        std::size_t len = e == 'u' ? 4 : 8;
        if (i + len >= s.size() + 0 && i + len > s.size() - 1) { out += e; break; }
        unsigned long cp = std::strtoul(std::string(s.substr(i + 1, len)).c_str(), nullptr, 16);
        i += len;
        out += utf8_encode(static_cast<char32_t>(cp));
        break;
      }
      default: out += e;  // \\ \' \" and unknown escapes keep the character
    }
  }
  return out;
}

}  // namespace

Value Interpreter::lookup_name(Frame& f, const std::string& name, TSNode) {
  for (Env* e = f.env.get(); e != nullptr; e = e->parent.get()) {
    if (Value* v = e->vars.find(name)) {
      if (v->as<LazyImportObj>()) *v = resolve_lazy(*v);
      return *v;
    }
  }
  if (f.module && f.module->globals) {
    if (Value* v = f.module->globals->vars.find(name)) {
      if (v->as<LazyImportObj>()) *v = resolve_lazy(*v);
      return *v;
    }
  }
  if (const Value* v = builtins_->vars.find(name)) return *v;
  raise("NameError", fmt::format("name '{}' is not defined", name));
}

// The format spec of an f-string field, with its nested `{expr}` fields evaluated in place
// (`{x:{width}.{precision}f}`), without the leading ':'.
static std::string format_spec_text(Interpreter& in, Frame& f, TSNode spec_node) {
  const std::string& source = f.file->text();
  std::uint32_t at = ts_node_start_byte(spec_node), end = ts_node_end_byte(spec_node);
  if (at < end && source[at] == ':') ++at;
  std::string spec;
  for (TSNode part : named_children(spec_node)) {
    if (parse::kind(part) != Kind::k_format_expression) continue;
    spec += source.substr(at, ts_node_start_byte(part) - at);
    spec += in.display(in.eval(f, field(part, Field::expression)), false);
    at = ts_node_end_byte(part);
  }
  return spec + source.substr(at, end - at);
}

// The source a self-documenting f-string field (`{x = }`) prints: from after its `{` to the
// conversion, spec or `}`, spaces included; empty for other fields.
static std::string_view self_documenting_text(const Frame& f, TSNode interpolation) {
  uint32_t n = ts_node_child_count(interpolation);
  for (uint32_t i = 0; i + 1 < n; ++i) {
    TSNode c = ts_node_child(interpolation, i);
    if (ts_node_is_named(c) || f.file->node_text(c) != "=") continue;
    uint32_t from = ts_node_start_byte(interpolation) + 1, to = ts_node_start_byte(ts_node_child(interpolation, i + 1));
    return std::string_view(f.file->text()).substr(from, to - from);
  }
  return {};
}

static Value eval_string(Interpreter& in, Frame& f, TSNode node) {
  std::string out;
  std::uint64_t taint = 0;
  bool raw = false, is_bytes = false, is_f = false;
  for (TSNode child : named_children(node)) {
    switch (parse::kind(child)) {
      case Kind::k_string_start: {
        for (char c : f.file->node_text(child)) {
          char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          if (l == 'r') raw = true;
          if (l == 'b') is_bytes = true;
          if (l == 'f') is_f = true;
        }
        break;
      }
      case Kind::k_string_content: {
        std::string_view body = f.file->node_text(child);
        std::string piece = raw ? std::string(body) : decode_escapes(body, is_bytes);
        if (is_f) {
          std::string folded;
          for (std::size_t i = 0; i < piece.size(); ++i) {
            folded += piece[i];
            if ((piece[i] == '{' || piece[i] == '}') && i + 1 < piece.size() && piece[i + 1] == piece[i]) ++i;
          }
          piece = folded;
        }
        out += piece;
        break;
      }
      case Kind::k_interpolation: {
        Value v = in.eval(f, field(child, Field::expression));
        if (is_unknown(v)) return v;
        taint |= v.taint();
        TSNode conv = field(child, Field::type_conversion);
        TSNode spec_node = field(child, Field::format_specifier);
        std::string spec = parse::is_null(spec_node) ? std::string() : format_spec_text(in, f, spec_node);
        // `{expr=}` prints the expression's source (with its spaces) and, without a conversion or
        // a spec, the value's repr
        std::string_view conversion = parse::is_null(conv) ? std::string_view() : f.file->node_text(conv);
        if (std::string_view shown = self_documenting_text(f, child); !shown.empty()) {
          out += shown;
          if (conversion.empty() && spec.empty()) conversion = "!r";
        }
        if (conversion == "!r") v = Value::string(in.display(v, true));
        else if (conversion == "!s") v = Value::string(in.display(v, false));
        else if (conversion == "!a") v = Value::string(ascii_escaped(in.display(v, true)));
        out += format_value(in, v, spec);
        break;
      }
      default: break;
    }
  }
  if (is_bytes) return Value::object(std::make_shared<BytesObj>(std::move(out)));
  return Value::string(std::move(out)).with_taint(taint);
}

static Value eval_sequence_items(Interpreter& in, Frame& f, TSNode node, std::vector<Value>& items) {
  for (TSNode child : named_children(node)) {
    // tree-sitter-python 0.23 reads `[*f()]` as a call of `*f`; evaluating that call gives f()'s
    // result, which is what the display unpacks.
    bool misread_call = parse::kind(child) == Kind::k_call && parse::kind(field(child, Field::function)) == Kind::k_list_splat;
    if (parse::kind(child) == Kind::k_list_splat || misread_call) {
      Value v = in.eval(f, misread_call ? child : named_children(child).at(0));
      if (is_unknown(v)) return v;
      for (auto& x : in.iterate(v)) items.push_back(x);
    } else {
      items.push_back(in.eval(f, child));
    }
  }
  return Value::none();
}

// Runs the for/if clauses of a comprehension from clause `i`, calling `emit` per element. The
// first clause's iterable is `first` when it was evaluated already (a generator expression's).
static void run_comprehension(Interpreter& in, Frame& f, const std::vector<TSNode>& clauses, std::size_t i,
                              const std::function<void(Frame&)>& emit, const Value* first = nullptr) {
  if (i == clauses.size()) {
    emit(f);
    return;
  }
  TSNode clause = clauses[i];
  if (parse::kind(clause) == Kind::k_for_in_clause) {
    Value iterable = first ? *first : in.eval(f, field(clause, Field::right));
    if (is_unknown(iterable)) {
      in.note_unknown(iterable, "comprehension over an unresolved iterable");
      return;
    }
    in.for_each_item(iterable, [&](const Value& item) {
      in.step();
      in.assign(f, field(clause, Field::left), item);
      run_comprehension(in, f, clauses, i + 1, emit);
      return true;
    });
  } else {  // if_clause
    TSNode condition = named_children(clause).at(0);
    Value cond = in.eval(f, condition);
    bool keep = in.truthy(cond);
    in.observe_decision(f, condition, cond, keep);
    if (keep) run_comprehension(in, f, clauses, i + 1, emit);
  }
}

// A comprehension's scope: a new one inside the enclosing function's (a class body's names are
// not visible in it, as in CPython).
static Frame comprehension_frame(const Frame& f) {
  Frame inner = f;
  inner.env = std::make_shared<Env>();
  inner.env->parent = f.is_class_body ? f.env->parent : f.env;
  inner.env->comprehension = true;  // `:=` binds in the enclosing scope
  inner.is_class_body = false;
  inner.return_value = Value();
  return inner;
}

static std::vector<TSNode> comprehension_clauses(TSNode node) {
  std::vector<TSNode> clauses;
  for (TSNode c : named_children(node)) {
    Kind k = parse::kind(c);
    if (k == Kind::k_for_in_clause || k == Kind::k_if_clause) clauses.push_back(c);
  }
  return clauses;
}

Value Interpreter::make_generator_expression(Frame& f, TSNode node) {
  auto g = std::make_shared<GeneratorObj>(*this);
  g->name = "<genexpr>";
  g->expression = node;
  g->frame = comprehension_frame(f);
  // CPython evaluates the first iterable where the expression is written, the rest lazily.
  g->first_iterable = eval(f, field(comprehension_clauses(node).at(0), Field::right));
  return Value::object(g);
}

void Interpreter::run_generator_expression(GeneratorObj& g) {
  TSNode body = field(g.expression, Field::body);
  run_comprehension(*this, g.frame, comprehension_clauses(g.expression), 0,
                    [&](Frame& fr) { suspend_generator(g, eval(fr, body)); }, &g.first_iterable);
}

static Value eval_comprehension(Interpreter& in, Frame& f, TSNode node) {
  std::vector<TSNode> clauses = comprehension_clauses(node);
  // The first iterable is evaluated where the comprehension stands; the rest in its own scope.
  Value first = in.eval(f, field(clauses.at(0), Field::right));
  Frame inner = comprehension_frame(f);
  TSNode body = field(node, Field::body);
  Kind k = parse::kind(node);
  if (k == Kind::k_dictionary_comprehension) {
    auto dict = std::make_shared<DictObj>();
    run_comprehension(in, inner, clauses, 0, [&](Frame& fr) {
      dict->set(in.eval(fr, field(body, Field::key)), in.eval(fr, field(body, Field::value)));
    }, &first);
    return Value::object(dict);
  }
  std::vector<Value> items;
  run_comprehension(in, inner, clauses, 0, [&](Frame& fr) { items.push_back(in.eval(fr, body)); }, &first);
  if (k == Kind::k_set_comprehension) {
    auto set = std::make_shared<SetObj>();
    for (auto& v : items) set->add(v);
    return Value::object(set);
  }
  return make_list(std::move(items));
}

static Value eval_slice(Interpreter& in, Frame& f, TSNode node) {
  auto s = std::make_shared<SliceObj>();
  int part = 0;
  uint32_t n = ts_node_child_count(node);
  for (uint32_t i = 0; i < n; ++i) {
    TSNode c = ts_node_child(node, i);
    if (!ts_node_is_named(c)) {
      if (f.file->node_text(c) == ":") ++part;
      continue;
    }
    if (parse::kind(c) == Kind::k_comment) continue;
    Value v = in.eval(f, c);
    (part == 0 ? s->start : part == 1 ? s->stop : s->step) = v;
  }
  return Value::object(s);
}

static void eval_arguments(Interpreter& in, Frame& f, TSNode arglist, CallArgs& args) {
  if (parse::kind(arglist) == Kind::k_generator_expression) {
    args.positional.push_back(in.eval(f, arglist));
    return;
  }
  for (TSNode a : named_children(arglist)) {
    switch (parse::kind(a)) {
      case Kind::k_keyword_argument:
        args.keywords.emplace_back(Interpreter::mangle(f, node_string(f, field(a, Field::name))), in.eval(f, field(a, Field::value)));
        break;
      case Kind::k_list_splat: {
        Value v = in.eval(f, named_children(a).at(0));
        if (is_unknown(v)) {
          in.note_unknown(v, "*args from an unresolved value");
          break;
        }
        for (auto& x : in.iterate(v)) args.positional.push_back(x);
        break;
      }
      case Kind::k_dictionary_splat: {
        Value v = in.eval(f, named_children(a).at(0));
        if (auto* d = v.as<DictObj>()) {
          for (auto& [k, val] : d->items) {
            if (!k.is_str()) in.raise("TypeError", "keywords must be strings");
            args.keywords.emplace_back(k.as_str(), val);
          }
        } else if (is_unknown(v)) {
          in.note_unknown(v, "**kwargs from an unresolved value");
        } else {
          in.raise("TypeError", "argument after ** must be a mapping, not " + type_name(v));
        }
        break;
      }
      default:
        args.positional.push_back(in.eval(f, a));
    }
  }
}

static std::string operator_text(const Frame& f, const parse::NodeInfo& node) {
  TSNode op = node.field(Field::operator_);
  return parse::is_null(op) ? std::string() : node_string(f, op);
}

// ---- derivations: values in terms of the explored parameters -------------------------------

// A value Python can write as a literal: a scalar, or a tuple, list or set of them.
static bool is_literal_value(const Value& v) {
  if (v.is_none() || v.is_bool() || v.is_int() || v.is_float() || v.is_str()) return true;
  const std::vector<Value>* items = nullptr;
  if (auto* t = v.as<TupleObj>()) items = &t->items;
  else if (auto* l = v.as<ListObj>()) items = &l->items;
  else if (auto* st = v.as<SetObj>()) items = &st->items;
  return items && std::all_of(items->begin(), items->end(), [](const Value& item) {
           return item.is_none() || item.is_bool() || item.is_int() || item.is_float() || item.is_str();
         });
}

// An operand as Python over the parameters: its derivation, or an untainted literal.
static std::optional<Derivation> operand_derivation(const Value& v) {
  if (const Derivation* d = v.derivation()) return *d;
  if (v.taint() == 0 && is_literal_value(v)) return Derivation::of_literal(repr(v));
  return std::nullopt;
}

// The result of `a OP b`, with its derivation when it depends on parameters and both operands
// can be stated in their terms.
static Value derived(const Value& result, const std::string& op, const Value& a, const Value& b) {
  if (result.taint() == 0 || is_unknown(result)) return result;
  std::optional<Derivation> da = operand_derivation(a), db = operand_derivation(b);
  return result.with_derivation(da && db ? std::optional(combined(*da, op, *db)) : std::nullopt);
}

static Value eval_comparison(Interpreter& in, Frame& f, TSNode node) {
  std::vector<TSNode> operands;
  std::vector<std::string> ops;
  uint32_t n = ts_node_child_count(node);
  std::string pending;
  for (uint32_t i = 0; i < n; ++i) {
    TSNode c = ts_node_child(node, i);
    if (ts_node_is_named(c)) {
      if (parse::kind(c) == Kind::k_comment) continue;
      if (!pending.empty()) ops.push_back(pending), pending.clear();
      operands.push_back(c);
    } else {
      std::string t = node_string(f, c);
      pending = pending.empty() ? t : pending + " " + t;  // "not in", "is not"
    }
  }
  Value left = in.eval(f, operands.at(0));
  Value result = Value::boolean(true);
  for (std::size_t i = 0; i < ops.size() && i + 1 < operands.size(); ++i) {
    Value right = in.eval(f, operands[i + 1]);
    result = in.compare(ops[i], left, right);
    if (is_unknown(result)) return result;
    result = derived(result, ops[i], left, right);
    // a chain goes on only while it holds; the last comparison's value is the result as it is
    // (a tensor for `mask != 0`)
    if (i + 1 == ops.size() || !in.truthy(result)) return result;
    left = right;
  }
  return result;
}

// Expressions nest by recursion, and a frame of eval_node is large (several KiB under ASan):
// nesting within one frame's expression is bounded below what compile_check lets through. The
// depth counts evaluations in progress for the same Frame; a call starts again from zero. The
// state is the interpreter's, not a thread's: each generator's fiber has its own (resume()).
constexpr int kMaxExpressionDepth = 200;  // CPython's own limit on nested brackets
struct ExpressionDepth {
  Interpreter::ExpressionNesting& state;
  Interpreter::ExpressionNesting saved;
  ExpressionDepth(Interpreter::ExpressionNesting& s, const Frame& f) : state(s), saved(s) {
    if (state.frame != &f) state = {&f, 0};
    ++state.depth;
  }
  ~ExpressionDepth() { state = saved; }
};

// Value helpers raise without a location (NativeRaise); the innermost node gives it one.
Value Interpreter::eval(Frame& f, TSNode node) {
  ExpressionDepth nesting(expression_nesting_, f);
  if (nesting.state.depth > kMaxExpressionDepth) {
    current_node = node;
    throw AnalysisAbort{fmt::format("an expression nested more than {} levels deep (limit max_expression_depth)", kMaxExpressionDepth), here()};
  }
  // A field the grammar left out (a broken file, a node kind read the wrong way): an error at
  // the statement, never a read through a null node.
  if (ts_node_is_null(node)) raise("SyntaxError", "an expression ckptguard's parser did not produce");
  try {
    return eval_node(f, node);
  } catch (const NativeRaise& e) {
    raise(e.type, e.message);
  }
}

Value Interpreter::eval_node(Frame& f, TSNode node) {
  step();
  current_node = node;
  const parse::NodeInfo& n = parse::info(node);
  switch (n.kind) {
    case Kind::k_identifier: return lookup_name(f, mangled(f, f.file->node_text(node)), node);
    case Kind::k_integer: {
      std::string_view text = f.file->node_text(node);
      // Plain decimal literals that fit int64 (nearly all of them) skip the general parser: a
      // literal is re-read on every evaluation, so in loops this is hot.
      if (!text.empty() && text.size() <= 18 && text[0] != '0' &&
          std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        std::int64_t v = 0;
        for (char c : text) v = v * 10 + (c - '0');
        return Value::integer(v);
      }
      std::string digits(text);
      check_int_bits(digits.size() * 3);  // a decimal digit is 3.3 bits: parsing stays quick
      return parse_integer(std::move(digits));
    }
    case Kind::k_float: {
      std::string t;
      for (char c : f.file->node_text(node)) {
        if (c != '_') t += c;
      }
      if (!t.empty() && (t.back() == 'j' || t.back() == 'J')) return unknown("complex literal");
      return Value::floating(std::strtod(t.c_str(), nullptr));
    }
    case Kind::k_string: return eval_string(*this, f, node);
    case Kind::k_concatenated_string: {  // all str or all bytes
      std::string out;
      bool bytes = false;
      for (TSNode part : n.named) {
        Value v = eval(f, part);
        if (auto* b = v.as<BytesObj>()) out += b->data, bytes = true;
        else if (v.is_str()) out += v.as_str();
        else return v;
      }
      return bytes ? Value::object(std::make_shared<BytesObj>(std::move(out))) : Value::string(std::move(out));
    }
    case Kind::k_true: return Value::boolean(true);
    case Kind::k_false: return Value::boolean(false);
    case Kind::k_none: return Value::none();
    case Kind::k_ellipsis: return builtins_->vars.find("Ellipsis") ? *builtins_->vars.find("Ellipsis") : Value::none();
    case Kind::k_parenthesized_expression: {
      const auto& kids = n.named;
      if (kids.empty()) return make_tuple({});
      return eval(f, kids[0]);
    }
    case Kind::k_attribute: {
      Value obj = eval(f, n.field(Field::object));
      return get_attr(obj, mangle(f, node_string(f, n.field(Field::attribute))));
    }
    case Kind::k_subscript: {
      Value obj = eval(f, n.field(Field::value));
      auto subs = parse::field_children(node, Field::subscript);
      if (subs.size() == 1) return get_item(obj, eval(f, subs[0]));
      std::vector<Value> key;
      for (TSNode s : subs) key.push_back(eval(f, s));
      return get_item(obj, make_tuple(std::move(key)));
    }
    case Kind::k_slice: return eval_slice(*this, f, node);
    case Kind::k_call: {
      Value callee = eval(f, n.field(Field::function));
      CallArgs args;
      eval_arguments(*this, f, n.field(Field::arguments), args);
      current_node = node;
      f.call = node;
      return call(callee, std::move(args));
    }
    case Kind::k_binary_operator: {
      Value a = eval(f, n.field(Field::left));
      Value b = eval(f, n.field(Field::right));
      current_node = node;
      std::string op = operator_text(f, n);
      return derived(binary(op, a, b), op, a, b);
    }
    case Kind::k_unary_operator: {
      Value v = eval(f, n.field(Field::argument));
      std::string op = operator_text(f, n);
      if (is_unknown(v)) return v;
      if (op == "-") {
        if (v.is_float() || v.is_int()) {
          Value out = (v.is_float() ? Value::floating(-v.as_float()) : Value::integer(-v.as_big())).with_taint(v.taint());
          return v.derivation() ? out.with_derivation(unary("-", *v.derivation())) : out;
        }
        if (v.as<TensorObj>()) return v;
      } else if (op == "+") {
        if (v.is_number() || v.as<TensorObj>()) return v;
      } else if (op == "~") {
        if (v.is_int()) return Value::integer(v.as_big().inverted());
        if (v.as<TensorObj>()) return v;
      }
      raise("TypeError", fmt::format("bad operand type for unary {}: '{}'", op, type_name(v)));
    }
    case Kind::k_not_operator: {
      Value v = eval(f, n.field(Field::argument));
      if (is_unknown(v)) return v;
      Value out = Value::boolean(!truthy(v)).with_taint(v.taint());
      if (const Derivation* d = v.derivation()) out = out.with_derivation(negated(*d));
      return out;
    }
    case Kind::k_boolean_operator: {
      // The result depends on the left operand even when the right one is returned.
      Value a = eval(f, n.field(Field::left));
      if (is_unknown(a)) return a;
      bool is_and = operator_text(f, n) == "and";
      if (truthy(a) != is_and) return a;
      Value b = eval(f, n.field(Field::right));
      return derived(b.with_taint(a.taint()), is_and ? "and" : "or", a, b);
    }
    case Kind::k_comparison_operator: return eval_comparison(*this, f, node);
    case Kind::k_conditional_expression: {
      const auto& kids = n.named;  // body, condition, alternative
      Value cond = eval(f, kids.at(1));
      if (is_unknown(cond)) {
        note_unknown(cond, "conditional expression on an unresolved value");
        return cond;
      }
      bool taken = truthy(cond);
      observe_decision(f, kids.at(1), cond, taken);
      return eval(f, taken ? kids.at(0) : kids.at(2));
    }
    case Kind::k_lambda: return make_function(f, node, "<lambda>");
    case Kind::k_list: case Kind::k_tuple: case Kind::k_expression_list: case Kind::k_pattern_list: {
      std::vector<Value> items;
      Value err = eval_sequence_items(*this, f, node, items);
      if (is_unknown(err)) return err;
      return n.kind == Kind::k_list ? make_list(std::move(items)) : make_tuple(std::move(items));
    }
    case Kind::k_set: {
      std::vector<Value> items;
      Value err = eval_sequence_items(*this, f, node, items);
      if (is_unknown(err)) return err;
      auto s = std::make_shared<SetObj>();
      for (auto& v : items) set_add(*s, v);
      return Value::object(s);
    }
    case Kind::k_dictionary: {
      auto d = std::make_shared<DictObj>();
      for (TSNode c : n.named) {
        if (parse::kind(c) == Kind::k_pair) {
          Value k = eval(f, field(c, Field::key));
          d->set(k, eval(f, field(c, Field::value)));
        } else if (parse::kind(c) == Kind::k_dictionary_splat) {
          Value other = eval(f, named_children(c).at(0));
          if (auto* od = other.as<DictObj>()) {
            for (auto& kv : od->items) d->set(kv.first, kv.second);
          } else {
            return is_unknown(other) ? other : unknown("** of a non-dict in a dict display");
          }
        }
      }
      return Value::object(d);
    }
    case Kind::k_list_comprehension: case Kind::k_set_comprehension: case Kind::k_dictionary_comprehension:
      return eval_comprehension(*this, f, node);
    case Kind::k_generator_expression: return make_generator_expression(f, node);
    case Kind::k_yield: {
      const auto& kids = named_children(node);
      Value v = kids.empty() ? Value::none() : eval(f, kids[0]);
      bool from = ts_node_child_count(node) > 1 && std::string_view(ts_node_type(ts_node_child(node, 1))) == "from";
      return from ? yield_from(f, v) : yield_value(f, std::move(v));
    }
    case Kind::k_named_expression: {
      Value v = eval(f, n.field(Field::value));
      // in a comprehension, `:=` binds in the scope the comprehension stands in
      Frame target = f;
      while (target.env->comprehension && target.env->parent) target.env = target.env->parent;
      assign(target, n.field(Field::name), v);
      return v;
    }
    case Kind::k_keyword_argument: return eval(f, n.field(Field::value));
    case Kind::k_list_splat: return eval(f, n.named.at(0));
    case Kind::k_type: return eval(f, n.named.at(0));
    default:
      return unknown(fmt::format("unsupported expression '{}'", ts_node_type(node)));
  }
}

}  // namespace ckg::interp
