// [tool.ckptguard] reading, config discovery, globs and rule selection.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "config/lint_config.h"

namespace {

namespace fs = std::filesystem;
using ckg::config::glob_match;

fs::path temp_dir(const std::string& name) {
  fs::path d = fs::path(testing::TempDir()) / ("ckg_config_" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

TEST(Glob, Patterns) {
  EXPECT_TRUE(glob_match("__init__.py", "pkg/sub/__init__.py"));
  EXPECT_TRUE(glob_match("tests/*.py", "tests/test_a.py"));
  EXPECT_FALSE(glob_match("tests/*.py", "tests/unit/test_a.py"));
  EXPECT_TRUE(glob_match("tests/**/*.py", "tests/unit/deep/test_a.py"));
  EXPECT_TRUE(glob_match("tests/**", "tests/unit/test_a.py"));
  EXPECT_TRUE(glob_match("tests", "tests/unit/test_a.py"));  // a directory covers what it holds
  EXPECT_TRUE(glob_match("scripts/*", "scripts/tools/x.py"));
  EXPECT_TRUE(glob_match("test_?.py", "test_a.py"));
  EXPECT_TRUE(glob_match("[ab]*.py", "b.py"));
  EXPECT_FALSE(glob_match("[!ab]*.py", "b.py"));
  EXPECT_TRUE(glob_match("./src/*.py", "src/x.py"));
  EXPECT_FALSE(glob_match("src/*.py", "lib/src/x.py"));
}

TEST(ReadConfig, AllKeys) {
  fs::path d = temp_dir("all");
  write(d / "pyproject.toml",
        "[project]\nname = 'x'\n\n[tool.ckptguard]\nselect = ['CKG3', 'ckg401']\nextend-select = ['CKG402']\n"
        "ignore = ['CKG305']\nmodels = ['pkg.models']  # another command's key\n\n"
        "[tool.ckptguard.per-file-ignores]\n'tests/**' = ['CKG401']\n'__init__.py' = ['CKG3']\n");
  auto r = ckg::config::read_config((d / "pyproject.toml").string());
  ASSERT_FALSE(r.error) << r.error->reason;
  ASSERT_TRUE(r.config);
  EXPECT_EQ(*r.config->select, (std::vector<std::string>{"CKG3", "CKG401"}));
  EXPECT_EQ(r.config->extend_select, std::vector<std::string>{"CKG402"});
  EXPECT_EQ(r.config->ignore, std::vector<std::string>{"CKG305"});
  ASSERT_EQ(r.config->per_file_ignores.size(), 2u);
  EXPECT_EQ(r.config->root, fs::absolute(d).lexically_normal().string());
}

TEST(ReadConfig, Errors) {
  fs::path d = temp_dir("errors");
  write(d / "a.toml", "[tool.ckptguard]\nselect = 'CKG301'\n");
  auto r = ckg::config::read_config((d / "a.toml").string());
  ASSERT_TRUE(r.error);
  EXPECT_NE(r.error->reason.find("select: expected an array of strings"), std::string::npos);

  write(d / "b.toml", "[tool.ckptguard\nselect = []\n");
  r = ckg::config::read_config((d / "b.toml").string());
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->reason.rfind("line 1:", 0), 0u) << r.error->reason;

  write(d / "c.toml", "[tool.ckptguard]\nper-file-ignores = ['x']\n");
  r = ckg::config::read_config((d / "c.toml").string());
  ASSERT_TRUE(r.error);
}

TEST(FindConfig, ClosestTableWinsAndFilesWithoutTheTableAreSkipped) {
  fs::path d = temp_dir("find");
  write(d / "pyproject.toml", "[tool.ckptguard]\nignore = ['CKG401']\n");
  write(d / "pkg/pyproject.toml", "[project]\nname = 'pkg'\n");  // no table: does not count
  write(d / "other/pyproject.toml", "[tool.ckptguard]\nignore = ['CKG402']\n");
  auto r = ckg::config::find_config((d / "pkg/sub").string());
  ASSERT_TRUE(r.config);
  EXPECT_EQ(r.config->ignore, std::vector<std::string>{"CKG401"});
  r = ckg::config::find_config((d / "other").string());
  ASSERT_TRUE(r.config);
  EXPECT_EQ(r.config->ignore, std::vector<std::string>{"CKG402"});
}

TEST(Selection, DefaultsToAll) {
  ckg::config::RuleSelection s({}, {}, {"CKG001"});
  EXPECT_TRUE(s.enabled("CKG301", "a.py"));
  EXPECT_TRUE(s.enabled("CKG001", "a.py"));
}

TEST(Selection, MoreSpecificWins) {
  ckg::config::LintConfig c;
  c.select = std::vector<std::string>{"CKG4"};
  c.ignore = {"CKG401"};
  ckg::config::RuleSelection s(c, {}, {});
  EXPECT_FALSE(s.enabled("CKG401", "a.py"));
  EXPECT_TRUE(s.enabled("CKG402", "a.py"));
  EXPECT_FALSE(s.enabled("CKG301", "a.py"));

  c.select = std::vector<std::string>{"CKG401"};
  c.ignore = {"CKG4"};
  ckg::config::RuleSelection t(c, {}, {});
  EXPECT_TRUE(t.enabled("CKG401", "a.py"));
  EXPECT_FALSE(t.enabled("CKG402", "a.py"));
}

TEST(Selection, CommandLineOverridesSelectAndAddsIgnores) {
  ckg::config::LintConfig c;
  c.select = std::vector<std::string>{"CKG4"};
  c.extend_select = {"CKG301"};
  ckg::config::SelectionOverrides o;
  o.select = std::vector<std::string>{"CKG3"};
  o.ignore = {"CKG302"};
  ckg::config::RuleSelection s(c, o, {});
  EXPECT_FALSE(s.enabled("CKG401", "a.py"));
  EXPECT_TRUE(s.enabled("CKG301", "a.py"));
  EXPECT_FALSE(s.enabled("CKG302", "a.py"));
}

TEST(Selection, PerFileIgnoresAlwaysWin) {
  ckg::config::LintConfig c;
  c.select = std::vector<std::string>{"CKG401"};
  c.per_file_ignores = {{"tests/**", {"CKG4"}}, {"__init__.py", {"ALL"}}};
  ckg::config::RuleSelection s(c, {}, {"CKG001"});
  EXPECT_TRUE(s.enabled("CKG401", "src/a.py"));
  EXPECT_FALSE(s.enabled("CKG401", "tests/unit/a.py"));
  EXPECT_FALSE(s.enabled("CKG001", "pkg/__init__.py"));
}

TEST(Selection, InputProblemsNeedNoSelectionButCanBeIgnoredExactly) {
  ckg::config::LintConfig c;
  c.select = std::vector<std::string>{"CKG401"};
  ckg::config::RuleSelection s(c, {}, {"CKG001"});
  EXPECT_TRUE(s.enabled("CKG001", "a.py"));
  c.ignore = {"CKG001"};
  ckg::config::RuleSelection t(c, {}, {"CKG001"});
  EXPECT_FALSE(t.enabled("CKG001", "a.py"));
}

TEST(Selectors, UnknownAreRejected) {
  std::vector<std::string> known{"CKG001", "CKG301", "CKG401"};
  EXPECT_FALSE(ckg::config::check_selectors({"ALL", "CKG", "CKG3", "ckg401"}, known));
  auto e = ckg::config::check_selectors({"CKG999"}, known);
  ASSERT_TRUE(e);
  EXPECT_NE(e->find("'CKG999'"), std::string::npos);
  EXPECT_TRUE(ckg::config::check_selectors({"E501"}, known));
}

}  // namespace

namespace {

TEST(Selection, CommandLineSelectDropsTheFilesIgnoresButNotPerFileIgnores) {
  ckg::config::LintConfig c;
  c.ignore = {"CKG402"};
  c.per_file_ignores = {{"tests/**", {"CKG401"}}};
  ckg::config::SelectionOverrides o;
  o.select = std::vector<std::string>{"CKG4"};
  ckg::config::RuleSelection s(c, o, {});
  EXPECT_TRUE(s.enabled("CKG402", "a.py"));
  EXPECT_FALSE(s.enabled("CKG401", "tests/a.py"));
  ckg::config::RuleSelection t(c, {}, {});
  EXPECT_FALSE(t.enabled("CKG402", "a.py"));
}

}  // namespace
