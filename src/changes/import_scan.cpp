// A small Python lexer, just enough to find import statements: strings and comments are
// skipped, brackets tracked, statements split at newlines outside brackets and at semicolons.
#include "changes/import_scan.h"

#include <cctype>

namespace ckg::changes {

namespace {

struct Token {
  enum Kind { name, dot, comma, star, open, close, string, other, end_of_statement } kind;
  std::string_view text;
  int line;
};

bool ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || static_cast<unsigned char>(c) >= 0x80; }

std::vector<Token> tokenize(std::string_view s) {
  std::vector<Token> out;
  std::size_t i = 0;
  int line = 1, depth = 0;
  auto push = [&](Token::Kind k, std::size_t start, std::size_t end) { out.push_back({k, s.substr(start, end - start), line}); };
  while (i < s.size()) {
    char c = s[i];
    if (c == '\n') {
      if (depth == 0) push(Token::end_of_statement, i, i);
      ++line, ++i;
    } else if (c == '#') {
      while (i < s.size() && s[i] != '\n') ++i;
    } else if (c == '\\' && i + 1 < s.size() && s[i + 1] == '\n') {
      i += 2, ++line;
    } else if (c == '"' || c == '\'') {
      std::size_t start = i;
      bool triple = s.substr(i, 3) == std::string(3, c);
      i += triple ? 3 : 1;
      while (i < s.size()) {
        if (s[i] == '\\') { if (i + 1 < s.size() && s[i + 1] == '\n') ++line; i += 2; continue; }
        if (s[i] == '\n') { ++line; if (!triple) break; }
        if (s[i] == c && (!triple || s.substr(i, 3) == std::string(3, c))) { i += triple ? 3 : 1; break; }
        ++i;
      }
      push(Token::string, start, std::min(i, s.size()));
    } else if (ident_char(c) && !std::isdigit(static_cast<unsigned char>(c))) {
      std::size_t start = i;
      while (i < s.size() && ident_char(s[i])) ++i;
      // A string prefix (r, b, f, ...) belongs to the string that follows.
      if (i < s.size() && (s[i] == '"' || s[i] == '\'') && i - start <= 2) continue;
      push(Token::name, start, i);
    } else if (c == '.') {
      push(Token::dot, i, i + 1), ++i;
    } else if (c == ',') {
      push(Token::comma, i, i + 1), ++i;
    } else if (c == '*') {
      push(Token::star, i, i + 1), ++i;
    } else if (c == '(' || c == '[' || c == '{') {
      ++depth, push(Token::open, i, i + 1), ++i;
    } else if (c == ')' || c == ']' || c == '}') {
      if (depth > 0) --depth;
      push(Token::close, i, i + 1), ++i;
    } else if (c == ';') {
      if (depth == 0) push(Token::end_of_statement, i, i + 1);
      ++i;
    } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f') {
      ++i;
    } else {
      std::size_t start = i++;
      while (i < s.size() && std::isalnum(static_cast<unsigned char>(s[i])) && std::isdigit(static_cast<unsigned char>(s[start]))) ++i;
      push(Token::other, start, i);
    }
  }
  push(Token::end_of_statement, s.size(), s.size());
  return out;
}

// A dotted name starting at `i`; advances past it.
std::string dotted(const std::vector<Token>& t, std::size_t& i) {
  std::string name;
  while (i < t.size() && t[i].kind == Token::name) {
    name += t[i].text;
    if (i + 2 < t.size() && t[i + 1].kind == Token::dot && t[i + 2].kind == Token::name) {
      name += '.';
      i += 2;
    } else {
      ++i;
      break;
    }
  }
  return name;
}

std::string unquote(std::string_view literal) {
  std::size_t q = literal.find_first_of("\"'");
  if (q == std::string_view::npos || literal.size() < q + 2) return {};
  std::string_view body = literal.substr(q + 1, literal.size() - q - 2);
  return std::string(body);
}

}  // namespace

std::vector<ImportSpec> scan_imports(std::string_view source) {
  std::vector<Token> t = tokenize(source);
  std::vector<ImportSpec> out;
  std::size_t statement_start = 0;
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t[i].kind == Token::end_of_statement) {
      statement_start = i + 1;
      continue;
    }
    if (t[i].kind == Token::other && t[i].text == ":") {
      statement_start = i + 1;  // `if x: import y`, `try: import y`
      continue;
    }
    if (t[i].kind != Token::name) continue;
    if (t[i].text == "import") {
      ImportSpec spec;
      spec.line = t[i].line;
      // `from <dots><module> import ...`: look back within the statement.
      std::size_t from = i;
      while (from > statement_start && !(t[from - 1].kind == Token::name && t[from - 1].text == "from")) --from;
      bool is_from = from > statement_start;
      std::size_t j = i + 1;
      if (is_from) {
        std::size_t k = from;
        while (k < i && t[k].kind == Token::dot) ++spec.level, ++k;
        if (k < i) spec.module = dotted(t, k);
        if (j < t.size() && t[j].kind == Token::open) ++j;
        while (j < t.size() && t[j].kind != Token::end_of_statement && t[j].kind != Token::close) {
          if (t[j].kind == Token::star) spec.names.push_back("*");
          if (t[j].kind == Token::name) {
            spec.names.emplace_back(t[j].text);
            if (j + 2 < t.size() && t[j + 1].text == "as") ++j;  // skip the alias
            ++j;
          }
          ++j;
        }
        out.push_back(std::move(spec));
      } else {
        while (j < t.size() && t[j].kind == Token::name) {
          ImportSpec one;
          one.line = t[i].line;
          one.module = dotted(t, j);
          out.push_back(std::move(one));
          if (j < t.size() && t[j].kind == Token::name && t[j].text == "as") j += 2;
          if (j < t.size() && t[j].kind == Token::comma) ++j;
          else break;
        }
      }
      continue;
    }
    // importlib.import_module("a.b") and __import__("a.b") with a literal name.
    if ((t[i].text == "import_module" || t[i].text == "__import__") && i + 2 < t.size() && t[i + 1].kind == Token::open &&
        t[i + 2].kind == Token::string) {
      std::string name = unquote(t[i + 2].text);
      ImportSpec spec;
      spec.line = t[i].line;
      while (!name.empty() && name.front() == '.') ++spec.level, name.erase(0, 1);
      spec.module = name;
      if (!spec.module.empty() || spec.level > 0) out.push_back(std::move(spec));
    }
  }
  return out;
}

}  // namespace ckg::changes
