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

// Runs argv[0] (looked up on PATH) with `argv`, in `cwd` when given, with `input` on its stdin
// (else /dev/null), and captures its output.
ProcessResult run_process(const std::vector<std::string>& argv, const std::optional<std::string>& cwd = std::nullopt,
                          const std::optional<std::string>& input = std::nullopt);

// A long-running helper spoken to through its stdin and stdout (e.g. `git cat-file --batch`);
// its stderr is discarded. Stopped when the object goes away.
class Coprocess {
 public:
  explicit Coprocess(const std::vector<std::string>& argv, const std::optional<std::string>& cwd = std::nullopt);
  ~Coprocess();
  Coprocess(const Coprocess&) = delete;
  Coprocess& operator=(const Coprocess&) = delete;

  bool running() const { return pid_ > 0; }
  bool write(const std::string& data);
  std::optional<std::string> read_line();           // without the newline
  std::optional<std::string> read_exact(std::size_t n);

 private:
  bool fill();
  int pid_ = -1, in_ = -1, out_ = -1;
  std::string buffer_;
};

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
