// Edit attribution: provenance ranges against changed lines.
#include "changes/edit_attribution.h"

#include <algorithm>

namespace ckg::changes {

FileEdits::FileEdits(const ProjectVersion& old_version, const ProjectVersion& new_version, const std::vector<std::string>& changed) {
  for (const auto& rel : changed) {
    std::string error;
    std::string before = old_version.has(rel) ? old_version.read(rel, &error).value_or("") : "";
    std::string after = new_version.has(rel) ? new_version.read(rel, &error).value_or("") : "";
    hunks_[rel] = diff_lines(before, after);
  }
}

std::optional<FileEdits::Edit> FileEdits::touching(const manifest::SourceRange& r, bool new_side) const {
  auto it = hunks_.find(r.file);
  if (it == hunks_.end()) return std::nullopt;
  for (const Hunk& h : it->second) {
    int start = new_side ? h.new_start : h.old_start;
    int count = new_side ? h.new_count : h.old_count;
    // Changed lines inside the range, or lines removed from inside it.
    bool overlaps = count > 0 ? start <= r.end_line && start + count - 1 >= r.line : r.line < start && start <= r.end_line;
    if (!overlaps) continue;
    int line = count > 0 ? std::max(start, r.line) : start - 1;
    Edit e{r.file, 0, 0};
    (new_side ? e.new_line : e.old_line) = std::max(line, 1);
    (new_side ? e.old_line : e.new_line) = std::max(new_side ? h.old_start : h.new_start, 1);
    return e;
  }
  return std::nullopt;
}

std::optional<FileEdits::Edit> FileEdits::first_in(const std::string& file) const {
  auto it = hunks_.find(file);
  if (it == hunks_.end() || it->second.empty()) return std::nullopt;
  const Hunk& h = it->second.front();
  return Edit{file, std::max(h.new_start, 1), std::max(h.old_start, 1)};
}

namespace {

const manifest::Branch* branch_of(const manifest::BranchSet& set, const std::string& id) {
  for (const auto& b : set.branches) {
    if (b.id == id) return &b;
  }
  return set.branches.empty() || id != "default" ? nullptr : &set.branches.front();
}

// Where a key came from: the statement that registered it, and for each layer on its path the
// statement that registered the layer and the calls that created it, most specific first.
std::vector<manifest::SourceRange> provenance(const manifest::KeyManifest& m, const std::string& key) {
  std::vector<manifest::SourceRange> out;
  if (const manifest::KeyEntry* k = m.find(key)) out.push_back({k->origin_file, k->origin_line, k->origin_end_line});
  for (std::size_t dot = key.rfind('.'); dot != std::string::npos; dot = dot == 0 ? std::string::npos : key.rfind('.', dot - 1)) {
    if (const manifest::ModuleEntry* mod = m.find_module(key.substr(0, dot))) {
      out.push_back({mod->origin_file, mod->origin_line, mod->origin_end_line});
      out.insert(out.end(), mod->created_at.rbegin(), mod->created_at.rend());
    }
    if (dot == 0) break;
  }
  out.erase(std::remove_if(out.begin(), out.end(), [](const auto& r) { return r.line <= 0; }), out.end());
  return out;
}

std::vector<std::string> names(const nlohmann::ordered_json& data, const char* field) {
  std::vector<std::string> out;
  if (data.contains(field)) {
    for (const auto& k : data[field]) out.push_back(k.get<std::string>());
  }
  return out;
}

// The most specific provenance range (the smallest) that an edit touches.
std::optional<FileEdits::Edit> by_provenance(const FileEdits& edits, const manifest::Branch* b,
                                             const std::vector<std::string>& keys, bool new_side) {
  if (!b) return std::nullopt;
  std::vector<manifest::SourceRange> ranges;
  for (const auto& k : keys) {
    auto p = provenance(b->manifest, k);
    ranges.insert(ranges.end(), p.begin(), p.end());
  }
  std::stable_sort(ranges.begin(), ranges.end(), [](const auto& a, const auto& c) { return a.end_line - a.line < c.end_line - c.line; });
  for (const auto& r : ranges) {
    if (auto e = edits.touching(r, new_side)) return e;
  }
  return std::nullopt;
}

std::optional<FileEdits::Edit> by_execution(const FileEdits& edits, const manifest::Branch* b, bool new_side) {
  if (!b) return std::nullopt;
  std::vector<manifest::SourceRange> ran = b->executed;
  std::sort(ran.begin(), ran.end());
  for (const auto& r : ran) {
    if (auto e = edits.touching(r, new_side)) return e;
  }
  return std::nullopt;
}

}  // namespace

void attribute_edit(diag::Diagnostic& f, const manifest::BranchSet& old_set, const manifest::BranchSet& new_set,
                    const FileEdits& edits, const std::set<std::string>& reachable_changes, const std::string& model_file,
                    int model_line) {
  std::string branch = f.data.value("branch", "default");
  const manifest::Branch* old_b = branch_of(old_set, branch);
  const manifest::Branch* new_b = branch_of(new_set, branch);
  // Every key the finding is about, looked up in both versions: a removed bias still has its
  // layer in the new version, built by the edited line.
  std::vector<std::string> keys = names(f.data, "new_keys");
  for (const char* field : {"old_keys", "keys"}) {
    auto more = names(f.data, field);
    keys.insert(keys.end(), more.begin(), more.end());
  }
  std::optional<FileEdits::Edit> edit = by_provenance(edits, new_b, keys, true);
  std::optional<FileEdits::Edit> old_edit = by_provenance(edits, old_b, keys, false);
  if (!edit && !old_edit) edit = by_execution(edits, new_b, true);
  if (!edit && !old_edit) old_edit = by_execution(edits, old_b, false);
  if (!edit && !old_edit) {
    for (const auto& file : reachable_changes) {
      if ((edit = edits.first_in(file))) break;
    }
  }
  if (edit) {
    f.span = {edit->file, edit->new_line, 1, edit->new_line, 1};
    f.data["edit"] = {{"file", edit->file}, {"line", edit->new_line}};
    if (!old_edit && edit->old_line > 0) old_edit = FileEdits::Edit{edit->file, 0, edit->old_line};
  } else if (old_edit) {
    f.span = {old_edit->file, old_edit->new_line > 0 ? old_edit->new_line : model_line, 1, 0, 1};
    if (old_edit->new_line <= 0) f.span.file = model_file;
    f.data["edit"] = {{"file", f.span.file}, {"line", f.span.line}};
  } else {
    f.span = {model_file, model_line, 1, model_line, 1};
  }
  if (old_edit) f.data["old_edit"] = {{"file", old_edit->file}, {"line", old_edit->old_line}};
}

}  // namespace ckg::changes
