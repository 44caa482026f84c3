// The `re` module: Python regular expressions run by std::regex (ECMAScript), after a
// translation of Python's syntax that is exact for what it accepts. What it cannot translate
// exactly (lookbehind, MULTILINE, VERBOSE, scoped flags, non-ASCII text, ...) gives an Unknown,
// so the gap is reported rather than guessed.
#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <regex>

#include <fmt/format.h>

#include "interp/modules/modules.h"

namespace ckg::interp::modules {
namespace {

constexpr std::int64_t kIgnoreCase = 2, kLocale = 4, kMultiline = 8, kDotAll = 16, kUnicode = 32, kVerbose = 64, kAscii = 256;
constexpr std::size_t kMaxSubject = 100'000;  // libstdc++'s matcher recurses per character

// A pattern after translation. `refused` says why it cannot be run exactly (then: Unknown);
// `error` is what CPython's compiler would reject (then: re.error).
struct Compiled {
  std::optional<std::regex> regex;
  std::size_t groups = 0;
  std::map<std::string, std::size_t> names;  // groupindex
  std::string refused, error;
};

bool ascii_only(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

// Python's `{m,n}` quantifier at `i` (pointing at '{'); returns its length, 0 when the brace is
// a literal (as Python reads `{` that does not start a valid quantifier).
std::size_t quantifier_length(const std::string& p, std::size_t i, std::string& ecma) {
  std::size_t j = i + 1;
  std::string lo, hi;
  while (j < p.size() && std::isdigit(static_cast<unsigned char>(p[j]))) lo += p[j++];
  bool comma = j < p.size() && p[j] == ',';
  if (comma) {
    ++j;
    while (j < p.size() && std::isdigit(static_cast<unsigned char>(p[j]))) hi += p[j++];
  }
  if (j >= p.size() || p[j] != '}' || (lo.empty() && !comma)) return 0;
  if (lo.empty() && hi.empty()) return 0;  // `{,}` is literal in Python
  ecma = "{" + (lo.empty() ? std::string("0") : lo) + (comma ? "," + hi : std::string()) + "}";
  return j - i + 1;
}

Compiled translate(const std::string& p, std::int64_t flags) {
  Compiled c;
  if (!ascii_only(p)) { c.refused = "a non-ASCII regular expression"; return c; }
  std::string out;
  struct Group { bool capture; std::size_t captures_before; };
  std::vector<Group> open;
  bool last_was_group_with_inner_captures = false;
  std::size_t i = 0;
  // Global inline flags, which Python 3.11 accepts only at the start.
  while (p.compare(i, 2, "(?") == 0 && i + 2 < p.size() && std::string("aiLmsux").find(p[i + 2]) != std::string::npos) {
    std::size_t j = i + 2;
    while (j < p.size() && std::string("aiLmsux").find(p[j]) != std::string::npos) {
      switch (p[j]) {
        case 'i': flags |= kIgnoreCase; break;
        case 'm': flags |= kMultiline; break;
        case 's': flags |= kDotAll; break;
        case 'x': flags |= kVerbose; break;
        case 'L': flags |= kLocale; break;
        default: break;
      }
      ++j;
    }
    if (j >= p.size() || p[j] != ')') { c.refused = "scoped inline flags"; return c; }
    i = j + 1;
  }
  if (flags & kMultiline) { c.refused = "re.MULTILINE"; return c; }
  if (flags & kVerbose) { c.refused = "re.VERBOSE"; return c; }
  if (flags & kLocale) { c.refused = "re.LOCALE"; return c; }
  auto refuse = [&](std::string why) { c.refused = std::move(why); return c; };
  auto fail = [&](std::string why) { c.error = std::move(why); return c; };
  while (i < p.size()) {
    char ch = p[i];
    bool inner_captures = false;
    if (ch == '\\') {
      if (i + 1 >= p.size()) return fail("bad escape (end of pattern)");
      char e = p[i + 1];
      if (e == 'A') out += "^";
      else if (e == 'Z') out += "$";
      else if (std::isdigit(static_cast<unsigned char>(e))) {
        if (e == '0') return refuse("an octal escape");
        std::size_t j = i + 1;
        std::string num;
        while (j < p.size() && num.size() < 2 && std::isdigit(static_cast<unsigned char>(p[j]))) num += p[j++];
        if (j < p.size() && std::isdigit(static_cast<unsigned char>(p[j]))) return refuse("an octal escape");
        std::size_t n = std::stoul(num);
        if (n > c.groups) return fail(fmt::format("invalid group reference {}", n));
        out += "(?:\\" + num + ")";
        i = j;
        last_was_group_with_inner_captures = false;
        continue;
      } else if (std::string("dDwWsSbBntrfv\\").find(e) != std::string::npos || !std::isalnum(static_cast<unsigned char>(e))) {
        out += '\\';
        out += e;
      } else if (e == 'a') out += "\\x07";
      else if (e == 'x' || e == 'u') { out += '\\'; out += e; }
      else return refuse(fmt::format("the escape \\{}", e));
      i += 2;
    } else if (ch == '[') {
      std::size_t j = i + 1;
      out += '[';
      if (j < p.size() && p[j] == '^') { out += '^'; ++j; }
      if (j < p.size() && p[j] == ']') { out += "\\]"; ++j; }
      bool closed = false;
      while (j < p.size()) {
        char d = p[j];
        if (d == ']') { closed = true; ++j; break; }
        if (d == '\\') {
          if (j + 1 >= p.size()) return fail("bad escape (end of pattern)");
          char e = p[j + 1];
          if (std::isdigit(static_cast<unsigned char>(e))) return refuse("an octal escape in a character class");
          if (e == 'a') out += "\\x07";
          else if (std::string("dDwWsSbntrfvxu\\").find(e) != std::string::npos || !std::isalnum(static_cast<unsigned char>(e))) { out += '\\'; out += e; }
          else return refuse(fmt::format("the escape \\{} in a character class", e));
          j += 2;
          continue;
        }
        if (d == '[' && j + 1 < p.size() && (p[j + 1] == ':' || p[j + 1] == '=' || p[j + 1] == '.')) { out += "\\["; ++j; continue; }
        out += d;
        ++j;
      }
      if (!closed) return fail("unterminated character set");
      out += ']';
      i = j;
    } else if (ch == '(') {
      if (i + 1 < p.size() && p[i + 1] == '?') {
        std::string rest = p.substr(i + 2);
        if (rest.rfind(":", 0) == 0) { out += "(?:"; open.push_back({false, c.groups}); i += 3; }
        else if (rest.rfind("=", 0) == 0 || rest.rfind("!", 0) == 0) { out += "(?"; out += rest[0]; open.push_back({false, c.groups}); i += 3; }
        else if (rest.rfind("P<", 0) == 0) {
          std::size_t close = p.find('>', i + 4);
          if (close == std::string::npos) return fail("missing >, unterminated name");
          std::string name = p.substr(i + 4, close - i - 4);
          if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0])) ||
              !std::all_of(name.begin(), name.end(), [](char k) { return std::isalnum(static_cast<unsigned char>(k)) || k == '_'; }))
            return fail(fmt::format("bad character in group name '{}'", name));
          if (c.names.count(name)) return fail(fmt::format("redefinition of group name '{}'", name));
          open.push_back({true, c.groups});
          c.names[name] = ++c.groups;
          out += '(';
          i = close + 1;
        } else if (rest.rfind("P=", 0) == 0) {
          std::size_t close = p.find(')', i + 4);
          if (close == std::string::npos) return fail("missing ), unterminated name");
          auto it = c.names.find(p.substr(i + 4, close - i - 4));
          if (it == c.names.end()) return fail("unknown group name");
          out += fmt::format("(?:\\{})", it->second);
          i = close + 1;
        } else if (rest.rfind("#", 0) == 0) {
          std::size_t close = p.find(')', i);
          if (close == std::string::npos) return fail("missing ), unterminated comment");
          i = close + 1;
          continue;
        } else if (rest.rfind("<=", 0) == 0 || rest.rfind("<!", 0) == 0) {
          return refuse("a lookbehind assertion");
        } else {
          return refuse("this group syntax");
        }
      } else {
        open.push_back({true, c.groups});
        ++c.groups;
        out += '(';
        ++i;
      }
      last_was_group_with_inner_captures = false;
      continue;
    } else if (ch == ')') {
      if (open.empty()) return fail("unbalanced parenthesis");
      Group g = open.back();
      open.pop_back();
      std::size_t inner = c.groups - g.captures_before - (g.capture ? 1 : 0);
      inner_captures = inner > 0;
      out += ')';
      ++i;
      last_was_group_with_inner_captures = inner_captures;
      continue;
    } else if (ch == '.') {
      out += (flags & kDotAll) ? "[\\s\\S]" : "[^\\n]";
      ++i;
    } else if (ch == '$') {
      out += "(?=\\n?$)";
      ++i;
    } else if (ch == '{') {
      std::string q;
      std::size_t n = quantifier_length(p, i, q);
      if (n == 0) { out += "\\{"; ++i; }
      else {
        // A quantified group whose inner groups may not take part in every repetition keeps
        // their last value in Python and loses it in ECMAScript.
        if (last_was_group_with_inner_captures) return refuse("a repeated group with groups inside");
        out += q;
        i += n;
        if (i < p.size() && p[i] == '+') return refuse("a possessive quantifier");
      }
    } else if (ch == '}') {
      out += "\\}";
      ++i;
    } else if (ch == '*' || ch == '+' || ch == '?') {
      if (last_was_group_with_inner_captures) return refuse("a repeated group with groups inside");
      out += ch;
      ++i;
      if (i < p.size() && p[i] == '+') return refuse("a possessive quantifier");
    } else {
      out += ch;
      ++i;
    }
    last_was_group_with_inner_captures = false;
  }
  if (!open.empty()) return fail("missing ), unterminated subpattern");
  auto syntax = std::regex::ECMAScript;
  if (flags & kIgnoreCase) syntax |= std::regex::icase;
  try {
    c.regex.emplace(out, syntax);
  } catch (const std::regex_error&) {
    c.refused = "a regular expression std::regex does not take";
  }
  (void)kUnicode;
  (void)kAscii;
  return c;
}

