// Diagnostics renderers: text, json, sarif, github, markdown, html, and their building blocks.
#include <gtest/gtest.h>

#include "report/diagnostics_render.h"

namespace {

using namespace ckg::report;
using ckg::diag::Diagnostic;
using ckg::diag::Severity;

// The expected values are codeql-action's own test vectors (src/fingerprints.test.ts).
TEST(Fingerprints, MatchCodeqlAction) {
  EXPECT_EQ(line_hashes(""), std::vector<std::string>{"c129715d7a2bc9a3:1"});
  EXPECT_EQ(line_hashes(" a\nb\n  \t\tc\n d"),
            (std::vector<std::string>{"271789c17abda88f:1", "54703d4cd895b18:1", "180aee12dab6264:1", "a23a3dc5e078b07b:1"}));
  std::vector<std::string> greetings{"e9496ae3ebfced30:1", "fb7c023a8b9ccb3f:1", "ce8ba1a563dcdaca:1", "e20e36e16fcb0cc8:1",
                                     "b3edc88f2938467e:1", "c8e28b0b4002a3a0:1", "c129715d7a2bc9a3:1"};
  EXPECT_EQ(line_hashes(" hello; \t\nworld!!!\n\n\n  \t\tGreetings\n End\n"), greetings);
  EXPECT_EQ(line_hashes(" hello; \t\nworld!!!\r\r\r  \t\tGreetings\r End\r"), greetings);
  EXPECT_EQ(line_hashes(" hello; \t\r\nworld!!!\r\n\r\n\r\n  \t\tGreetings\r\n End\r\n"), greetings);
  EXPECT_EQ(line_hashes(" hello; \t\nworld!!!\r\n\n\r  \t\tGreetings\r End\r\n"), greetings);
  std::string lorem;
  for (int i = 0; i < 10; ++i) lorem += "Lorem ipsum dolor sit amet.\n";
  EXPECT_EQ(line_hashes(lorem),
            (std::vector<std::string>{"a7f2ff13bc495cf2:1", "a7f2ff13bc495cf2:2", "a7f2ff13bc495cf2:3", "a7f2ff13bc495cf2:4",
                                      "a7f2ff13bc495cf2:5", "a7f2ff13bc495cf2:6", "a7f2ff1481e87703:1", "a9cf91f7bbf1862b:1",
                                      "55ec222b86bcae53:1", "cc97dc7b1d7d8f7b:1", "c129715d7a2bc9a3:1"}));
}

TEST(Columns, CodePoints) {
  std::string line = "x = \"é\" + torch.load(p)";  // é is two bytes
  EXPECT_EQ(code_point_column(line, 1), 1);
  EXPECT_EQ(code_point_column(line, 6), 6);    // the é
  EXPECT_EQ(code_point_column(line, 8), 7);    // the closing quote
  EXPECT_EQ(code_point_column(line, 13), 12);  // torch
  EXPECT_EQ(source_line("a\nb\r\nc", 2), "b");
  EXPECT_EQ(source_line("a\nb", 3), "");
}

TEST(Github, Escaping) {
  EXPECT_EQ(escape_github_data("100% done\r\nnext"), "100%25 done%0D%0Anext");
  EXPECT_EQ(escape_github_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
}

Diagnostic sample(std::string file = "models/net.py") {
  Diagnostic d;
  d.code = "CKG401";
  d.name = "torch-load-without-weights-only";
  d.severity = Severity::warning;
  d.message = "`torch.load` without `weights_only=True` can run code stored in the checkpoint";
  d.span = {file, 2, 11, 2, 21};  // bytes; "é" before it makes code points differ by one
  d.help = "pass `weights_only=True`";
  d.fix = ckg::diag::Fix{"pass `weights_only=True`", false, {{{file, 2, 24, 2, 24}, ", weights_only=True"}}};
  return d;
}

const std::string kSource = "import torch\ns = \"é\"; torch.load(p)\n";

DiagnosticsReport report_with(std::vector<Diagnostic> ds) {
  DiagnosticsReport r;
  r.diagnostics = std::move(ds);
  r.rules = {{"CKG401", "torch-load-without-weights-only", Severity::warning, "summary here",
              "## What it does\nFlags loads.\n\n## Why is this bad?\nCode runs."}};
  r.source = [](const std::string&) -> std::string_view { return kSource; };
  r.files_checked = 3;
  return r;
}

TEST(Text, CompilerStyle) {
  std::string out = render_diagnostics_text(report_with({sample()}), {false});
  EXPECT_EQ(out,
            "warning[CKG401]: `torch.load` without `weights_only=True` can run code stored in the checkpoint\n"
            " --> models/net.py:2:10\n"
            "  |\n"
            "2 | s = \"é\"; torch.load(p)\n"
            "  |          ^^^^^^^^^^\n"
            "  = help: pass `weights_only=True`\n"
            "  = fix (unsafe): pass `weights_only=True`\n"
            "\n"
            "Found 1 finding. (1 warning in 1 of 3 files checked)\n");
}

TEST(Text, ColourOnlyWhenAsked) {
  EXPECT_EQ(render_diagnostics_text(report_with({sample()}), {false}).find('\x1b'), std::string::npos);
  EXPECT_NE(render_diagnostics_text(report_with({sample()}), {true}).find("\x1b[1;33m"), std::string::npos);
}

TEST(Text, NoFindings) {
  EXPECT_EQ(render_diagnostics_text(report_with({}), {false}), "Found 0 findings (3 files checked).\n");
}

TEST(Json, SchemaAndCodePointColumns) {
  auto j = diagnostics_to_json(report_with({sample()}));
  EXPECT_EQ(j["version"], 1);
  EXPECT_EQ(j["tool"]["name"], "ckptguard");
  EXPECT_EQ(j["files_checked"], 3);
  EXPECT_EQ(j["summary"]["findings"], 1);
  EXPECT_EQ(j["summary"]["warnings"], 1);
  EXPECT_EQ(j["summary"]["by_code"]["CKG401"], 1);
  const auto& d = j["diagnostics"][0];
  EXPECT_EQ(d["code"], "CKG401");
  EXPECT_EQ(d["name"], "torch-load-without-weights-only");
  EXPECT_EQ(d["severity"], "warning");
  EXPECT_EQ(d["file"], "models/net.py");
  EXPECT_EQ(d["line"], 2);
  EXPECT_EQ(d["column"], 10);
  EXPECT_EQ(d["end_column"], 20);
  EXPECT_EQ(d["fix"]["safe"], false);
  EXPECT_EQ(d["fix"]["edits"][0]["replacement"], ", weights_only=True");
  EXPECT_EQ(d["fix"]["edits"][0]["column"], 23);
}

TEST(Sarif, RequiredFieldsForCodeScanning) {
  auto s = diagnostics_to_sarif(report_with({sample(), sample("/elsewhere/x.py"), sample("/repo/pkg/y.py")}), {"/repo"});
  EXPECT_EQ(s["version"], "2.1.0");
  EXPECT_TRUE(s.contains("$schema"));
  const auto& run = s["runs"][0];
  EXPECT_EQ(run["tool"]["driver"]["name"], "ckptguard");
  const auto& rule = run["tool"]["driver"]["rules"][0];
  EXPECT_EQ(rule["id"], "CKG401");
  EXPECT_EQ(rule["shortDescription"]["text"], "summary here");
  EXPECT_EQ(rule["fullDescription"]["text"], "Flags loads.");
  EXPECT_FALSE(rule["help"]["text"].get<std::string>().empty());
  EXPECT_EQ(run["columnKind"], "unicodeCodePoints");
  EXPECT_EQ(run["originalUriBaseIds"]["%SRCROOT%"]["uri"], "file:///repo/");
  const auto& r = run["results"][0];
  EXPECT_EQ(r["ruleId"], "CKG401");
  EXPECT_EQ(r["ruleIndex"], 0);
  EXPECT_EQ(r["level"], "warning");
  const auto& loc = r["locations"][0]["physicalLocation"];
  EXPECT_EQ(loc["artifactLocation"]["uri"], "models/net.py");
  EXPECT_EQ(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
  EXPECT_EQ(loc["region"]["startLine"], 2);
  EXPECT_EQ(loc["region"]["startColumn"], 10);
  EXPECT_EQ(loc["region"]["endColumn"], 20);
  EXPECT_EQ(r["partialFingerprints"]["primaryLocationLineHash"], line_hashes(kSource)[1]);
  EXPECT_EQ(run["results"][1]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "file:///elsewhere/x.py");
  EXPECT_EQ(run["results"][2]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "pkg/y.py");
}

TEST(Github, Annotations) {
  std::string out = render_diagnostics_github(report_with({sample("a,b:c.py")}));
  EXPECT_EQ(out,
            "::warning file=a%2Cb%3Ac.py,line=2,col=10,endColumn=20,"
            "title=ckptguard CKG401 (torch-load-without-weights-only)::"
            "`torch.load` without `weights_only=True` can run code stored in the checkpoint%0Ahelp: pass `weights_only=True`\n");
}

TEST(Markdown, SummaryAndTable) {
  Diagnostic d = sample();
  d.message = "a | b";
  std::string out = render_diagnostics_markdown(report_with({d, sample()}));
  EXPECT_NE(out.find("**2 findings** (2 warnings) in 1 of 3 files checked."), std::string::npos) << out;
  EXPECT_NE(out.find("| `CKG401` | torch-load-without-weights-only | 2 |"), std::string::npos) << out;
  EXPECT_NE(out.find("| warning | `models/net.py:2:10` | `CKG401` | a \\| b<br>help: pass `weights_only=True` |"),
            std::string::npos)
      << out;
  EXPECT_NE(render_diagnostics_markdown(report_with({})).find("**No findings** in 3 files checked."), std::string::npos);
}

TEST(Html, SelfContainedAndEscaped) {
  Diagnostic d = sample("<script>.py");
  d.message = "bad `<b>` & worse";
  std::string out = render_diagnostics_html(report_with({d}));
  EXPECT_EQ(out.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_EQ(out.find("<script"), std::string::npos);
  EXPECT_NE(out.find("&lt;script&gt;.py"), std::string::npos);
  EXPECT_NE(out.find("bad <code>&lt;b&gt;</code> &amp; worse"), std::string::npos);
  EXPECT_EQ(out.find("http://"), std::string::npos);
  EXPECT_EQ(out.find("https://"), std::string::npos);
  EXPECT_NE(out.find("id=\"rule-CKG401\""), std::string::npos);
}

}  // namespace
