// Parsing stage: loading, syntax errors, limits, module location.
#include <gtest/gtest.h>

#include "index/project_index.h"
#include "parse/source_file.h"
#include "parse/syntax.h"

namespace {

using ckg::parse::parse_source;

TEST(SourceFile, ParsesValidPython) {
  auto r = parse_source("a.py", "class A:\n    x = 1\n");
  ASSERT_TRUE(r.file);
  EXPECT_FALSE(r.file->first_syntax_error());
  EXPECT_EQ(ckg::parse::kind(ckg::parse::named_children(r.file->root()).at(0)), ckg::parse::Kind::k_class_definition);
}

TEST(SourceFile, ReportsFirstSyntaxErrorWithLine) {
  auto r = parse_source("bad.py", "x = 1\ndef f(:\n    pass\n");
  ASSERT_TRUE(r.file);
  auto err = r.file->first_syntax_error();
  ASSERT_TRUE(err);
  EXPECT_EQ(err->where.line, 2);
  EXPECT_EQ(err->reason, "SyntaxError: invalid syntax");  // as CPython 3.11 says
}

TEST(SourceFile, RejectsBinaryAndMissingFiles) {
  EXPECT_TRUE(parse_source("bin.py", std::string("a\0b", 3)).error);
  auto missing = ckg::parse::load_source("/nonexistent/nowhere.py");
  ASSERT_TRUE(missing.error);
  EXPECT_EQ(missing.error->reason, "no such file");
}

TEST(SourceFile, SurvivesDeepNesting) {
  std::string deep = "x = " + std::string(20000, '(') + "1" + std::string(20000, ')') + "\n";
  auto r = parse_source("deep.py", deep);
  ASSERT_TRUE(r.file || r.error);  // parsed or refused, never a crash
}

TEST(ProjectIndex, ResolvesRelativeImports) {
  ckg::index::ModulePath resnet{"/r", "torchvision.models.resnet", false};
  EXPECT_EQ(*ckg::index::ProjectIndex::resolve_relative(resnet, 2, "ops.misc"), "torchvision.ops.misc");
  EXPECT_EQ(*ckg::index::ProjectIndex::resolve_relative(resnet, 1, "_utils"), "torchvision.models._utils");
  ckg::index::ModulePath pkg{"/r", "torchvision.models", true};
  EXPECT_EQ(*ckg::index::ProjectIndex::resolve_relative(pkg, 1, "resnet"), "torchvision.models.resnet");
  EXPECT_FALSE(ckg::index::ProjectIndex::resolve_relative(resnet, 4, "x"));
}

TEST(ProjectIndex, ListsTopLevelDefinitions) {
  auto r = parse_source("m.py", "import torch\nclass Net(nn.Module, Mixin):\n  pass\n@dec\ndef build():\n  pass\n");
  auto defs = ckg::index::ProjectIndex::definitions(*r.file);
  ASSERT_EQ(defs.size(), 2u);
  EXPECT_EQ(defs[0].name, "Net");
  EXPECT_EQ(defs[0].bases, (std::vector<std::string>{"nn.Module", "Mixin"}));
  EXPECT_EQ(defs[1].name, "build");
  EXPECT_EQ(defs[1].kind, ckg::index::Definition::Kind::function_def);
}

}  // namespace