std::shared_ptr<const Compiled> compiled(const std::string& pattern, std::int64_t flags) {
  static std::map<std::pair<std::string, std::int64_t>, std::shared_ptr<const Compiled>> cache;
  auto key = std::make_pair(pattern, flags);
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  auto c = std::make_shared<const Compiled>(translate(pattern, flags));
  if (cache.size() > 512) cache.clear();
  cache.emplace(key, c);
  return c;
}

// Match and Pattern instances carry their native state beside the instance.
struct PatternState : InstanceObj {
  PatternState(ClassObj* cls, std::string p, std::int64_t f, std::shared_ptr<const Compiled> c)
      : InstanceObj(cls), pattern(std::move(p)), flags(f), compiled(std::move(c)) {}
  std::string pattern;
  std::int64_t flags;
  std::shared_ptr<const Compiled> compiled;
};

struct MatchState : InstanceObj {
  MatchState(ClassObj* cls) : InstanceObj(cls) {}
  std::string subject;
  std::vector<std::pair<std::int64_t, std::int64_t>> spans;  // group 0..n; (-1, -1) when it did not take part
  std::shared_ptr<const Compiled> compiled;
  Value pattern;
};

struct Classes {
  ClassObj* pattern = nullptr;
  ClassObj* match = nullptr;
  ClassObj* error = nullptr;
};

