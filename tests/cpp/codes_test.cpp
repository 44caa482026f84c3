// The code registry: every code is documented by exactly one rule, with the registry's name,
// severity and summary, and unknown codes are refused with a suggestion.
#include <map>

#include <gtest/gtest.h>

#include "analyzers/lint.h"
#include "compare/check_findings.h"
#include "compare/model_diff.h"
#include "diagnostics/codes.h"

namespace {

TEST(Codes, EveryRegisteredCodeIsDocumentedOnceAndAgrees) {
  std::map<std::string, int> documented;
  std::vector<ckg::diag::RuleInfo> all = ckg::lint::rule_infos();
  for (const auto* more : {&ckg::compare::diff_rules(), &ckg::compare::check_rules()}) all.insert(all.end(), more->begin(), more->end());
  for (const auto& r : all) {
    ++documented[r.code];
    const ckg::diag::CodeInfo* c = ckg::diag::find_code(r.code);
    ASSERT_NE(c, nullptr) << r.code;
    EXPECT_EQ(r.name, c->name);
    EXPECT_EQ(r.severity, c->severity);
    EXPECT_EQ(r.summary, c->summary);
    EXPECT_EQ(r.code.substr(0, 4), ckg::diag::family_prefix(c->family)) << r.code;
    EXPECT_FALSE(r.doc.empty()) << r.code;
  }
  for (const auto& c : ckg::diag::codes()) EXPECT_EQ(documented[std::string(c.code)], 1) << c.code;
}

TEST(Codes, UnknownCodesGetASuggestionAndNeverAnotherRule) {
  EXPECT_FALSE(ckg::diag::unknown_code("CKG101"));
  EXPECT_FALSE(ckg::diag::unknown_code("key-renamed"));
  EXPECT_EQ(*ckg::diag::unknown_code("CKG1O1"), "unknown code 'CKG1O1' (did you mean CKG101?)");
  EXPECT_EQ(*ckg::diag::unknown_code("XYZ"), "unknown code 'XYZ'");
  EXPECT_THROW(ckg::diag::rule("CKG999", "doc"), std::logic_error);
  EXPECT_THROW(ckg::diag::rule_in(ckg::compare::diff_rules(), "CKG501"), std::logic_error);
}

}  // namespace
