// Interpreter semantics, pinned by the corpus in tests/corpus/interpreter/*.txt.
//
// Each case is `=== title`, Python source, `--- NAME [KEY=VALUE...]`, then the expected keys as
// `name kind [shape] dtype`. tests/python/test_interpreter_corpus.py checks the same expectations
// against real torch, so these tests compare the interpreter to torch's truth.
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "interp/cycles.h"
#include "interp/predict.h"

namespace {

namespace fs = std::filesystem;

struct CorpusCase {
  std::string file;
  std::string title;
  std::string source;
  std::string target;
  std::vector<ckg::interp::ConfigItem> config;
  std::vector<std::string> expected;
};

std::vector<CorpusCase> load_corpus() {
  std::vector<CorpusCase> cases;
  fs::path dir = fs::path(CKPTGUARD_SOURCE_DIR) / "tests/corpus/interpreter";
  std::vector<fs::path> files;
  for (auto& e : fs::directory_iterator(dir)) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (auto& path : files) {
    std::ifstream in(path);
    std::string line;
    CorpusCase* current = nullptr;
    enum { source, expected } section = source;
    while (std::getline(in, line)) {
      if (line.rfind("=== ", 0) == 0) {
        cases.push_back({path.filename().string(), line.substr(4), "", "", {}, {}});
        current = &cases.back();
        section = source;
      } else if (current && line.rfind("--- ", 0) == 0) {
        std::istringstream words(line.substr(4));
        words >> current->target;
        std::string kv;
        while (words >> kv) {
          std::string error;
          current->config.push_back(*ckg::interp::parse_config_item(kv, &error));
        }
        section = expected;
      } else if (current && section == source) {
        current->source += line + "\n";
      } else if (current && !line.empty()) {
        current->expected.push_back(line);
      }
    }
  }
  return cases;
}

void PrintTo(const CorpusCase& c, std::ostream* os) { *os << c.file << ": " << c.title; }

class InterpreterCorpus : public testing::TestWithParam<CorpusCase> {};

TEST_P(InterpreterCorpus, PredictsTorchStateDict) {
  const CorpusCase& c = GetParam();
  // One directory per case: ctest runs the cases in parallel processes.
  fs::path dir = fs::path(testing::TempDir()) / ("ckptguard_corpus_" + std::to_string(std::hash<std::string>{}(c.file + c.title)));
  fs::create_directories(dir);
  fs::path file = dir / "model_under_test.py";
  std::ofstream(file) << c.source;
  auto result = ckg::interp::predict_keys({file.string(), c.target}, c.config);
  ASSERT_FALSE(result.error) << result.error->file << ":" << result.error->line << ": " << result.error->message;
  std::vector<std::string> got;
  for (auto& k : result.prediction->manifest.keys) {
    got.push_back(fmt::format("{} {} [{}] {}", k.name, ckg::manifest::to_string(k.kind),
                              k.shape ? fmt::format("{}", fmt::join(*k.shape, ", ")) : "?", k.dtype.value_or("?")));
  }
  EXPECT_EQ(got, c.expected) << c.file << ": " << c.title;
  EXPECT_TRUE(result.prediction->unresolved.empty()) << result.prediction->unresolved.front().reason;
}

INSTANTIATE_TEST_SUITE_P(Corpus, InterpreterCorpus, testing::ValuesIn(load_corpus()),
                         [](const testing::TestParamInfo<CorpusCase>& info) {
                           std::string name = info.param.file.substr(0, info.param.file.find('.')) + "_" + std::to_string(info.index);
                           return name;
                         });

// Inputs fuzz_interp found (fuzz/crashes/interp/) run as the harness runs them: every model
// listed, the first three predicted. Reaching the end is the test; in the ASan build,
// LeakSanitizer checks the leak-* files at exit.
TEST(FuzzInterpRegressions, CrashInputsNoLongerCrash) {
  int seen = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(CKPTGUARD_SOURCE_DIR) / "fuzz/crashes/interp")) {
    ++seen;
    fs::path dir = fs::path(testing::TempDir()) / ("ckptguard_fuzz_" + entry.path().stem().string());
    fs::create_directories(dir);
    fs::path file = dir / "model.py";
    fs::copy_file(entry.path(), file, fs::copy_options::overwrite_existing);
    const std::size_t tracked_before = ckg::interp::tracked_containers();
    std::optional<ckg::interp::PredictionError> error;
    const auto models = ckg::interp::list_models(file.string(), &error);
    for (std::size_t i = 0; i < models.size() && i < 3; ++i) {
      if (models[i].required.empty()) (void)ckg::interp::predict_keys({file.string(), models[i].name}, {});
    }
    // As fuzz_interp checks: nothing an input made outlives the interpreters that ran it.
    EXPECT_EQ(ckg::interp::tracked_containers(), tracked_before) << entry.path();
  }
  EXPECT_GE(seen, 4);
}

// Expressions nested up to the interpreter's limit (200, CPython's limit on brackets) evaluate
// without exhausting the stack, in the ASan build too (whose frames are several times larger);
// deeper ones stop the analysis with the limit named.
std::optional<ckg::interp::PredictionError> predict_nested(std::size_t depth, std::vector<std::int64_t>* shape) {
  fs::path dir = fs::path(testing::TempDir()) / ("ckptguard_nesting_" + std::to_string(depth));
  fs::create_directories(dir);
  fs::path file = dir / "model.py";
  std::string minus(depth, '-'), sum = "1";
  for (std::size_t i = 1; i < depth; ++i) sum += "+1";
  std::ofstream(file) << "import torch.nn as nn\n\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
                      << "        a = " << minus << "1\n        b = " << sum << "\n"
                      << "        self.fc = nn.Linear(a + b, 2)\n";
  auto result = ckg::interp::predict_keys({file.string(), "Net"}, {});
  if (result.prediction && !result.prediction->manifest.keys.empty()) *shape = result.prediction->manifest.keys[0].shape.value_or(std::vector<std::int64_t>{});
  return result.error;
}

TEST(InterpreterNesting, ExpressionsUpToTheLimitEvaluate) {
  std::vector<std::int64_t> shape;
  auto error = predict_nested(190, &shape);
  ASSERT_FALSE(error) << error->message;
  EXPECT_EQ(shape, (std::vector<std::int64_t>{2, 191}));  // a = 1, b = 190
}

TEST(InterpreterNesting, DeeperExpressionsNameTheLimit) {
  std::vector<std::int64_t> shape;
  auto error = predict_nested(600, &shape);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->line, 6);
  EXPECT_NE(error->message.find("(limit max_expression_depth)"), std::string::npos) << error->message;
}

}  // namespace