[[noreturn]] void raise_re_error(Interpreter& in, const Classes& k, const std::string& message) {
  auto inst = std::make_shared<InstanceObj>(k.error);
  inst->exception_args.push_back(Value::string(message));
  throw PyError{Value::object(inst), "re.error", message, in.here(), in.project_location()};
}

// A found match, or none. Positions are byte offsets (the text is ASCII).
using Found = std::optional<std::vector<std::pair<std::int64_t, std::int64_t>>>;

Found to_spans(const std::smatch& m, const std::string& s) {
  std::vector<std::pair<std::int64_t, std::int64_t>> spans;
  for (std::size_t g = 0; g < m.size(); ++g) {
    if (!m[g].matched) spans.emplace_back(-1, -1);
    else spans.emplace_back(m[g].first - s.begin(), m[g].second - s.begin());
  }
  return spans;
}

enum class Mode { search, match, fullmatch };

// One search from `pos`, with sre's rule that a search right after an empty match may not
// return an empty match at the same place.
Found find(const Compiled& c, const std::string& s, std::size_t pos, Mode mode, bool must_advance) {
  std::smatch m;
  auto base = pos > 0 ? std::regex_constants::match_prev_avail : std::regex_constants::match_default;
  if (mode == Mode::fullmatch) {
    if (std::regex_match(s.begin() + static_cast<std::ptrdiff_t>(pos), s.end(), m, *c.regex, base)) return to_spans(m, s);
    return std::nullopt;
  }
  if (must_advance) {
    if (std::regex_search(s.begin() + static_cast<std::ptrdiff_t>(pos), s.end(), m, *c.regex,
                          base | std::regex_constants::match_continuous | std::regex_constants::match_not_null))
      return to_spans(m, s);
    if (mode == Mode::match || pos >= s.size()) return std::nullopt;
    ++pos;
    base = std::regex_constants::match_prev_avail;
  }
  auto f = base | (mode == Mode::match ? std::regex_constants::match_continuous : std::regex_constants::match_default);
  if (std::regex_search(s.begin() + static_cast<std::ptrdiff_t>(pos), s.end(), m, *c.regex, f)) return to_spans(m, s);
  return std::nullopt;
}

