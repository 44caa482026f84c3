// The checks CPython 3.11's tokenizer (Parser/tokenizer.c) makes, in its order and with its
// messages: source encoding, indentation with tabs counted both as 8 and as 1 column, strings,
// brackets, number literals and characters outside strings.
#include <array>
#include <cctype>
#include <cstdint>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "parse/compile_check.h"

namespace ckg::parse::detail {

namespace {

constexpr int kMaxIndent = 100;  // CPython's MAXINDENT
constexpr int kMaxBrackets = 200;  // CPython's MAXLEVEL

// One UTF-8 code point at `at`; `length` 0 means invalid.
std::uint32_t decode_utf8(std::string_view s, std::size_t at, std::size_t* length) {
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  unsigned char c = byte(at);
  int n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
  *length = 0;
  if (n == 0 || at + static_cast<std::size_t>(n) > s.size()) return 0;
  std::uint32_t cp = n == 1 ? c : n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
  for (int k = 1; k < n; ++k) {
    unsigned char cont = byte(at + static_cast<std::size_t>(k));
    if ((cont >> 6) != 0x2) return 0;
    cp = (cp << 6) | (cont & 0x3F);
  }
  static constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  *length = static_cast<std::size_t>(n);
  return cp;
}

// Code points that are never part of an identifier, though CPython reads every non-ASCII
// character as a potential identifier start: the symbol and punctuation blocks people paste by
// accident (smart quotes, dashes, currency, arrows, math, emoji). Letters of every script pass.
bool is_non_identifier(std::uint32_t cp) {
  static constexpr std::array<std::pair<std::uint32_t, std::uint32_t>, 14> kRanges = {{
      {0x80, 0xA9}, {0xAB, 0xB4}, {0xB6, 0xB6}, {0xB8, 0xB9}, {0xBB, 0xBF}, {0xD7, 0xD7}, {0xF7, 0xF7},
      {0x2000, 0x206F}, {0x20A0, 0x20CF}, {0x2100, 0x2101}, {0x2190, 0x2BFF}, {0x3000, 0x3003},
      {0xFE00, 0xFE0F}, {0xFEFF, 0xFEFF}}};
  for (auto [lo, hi] : kRanges) {
    if (cp >= lo && cp <= hi) return true;
  }
  return cp >= 0x1F000 && cp <= 0x1FAFF;  // emoji and pictographs
}

bool is_printable(std::uint32_t cp) {
  return !(cp < 0x20 || (cp >= 0x7F && cp <= 0xA0) || cp == 0xAD || (cp >= 0x2000 && cp <= 0x200F) ||
           (cp >= 0x2028 && cp <= 0x202F) || (cp >= 0x205F && cp <= 0x206F) || cp == 0xFEFF || cp == 0x3000);
}

bool is_ident_char(unsigned char c) { return std::isalnum(c) || c == '_' || c >= 0x80; }

class Tokenizer {
 public:
  explicit Tokenizer(std::string_view text) : s_(text) {}

  TokenizerFindings run() {
    TokenizerFindings out;
    out.error = scan();
    if (out.error && out.error->parser_level) out.error.reset();  // an unclosed block at the very end
    out.at_eof = at_eof_;
    out.statement_start = statement_start_;
    out.parser_error = parser_error_;
    return out;
  }

 private:
  struct Open {
    char c;
    int line, column;
  };

  // The parser objects to the token structure here; reading goes on, since CPython's later
  // tokenizer errors replace the parser's.
  void parser_problem(CompileError e) {
    e.parser_level = true;
    if (!parser_error_) parser_error_ = std::move(e);
  }

