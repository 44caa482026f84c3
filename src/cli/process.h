// Running helper programs (git, tar) without a shell: arguments are passed as they are.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace ckg::cli {

struct ProcessResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs argv[0] (looked up on PATH) with `argv`, in `cwd` when given, and captures its output.
ProcessResult run_process(const std::vector<std::string>& argv, const std::optional<std::string>& cwd = std::nullopt);

// A directory removed with its contents when the object goes away.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace ckg::cli