// Every match from the start, as re.finditer walks them.
std::vector<std::vector<std::pair<std::int64_t, std::int64_t>>> find_all(Interpreter& in, const Compiled& c, const std::string& s, std::int64_t limit) {
  std::vector<std::vector<std::pair<std::int64_t, std::int64_t>>> out;
  std::size_t pos = 0;
  bool must_advance = false;
  while (pos <= s.size() && (limit <= 0 || static_cast<std::int64_t>(out.size()) < limit)) {
    in.step();
    Found f = find(c, s, pos, Mode::search, must_advance);
    if (!f) break;
    auto [b, e] = (*f)[0];
    out.push_back(*f);
    must_advance = e == b;
    pos = static_cast<std::size_t>(e);
  }
  return out;
}

Value group_value(const MatchState& m, std::size_t g, const Value& fallback = Value::none()) {
  auto [b, e] = m.spans.at(g);
  if (b < 0) return fallback;
  return Value::string(m.subject.substr(static_cast<std::size_t>(b), static_cast<std::size_t>(e - b)));
}

std::string group_text(const std::string& s, const std::vector<std::pair<std::int64_t, std::int64_t>>& spans, std::size_t g) {
  auto [b, e] = spans.at(g);
  return b < 0 ? std::string() : s.substr(static_cast<std::size_t>(b), static_cast<std::size_t>(e - b));
}

// Context shared by the module functions and the Pattern methods.
struct Re {
  Classes k;

  MatchState& match_of(Interpreter& in, CallArgs& a) const {
    auto* m = dynamic_cast<MatchState*>(native_required(in, a, 0, nullptr).obj().get());
    if (!m) in.raise("TypeError", "descriptor requires a 're.Match' object");
    return *m;
  }

  std::size_t group_index(Interpreter& in, const MatchState& m, const Value& g) const {
    if (g.is_int() && g.as_int() >= 0 && static_cast<std::size_t>(g.as_int()) < m.spans.size()) return static_cast<std::size_t>(g.as_int());
    if (g.is_str()) {
      auto it = m.compiled->names.find(g.as_str());
      if (it != m.compiled->names.end()) return it->second;
    }
    in.raise("IndexError", "no such group");
  }

  Value make_match(const std::string& s, std::vector<std::pair<std::int64_t, std::int64_t>> spans,
                   std::shared_ptr<const Compiled> c, Value pattern) const {
    auto m = std::make_shared<MatchState>(k.match);
    m->subject = s;
    m->spans = std::move(spans);
    m->compiled = std::move(c);
    m->pattern = std::move(pattern);
    return Value::object(m);
  }

  // The compiled pattern of a `pattern` argument (a string or a Pattern); null when the pattern
  // or the subject cannot be run exactly, with `why` set.
  std::shared_ptr<const Compiled> pattern_of(Interpreter& in, const Value& p, std::int64_t flags, Value& pattern_value, std::string& why) const {
    if (auto* ps = dynamic_cast<PatternState*>(p.is_obj() ? p.obj().get() : nullptr)) {
      pattern_value = p;
      return ps->compiled;
    }
    if (!p.is_str()) in.raise("TypeError", fmt::format("first argument must be string or compiled pattern, not {}", type_name(p)));
    auto c = compiled(p.as_str(), flags);
    if (!c->error.empty()) raise_re_error(in, k, c->error);
    if (!c->refused.empty()) { why = "re: " + c->refused + " is not modelled"; return nullptr; }
    pattern_value = Value::object(std::make_shared<PatternState>(k.pattern, p.as_str(), flags, c));
    return c;
  }

