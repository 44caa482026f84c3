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

std::string render_review_markdown(const ReviewReport& report) {
  std::string out = fmt::format("## {}\n\n", report.title);
  out += markdown_findings_section(report.findings) + "\n";
  for (const auto& m : report.models) {
    const auto& branches = m.branches.branches;
    out += fmt::format("### `{}`\n\n{} configuration branch{}{}.\n\n", m.name, branches.size(), branches.size() == 1 ? "" : "es",
                       m.branches.truncated ? " (exploration truncated: more may exist)" : "");
    out += "| branch | condition | witness |\n|---|---|---|\n";
    for (const auto& b : branches) {
      std::vector<std::string> w;
      for (const auto& [k, v] : b.witness) w.push_back(k + "=" + v);
      std::string witness = w.empty() ? std::string("(defaults)") : fmt::format("`{}`", md_escape(fmt::format("{}", fmt::join(w, ", "))));
      out += fmt::format("| `{}` | `{}` | {} |\n", md_escape(b.id), md_escape(b.condition), witness);
    }
    auto keys = all_keys(m.branches);
    out += fmt::format("\n<details><summary>keys per branch ({} keys)</summary>\n\n| key |", keys.size());
    for (const auto& b : branches) out += fmt::format(" `{}` |", md_escape(b.id));
    out += "\n|---|";
    for (std::size_t i = 0; i < branches.size(); ++i) out += "---|";
    out += "\n";
    for (const auto& key : keys) {
      out += fmt::format("| `{}` |", key);
      for (const auto& b : branches) {
        const manifest::KeyEntry* k = b.manifest.find(key);
        out += k ? fmt::format(" {} {} |", shape_text(*k), k->dtype.value_or("?")) : std::string(" — |");
      }
      out += "\n";
    }
    out += "\n</details>\n\n";
    if (branches.size() > 1) {
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
          if (!r.compatible()) errors += fmt::format("`{}` → `{}`:\n```\n{}\n```\n", from.id, to.id, *r.pytorch_error);
        }
        out += "\n";
      }
      if (!errors.empty()) out += "\n<details><summary>torch's errors</summary>\n\n" + errors + "\n</details>\n\n";
    }
    if (!m.remap.empty()) {
      out += "Key remap for checkpoints saved before this change:\n\n| old key | new key |\n|---|---|\n";
      for (const auto& [k, v] : m.remap) out += fmt::format("| `{}` | `{}` |\n", k, v);
      out += "\n";
    }
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
