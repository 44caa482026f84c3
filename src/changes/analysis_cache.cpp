// AnalysisCache: one file per entry, named by the hash of its key and the tool's build id.
#include "changes/analysis_cache.h"

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <fmt/format.h>
#include <unistd.h>

#include "changes/content_id.h"

namespace ckg::changes {

namespace fs = std::filesystem;

namespace {

constexpr const char* kLayout = "v1";

std::string read_whole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

AnalysisCache::AnalysisCache(std::string dir, std::string tool_id) : dir_(std::move(dir)), tool_id_(std::move(tool_id)) {}

AnalysisCache::~AnalysisCache() {
  if (!imports_grew_ || !enabled()) return;
  // Only the files this run saw: ids of contents no version has any more drop out.
  std::string text;
  for (const auto& [id, file] : imports_) {
    if (!file.used) continue;
    text += id;
    for (const auto& s : file.specs) {
      text += fmt::format("\t{}|{}|{}|", s.level, s.line, s.module);
      for (std::size_t i = 0; i < s.names.size(); ++i) text += (i ? "," : "") + s.names[i];
    }
    text += "\n";
  }
  write_atomically(entry_path("imports", "index"), text);
}

std::string AnalysisCache::entry_path(const std::string& kind, const std::string& key) const {
  std::string name = sha1_hex(tool_id_ + '\0' + kind + '\0' + key);
  return (fs::path(dir_) / kLayout / kind / name.substr(0, 2) / name.substr(2)).string();
}

void AnalysisCache::write_atomically(const std::string& path, const std::string& value) const {
  std::error_code ec;
  fs::path top(dir_);
  if (!fs::exists(top / "CACHEDIR.TAG", ec)) {
    fs::create_directories(top, ec);
    std::ofstream(top / ".gitignore") << "# Created by ckptguard: this cache is never committed.\n*\n";
    std::ofstream(top / "CACHEDIR.TAG") << "Signature: 8a477f597d28d172789f06886806bc55\n"
                                           "# This file is a cache directory tag created by ckptguard.\n";
  }
  fs::create_directories(fs::path(path).parent_path(), ec);
  static std::mt19937_64 random{std::random_device{}()};
  std::string tmp = fmt::format("{}.{}.{:x}.tmp", path, ::getpid(), random());
  {
    std::ofstream out(tmp, std::ios::binary);
    out << value;
    if (!out) {
      fs::remove(tmp, ec);
      return;  // a cache that cannot be written is a cache that misses
    }
  }
  fs::rename(tmp, path, ec);
  if (ec) fs::remove(tmp, ec);
}

std::optional<std::string> AnalysisCache::get(const std::string& kind, const std::string& key) const {
  if (!enabled()) return std::nullopt;
  std::error_code ec;
  std::string path = entry_path(kind, key);
  if (!fs::is_regular_file(path, ec)) {
    ++misses_;
    return std::nullopt;
  }
  ++hits_;
  return read_whole(path);
}

void AnalysisCache::put(const std::string& kind, const std::string& key, const std::string& value) {
  if (enabled()) write_atomically(entry_path(kind, key), value);
}

// Fields of `text` split at `sep`, as views into it.
static std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> out;
  for (std::size_t start = 0;;) {
    std::size_t end = text.find(sep, start);
    out.push_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) return out;
    start = end + 1;
  }
}

void AnalysisCache::load_imports() {
  imports_loaded_ = true;
  if (!enabled()) return;
  // One line per content id: ID, then per import a tab and LEVEL|LINE|MODULE|NAME,NAME...
  const std::string text = read_whole(entry_path("imports", "index"));
  std::string_view rest(text);
  while (!rest.empty()) {
    std::size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    if (line.empty()) continue;
    std::vector<std::string_view> fields = split(line, '\t');
    std::vector<ImportSpec> specs;
    bool damaged = false;
    for (std::size_t f = 1; f < fields.size() && !damaged; ++f) {
      std::vector<std::string_view> parts = split(fields[f], '|');
      if (parts.size() != 4) {
        damaged = true;  // the file is scanned again
        break;
      }
      ImportSpec s;
      s.level = std::atoi(std::string(parts[0]).c_str());
      s.line = std::atoi(std::string(parts[1]).c_str());
      s.module = std::string(parts[2]);
      if (!parts[3].empty()) {
        for (std::string_view n : split(parts[3], ',')) s.names.emplace_back(n);
      }
      specs.push_back(std::move(s));
    }
    if (!damaged) imports_.emplace(std::string(fields[0]), FileImports{std::move(specs)});
  }
}

const std::vector<ImportSpec>* AnalysisCache::imports(const std::string& content_id) {
  if (!imports_loaded_) load_imports();
  auto it = imports_.find(content_id);
  if (it == imports_.end()) return nullptr;
  it->second.used = true;
  return &it->second.specs;
}

void AnalysisCache::remember_imports(const std::string& content_id, std::vector<ImportSpec> specs) {
  if (!imports_loaded_) load_imports();
  imports_[content_id] = FileImports{std::move(specs), true};
  imports_grew_ = true;
}

}  // namespace ckg::changes