  // Template expansion for re.sub: \1, \g<1>, \g<name> and the string escapes.
  std::string expand(Interpreter& in, const std::string& tpl, const std::string& s,
                     const std::vector<std::pair<std::int64_t, std::int64_t>>& spans, const Compiled& c) const {
    std::string out;
    for (std::size_t i = 0; i < tpl.size(); ++i) {
      if (tpl[i] != '\\' || i + 1 >= tpl.size()) { out += tpl[i]; continue; }
      char e = tpl[++i];
      if (e == 'g') {
        std::size_t close = tpl.find('>', i);
        if (i + 1 >= tpl.size() || tpl[i + 1] != '<' || close == std::string::npos) raise_re_error(in, k, "missing <");
        std::string name = tpl.substr(i + 2, close - i - 2);
        std::size_t g = 0;
        if (!name.empty() && std::all_of(name.begin(), name.end(), [](char d) { return std::isdigit(static_cast<unsigned char>(d)); })) g = std::stoul(name);
        else if (auto it = c.names.find(name); it != c.names.end()) g = it->second;
        else in.raise("IndexError", fmt::format("unknown group name '{}'", name));
        if (g >= spans.size()) raise_re_error(in, k, fmt::format("invalid group reference {}", g));
        out += group_text(s, spans, g);
        i = close;
      } else if (std::isdigit(static_cast<unsigned char>(e))) {
        std::string num(1, e);
        if (i + 1 < tpl.size() && std::isdigit(static_cast<unsigned char>(tpl[i + 1]))) num += tpl[++i];
        std::size_t g = std::stoul(num);
        if (g >= spans.size()) raise_re_error(in, k, fmt::format("invalid group reference {}", g));
        out += group_text(s, spans, g);
      } else {
        switch (e) {
          case 'n': out += '\n'; break;
          case 't': out += '\t'; break;
          case 'r': out += '\r'; break;
          case 'f': out += '\f'; break;
          case 'v': out += '\v'; break;
          case 'a': out += '\a'; break;
          case 'b': out += '\b'; break;
          case '\\': out += '\\'; break;
          default:
            if (std::isalpha(static_cast<unsigned char>(e))) raise_re_error(in, k, fmt::format("bad escape \\{}", e));
            out += '\\';
            out += e;
        }
      }
    }
    return out;
  }
};

// The functions shared by `re.X(pattern, string, ...)` and `Pattern.X(string, ...)`: `args`
// starts with the pattern in both cases.
using Op = Value (*)(const Re&, Interpreter&, CallArgs&, const std::shared_ptr<const Compiled>&, const Value& pattern, std::size_t first);

const std::string* subject_of(Interpreter& in, CallArgs& a, std::size_t index, std::string& why) {
  const Value& s = native_required(in, a, index, "string");
  if (!s.is_str()) in.raise("TypeError", fmt::format("expected string or bytes-like object, got '{}'", type_name(s)));
  if (!ascii_only(s.as_str())) { why = "re on non-ASCII text is not modelled"; return nullptr; }
  if (s.as_str().size() > kMaxSubject) { why = "re on a very long string is not modelled"; return nullptr; }
  return &s.as_str();
}

Value op_find(const Re& re, Interpreter& in, CallArgs& a, const std::shared_ptr<const Compiled>& c, const Value& pattern, std::size_t first, Mode mode) {
  std::string why;
  const std::string* s = subject_of(in, a, first, why);
  if (!s) return in.unknown(why);
  Found f = find(*c, *s, 0, mode, false);
  if (!f) return Value::none();
  return re.make_match(*s, std::move(*f), c, pattern);
}

Value op_search(const Re& re, Interpreter& in, CallArgs& a, const std::shared_ptr<const Compiled>& c, const Value& p, std::size_t first) {
  return op_find(re, in, a, c, p, first, Mode::search);
}
Value op_match(const Re& re, Interpreter& in, CallArgs& a, const std::shared_ptr<const Compiled>& c, const Value& p, std::size_t first) {
  return op_find(re, in, a, c, p, first, Mode::match);
}
Value op_fullmatch(const Re& re, Interpreter& in, CallArgs& a, const std::shared_ptr<const Compiled>& c, const Value& p, std::size_t first) {
  return op_find(re, in, a, c, p, first, Mode::fullmatch);
}

Value op_findall(const Re&, Interpreter& in, CallArgs& a, const std::shared_ptr<const Compiled>& c, const Value&, std::size_t first) {
  std::string why;
  const std::string* s = subject_of(in, a, first, why);
  if (!s) return in.unknown(why);
  std::vector<Value> out;
  for (auto& spans : find_all(in, *c, *s, 0)) {
    if (c->groups == 0) out.push_back(Value::string(group_text(*s, spans, 0)));
    else if (c->groups == 1) out.push_back(Value::string(group_text(*s, spans, 1)));
    else {
      std::vector<Value> row;
      for (std::size_t g = 1; g <= c->groups; ++g) row.push_back(Value::string(group_text(*s, spans, g)));
      out.push_back(make_tuple(std::move(row)));
    }
  }
  return make_list(std::move(out));
}

