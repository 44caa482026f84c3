// Would CPython compile this file? The checks CPython 3.11 makes, each reported at the line and
// with the exception class CPython reports: its tokenizer's (encoding, indentation, tabs, strings,
// brackets, numbers, characters), its parser's (tree-sitter's syntax errors, plus the rules the
// tree-sitter grammar lets through, such as keywords used as names or Python 2 print statements)
// and its compiler's (`return` outside a function, duplicate parameters, ...).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ckg::parse {

class SourceFile;

struct CompileError {
  std::string kind;  // "SyntaxError", "IndentationError" or "TabError", as CPython raises it
  int line = 0;      // 1-based, the line CPython reports
  int column = 0;    // 1-based byte column (approximate where CPython's offset is a token's)
  std::string message;
  // Raised by CPython's parser rather than its tokenizer (a missing colon, an unexpected indent):
  // ordered with the parser's other errors by position.
  bool parser_level = false;
  // Only tree-sitter objected (a generic "invalid syntax"): the grammar has gaps, so a caller that
  // can ask CPython itself should confirm before refusing the file.
  bool grammar_only = false;
};

// The error CPython would raise compiling `file`, or nullopt when it compiles.
std::optional<CompileError> compile_error(const SourceFile& file);

namespace detail {
// What reading `text` token by token finds.
struct TokenizerFindings {
  // The first error CPython's tokenizer raises (decoding included), and whether it is only
  // noticed at the end of the file (an unclosed bracket).
  std::optional<CompileError> error;
  bool at_eof = false;
  std::size_t statement_start = 0;  // for an unclosed bracket: the offset of its statement's line
  // The first error the parser raises about the token structure (parser_level set): a missing
  // colon, an unexpected or missing indent, a merge conflict marker.
  std::optional<CompileError> parser_error;
};
TokenizerFindings tokenize(std::string_view text);
}  // namespace detail

}  // namespace ckg::parse
