// Python string formatting for the interpreter.
#include "interp/format.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "interp/interpreter.h"

namespace ckg::interp {

// Width and precision beyond this are as many as the allocation budget refuses.
constexpr std::int64_t kMaxWidth = std::int64_t{1} << 40;

// Inserts `separator` between groups of `group` digits of body's first `digits` characters (a
// float's integer part), counted from their end.
static std::string grouped(const std::string& body, std::size_t digits, char separator, std::size_t group) {
  std::string out;
  for (std::size_t k = 0; k < digits; ++k) {
    if (k && (digits - k) % group == 0) out += separator;
    out += body[k];
  }
  return out + body.substr(digits);
}

std::string format_value(Interpreter& in, const Value& v, const std::string& spec) {
  if (spec.empty()) return in.display(v, false);
  // [[fill]align][sign][#][0][width][,][.precision][type]
  std::size_t i = 0;
  char fill = ' ', align = 0, sign = '-';
  auto is_align = [](char c) { return c == '<' || c == '>' || c == '^' || c == '='; };
  if (spec.size() >= 2 && is_align(spec[1])) fill = spec[0], align = spec[1], i = 2;
  else if (!spec.empty() && is_align(spec[0])) align = spec[0], i = 1;
  if (i < spec.size() && (spec[i] == '+' || spec[i] == '-' || spec[i] == ' ')) sign = spec[i++];
  bool alternate = false;  // '#': 0x / 0o / 0b before the digits
  if (i < spec.size() && spec[i] == '#') alternate = true, ++i;
  if (i < spec.size() && spec[i] == '0') { if (!align) fill = '0', align = '='; ++i; }
  // width and precision saturate: the padding is charged before it is made
  auto number = [&] {
    std::int64_t n = 0;
    while (i < spec.size() && std::isdigit(static_cast<unsigned char>(spec[i]))) n = std::min<std::int64_t>(n * 10 + (spec[i++] - '0'), kMaxWidth);
    return n;
  };
  std::int64_t width = number();
  char grouping = 0;  // ',' or '_' between groups of digits
  if (i < spec.size() && (spec[i] == ',' || spec[i] == '_')) grouping = spec[i++];
  std::int64_t precision = -1;
  if (i < spec.size() && spec[i] == '.') {
    ++i;
    precision = number();
    if (precision > 1000) in.charge(static_cast<std::uint64_t>(precision), "a formatted number");
  }
  char type = i < spec.size() ? spec[i] : 0;
  std::string body;
  if (v.is_number() && !v.is_bool()) {
    bool neg = false;
    std::string prefix;  // after the sign, before zero padding
    if (type == 'f' || type == 'F' || type == 'e' || type == 'E' || type == '%' || type == 'g' || (v.is_float() && (precision >= 0 || type == 0))) {
      double d = v.as_float();
      if (type == '%') d *= 100;
      neg = d < 0;
      d = std::fabs(d);
      int p = precision < 0 ? 6 : static_cast<int>(precision);
      if (type == 'e' || type == 'E') body = fmt::format("{:.{}e}", d, p);
      else if (type == 'g' || (type == 0 && precision >= 0)) body = fmt::format("{:.{}g}", d, p);
      else if (type == 0) body = str(Value::floating(d));
      else body = fmt::format("{:.{}f}", d, p);
      if (type == '%') body += '%';
      if (grouping && std::isfinite(d)) body = grouped(body, std::min(body.find_first_not_of("0123456789"), body.size()), grouping, 3);
    } else if (v.is_int()) {
      const BigInt n = v.as_big();
      neg = n.negative();
      const int base = type == 'x' || type == 'X' ? 16 : type == 'o' ? 8 : type == 'b' ? 2 : 10;
      body = (neg ? -n : n).to_string(base);
      if (type == 'X') std::transform(body.begin(), body.end(), body.begin(), [](char ch) { return static_cast<char>(std::toupper(static_cast<unsigned char>(ch))); });
      // thousands in decimal, groups of four digits in the other bases
      if (grouping) body = grouped(body, body.size(), grouping, base == 10 ? 3 : 4);
      if (alternate && base != 10) prefix = type == 'X' ? "0X" : base == 16 ? "0x" : base == 8 ? "0o" : "0b";
    }
    std::string sign_text = (neg ? "-" : (sign == '+' ? "+" : sign == ' ' ? " " : "")) + prefix;
    if (align == '=') {
      if (static_cast<std::int64_t>(sign_text.size() + body.size()) < width) {
        in.charge(static_cast<std::uint64_t>(width), "a formatted field");
        body.insert(0, static_cast<std::size_t>(width) - sign_text.size() - body.size(), fill);
      }
      return sign_text + body;
    }
    body = sign_text + body;
    if (!align) align = '>';
  } else {
    body = in.display(v, false);
    if (precision >= 0 && static_cast<std::int64_t>(body.size()) > precision) body.resize(static_cast<std::size_t>(precision));
    if (!align) align = '<';
  }
  std::int64_t pad = width - static_cast<std::int64_t>(body.size());
  if (pad <= 0) return body;
  in.charge(static_cast<std::uint64_t>(width), "a formatted field");
  if (align == '<') return body + std::string(static_cast<std::size_t>(pad), fill);
  if (align == '^') return std::string(static_cast<std::size_t>(pad / 2), fill) + body + std::string(static_cast<std::size_t>(pad - pad / 2), fill);
  return std::string(static_cast<std::size_t>(pad), fill) + body;
}

static bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)); });
}

