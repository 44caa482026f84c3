// A Python source file parsed by tree-sitter: owns the text and the syntax tree.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <tree_sitter/api.h>

#include "parse/compile_check.h"
#include "parse/file_system.h"

namespace ckg::parse {

// 1-based line and column (column counts bytes) of a point in a source file.
struct Location {
  std::string file;
  int line = 0;
  int column = 0;
};

// Why a file could not be turned into a syntax tree that analysis can trust.
struct ParseError {
  Location where;
  std::string reason;
};

class SourceFile {
 public:
  SourceFile(std::string path, std::string text, TSTree* tree);
  ~SourceFile();
  SourceFile(const SourceFile&) = delete;
  SourceFile& operator=(const SourceFile&) = delete;

  const std::string& path() const { return path_; }
  const std::string& text() const { return text_; }
  TSNode root() const { return ts_tree_root_node(tree_); }

  std::string_view node_text(TSNode node) const;
  Location location(TSNode node) const;
  // The error CPython would raise compiling this file (see compile_check.h), computed once:
  // `reason` is "SyntaxError: ...", "IndentationError: ..." or "TabError: ...".
  std::optional<ParseError> first_syntax_error() const;
  const std::optional<CompileError>& compile_error() const;

 private:
  std::string path_;
  std::string text_;
  TSTree* tree_;
  mutable std::optional<std::optional<CompileError>> compile_error_;
};

// Limits that keep hostile or generated sources from exhausting the machine.
inline constexpr std::size_t kMaxSourceBytes = 10u << 20;
inline constexpr std::uint64_t kParseTimeoutMicros = 2'000'000;
inline constexpr std::size_t kMaxSyntaxDepth = 1000;  // nodes from the root (compile_check.h)

struct LoadResult {
  std::shared_ptr<const SourceFile> file;  // null when `error` is set
  std::optional<ParseError> error;
};

// Reads and parses `path`. Fails only when the file cannot be read or parsed at all;
// syntax errors stay inside the tree (see SourceFile::first_syntax_error).
LoadResult load_source(const std::string& path, const FileSystem& files = disk());
// Parses `text` as if it had been read from `path`.
LoadResult parse_source(std::string path, std::string text);

const TSLanguage* python_language();

}  // namespace ckg::parse
