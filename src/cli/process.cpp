// fork/exec with pipes, and temporary directories.
#include "cli/process.h"

#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

namespace ckg::cli {

namespace {

// In a forked child: becomes argv[0] (looked up on PATH) in `cwd`; exit 127 when that fails.
[[noreturn]] void exec_child(const std::vector<std::string>& argv, const std::optional<std::string>& cwd) {
  if (cwd && chdir(cwd->c_str()) != 0) _exit(127);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execvp(args[0], args.data());
  _exit(127);
}

}  // namespace

ProcessResult run_process(const std::vector<std::string>& argv, const std::optional<std::string>& cwd,
                          const std::optional<std::string>& input) {
  ProcessResult result;
  int out_pipe[2], err_pipe[2], in_pipe[2] = {-1, -1};
  if (pipe(out_pipe) != 0) return result;
  if (pipe(err_pipe) != 0 || (input && pipe(in_pipe) != 0)) {
    close(out_pipe[0]);
    close(out_pipe[1]);
    return result;
  }
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    close(out_pipe[0]);
    close(err_pipe[0]);
    if (input) {
      dup2(in_pipe[0], 0);
      close(in_pipe[1]);
    } else if (int devnull = open("/dev/null", O_RDONLY); devnull >= 0) {
      dup2(devnull, 0);
    }
    exec_child(argv, cwd);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (input) {
    // The helpers given input read all of it before they write much (a source to compile).
    close(in_pipe[0]);
    std::size_t done = 0;
    while (pid > 0 && done < input->size()) {
      ssize_t n = write(in_pipe[1], input->data() + done, input->size() - done);
      if (n <= 0) break;
      done += static_cast<std::size_t>(n);
    }
    close(in_pipe[1]);
  }
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_fds = 2;
  char buffer[65536];
  while (open_fds > 0) {
    if (poll(fds, 2, -1) < 0) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
      ssize_t n = read(fds[i].fd, buffer, sizeof(buffer));
      if (n <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      } else {
        (i == 0 ? result.out : result.err).append(buffer, static_cast<std::size_t>(n));
      }
    }
  }
  int status = 0;
  if (pid > 0 && waitpid(pid, &status, 0) > 0 && WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  return result;
}

Coprocess::Coprocess(const std::vector<std::string>& argv, const std::optional<std::string>& cwd) {
  int to_child[2], from_child[2];
  if (pipe(to_child) != 0) return;
  if (pipe(from_child) != 0) {
    close(to_child[0]);
    close(to_child[1]);
    return;
  }
  pid_t pid = fork();
  if (pid == 0) {
    dup2(to_child[0], 0);
    dup2(from_child[1], 1);
    int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0) dup2(devnull, 2);
    close(to_child[1]);
    close(from_child[0]);
    exec_child(argv, cwd);
  }
  close(to_child[0]);
  close(from_child[1]);
  if (pid < 0) {
    close(to_child[1]);
    close(from_child[0]);
    return;
  }
  pid_ = pid, in_ = to_child[1], out_ = from_child[0];
}

Coprocess::~Coprocess() {
  if (pid_ <= 0) return;
  close(in_);  // end of input: the helper exits
  close(out_);
  int status = 0;
  waitpid(pid_, &status, 0);
}

bool Coprocess::write(const std::string& data) {
  std::size_t done = 0;
  while (pid_ > 0 && done < data.size()) {
    ssize_t n = ::write(in_, data.data() + done, data.size() - done);
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return pid_ > 0;
}

bool Coprocess::fill() {
  char chunk[65536];
  ssize_t n = ::read(out_, chunk, sizeof(chunk));
  if (n <= 0) return false;
  buffer_.append(chunk, static_cast<std::size_t>(n));
  return true;
}

std::optional<std::string> Coprocess::read_line() {
  while (pid_ > 0) {
    std::size_t nl = buffer_.find('\n');
    if (nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      return line;
    }
    if (!fill()) return std::nullopt;
  }
  return std::nullopt;
}

std::optional<std::string> Coprocess::read_exact(std::size_t n) {
  while (pid_ > 0 && buffer_.size() < n) {
    if (!fill()) return std::nullopt;
  }
  if (pid_ <= 0) return std::nullopt;
  std::string out = buffer_.substr(0, n);
  buffer_.erase(0, n);
  return out;
}

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "ckptguard-XXXXXX").string();
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data())) path_ = buf.data();
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

}  // namespace ckg::cli
