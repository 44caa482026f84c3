// Golden tests of every lint rule: tests/corpus/lint/CKGnnn.txt holds cases in tree-sitter's
// corpus format (`=== title`, Python source, `---`, expected `CODE line:column` lines; an empty
// expectation is a look-alike that must not be reported). Only the file's own code is compared.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "analyzers/lint.h"

namespace {

namespace fs = std::filesystem;

struct Case {
  std::string code;   // CKG301
  std::string title;
  std::string source;
  std::vector<std::string> expected;  // "CKG301 3:40"
  std::string origin;                 // file:line of the title
};

std::vector<Case> read_corpus() {
  std::vector<Case> out;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(fs::path(CKPTGUARD_SOURCE_DIR) / "tests/corpus/lint")) {
    if (e.path().extension() == ".txt") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& path : files) {
    std::ifstream in(path);
    std::string line;
    int number = 0;
    Case* current = nullptr;
    bool in_expected = false;
    while (std::getline(in, line)) {
      ++number;
      if (line.rfind("=== ", 0) == 0) {
        out.push_back({path.stem().string(), line.substr(4), "", {}, fmt::format("{}:{}", path.filename().string(), number)});
        current = &out.back();
        in_expected = false;
      } else if (current && line == "---") {
        in_expected = true;
      } else if (current && in_expected) {
        if (!line.empty()) current->expected.push_back(line);
      } else if (current) {
        current->source += line + "\n";
      }
    }
  }
  return out;
}

// Keeps test names readable in ctest (gtest would print the parameter's bytes).
void PrintTo(const Case& c, std::ostream* os) { *os << c.origin; }

const std::vector<Case>& corpus() {
  static const std::vector<Case> cases = read_corpus();
  return cases;
}

class LintCorpus : public testing::TestWithParam<Case> {};

TEST_P(LintCorpus, Matches) {
  const Case& c = GetParam();
  auto parsed = ckg::parse::parse_source("case.py", c.source);
  ASSERT_TRUE(parsed.file) << c.origin;
  auto found = ckg::lint::lint_file(*parsed.file, [](std::string_view) { return true; });
  std::vector<std::string> actual;
  for (const auto& d : found) {
    if (d.code == c.code) actual.push_back(fmt::format("{} {}:{}", d.code, d.span.line, d.span.column));
  }
  std::string messages;
  for (const auto& d : found) messages += fmt::format("  {} {}:{} {}\n", d.code, d.span.line, d.span.column, d.message);
  EXPECT_EQ(actual, c.expected) << c.origin << " '" << c.title << "'\nall findings:\n" << messages;
}

std::string test_name(const testing::TestParamInfo<Case>& info) {
  std::string name = info.param.code + "_";
  for (char ch : info.param.title) name += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
  return name + "_" + std::to_string(info.index);
}

INSTANTIATE_TEST_SUITE_P(Rules, LintCorpus, testing::ValuesIn(corpus()), test_name);

// Every rule has a corpus with at least three true positives and three look-alike negatives.
TEST(LintCorpusCoverage, EveryRuleHasThreePositivesAndThreeNegatives) {
  for (const auto& rule : ckg::lint::rules()) {
    int positives = 0, negatives = 0;
    for (const auto& c : corpus()) {
      if (c.code != rule.info.code) continue;
      (c.expected.empty() ? negatives : positives)++;
    }
    EXPECT_GE(positives, 3) << rule.info.code;
    EXPECT_GE(negatives, 3) << rule.info.code;
  }
}

// Every rule's doc has the four sections the README and `ckptguard rules CODE` rely on.
TEST(LintRules, DocsHaveWhatWhyExampleUseInstead) {
  for (const auto& r : ckg::lint::rule_infos()) {
    for (const char* section : {"## What it does", "## Why is this bad?", "## Example", "## Use instead"}) {
      EXPECT_NE(r.doc.find(section), std::string::npos) << r.code << " lacks " << section;
    }
    EXPECT_FALSE(r.summary.empty()) << r.code;
    EXPECT_EQ(r.name.find_first_not_of("abcdefghijklmnopqrstuvwxyz-"), std::string::npos) << r.name;
  }
}

TEST(LintRules, CodesAreUniqueSortedAndWellFormed) {
  std::vector<std::string> codes;
  for (const auto& r : ckg::lint::rule_infos()) codes.push_back(r.code);
  EXPECT_TRUE(std::is_sorted(codes.begin(), codes.end()));
  EXPECT_EQ(std::adjacent_find(codes.begin(), codes.end()), codes.end());
  for (const auto& c : codes) {
    EXPECT_EQ(c.size(), 6u);
    EXPECT_EQ(c.rfind("CKG", 0), 0u);
  }
}

}  // namespace
