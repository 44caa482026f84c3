// Reading a git change: what changed (git diff), every file of each version with its blob id
// (git ls-tree / ls-files), and file contents through one `git cat-file --batch`.
#include "cli/git_versions.h"

#include <filesystem>
#include <map>
#include <set>

#include <fmt/format.h>

namespace ckg::cli {

namespace fs = std::filesystem;

namespace {

// The NUL-terminated entries of git's -z output, as views into it.
std::vector<std::string_view> split_nul(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (start < s.size()) {
    std::size_t end = s.find('\0', start);
    if (end == std::string_view::npos) end = s.size();
    if (end > start) out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

bool is_python(std::string_view path) { return path.size() > 3 && path.compare(path.size() - 3, 3, ".py") == 0; }

// Blob contents, from one `git cat-file --batch` started on first use.
class BlobStore {
 public:
  explicit BlobStore(std::string top) : top_(std::move(top)) {}

  std::optional<std::string> read(const std::string& oid) {
    auto hit = cache_.find(oid);
    if (hit != cache_.end()) return hit->second;
    if (!git_) git_ = std::make_unique<Coprocess>(std::vector<std::string>{"git", "cat-file", "--batch"}, top_);
    if (!git_->write(oid + "\n")) return std::nullopt;
    std::optional<std::string> header = git_->read_line();  // "<oid> blob <size>"
    if (!header || header->find(" missing") != std::string::npos) return std::nullopt;
    std::size_t space = header->rfind(' ');
    std::size_t size = std::stoull(header->substr(space + 1));
    std::optional<std::string> bytes = git_->read_exact(size + 1);  // the content and a newline
    if (!bytes) return std::nullopt;
    bytes->pop_back();
    return cache_.emplace(oid, std::move(*bytes)).first->second;
  }

 private:
  std::string top_;
  std::unique_ptr<Coprocess> git_;
  std::map<std::string, std::string> cache_;
};

// One version held by git: a revision's tree or the index. Paths outside the work tree are read
// from the disk (installed packages).
class GitTreeFiles final : public parse::FileSystem {
 public:
  GitTreeFiles(std::string top, std::map<std::string, std::string> blobs, std::set<std::string> same_on_disk,
               std::shared_ptr<BlobStore> store)
      : top_(std::move(top)), blobs_(std::move(blobs)), same_on_disk_(std::move(same_on_disk)), store_(std::move(store)) {
    for (const auto& [rel, oid] : blobs_) {
      for (std::size_t slash = rel.rfind('/'); slash != std::string::npos && slash > 0; slash = rel.rfind('/', slash - 1)) {
        if (!dirs_.insert(rel.substr(0, slash)).second) break;
      }
    }
  }

  parse::EntryType type(const std::string& path) const override {
    std::optional<std::string> rel = relative(path);
    if (!rel) return parse::disk().type(path);
    if (rel->empty() || dirs_.count(*rel)) return parse::EntryType::directory;
    return blobs_.count(*rel) ? parse::EntryType::file : parse::EntryType::missing;
  }

  std::optional<std::string> read(const std::string& path, std::size_t max_bytes, std::string* error) const override {
    std::optional<std::string> rel = relative(path);
    if (!rel) return parse::disk().read(path, max_bytes, error);
    auto it = blobs_.find(*rel);
    if (it == blobs_.end()) {
      *error = "no such file";
      return std::nullopt;
    }
    if (same_on_disk_.count(*rel)) return parse::disk().read(path, max_bytes, error);
    std::optional<std::string> bytes = store_->read(it->second);
    if (!bytes) *error = fmt::format("cannot be read from git (blob {})", it->second);
    else if (bytes->size() > max_bytes) *error = fmt::format("is larger than {} bytes", max_bytes), bytes.reset();
    return bytes;
  }

 private:
  std::optional<std::string> relative(const std::string& path) const {
    std::error_code ec;
    std::string p = fs::absolute(path, ec).lexically_normal().string();
    if (p == top_) return std::string();
    if (p.rfind(top_ + "/", 0) != 0) return std::nullopt;
    return p.substr(top_.size() + 1);
  }

  std::string top_;
  std::map<std::string, std::string> blobs_;  // every file of the version, relative -> blob id
  std::set<std::string> dirs_;
  std::set<std::string> same_on_disk_;
  std::shared_ptr<BlobStore> store_;
};

std::optional<std::string> git_out(const std::vector<std::string>& argv, const std::string& cwd, std::string* error) {
  ProcessResult r = run_process(argv, cwd);
  if (r.exit_code != 0) {
    *error = r.err.substr(0, r.err.find('\n'));
    return std::nullopt;
  }
  return r.out;
}

}  // namespace

std::variant<GitChange, std::string> read_git_change(const GitRequest& request) {
  ProcessResult top_r = run_process({"git", "rev-parse", "--show-toplevel"});
  if (top_r.exit_code != 0) return std::string("ckptguard diff: not inside a git repository");
  GitChange change;
  change.top = fs::path(top_r.out.substr(0, top_r.out.find('\n'))).lexically_normal().string();
  const std::string& top = change.top;
  if (run_process({"git", "rev-parse", "--verify", "--quiet", request.base + "^{commit}"}, top).exit_code != 0) {
    return fmt::format("ckptguard diff: unknown revision '{}'", request.base);
  }
  std::string error;
  // Every file of the base revision (and, for --staged, of the index), with blob ids.
  std::map<std::string, std::string> base_blobs, index_blobs;
  auto tree = git_out({"git", "ls-tree", "-r", "-z", "--full-tree", request.base}, top, &error);
  if (!tree) return fmt::format("ckptguard diff: git failed: {}", error);
  for (const auto& entry : split_nul(*tree)) {  // "<mode> blob <oid>\t<path>"
    std::size_t tab = entry.find('\t');
    if (tab == std::string::npos || entry.find(" blob ") == std::string::npos) continue;
    base_blobs.emplace(std::string(entry.substr(tab + 1)), std::string(entry.substr(tab - 40, 40)));
  }
  if (request.staged) {
    auto index = git_out({"git", "ls-files", "-s", "-z"}, top, &error);
    if (!index) return fmt::format("ckptguard diff: git failed: {}", error);
    for (const auto& entry : split_nul(*index)) {  // "<mode> <oid> <stage>\t<path>"
      std::size_t tab = entry.find('\t');
      if (tab == std::string::npos || tab < 43) continue;
      index_blobs.emplace(std::string(entry.substr(tab + 1)), std::string(entry.substr(tab - 42, 40)));
    }
  }

  // Paths given on the command line must name something, in either version.
  std::vector<std::string> pathspec;
  for (const auto& p : request.paths) {
    std::error_code ec;
    std::string abs = fs::absolute(p, ec).lexically_normal().string();
    std::string rel = abs == top ? std::string(".") : abs.rfind(top + "/", 0) == 0 ? abs.substr(top.size() + 1) : std::string();
    if (rel.empty()) return fmt::format("{}: not inside the repository {}", p, top);
    bool known = fs::exists(abs, ec) || base_blobs.count(rel) || index_blobs.count(rel);
    if (!known) return fmt::format("{}: no such file or directory", p);
    pathspec.push_back(rel);
  }
  // What differs between the base and the new version (every file, for the work tree's ids).
  std::vector<std::string> diff_args = {"git", "diff", "--name-only", "-z", "--no-renames"};
  if (request.staged) diff_args.push_back("--cached");
  diff_args.push_back(request.base);
  auto differing = git_out(diff_args, top, &error);
  if (!differing) return fmt::format("ckptguard diff: git diff failed: {}", error);
  std::set<std::string> changed_any;
  for (auto f : split_nul(*differing)) changed_any.emplace(f);
  auto within_paths = [&](const std::string& rel) {
    if (pathspec.empty()) return true;
    for (const auto& p : pathspec) {
      if (p == "." || rel == p || rel.rfind(p + "/", 0) == 0) return true;
    }
    return false;
  };
  for (const auto& f : changed_any) {
    if (is_python(f) && within_paths(f)) change.changed.push_back(f);
  }

  auto python_ids = [&](const std::map<std::string, std::string>& blobs) {
    std::map<std::string, std::string> ids;
    for (const auto& [rel, oid] : blobs) {
      if (is_python(rel)) ids.emplace(rel, oid);
    }
    return ids;
  };
  auto store = std::make_shared<BlobStore>(top);
  // A base blob is read from the disk when the work tree holds the same content: the file is
  // not among those that differ (only known in work-tree mode; --staged reads git's objects).
  std::set<std::string> base_on_disk;
  if (!request.staged) {
    for (const auto& [rel, oid] : base_blobs) {
      if (!changed_any.count(rel)) base_on_disk.insert(rel);
    }
  }
  std::map<std::string, std::string> base_python = python_ids(base_blobs);
  auto old_files = std::make_shared<GitTreeFiles>(top, std::move(base_blobs), std::move(base_on_disk), store);
  change.keep_alive.push_back(old_files);
  if (request.staged) {
    change.old_version = std::make_unique<changes::ProjectVersion>(request.base, top, *old_files, std::move(base_python));
    std::map<std::string, std::string> index_python = python_ids(index_blobs);
    auto new_files = std::make_shared<GitTreeFiles>(top, std::move(index_blobs), std::set<std::string>{}, store);
    change.keep_alive.push_back(new_files);
    change.new_version = std::make_unique<changes::ProjectVersion>("the index", top, *new_files, std::move(index_python));
  } else {
    // The work tree: files as they are on the disk. Those that do not differ from the base have
    // its ids; the others are read and hashed when needed (or are gone).
    std::map<std::string, std::string> ids = base_python;
    change.old_version = std::make_unique<changes::ProjectVersion>(request.base, top, *old_files, std::move(base_python));
    for (const auto& f : changed_any) {
      std::error_code ec;
      if (!is_python(f)) continue;
      if (fs::is_regular_file(fs::path(top) / f, ec)) ids[f] = "";
      else ids.erase(f);
    }
    change.new_version = std::make_unique<changes::ProjectVersion>("the work tree", top, parse::disk(), std::move(ids));
  }
  return change;
}

}  // namespace ckg::cli
