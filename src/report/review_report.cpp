// Markdown and HTML review reports: the findings section from the diagnostics renderers, plus
// per-model branch tables and compatibility matrices.
#include "report/review_report.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "compare/load_check.h"

namespace ckg::report {

namespace {

std::string shape_text(const manifest::KeyEntry& k) {
  return k.shape ? fmt::format("[{}]", fmt::join(*k.shape, ", ")) : std::string("?");
}

// Every key of any branch, in first-seen order.
std::vector<std::string> all_keys(const manifest::BranchSet& set) {
  std::vector<std::string> keys;
  std::set<std::string> seen;
  for (const auto& b : set.branches) {
    for (const auto& k : b.manifest.keys) {
      if (seen.insert(k.name).second) keys.push_back(k.name);
    }
  }
  return keys;
}

std::string md_escape(std::string s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += "\\|";
    else if (c == '\n') out += "<br>";
    else out += c;
  }
  return out;
}

}  // namespace

namespace {

// A GitHub comment holds 65,536 characters; the report stays under it, leaving room for a header
// a CI job may add. Sections that would not fit are summarised with counts.
constexpr std::size_t kCommentBudget = 60'000;
constexpr std::size_t kMaxBranchRows = 12;   // branch table rows shown
constexpr std::size_t kMaxMatrixBranches = 8;  // a full compatibility matrix up to this size
constexpr std::size_t kMaxKeyRows = 40;      // differing keys shown per model

std::string witness_text(const manifest::Branch& b) {
  std::vector<std::string> w;
  for (const auto& [k, v] : b.witness) w.push_back(k + "=" + v);
  return w.empty() ? std::string("(defaults)") : fmt::format("`{}`", md_escape(fmt::format("{}", fmt::join(w, ", "))));
}

std::string first_lines(const std::string& text, std::size_t lines) {
  std::size_t at = 0;
  for (std::size_t i = 0; i < lines && at != std::string::npos; ++i) {
    at = text.find('\n', at);
    if (at != std::string::npos) ++at;
  }
  return at == std::string::npos ? text : text.substr(0, at) + "…\n";
}

std::string markdown_model(const ModelSection& m) {
  const auto& branches = m.branches.branches;
  std::string out = fmt::format("### `{}`\n\n{} configuration branch{}{}.\n\n", m.name, branches.size(),
                                branches.size() == 1 ? "" : "es", m.branches.truncated ? " (exploration truncated: more may exist)" : "");
  out += "| branch | condition | witness |\n|---|---|---|\n";
  for (std::size_t i = 0; i < branches.size() && i < kMaxBranchRows; ++i) {
    out += fmt::format("| `{}` | `{}` | {} |\n", md_escape(branches[i].id), md_escape(branches[i].condition), witness_text(branches[i]));
  }
  if (branches.size() > kMaxBranchRows) {
    out += fmt::format("\n…and {} more branches (`ckptguard branches {}` lists them all).\n", branches.size() - kMaxBranchRows, m.name);
  }
  // Keys: only those that differ between the branches shown, the rest counted.
  std::size_t columns = std::min(branches.size(), kMaxMatrixBranches);
  std::vector<std::string> differing;
  std::size_t same = 0;
  for (const auto& key : all_keys(m.branches)) {
    std::set<std::string> cells;
    for (std::size_t i = 0; i < columns; ++i) {
      const manifest::KeyEntry* k = branches[i].manifest.find(key);
      cells.insert(k ? shape_text(*k) + " " + k->dtype.value_or("?") : "—");
    }
    if (cells.size() > 1) differing.push_back(key);
    else ++same;
  }
  out += fmt::format("\n<details><summary>keys per branch ({} the same in every branch{})</summary>\n\n", same,
                     differing.empty() ? std::string() : fmt::format(", {} differing", differing.size()));
  if (!differing.empty()) {
    out += "| key |";
    for (std::size_t i = 0; i < columns; ++i) out += fmt::format(" `{}` |", md_escape(branches[i].id));
    out += "\n|---|";
    for (std::size_t i = 0; i < columns; ++i) out += "---|";
    out += "\n";
    for (std::size_t r = 0; r < differing.size() && r < kMaxKeyRows; ++r) {
      out += fmt::format("| `{}` |", differing[r]);
      for (std::size_t i = 0; i < columns; ++i) {
        const manifest::KeyEntry* k = branches[i].manifest.find(differing[r]);
        out += k ? fmt::format(" {} {} |", shape_text(*k), k->dtype.value_or("?")) : std::string(" — |");
      }
      out += "\n";
    }
    if (differing.size() > kMaxKeyRows) out += fmt::format("\n…and {} more differing keys.\n", differing.size() - kMaxKeyRows);
  }
  out += "\n</details>\n\n";
  if (branches.size() > 1) {
    if (branches.size() <= kMaxMatrixBranches) {
      out += "Loading a checkpoint saved by the row's branch into a model built as the column's branch:\n\n| saved \\ loaded |";
      for (const auto& b : branches) out += fmt::format(" `{}` |", md_escape(b.id));
      out += "\n|---|";
      for (std::size_t i = 0; i < branches.size(); ++i) out += "---|";
      out += "\n";
      std::string errors;
      for (const auto& from : branches) {
        out += fmt::format("| `{}` |", md_escape(from.id));
        for (const auto& to : branches) {
          if (&from == &to) { out += " — |"; continue; }
          auto r = compare::simulate_load(from.manifest, to.manifest);
          out += r.compatible() ? " ✅ loads |" : " ❌ fails |";
          if (!r.compatible()) errors += fmt::format("`{}` → `{}`:\n```\n{}```\n", from.id, to.id, first_lines(*r.pytorch_error + "\n", 6));
        }
        out += "\n";
      }
      if (!errors.empty()) out += "\n<details><summary>torch's errors</summary>\n\n" + errors + "\n</details>\n\n";
    } else {
      std::size_t loads = 0;
      for (const auto& from : branches) {
        for (const auto& to : branches) {
          if (&from != &to && compare::simulate_load(from.manifest, to.manifest).compatible()) ++loads;
        }
      }
      out += fmt::format("Across its {} branches, {} of {} ordered pairs load with strict=True (the HTML report has the matrix).\n\n",
                         branches.size(), loads, branches.size() * (branches.size() - 1));
    }
  }
  if (!m.remap.empty()) {
    out += "Key remap for checkpoints saved before this change:\n\n| old key | new key |\n|---|---|\n";
    std::size_t shown = 0;
    for (const auto& [k, v] : m.remap) {
      if (shown++ == kMaxKeyRows) break;
      out += fmt::format("| `{}` | `{}` |\n", k, v);
    }
    if (m.remap.size() > kMaxKeyRows) out += fmt::format("\n…and {} more renamed keys (the JSON output has them all).\n", m.remap.size() - kMaxKeyRows);
    out += "\n";
  }
  return out;
}

}  // namespace