Value op_finditer(const Re& re, Interpreter& in, CallArgs& a, const std::shared_ptr<const Compiled>& c, const Value& p, std::size_t first) {
  std::string why;
  const std::string* s = subject_of(in, a, first, why);
  if (!s) return in.unknown(why);
  std::vector<Value> out;
  for (auto& spans : find_all(in, *c, *s, 0)) out.push_back(re.make_match(*s, spans, c, p));
  return Value::object(std::make_shared<IteratorObj>(std::move(out)));
}

Value op_split(const Re&, Interpreter& in, CallArgs& a, const std::shared_ptr<const Compiled>& c, const Value&, std::size_t first) {
  std::string why;
  const std::string* s = subject_of(in, a, first, why);
  if (!s) return in.unknown(why);
  std::int64_t maxsplit = native_arg_or(a, first + 1, "maxsplit", Value::integer(0)).as_int();
  std::vector<Value> out;
  std::int64_t last = 0;
  for (auto& spans : find_all(in, *c, *s, maxsplit)) {
    out.push_back(Value::string(s->substr(static_cast<std::size_t>(last), static_cast<std::size_t>(spans[0].first - last))));
    for (std::size_t g = 1; g <= c->groups; ++g) {
      out.push_back(spans[g].first < 0 ? Value::none() : Value::string(group_text(*s, spans, g)));
    }
    last = spans[0].second;
  }
  out.push_back(Value::string(s->substr(static_cast<std::size_t>(last))));
  return make_list(std::move(out));
}

Value substitute(const Re& re, Interpreter& in, CallArgs& a, const std::shared_ptr<const Compiled>& c, const Value& p, std::size_t first, bool with_count) {
  const Value& repl = native_required(in, a, first, "repl");
  std::string why;
  const std::string* s = subject_of(in, a, first + 1, why);
  if (!s) return in.unknown(why);
  std::int64_t count = native_arg_or(a, first + 2, "count", Value::integer(0)).as_int();
  std::string out;
  std::int64_t last = 0, n = 0;
  for (auto& spans : find_all(in, *c, *s, count)) {
    out += s->substr(static_cast<std::size_t>(last), static_cast<std::size_t>(spans[0].first - last));
    if (repl.is_str()) {
      out += re.expand(in, repl.as_str(), *s, spans, *c);
    } else {
      Value r = in.call(repl, CallArgs{{re.make_match(*s, spans, c, p)}, {}});
      if (is_unknown(r)) return r;
      if (!r.is_str()) in.raise("TypeError", fmt::format("expected str instance, {} found", type_name(r)));
      out += r.as_str();
    }
    last = spans[0].second;
    ++n;
  }
  out += s->substr(static_cast<std::size_t>(last));
  if (with_count) return make_tuple({Value::string(out), Value::integer(n)});
  return Value::string(out);
}

Value op_sub(const Re& re, Interpreter& in, CallArgs& a, const std::shared_ptr<const Compiled>& c, const Value& p, std::size_t first) {
  return substitute(re, in, a, c, p, first, false);
}
Value op_subn(const Re& re, Interpreter& in, CallArgs& a, const std::shared_ptr<const Compiled>& c, const Value& p, std::size_t first) {
  return substitute(re, in, a, c, p, first, true);
}

std::string escape(const std::string& s) {
  std::string out;
  for (char ch : s) {
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_' && static_cast<unsigned char>(ch) < 0x80) out += '\\';
    out += ch;
  }
  return out;
}

}  // namespace

