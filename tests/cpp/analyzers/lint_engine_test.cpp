// The lint engine: inline suppressions, syntax errors, code filters, ordering.
#include <gtest/gtest.h>

#include "analyzers/lint.h"

namespace {

std::vector<std::string> codes(const std::string& source, const ckg::lint::CodeFilter& filter = nullptr) {
  auto parsed = ckg::parse::parse_source("t.py", source);
  EXPECT_TRUE(parsed.file);
  auto all = filter ? filter : [](std::string_view) { return true; };
  std::vector<std::string> out;
  for (const auto& d : ckg::lint::lint_file(*parsed.file, all)) out.push_back(d.code + ":" + std::to_string(d.span.line));
  return out;
}

using V = std::vector<std::string>;

TEST(Suppression, CodeOnTheLine) {
  EXPECT_EQ(codes("import torch\nx = torch.load(p)  # ckptguard: ignore[CKG401]\n"), V{});
  EXPECT_EQ(codes("import torch\nx = torch.load(p)  # ckptguard: ignore[CKG301, CKG401]\n"), V{});
  EXPECT_EQ(codes("import torch\nx = torch.load(p)  # ckptguard: ignore[ckg401]\n"), V{});
}

TEST(Suppression, BlanketIgnore) {
  EXPECT_EQ(codes("import torch\nx = torch.load(p)  # ckptguard: ignore\n"), V{});
}

TEST(Suppression, OtherCodeDoesNotSuppress) {
  EXPECT_EQ(codes("import torch\nx = torch.load(p)  # ckptguard: ignore[CKG301]\n"), V{"CKG401:2"});
}

TEST(Suppression, NoqaWithCodeButNotBareNoqa) {
  EXPECT_EQ(codes("import torch\nx = torch.load(p)  # noqa: CKG401\n"), V{});
  EXPECT_EQ(codes("import torch\nx = torch.load(p)  # noqa: E501, CKG401\n"), V{});
  EXPECT_EQ(codes("import torch\nx = torch.load(p)  # noqa\n"), V{"CKG401:2"});
}

TEST(Suppression, FirstLineOfMultiLineStatement) {
  std::string src =
      "model.load_state_dict(  # ckptguard: ignore[CKG301]\n"
      "    sd,\n"
      "    strict=False,\n"
      ")\n";
  EXPECT_EQ(codes(src), V{});
  // Without the comment the finding is on line 3.
  EXPECT_EQ(codes("model.load_state_dict(\n    sd,\n    strict=False,\n)\n"), V{"CKG301:3"});
}

TEST(Suppression, CommentOnCompoundStatementHeaderDoesNotCoverItsBody) {
  std::string src =
      "import torch\n"
      "if ok:  # ckptguard: ignore\n"
      "    x = torch.load(p)\n";
  EXPECT_EQ(codes(src), V{"CKG401:3"});
}

TEST(Suppression, TextInsideStringsIsNotAComment) {
  EXPECT_EQ(codes("import torch\nx = torch.load('# ckptguard: ignore')\n"), V{"CKG401:2"});
}

TEST(LintFile, SyntaxErrorIsADiagnosticAndTheRestIsChecked) {
  auto out = codes("import torch\ndef f(:\n    pass\nx = torch.load(p)\n");
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out[0].rfind("CKG001:", 0), 0u);
  EXPECT_NE(std::find(out.begin(), out.end(), "CKG401:4"), out.end());
}

TEST(LintFile, FilterDisablesCodes) {
  std::string src = "import torch\nx = torch.load(p)\ntorch.save(model, 'm.pt')\n";
  EXPECT_EQ(codes(src), (V{"CKG401:2", "CKG402:3"}));
  EXPECT_EQ(codes(src, [](std::string_view c) { return c != "CKG401"; }), V{"CKG402:3"});
}

TEST(LintFile, EmptyAndCommentOnlyFiles) {
  EXPECT_EQ(codes(""), V{});
  EXPECT_EQ(codes("# just a comment\n"), V{});
}

TEST(LintFile, DiagnosticsCarryRuleNameSeverityAndHelp) {
  auto parsed = ckg::parse::parse_source("t.py", "import torch\nx = torch.load(p)\n");
  auto found = ckg::lint::lint_file(*parsed.file, [](std::string_view) { return true; });
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].name, "torch-load-without-weights-only");
  EXPECT_EQ(found[0].severity, ckg::diag::Severity::warning);
  EXPECT_FALSE(found[0].help.empty());
  EXPECT_EQ(found[0].span.file, "t.py");
  EXPECT_EQ(found[0].span.column, 5);
  EXPECT_EQ(found[0].span.end_column, 15);
  ASSERT_TRUE(found[0].fix);
  EXPECT_FALSE(found[0].fix->safe);
  ASSERT_EQ(found[0].fix->edits.size(), 1u);
  EXPECT_EQ(found[0].fix->edits[0].replacement, ", weights_only=True");
  EXPECT_EQ(found[0].fix->edits[0].span.column, 17);
}

TEST(Registry, FindRuleByCode) {
  ASSERT_NE(ckg::lint::find_rule("CKG301"), nullptr);
  EXPECT_EQ(ckg::lint::find_rule("CKG301")->info.name, "nonstrict-load-ignored");
  EXPECT_EQ(ckg::lint::find_rule("CKG999"), nullptr);
}

}  // namespace
