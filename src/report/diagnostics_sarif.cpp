// `sarif` diagnostics: SARIF 2.1.0 as GitHub code scanning accepts it, with codeql-action's
// line fingerprints so that alerts survive unrelated edits that move lines.
#include <cstdint>
#include <map>
#include <unordered_map>

#include <fmt/format.h>

#include "diagnostics/codes.h"
#include "report/diagnostics_render.h"

namespace ckg::report {
namespace {

// Decodes UTF-8 to UTF-16 code units, as Node's `fs.createReadStream(path, "utf8")` and
// `charCodeAt` see the file (malformed bytes become U+FFFD).
std::vector<uint16_t> utf16_units(std::string_view s) {
  std::vector<uint16_t> out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    uint32_t cp = 0xFFFD;
    std::size_t len = 1;
    if (c < 0x80) {
      cp = c;
    } else if ((c >> 5) == 0x6 || (c >> 4) == 0xE || (c >> 3) == 0x1E) {
      len = (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : 4;
      uint32_t v = c & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07);
      bool ok = i + len <= s.size();
      for (std::size_t k = 1; ok && k < len; ++k) {
        unsigned char cc = static_cast<unsigned char>(s[i + k]);
        if ((cc & 0xC0) != 0x80) ok = false;
        else v = (v << 6) | (cc & 0x3F);
      }
      if (ok) cp = v;
      else len = 1;
    }
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out.push_back(static_cast<uint16_t>(0xD800 + (cp >> 10)));
      out.push_back(static_cast<uint16_t>(0xDC00 + (cp & 0x3FF)));
    } else {
      out.push_back(static_cast<uint16_t>(cp));
    }
    i += len;
  }
  return out;
}

const char* level(diag::Severity s) {
  switch (s) {
    case diag::Severity::error: return "error";
    case diag::Severity::warning: return "warning";
    case diag::Severity::note: return "note";
  }
  return "warning";
}

std::string percent_encode_path(std::string_view path) {
  std::string out;
  for (unsigned char c : path) {
    if (std::isalnum(c) || c == '/' || c == '-' || c == '_' || c == '.' || c == '~') out += static_cast<char>(c);
    else out += fmt::format("%{:02X}", c);
  }
  return out;
}

// The paragraph under "## What it does" (or the first paragraph) of a rule doc, as plain text.
std::string first_paragraph(const std::string& doc) {
  std::string_view d = doc;
  if (d.rfind("## ", 0) == 0) d.remove_prefix(std::min(d.size(), d.find('\n') + 1));
  std::size_t end = d.find("\n\n");
  std::string out(d.substr(0, end));
  for (char& c : out) {
    if (c == '\n') c = ' ';
  }
  return out;
}

nlohmann::ordered_json location(const std::string& file, const SarifOptions& options) {
  nlohmann::ordered_json a;
  if (!file.empty() && file[0] == '/') {
    const std::string& root = options.source_root;
    if (!root.empty() && file.size() > root.size() && file.compare(0, root.size(), root) == 0 &&
        (file[root.size()] == '/' || root.back() == '/')) {
      std::string rel = file.substr(root.size() + (root.back() == '/' ? 0 : 1));
      a["uri"] = percent_encode_path(rel);
      a["uriBaseId"] = "%SRCROOT%";
    } else {
      a["uri"] = "file://" + percent_encode_path(file);
    }
  } else {
    std::string rel = file.rfind("./", 0) == 0 ? file.substr(2) : file;
    a["uri"] = percent_encode_path(rel);
    a["uriBaseId"] = "%SRCROOT%";
  }
  return a;
}

nlohmann::ordered_json region(std::string_view text, const diag::Span& s) {
  nlohmann::ordered_json r;
  r["startLine"] = std::max(1, s.line);
  if (s.column <= 0) return r;
  r["startColumn"] = code_point_column(source_line(text, s.line), s.column);
  r["endLine"] = std::max(s.line, s.end_line);
  r["endColumn"] = std::max(1, code_point_column(source_line(text, s.end_line), s.end_column));
  return r;
}

}  // namespace

std::vector<std::string> line_hashes(std::string_view text) {
  constexpr int kBlock = 100;
  constexpr uint64_t kMod = 37;
  constexpr uint32_t kEof = 65535;
  uint64_t first_mod = 1;
  for (int i = 0; i < kBlock; ++i) first_mod *= kMod;

  std::vector<std::string> out;
  std::vector<uint32_t> window(kBlock, 0);
  std::vector<int> line_numbers(kBlock, -1);
  std::unordered_map<uint64_t, int> counts;
  uint64_t hash = 0;  // unsigned arithmetic wraps exactly like Long's two's-complement
  int index = 0, line_number = 0;
  bool line_start = true, prev_cr = false;

  auto output = [&]() {
    int n = ++counts[hash];
    if (static_cast<int>(out.size()) < line_numbers[index]) out.resize(line_numbers[index]);
    out[line_numbers[index] - 1] = fmt::format("{:x}:{}", hash, n);
    line_numbers[index] = -1;
  };
  auto update = [&](uint32_t current) {
    uint32_t begin = window[index];
    window[index] = current;
    hash = kMod * hash + current - first_mod * begin;
    index = (index + 1) % kBlock;
  };
  auto process = [&](uint32_t current) {
    if (current == ' ' || current == '\t' || (prev_cr && current == '\n')) {
      prev_cr = false;
      return;
    }
    if (current == '\r') {
      current = '\n';
      prev_cr = true;
    } else {
      prev_cr = false;
    }
    if (line_numbers[index] != -1) output();
    if (line_start) {
      line_start = false;
      line_numbers[index] = ++line_number;
    }
    if (current == '\n') line_start = true;
    update(current);
  };
  for (uint16_t u : utf16_units(text)) process(u);
  process(kEof);
  for (int i = 0; i < kBlock; ++i) {
    if (line_numbers[index] != -1) output();
    update(0);
  }
  return out;
}

