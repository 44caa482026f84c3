// CLI contract: exit codes and one-line errors for bad input.
#include <algorithm>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "cli/cli.h"

namespace {

struct CliRun {
  int code;
  std::string out, err;
};

CliRun run(std::vector<std::string> args) {
  std::ostringstream out, err;
  int code = ckg::cli::run(args, ckg::cli::Io{out, err});
  return {code, out.str(), err.str()};
}

std::string write_temp(const std::string& name, const std::string& text) {
  std::string path = testing::TempDir() + name;
  std::ofstream(path) << text;
  return path;
}

int lines(const std::string& s) { return static_cast<int>(std::count(s.begin(), s.end(), '\n')); }

TEST(Cli, UnknownCommandIsUsageError) {
  CliRun r = run({"frobnicate"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(lines(r.err), 1);
}

TEST(Cli, KeysMissingFile) {
  CliRun r = run({"keys", "/no/such/file.py::Net"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "/no/such/file.py: no such file\n");
}

TEST(Cli, KeysSyntaxError) {
  std::string f = write_temp("broken.py", "import torch\nclass Net(:\n  pass\n");
  CliRun r = run({"keys", f + "::Net"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(lines(r.err), 1);
  EXPECT_NE(r.err.find(f + ":2: SyntaxError: invalid syntax"), std::string::npos) << r.err;
}

TEST(Cli, KeysUnknownClass) {
  std::string f = write_temp("one.py", "import torch.nn as nn\nclass Net(nn.Module):\n  pass\n");
  CliRun r = run({"keys", f + "::Other"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, f + ": no class or function named 'Other'\n");
}

TEST(Cli, KeysMalformedConfig) {
  std::string f = write_temp("two.py", "import torch.nn as nn\nclass Net(nn.Module):\n  def __init__(self, n=1):\n    super().__init__()\n");
  for (auto bad : {"n", "1n=2", "n=open('x')", "n=(1,", "n="}) {
    CliRun r = run({"keys", f + "::Net", "--config", bad});
    EXPECT_EQ(r.code, 2) << bad;
    EXPECT_EQ(lines(r.err), 1) << bad << ": " << r.err;
    EXPECT_NE(r.err.find("--config"), std::string::npos) << r.err;
  }
}

TEST(Cli, KeysBadFormatAndTarget) {
  EXPECT_EQ(run({"keys", "a.py::X", "--format", "xml"}).code, 2);
  EXPECT_EQ(run({"keys", "a.py"}).code, 2);
  EXPECT_EQ(run({"keys"}).code, 2);
  EXPECT_EQ(run({"keys", "a.py::X", "--bogus"}).code, 2);
}

TEST(Cli, KeysJsonContract) {
  std::string f = write_temp("three.py",
                             "import torch.nn as nn\nclass Net(nn.Module):\n  def __init__(self, n=4):\n"
                             "    super().__init__()\n    self.fc = nn.Linear(n, 2)\n");
  CliRun r = run({"keys", f + "::Net", "--config", "n=8", "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("\"target\""), std::string::npos);
  EXPECT_NE(r.out.find("\"config\": {\n    \"n\": \"8\"\n  }"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"unresolved\": []"), std::string::npos) << r.out;
}

}  // namespace