void install_re(Interpreter& in, ModuleNs& ns) {
  auto cls_value = [](ClassObj* c) { return Value::object(ObjPtr(ObjPtr(), c)); };
  auto re = std::make_shared<Re>();
  re->k.pattern = in.new_native_class("re.Pattern", {in.types.object});
  re->k.match = in.new_native_class("re.Match", {in.types.object});
  re->k.error = in.new_native_class("re.error", {in.exception_class("Exception")});
  in.set_global(&ns, "Pattern", cls_value(re->k.pattern));
  in.set_global(&ns, "Match", cls_value(re->k.match));
  in.set_global(&ns, "error", cls_value(re->k.error));
  for (auto [name, value] : {std::pair{"I", kIgnoreCase}, {"IGNORECASE", kIgnoreCase}, {"L", kLocale}, {"LOCALE", kLocale},
                             {"M", kMultiline}, {"MULTILINE", kMultiline}, {"S", kDotAll}, {"DOTALL", kDotAll},
                             {"U", kUnicode}, {"UNICODE", kUnicode}, {"X", kVerbose}, {"VERBOSE", kVerbose},
                             {"A", kAscii}, {"ASCII", kAscii}}) {
    in.set_global(&ns, name, Value::integer(value));
  }

  const std::pair<const char*, Op> ops[] = {{"search", op_search}, {"match", op_match}, {"fullmatch", op_fullmatch},
                                            {"findall", op_findall}, {"finditer", op_finditer}, {"split", op_split},
                                            {"sub", op_sub}, {"subn", op_subn}};
  // Where each module function takes `flags` (after its other arguments).
  const std::map<std::string, std::size_t> flags_at = {{"search", 2}, {"match", 2}, {"fullmatch", 2}, {"findall", 2}, {"finditer", 2},
                                                       {"split", 3}, {"sub", 4}, {"subn", 4}};
  for (const auto& entry : ops) {
    const std::string& name = entry.first;
    Op op = entry.second;  // a copy: lambdas cannot capture structured bindings before C++20
    std::size_t fpos = flags_at.at(name);
    in.set_global(&ns, name, in.builtin(std::string("re.") + name, [re, op, fpos](Interpreter& i, CallArgs& a) -> Value {
      for (auto& v : a.positional) if (is_unknown(v)) return v;
      for (auto& kv : a.keywords) if (is_unknown(kv.second)) return kv.second;
      std::int64_t flags = native_arg_or(a, fpos, "flags", Value::integer(0)).as_int();
      Value pattern;
      std::string why;
      auto c = re->pattern_of(i, native_required(i, a, 0, "pattern"), flags, pattern, why);
      if (!c) return i.unknown(why);
      return op(*re, i, a, c, pattern, 1);
    }));
    in.add_method(re->k.pattern, name, [re, op](Interpreter& i, CallArgs& a) -> Value {
      for (auto& v : a.positional) if (is_unknown(v)) return v;
      auto* ps = dynamic_cast<PatternState*>(native_required(i, a, 0, nullptr).obj().get());
      if (!ps) i.raise("TypeError", "descriptor requires a 're.Pattern' object");
      if (const Value* pos = native_arg(a, op == op_split || op == op_sub || op == op_subn ? 99 : 2, "pos"); pos && !pos->is_none()) {
        return i.unknown("re: the pos argument is not modelled");
      }
      return op(*re, i, a, ps->compiled, a.positional[0], 1);
    });
  }
  in.set_global(&ns, "compile", in.builtin("re.compile", [re](Interpreter& i, CallArgs& a) -> Value {
    const Value& p = native_required(i, a, 0, "pattern");
    if (is_unknown(p)) return p;
    if (dynamic_cast<PatternState*>(p.is_obj() ? p.obj().get() : nullptr)) return p;
    Value pattern;
    std::string why;
    auto c = re->pattern_of(i, p, native_arg_or(a, 1, "flags", Value::integer(0)).as_int(), pattern, why);
    if (!c) return i.unknown(why);
    return pattern;
  }));
  in.set_global(&ns, "escape", in.builtin("re.escape", [](Interpreter& i, CallArgs& a) -> Value {
    const Value& s = native_required(i, a, 0, "pattern");
    if (!s.is_str()) return i.unknown("re.escape of a non-string");
    return Value::string(escape(s.as_str()));
  }));
  in.set_global(&ns, "purge", in.builtin("re.purge", [](Interpreter&, CallArgs&) { return Value::none(); }));

  // Pattern attributes.
  auto pattern_of = [](Interpreter& i, CallArgs& a) -> PatternState& {
    auto* ps = dynamic_cast<PatternState*>(native_required(i, a, 0, nullptr).obj().get());
    if (!ps) i.raise("TypeError", "descriptor requires a 're.Pattern' object");
    return *ps;
  };
  auto property = [&](ClassObj* cls, const char* name, NativeFn fn) {
    cls->attrs.set(name, Value::object(std::make_shared<PropertyObj>(in.builtin(cls->name + "." + name, std::move(fn)))));
  };
  property(re->k.pattern, "pattern", [pattern_of](Interpreter& i, CallArgs& a) { return Value::string(pattern_of(i, a).pattern); });
  property(re->k.pattern, "flags", [pattern_of](Interpreter& i, CallArgs& a) { return Value::integer(pattern_of(i, a).flags | kUnicode); });
  property(re->k.pattern, "groups", [pattern_of](Interpreter& i, CallArgs& a) { return Value::integer(static_cast<std::int64_t>(pattern_of(i, a).compiled->groups)); });
  property(re->k.pattern, "groupindex", [pattern_of](Interpreter& i, CallArgs& a) {
    auto d = std::make_shared<DictObj>();
    std::vector<std::pair<std::size_t, std::string>> by_index;
    for (auto& [n, g] : pattern_of(i, a).compiled->names) by_index.emplace_back(g, n);
    std::sort(by_index.begin(), by_index.end());
    for (auto& [g, n] : by_index) d->set(Value::string(n), Value::integer(static_cast<std::int64_t>(g)));
    return Value::object(d);
  });

  // Match methods.
  ClassObj* m = re->k.match;
  in.add_method(m, "group", [re](Interpreter& i, CallArgs& a) -> Value {
    MatchState& ms = re->match_of(i, a);
    if (a.positional.size() <= 1) return group_value(ms, 0);
    if (a.positional.size() == 2) return group_value(ms, re->group_index(i, ms, a.positional[1]));
    std::vector<Value> out;
    for (std::size_t k = 1; k < a.positional.size(); ++k) out.push_back(group_value(ms, re->group_index(i, ms, a.positional[k])));
    return make_tuple(std::move(out));
  });
  in.add_method(m, "__getitem__", [re](Interpreter& i, CallArgs& a) -> Value {
    MatchState& ms = re->match_of(i, a);
    return group_value(ms, re->group_index(i, ms, native_required(i, a, 1, nullptr)));
  });
  in.add_method(m, "groups", [re](Interpreter& i, CallArgs& a) -> Value {
    MatchState& ms = re->match_of(i, a);
    Value fallback = native_arg_or(a, 1, "default", Value::none());
    std::vector<Value> out;
    for (std::size_t g = 1; g < ms.spans.size(); ++g) out.push_back(group_value(ms, g, fallback));
    return make_tuple(std::move(out));
  });
  in.add_method(m, "groupdict", [re](Interpreter& i, CallArgs& a) -> Value {
    MatchState& ms = re->match_of(i, a);
    Value fallback = native_arg_or(a, 1, "default", Value::none());
    std::vector<std::pair<std::size_t, std::string>> by_index;
    for (auto& [n, g] : ms.compiled->names) by_index.emplace_back(g, n);
    std::sort(by_index.begin(), by_index.end());
    auto d = std::make_shared<DictObj>();
    for (auto& [g, n] : by_index) d->set(Value::string(n), group_value(ms, g, fallback));
    return Value::object(d);
  });
  for (const char* name : {"start", "end", "span"}) {
    std::string which = name;
    in.add_method(m, name, [re, which](Interpreter& i, CallArgs& a) -> Value {
      MatchState& ms = re->match_of(i, a);
      std::size_t g = a.positional.size() > 1 ? re->group_index(i, ms, a.positional[1]) : 0;
      auto [b, e] = ms.spans[g];
      if (which == "start") return Value::integer(b);
      if (which == "end") return Value::integer(e);
      return make_tuple({Value::integer(b), Value::integer(e)});
    });
  }
  in.add_method(m, "expand", [re](Interpreter& i, CallArgs& a) -> Value {
    MatchState& ms = re->match_of(i, a);
    const Value& tpl = native_required(i, a, 1, "template");
    if (!tpl.is_str()) return i.unknown("Match.expand of a non-string template");
    return Value::string(re->expand(i, tpl.as_str(), ms.subject, ms.spans, *ms.compiled));
  });
  property(m, "string", [re](Interpreter& i, CallArgs& a) { return Value::string(re->match_of(i, a).subject); });
  property(m, "re", [re](Interpreter& i, CallArgs& a) { return re->match_of(i, a).pattern; });
  property(m, "pos", [](Interpreter&, CallArgs&) { return Value::integer(0); });
  property(m, "endpos", [re](Interpreter& i, CallArgs& a) { return Value::integer(static_cast<std::int64_t>(re->match_of(i, a).subject.size())); });
}

}  // namespace ckg::interp::modules