nlohmann::ordered_json diagnostics_to_sarif(const DiagnosticsReport& report, const SarifOptions& options) {
  nlohmann::ordered_json rules = nlohmann::ordered_json::array();
  std::map<std::string, int> rule_index;
  for (const auto& r : report.rules) {
    rule_index[r.code] = static_cast<int>(rules.size());
    nlohmann::ordered_json j;
    j["id"] = r.code;
    j["name"] = r.name;
    j["shortDescription"] = {{"text", r.summary}};
    j["fullDescription"] = {{"text", first_paragraph(r.doc)}};
    j["help"] = {{"text", r.doc}, {"markdown", r.doc}};
    j["defaultConfiguration"] = {{"level", level(r.severity)}};
    const diag::CodeInfo* code = diag::find_code(r.code);
    j["properties"] = {{"tags", {"ckptguard", code ? std::string(diag::family_tag(code->family)) : std::string("input")}}};
    rules.push_back(std::move(j));
  }

  std::unordered_map<std::string, std::vector<std::string>> hashes;  // per file
  nlohmann::ordered_json results = nlohmann::ordered_json::array();
  for (const auto& d : report.diagnostics) {
    std::string_view text = report.source ? report.source(d.span.file) : std::string_view{};
    nlohmann::ordered_json r;
    r["ruleId"] = d.code;
    if (auto it = rule_index.find(d.code); it != rule_index.end()) r["ruleIndex"] = it->second;
    r["level"] = level(d.severity);
    r["message"] = {{"text", d.help.empty() ? escape_text(d.message)
                                            : escape_text(d.message) + "\nhelp: " + escape_text(d.help)}};
    nlohmann::ordered_json physical;
    physical["artifactLocation"] = location(d.span.file, options);
    physical["region"] = region(text, d.span);
    r["locations"] = nlohmann::ordered_json::array({{{"physicalLocation", physical}}});
    if (!text.empty()) {
      auto it = hashes.find(d.span.file);
      if (it == hashes.end()) it = hashes.emplace(d.span.file, line_hashes(text)).first;
      if (d.span.line >= 1 && d.span.line <= static_cast<int>(it->second.size())) {
        r["partialFingerprints"] = {{"primaryLocationLineHash", it->second[d.span.line - 1]}};
      }
    }
    if (d.fix && !d.fix->edits.empty()) {
      nlohmann::ordered_json changes = nlohmann::ordered_json::array();
      for (const auto& e : d.fix->edits) {
        std::string_view etext = report.source ? report.source(e.span.file) : std::string_view{};
        nlohmann::ordered_json replacement;
        replacement["deletedRegion"] = region(etext, e.span);
        replacement["insertedContent"] = {{"text", e.replacement}};
        changes.push_back({{"artifactLocation", location(e.span.file, options)},
                           {"replacements", nlohmann::ordered_json::array({replacement})}});
      }
      r["fixes"] = nlohmann::ordered_json::array({{{"description", {{"text", d.fix->title}}}, {"artifactChanges", changes}}});
    }
    if (!d.data.empty()) r["properties"] = d.data;
    results.push_back(std::move(r));
  }

  nlohmann::ordered_json driver;
  driver["name"] = "ckptguard";
  driver["version"] = report.tool_version;
  driver["semanticVersion"] = report.tool_version;
  driver["rules"] = std::move(rules);
  nlohmann::ordered_json run;
  run["tool"] = {{"driver", std::move(driver)}};
  if (!options.source_root.empty()) {
    std::string root = options.source_root;
    if (root.back() != '/') root += '/';
    run["originalUriBaseIds"] = {{"%SRCROOT%", {{"uri", "file://" + percent_encode_path(root)}}}};
  }
  run["columnKind"] = "unicodeCodePoints";
  run["results"] = std::move(results);
  nlohmann::ordered_json doc;
  doc["$schema"] = "https://json.schemastore.org/sarif-2.1.0.json";
  doc["version"] = "2.1.0";
  doc["runs"] = nlohmann::ordered_json::array({std::move(run)});
  return doc;
}

}  // namespace ckg::report
