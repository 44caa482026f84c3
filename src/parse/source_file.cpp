// Reading and parsing Python sources with tree-sitter, with size and time limits.
#include "parse/source_file.h"
#include "parse/syntax.h"

#include <cstring>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

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

std::optional<ParseError> SourceFile::first_syntax_error() const {
  TSNode root = this->root();
  if (!ts_node_has_error(root)) return std::nullopt;
  // Walk down towards the first ERROR or MISSING node; iterative to survive deep trees.
  TSNode node = root;
  while (true) {
    if (std::strcmp(ts_node_type(node), "ERROR") == 0 || ts_node_is_missing(node)) break;
    bool descended = false;
    uint32_t n = ts_node_child_count(node);
    for (uint32_t i = 0; i < n; ++i) {
      TSNode child = ts_node_child(node, i);
      if (ts_node_has_error(child)) {
        node = child;
        descended = true;
        break;
      }
    }
    if (!descended) break;
  }
  std::string reason = ts_node_is_missing(node)
                           ? fmt::format("syntax error: missing '{}'", ts_node_type(node))
                           : std::string("syntax error");
  return ParseError{location(node), reason};
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

LoadResult load_source(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {nullptr, ParseError{{path, 0, 0}, "no such file"}};
  if (S_ISDIR(st.st_mode)) return {nullptr, ParseError{{path, 0, 0}, "is a directory, expected a Python file"}};
  // A FIFO or a device would block the read below (or never end): only regular files are read.
  if (!S_ISREG(st.st_mode)) return {nullptr, ParseError{{path, 0, 0}, "not a regular file, expected a Python file"}};
  if (static_cast<std::uint64_t>(st.st_size) > kMaxSourceBytes) {
    return {nullptr, ParseError{{path, 0, 0}, fmt::format("source is larger than {} bytes", kMaxSourceBytes)}};
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return {nullptr, ParseError{{path, 0, 0}, "cannot be read"}};
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return parse_source(path, buffer.str());
}

}  // namespace ckg::parse
