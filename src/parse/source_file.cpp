// Reading and parsing Python sources with tree-sitter, with size and time limits.
#include "parse/source_file.h"
#include "parse/syntax.h"

#include <cstring>

#include <fmt/format.h>

extern "C" const TSLanguage* tree_sitter_python(void);

namespace ckg::parse {

const TSLanguage* python_language() { return tree_sitter_python(); }

SourceFile::SourceFile(std::string path, std::string text, TSTree* tree)
    : path_(std::move(path)), text_(std::move(text)), tree_(tree) {}

SourceFile::~SourceFile() {
  forget_tree(tree_);
  ts_tree_delete(tree_);
}

std::string_view SourceFile::node_text(TSNode node) const {
  uint32_t start = ts_node_start_byte(node);
  uint32_t end = ts_node_end_byte(node);
  if (start > text_.size() || end > text_.size() || end < start) return {};
  return std::string_view(text_).substr(start, end - start);
}

Location SourceFile::location(TSNode node) const {
  TSPoint p = ts_node_start_point(node);
  return Location{path_, static_cast<int>(p.row) + 1, static_cast<int>(p.column) + 1};
}

const std::optional<CompileError>& SourceFile::compile_error() const {
  if (!compile_error_) compile_error_ = parse::compile_error(*this);
  return *compile_error_;
}

std::optional<ParseError> SourceFile::first_syntax_error() const {
  const auto& error = compile_error();
  if (!error) return std::nullopt;
  return ParseError{Location{path_, error->line, error->column}, fmt::format("{}: {}", error->kind, error->message)};
}

LoadResult parse_source(std::string path, std::string text) {
  if (text.size() > kMaxSourceBytes) {
    return {nullptr, ParseError{{path, 0, 0}, fmt::format("source is larger than {} bytes", kMaxSourceBytes)}};
  }
  if (text.find('\0') != std::string::npos) {
    return {nullptr, ParseError{{path, 0, 0}, "not a text file (contains NUL bytes)"}};
  }
  TSParser* parser = ts_parser_new();
  ts_parser_set_language(parser, python_language());
  ts_parser_set_timeout_micros(parser, kParseTimeoutMicros);
  TSTree* tree = ts_parser_parse_string(parser, nullptr, text.data(), static_cast<uint32_t>(text.size()));
  ts_parser_delete(parser);
  if (tree == nullptr) return {nullptr, ParseError{{path, 0, 0}, "parse timed out"}};
  return {std::make_shared<const SourceFile>(std::move(path), std::move(text), tree), std::nullopt};
}

LoadResult load_source(const std::string& path, const FileSystem& files) {
  std::string error;
  switch (files.type(path)) {
    case EntryType::missing: return {nullptr, ParseError{{path, 0, 0}, "no such file"}};
    case EntryType::directory: return {nullptr, ParseError{{path, 0, 0}, "is a directory, expected a Python file"}};
    case EntryType::other: return {nullptr, ParseError{{path, 0, 0}, "is not a regular file (a FIFO, device or socket)"}};
    case EntryType::file: break;
  }
  std::optional<std::string> text = files.read(path, kMaxSourceBytes, &error);
  if (!text) return {nullptr, ParseError{{path, 0, 0}, error}};
  return parse_source(path, std::move(*text));
}

}  // namespace ckg::parse