std::string render_review_markdown(const ReviewReport& report) {
  std::string out = fmt::format("## {}\n\n", report.title);
  std::string findings = markdown_findings_section(report.findings) + "\n";
  if (out.size() + findings.size() > kCommentBudget / 2) {
    findings = first_lines(findings, 40) + fmt::format("\n…the findings table is cut here to fit a comment; `ckptguard diff` and "
                                                        "`report --format sarif` list all {}.\n\n", report.findings.diagnostics.size());
  }
  out += findings;
  std::size_t omitted = 0;
  for (const auto& m : report.models) {
    std::string section = markdown_model(m);
    if (omitted == 0 && out.size() + section.size() <= kCommentBudget) {
      out += section;
    } else {
      ++omitted;
    }
  }
  if (omitted > 0) {
    out += fmt::format("…and {} more model{} the change can affect, left out to fit a comment (`--format html` shows "
                       "every one).\n", omitted, omitted == 1 ? "" : "s");
  }
  return out;
}

std::string render_review_html(const ReviewReport& report) {
  std::string body = html_findings_section(report.findings);
  for (const auto& m : report.models) {
    const auto& branches = m.branches.branches;
    body += fmt::format("<section class=\"model\"><h2><code>{}</code></h2>\n<p>{} configuration branch{}{}.</p>\n",
                        html_escape(m.name), branches.size(), branches.size() == 1 ? "" : "es",
                        m.branches.truncated ? " (exploration truncated: more may exist)" : "");
    body += "<table class=\"branches\"><tr><th>branch</th><th>condition</th><th>witness</th></tr>\n";
    for (const auto& b : branches) {
      std::vector<std::string> w;
      for (const auto& [k, v] : b.witness) w.push_back(k + "=" + v);
      std::string witness = w.empty() ? std::string("(defaults)") : fmt::format("<code>{}</code>", html_escape(fmt::format("{}", fmt::join(w, ", "))));
      body += fmt::format("<tr><td><code>{}</code></td><td><code>{}</code></td><td>{}</td></tr>\n", html_escape(b.id),
                          html_escape(b.condition), witness);
    }
    body += "</table>\n";
    if (branches.size() > 1) {
      body += "<h3>Which checkpoint loads into which model</h3>\n<table class=\"matrix\"><tr><th>saved \\ loaded</th>";
      for (const auto& b : branches) body += fmt::format("<th><code>{}</code></th>", html_escape(b.id));
      body += "</tr>\n";
      for (const auto& from : branches) {
        body += fmt::format("<tr><th><code>{}</code></th>", html_escape(from.id));
        for (const auto& to : branches) {
          if (&from == &to) { body += "<td class=\"self\">—</td>"; continue; }
          auto r = compare::simulate_load(from.manifest, to.manifest);
          body += r.compatible() ? "<td class=\"ok\" title=\"loads with strict=True\">loads</td>"
                                 : fmt::format("<td class=\"fail\" title=\"{}\">fails</td>", html_escape(*r.pytorch_error));
        }
        body += "</tr>\n";
      }
      body += "</table>\n";
    }
    auto keys = all_keys(m.branches);
    body += fmt::format("<details><summary>keys per branch ({} keys)</summary><table class=\"keys\"><tr><th>key</th>", keys.size());
    for (const auto& b : branches) body += fmt::format("<th><code>{}</code></th>", html_escape(b.id));
    body += "</tr>\n";
    for (const auto& key : keys) {
      body += fmt::format("<tr><td><code>{}</code></td>", html_escape(key));
      for (const auto& b : branches) {
        const manifest::KeyEntry* k = b.manifest.find(key);
        body += k ? fmt::format("<td>{} {}</td>", shape_text(*k), html_escape(k->dtype.value_or("?"))) : std::string("<td class=\"absent\">—</td>");
      }
      body += "</tr>\n";
    }
    body += "</table></details>\n";
    if (!m.remap.empty() || !m.old_keys.empty()) {
      body += "<h3>Old → new keys</h3><table class=\"diff\"><tr><th>old key</th><th>new key</th></tr>\n";
      std::set<std::string> new_default;
      if (!branches.empty()) for (const auto& k : branches.front().manifest.keys) new_default.insert(k.name);
      for (const auto& old : m.old_keys) {
        auto it = m.remap.find(old);
        if (it != m.remap.end()) body += fmt::format("<tr class=\"renamed\"><td><code>{}</code></td><td><code>{}</code></td></tr>\n", html_escape(old), html_escape(it->second));
        else if (!new_default.count(old)) body += fmt::format("<tr class=\"removed\"><td><code>{}</code></td><td>removed</td></tr>\n", html_escape(old));
      }
      body += "</table>\n";
    }
    body += "</section>\n";
  }
  return html_page(report.title, body);
}

}  // namespace ckg::report