  std::optional<CompileError> scan() {
    if (auto e = check_encoding()) return e;
    bool at_line_start = true;
    while (i_ < s_.size()) {
      if (at_line_start) {
        at_line_start = false;
        if (auto e = indentation()) return e;
        continue;
      }
      unsigned char c = static_cast<unsigned char>(s_[i_]);
      if (c != ' ' && c != '\t' && c != '\f' && c != '#' && c != '\n' && c != '\r' && c != '\\') {
        if (logical_start_line_ == 0) logical_start_line_ = line_, logical_first_ = i_;
        last_token_ = c;
        if (c == ':' && brackets_.empty()) colon_seen_ = true;
      }
      if (c == ' ' || c == '\t' || c == '\f') {
        ++i_;
      } else if (c == '#') {
        while (i_ < s_.size() && s_[i_] != '\n' && s_[i_] != '\r') ++i_;
      } else if (c == '\n' || c == '\r') {
        if (brackets_.empty()) end_logical_line();
        newline();
        at_line_start = true;
      } else if (c == '\\') {
        if (auto e = continuation()) return e;
      } else if (c == '"' || c == '\'') {
        if (auto e = string(i_)) return e;
      } else if (std::isdigit(c) || (c == '.' && i_ + 1 < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_ + 1])))) {
        if (auto e = number()) return e;
      } else if (is_ident_char(c)) {
        if (auto e = identifier()) return e;
      } else if (c == '(' || c == '[' || c == '{') {
        if (brackets_.size() >= kMaxBrackets) return error("SyntaxError", "too many nested parentheses");
        if (brackets_.empty()) statement_offset_ = logical_first_ - (logical_first_ - line_start_of(logical_first_));
        brackets_.push_back({static_cast<char>(c), line_, column()});
        ++i_;
      } else if (c == ')' || c == ']' || c == '}') {
        if (auto e = close_bracket(static_cast<char>(c))) return e;
      } else if (c < 0x20 || c == 0x7F) {
        return error("SyntaxError", fmt::format("invalid non-printable character U+{:04X}", c));
      } else if (c == '$' || c == '?' || c == '`' || (c == '!' && (i_ + 1 >= s_.size() || s_[i_ + 1] != '='))) {
        // A token of its own that no rule accepts: the parser's error, not the tokenizer's.
        parser_problem(error("SyntaxError", "invalid syntax"));
        ++i_;
      } else {
        ++i_;  // an operator or delimiter character
      }
    }
    if (brackets_.empty()) end_logical_line();
    if (!header_.empty()) {
      --line_;  // reported on the last line, as CPython does at the end of the file
      if (s_.empty() || s_.back() != '\n') ++line_;
      parser_problem(block_expected(1));
    }
    if (!brackets_.empty()) {
      at_eof_ = true;
      statement_start_ = statement_offset_;
      const Open& open = brackets_.back();
      return CompileError{"SyntaxError", open.line, open.column, fmt::format("'{}' was never closed", open.c)};
    }
    return std::nullopt;
  }

  int column() const { return static_cast<int>(i_ - line_start_) + 1; }

  std::size_t line_start_of(std::size_t offset) const {
    std::size_t nl = offset == 0 ? std::string_view::npos : s_.rfind('\n', offset - 1);
    return nl == std::string_view::npos ? 0 : nl + 1;
  }

  // A logical line ends. One that starts with a compound statement's keyword must have a colon;
  // one whose last token is the colon opens a block, named after its keyword.
  void end_logical_line() {
    if (logical_start_line_ != 0) {
      std::size_t k = logical_first_;
      auto word = [&] {
        std::size_t start = k;
        while (k < s_.size() && is_ident_char(static_cast<unsigned char>(s_[k]))) ++k;
        std::string w(s_.substr(start, k - start));
        while (k < s_.size() && (s_[k] == ' ' || s_[k] == '\t')) ++k;
        return w;
      };
      std::string first = word();
      if (first == "async") first = word();
      // match and case are soft keywords: `match = ...` is an assignment.
      static const char* const kStatements[] = {"if", "elif", "else", "for", "while", "try", "except",
                                                "finally", "with", "match", "case"};
      std::string header;
      if (first == "def") header = "function definition";
      else if (first == "class") header = "class definition";
      for (const char* s : kStatements) {
        if (first == s) header = fmt::format("'{}' statement", s);
      }
      bool soft = first == "match" || first == "case";
      if (!header.empty() && !colon_seen_ && !soft) {
        parser_problem(CompileError{"SyntaxError", line_, column(), "expected ':'"});
      } else if (last_token_ == ':') {
        header_ = header;
        header_line_ = logical_start_line_;
      }
    }
    logical_start_line_ = 0;
    last_token_ = 0;
    colon_seen_ = false;
  }

  CompileError block_expected(int column) const {
    return CompileError{"IndentationError", line_, column,
                        fmt::format("expected an indented block after {} on line {}", header_, header_line_)};
  }

  CompileError error(const char* kind, std::string message) const {
    return CompileError{kind, line_, column(), std::move(message)};
  }

  void newline() {
    if (s_[i_] == '\r' && i_ + 1 < s_.size() && s_[i_ + 1] == '\n') ++i_;
    ++i_;
    ++line_;
    line_start_ = i_;
  }

  // The line of the file's last character: where CPython "detects" an unterminated string.
  int last_line() const {
    int line = 1;
    for (std::size_t k = 0; k + 1 < s_.size(); ++k) line += s_[k] == '\n';
    return line;
  }

  // PEP 263: a BOM, or a coding cookie on one of the first two lines; UTF-8 otherwise.
  std::optional<CompileError> check_encoding() {
    if (s_.substr(0, 3) == "\xEF\xBB\xBF") i_ = line_start_ = 3;
    std::string encoding = "utf-8";
    std::size_t at = i_;
    for (int line = 1; line <= 2 && at < s_.size(); ++line) {
      std::size_t end = s_.find('\n', at);
      std::string_view text = s_.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at);
      std::size_t first = text.find_first_not_of(" \t\f");
      if (first == std::string_view::npos || text[first] != '#') {
        if (first != std::string_view::npos) break;  // code: no cookie after it
      } else if (std::size_t k = text.find("coding", first); k != std::string_view::npos && k + 6 < text.size() &&
                                                             (text[k + 6] == ':' || text[k + 6] == '=')) {
        std::size_t v = text.find_first_not_of(" \t", k + 7);
        std::size_t e = v;
        while (e < text.size() && (std::isalnum(static_cast<unsigned char>(text[e])) || text[e] == '-' || text[e] == '_' || text[e] == '.')) ++e;
        std::string name;
        for (char ch : text.substr(v == std::string_view::npos ? text.size() : v, e - v)) {
          name += ch == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        }
        static const char* const kUtf8[] = {"utf-8", "utf8"};
        static const char* const kSingleByte[] = {"latin-1", "latin1", "iso-8859-1", "iso8859-1", "iso-latin-1", "l1",
                                                  "cp1252", "windows-1252", "ascii", "us-ascii", "iso-8859-15", "cp1251"};
        bool known = false;
        for (const char* n : kUtf8) known = known || name.rfind(n, 0) == 0;
        for (const char* n : kSingleByte) {
          if (name == n) known = true, encoding = name;
        }
        if (!known) {
          return CompileError{"SyntaxError", line, static_cast<int>(k) + 1,
                              fmt::format("unknown encoding: {} (a PEP 263 coding declaration names a codec CPython "
                                          "does not have)", std::string(text.substr(v == std::string_view::npos ? 0 : v, e - v)))};
        }
        break;
      }
      if (end == std::string_view::npos) break;
      at = end + 1;
    }
    // Bytes that are not UTF-8 are an error where the tokenizer decodes them: in strings and
    // names, not in comments (which compile() never decodes).
    utf8_ = encoding == "utf-8";
    return std::nullopt;
  }

  std::optional<CompileError> decode_error(unsigned char byte, const char* why) const {
    return error("SyntaxError", fmt::format("(unicode error) 'utf-8' codec can't decode byte 0x{:02x}: {} (save the file as "
                                            "UTF-8 or declare its encoding, PEP 263)", byte, why));
  }

  // The start of a logical line outside brackets: CPython's indentation stack, with columns
  // counted with tabs of 8 and of 1, so that a tab and spaces are never taken for each other.
  std::optional<CompileError> indentation() {
    int col = 0, alt = 0;
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\f')) {
      if (s_[i_] == ' ') ++col, ++alt;
      else if (s_[i_] == '\t') col = (col / 8 + 1) * 8, alt = alt + 1;
      else col = alt = 0;
      ++i_;
    }
    bool blank = i_ >= s_.size() || s_[i_] == '#' || s_[i_] == '\n' || s_[i_] == '\r';
    if (blank || !brackets_.empty()) return std::nullopt;
    // A merge conflict left in the file: the parser fails on its first marker.
    if (col == 0) {
      for (std::string_view marker : {"<<<<<<< ", "=======", ">>>>>>> "}) {
        if (s_.substr(i_, marker.size()) == marker) {
          parser_problem(CompileError{"SyntaxError", line_, 1, "invalid syntax (an unresolved merge conflict marker)"});
        }
      }
    }
    bool indented = false;
    if (col == indents_.back()) {
      if (alt != alt_indents_.back()) return error("TabError", "inconsistent use of tabs and spaces in indentation");
    } else if (col > indents_.back()) {
      if (indents_.size() >= kMaxIndent) return error("IndentationError", "too many levels of indentation");
      if (alt <= alt_indents_.back()) return error("TabError", "inconsistent use of tabs and spaces in indentation");
      indents_.push_back(col);
      alt_indents_.push_back(alt);
      indented = true;
    } else {
      while (indents_.size() > 1 && col < indents_.back()) indents_.pop_back(), alt_indents_.pop_back();
      if (col != indents_.back()) return error("IndentationError", "unindent does not match any outer indentation level");
      if (alt != alt_indents_.back()) return error("TabError", "inconsistent use of tabs and spaces in indentation");
    }
    // What the parser then says about the INDENT it gets, or does not get.
    bool opens_block = !header_.empty();
    if (opens_block && !indented) parser_problem(block_expected(col + 1));
    header_.clear();
    if (!opens_block && indented) parser_problem(CompileError{"IndentationError", line_, col + 1, "unexpected indent"});
    return std::nullopt;
  }

  std::optional<CompileError> continuation() {
    ++i_;
    if (i_ >= s_.size()) return error("SyntaxError", "unexpected EOF while parsing");
    if (s_[i_] != '\n' && s_[i_] != '\r') return error("SyntaxError", "unexpected character after line continuation character");
    newline();
    if (i_ >= s_.size()) {
      --line_;
      return error("SyntaxError", "unexpected EOF while parsing");
    }
    return std::nullopt;
  }

  std::optional<CompileError> string(std::size_t start) {
    int start_line = line_;
    int start_column = static_cast<int>(start - line_start_) + 1;
    char quote = s_[i_];
    bool triple = i_ + 2 < s_.size() && s_[i_ + 1] == quote && s_[i_ + 2] == quote;
    i_ += triple ? 3 : 1;
    auto unterminated = [&](int detected) {
      return CompileError{"SyntaxError", start_line, start_column,
                          fmt::format("unterminated {}string literal (detected at line {})", triple ? "triple-quoted " : "", detected)};
    };
    std::optional<unsigned char> undecodable;  // reported where the string ends, as CPython does
    while (true) {
      if (i_ >= s_.size()) return unterminated(triple ? last_line() : line_);
      char c = s_[i_];
      if (utf8_ && static_cast<unsigned char>(c) >= 0x80 && !undecodable) {
        std::size_t length = 0;
        decode_utf8(s_, i_, &length);
        if (length == 0) undecodable = static_cast<unsigned char>(c);
        else i_ += length - 1;
      }
      if (c == '\\' && i_ + 1 < s_.size()) {
        ++i_;
        if (s_[i_] == '\n' || s_[i_] == '\r') newline();
        else ++i_;
      } else if (c == '\n' || c == '\r') {
        if (!triple) return unterminated(line_);
        newline();
      } else if (c == quote && (!triple || (i_ + 2 < s_.size() && s_[i_ + 1] == quote && s_[i_ + 2] == quote))) {
        i_ += triple ? 3 : 1;
        if (undecodable) return decode_error(*undecodable, "invalid continuation byte or unexpected end of data");
        return std::nullopt;
      } else {
        ++i_;
      }
    }
  }

  std::optional<CompileError> identifier() {
    std::size_t start = i_;
    while (i_ < s_.size() && is_ident_char(static_cast<unsigned char>(s_[i_]))) {
      unsigned char c = static_cast<unsigned char>(s_[i_]);
      if (c < 0x80) { ++i_; continue; }
      std::size_t length = 0;
      std::uint32_t cp = decode_utf8(s_, i_, &length);
      if (length == 0) {
        if (utf8_) return decode_error(c, "invalid start or continuation byte");
        ++i_;
        continue;
      }
      if (is_non_identifier(cp)) {
        if (!is_printable(cp)) return error("SyntaxError", fmt::format("invalid non-printable character U+{:04X}", cp));
        return error("SyntaxError", fmt::format("invalid character '{}' (U+{:04X})", std::string(s_.substr(i_, length)), cp));
      }
      i_ += length;
    }
    // A string prefix (r, b, u, f and their combinations) directly before a quote.
    std::string_view word = s_.substr(start, i_ - start);
    if (i_ < s_.size() && (s_[i_] == '"' || s_[i_] == '\'') && word.size() <= 2) {
      std::string lower;
      for (char c : word) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      static const char* const kPrefixes[] = {"r", "u", "b", "f", "br", "rb", "fr", "rf"};
      for (const char* p : kPrefixes) {
        if (lower == p) return string(start);
      }
    }
    return std::nullopt;
  }

  std::optional<CompileError> close_bracket(char c) {
    char wanted = c == ')' ? '(' : c == ']' ? '[' : '{';
    if (brackets_.empty()) return error("SyntaxError", fmt::format("unmatched '{}'", c));
    Open open = brackets_.back();
    if (open.c != wanted) {
      std::string where = open.line != line_ ? fmt::format(" on line {}", open.line) : std::string();
      return error("SyntaxError", fmt::format("closing parenthesis '{}' does not match opening parenthesis '{}'{}", c, open.c, where));
    }
    brackets_.pop_back();
    ++i_;
    return std::nullopt;
  }

  bool digit_run(bool (*is_digit)(char)) {  // digits with single underscores between them
    bool any = false;
    while (i_ < s_.size()) {
      if (is_digit(s_[i_])) { any = true; ++i_; continue; }
      if (s_[i_] == '_' && any && i_ + 1 < s_.size() && is_digit(s_[i_ + 1])) { ++i_; continue; }
      break;
    }
    return any;
  }

  // CPython's verify_end_of_number: a letter right after a number is an error, but for the
  // keywords that may follow a number without a space (`1if x else 2`).
  std::optional<CompileError> end_of_number(const char* kind) {
    if (i_ >= s_.size() || !is_ident_char(static_cast<unsigned char>(s_[i_]))) return std::nullopt;
    static const char* const kKeywords[] = {"and", "else", "for", "if", "in", "is", "not", "or"};
    for (const char* k : kKeywords) {
      std::string_view kw(k);
      if (s_.substr(i_, kw.size()) == kw) return std::nullopt;
    }
    return error("SyntaxError", fmt::format("invalid {} literal", kind));
  }

  std::optional<CompileError> number() {
    static auto dec = [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; };
    static auto hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
    static auto oct = [](char c) { return c >= '0' && c <= '7'; };
    static auto bin = [](char c) { return c == '0' || c == '1'; };
    auto radix = [&](bool (*is_digit)(char), const char* kind) -> std::optional<CompileError> {
      i_ += 2;
      if (i_ < s_.size() && s_[i_] == '_') ++i_;
      if (!digit_run(is_digit)) return error("SyntaxError", fmt::format("invalid {} literal", kind));
      if (i_ < s_.size() && dec(s_[i_])) {
        return error("SyntaxError", fmt::format("invalid digit '{}' in {} literal", s_[i_], kind));
      }
      return end_of_number(kind);
    };
    if (s_[i_] == '0' && i_ + 1 < s_.size()) {
      char x = static_cast<char>(std::tolower(static_cast<unsigned char>(s_[i_ + 1])));
      if (x == 'x') return radix(hex, "hexadecimal");
      if (x == 'o') return radix(oct, "octal");
      if (x == 'b') return radix(bin, "binary");
    }
    std::size_t start = i_;
    bool leading_zero = s_[i_] == '0';
    if (s_[i_] != '.') digit_run(dec);
    bool nonzero = false;
    for (std::size_t k = start; k < i_; ++k) nonzero = nonzero || (s_[k] != '0' && s_[k] != '_');
    if (i_ < s_.size() && s_[i_] == '_') return error("SyntaxError", "invalid decimal literal");
    bool is_float = false;
    if (i_ < s_.size() && s_[i_] == '.') {
      is_float = true;
      ++i_;
      if (i_ < s_.size() && dec(s_[i_])) digit_run(dec);
    }
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      std::size_t e = i_ + 1;
      if (e < s_.size() && (s_[e] == '+' || s_[e] == '-')) ++e;
      if (e < s_.size() && dec(s_[e])) {
        i_ = e;
        digit_run(dec);
        is_float = true;
      } else if (e < s_.size() && is_ident_char(static_cast<unsigned char>(s_[e])) && e == i_ + 1) {
        return error("SyntaxError", "invalid decimal literal");
      } else {
        return error("SyntaxError", "invalid decimal literal");
      }
    }
    if (i_ < s_.size() && (s_[i_] == 'j' || s_[i_] == 'J')) {
      ++i_;
      return end_of_number("imaginary");
    }
    if (leading_zero && nonzero && !is_float) {
      return CompileError{"SyntaxError", line_, static_cast<int>(start - line_start_) + 1,
                          "leading zeros in decimal integer literals are not permitted; use an 0o prefix for octal integers"};
    }
    return end_of_number("decimal");
  }

  std::string_view s_;
  std::size_t i_ = 0;
  int line_ = 1;
  std::size_t line_start_ = 0;
  std::vector<int> indents_{0}, alt_indents_{0};
  std::vector<Open> brackets_;
  // The logical line being read: where it starts and its last token's first character.
  int logical_start_line_ = 0;
  std::size_t logical_first_ = 0;
  unsigned char last_token_ = 0;
  bool colon_seen_ = false;  // a colon outside brackets on this logical line
  std::string header_;  // set while a block must follow: "'if' statement", "function definition", ...
  int header_line_ = 0;
  bool at_eof_ = false;
  bool utf8_ = true;  // the source's encoding is UTF-8 (the default, or declared)
  std::size_t statement_offset_ = 0;  // where the statement holding the outermost open bracket starts
  std::size_t statement_start_ = 0;
  std::optional<CompileError> parser_error_;
};

}  // namespace

TokenizerFindings tokenize(std::string_view text) { return Tokenizer(text).run(); }

}  // namespace ckg::parse::detail