std::string format_string(Interpreter& in, const std::string& text, const CallArgs& args) {
  std::string out;
  std::size_t auto_index = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '{' && i + 1 < text.size() && text[i + 1] == '{') { out += '{'; ++i; continue; }
    if (c == '}' && i + 1 < text.size() && text[i + 1] == '}') { out += '}'; ++i; continue; }
    if (c != '{') { out += c; continue; }
    std::size_t close = text.find('}', i);
    if (close == std::string::npos) in.raise("ValueError", "Single '{' encountered in format string");
    std::string field = text.substr(i + 1, close - i - 1);
    i = close;
    std::string spec, conversion;
    if (auto colon = field.find(':'); colon != std::string::npos) spec = field.substr(colon + 1), field = field.substr(0, colon);
    if (auto bang = field.find('!'); bang != std::string::npos) conversion = field.substr(bang + 1), field = field.substr(0, bang);
    // split "name.attr[0]" into the head and accessors
    std::size_t head_end = field.find_first_of(".[");
    std::string head = field.substr(0, head_end);
    Value v;
    if (head.empty()) {
      if (auto_index >= args.positional.size()) in.raise("IndexError", "Replacement index out of range for positional args tuple");
      v = args.positional[auto_index++];
    } else if (all_digits(head)) {
      auto k = BigInt::parse(head, 10);
      if (k->compare(BigInt(static_cast<std::int64_t>(args.positional.size()))) >= 0) in.raise("IndexError", "Replacement index out of range for positional args tuple");
      v = args.positional[static_cast<std::size_t>(*k->to_int64())];
    } else {
      const Value* kv = args.keyword(head);
      if (!kv) in.raise("KeyError", "'" + head + "'");
      v = *kv;
    }
    std::size_t p = head_end;
    while (p != std::string::npos && p < field.size()) {
      if (field[p] == '.') {
        std::size_t e = field.find_first_of(".[", p + 1);
        v = in.get_attr(v, field.substr(p + 1, e == std::string::npos ? std::string::npos : e - p - 1));
        p = e;
      } else {
        std::size_t e = field.find(']', p);
        std::string key = field.substr(p + 1, e - p - 1);
        v = in.get_item(v, all_digits(key) ? Value::integer(*BigInt::parse(key, 10)) : Value::string(key));
        p = e == std::string::npos ? e : e + 1;
      }
    }
    if (is_unknown(v)) return str(v);
    if (conversion == "r") v = Value::string(in.display(v, true));
    out += format_value(in, v, spec);
  }
  return out;
}

std::string percent_format(Interpreter& in, const std::string& text, const Value& args) {
  std::vector<Value> items;
  if (auto* t = args.as<TupleObj>()) items = t->items;
  else items.push_back(args);
  std::size_t next = 0;
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') { out += text[i]; continue; }
    if (i + 1 < text.size() && text[i + 1] == '%') { out += '%'; ++i; continue; }
    std::size_t j = i + 1;
    std::optional<Value> named;  // `%(key)s` takes args[key] from a mapping
    if (j < text.size() && text[j] == '(') {
      std::size_t close = text.find(')', j);
      if (close == std::string::npos) in.raise("ValueError", "incomplete format key");
      named = in.get_item(args, Value::string(text.substr(j + 1, close - j - 1)));
      j = close + 1;
    }
    std::size_t flags_at = j;
    while (j < text.size() && std::string("-+ #0123456789.").find(text[j]) != std::string::npos) ++j;
    if (j >= text.size()) in.raise("ValueError", "incomplete format");
    std::string flags = text.substr(flags_at, j - flags_at);
    char type = text[j];
    if (!named && next >= items.size()) in.raise("TypeError", "not enough arguments for format string");
    Value v = named ? *named : items[next++];
    std::string spec = flags;
    if (!spec.empty() && spec[0] == '-') spec = "<" + spec.substr(1);
    if (type == 's') out += format_value(in, Value::string(in.display(v, false)), spec);
    else if (type == 'r') out += format_value(in, Value::string(in.display(v, true)), spec);
    else if (type == 'd' || type == 'i') {
      std::optional<BigInt> whole = v.is_int() ? std::optional(v.as_big()) : BigInt::from_double(v.as_float());
      if (!whole) in.raise("OverflowError", "cannot convert float infinity or NaN to integer");
      out += format_value(in, Value::integer(std::move(*whole)), spec + "d");
    }
    else out += format_value(in, v, spec + type);
    i = j;
  }
  return out;
}

}  // namespace ckg::interp
