// Finding the user's interpreter and asking it once for sys.path.
#include "cli/python_env.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include <unistd.h>

#include <fmt/format.h>

#include "cli/process.h"
#include "config/lint_config.h"
#include "index/project_index.h"

namespace ckg::cli {

namespace fs = std::filesystem;

std::string choose_python(const std::optional<std::string>& flag, const std::string& target_file) {
  if (flag && !flag->empty()) return *flag;
  std::error_code ec;
  fs::path dir = fs::absolute(fs::path(target_file), ec).lexically_normal().parent_path();
  config::ConfigResult cfg = config::find_config(dir.string());
  if (cfg.config && cfg.config->python) {
    fs::path p(*cfg.config->python);
    if (p.is_relative() && p.string().find('/') != std::string::npos) p = fs::path(cfg.config->root) / p;
    return p.string();
  }
  for (fs::path d = dir; !d.empty(); d = d.parent_path()) {
    for (const char* venv : {".venv", "venv"}) {
      fs::path python = d / venv / "bin" / "python";
      if (fs::exists(python, ec) && fs::exists(d / venv / "pyvenv.cfg", ec)) return python.string();
    }
    if (d == d.parent_path()) break;
  }
  return "python3";
}

static fs::path cache_dir() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return fs::path(xdg) / "ckptguard";
  if (const char* home = std::getenv("HOME"); home && *home) return fs::path(home) / ".cache" / "ckptguard";
  return {};
}

static std::string which(const std::string& program) {
  if (program.find('/') != std::string::npos) return program;
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  std::string d;
  std::error_code ec;
  while (std::getline(dirs, d, ':')) {
    fs::path candidate = fs::path(d.empty() ? "." : d) / program;
    if (fs::exists(candidate, ec) && !fs::is_directory(candidate, ec)) return candidate.string();
  }
  return program;
}

std::vector<std::string> python_sys_path(const std::string& python) {
  std::error_code ec;
  std::string resolved = which(python);
  fs::path real = fs::weakly_canonical(fs::absolute(resolved, ec), ec);
  auto mtime = fs::last_write_time(real, ec);
  const char* pythonpath = std::getenv("PYTHONPATH");
  std::string key = fmt::format("{}|{}|{}|{}|{}", resolved, real.string(), ec ? 0 : mtime.time_since_epoch().count(),
                                pythonpath ? pythonpath : "", fs::current_path(ec).string());
  fs::path cache = cache_dir();
  fs::path file = cache.empty() ? fs::path() : cache / "sys-path" / fmt::format("{:016x}.txt", std::hash<std::string>{}(key));
  std::vector<std::string> out;
  if (!file.empty()) {
    std::ifstream in(file);
    std::string line;
    if (in && std::getline(in, line) && line == key) {
      while (std::getline(in, line)) out.push_back(line);
      return out;
    }
  }
  // The standard library stays opaque (modelled natively where it matters); its C extensions
  // (lib-dynload) and zipped copies have no source to follow.
  ProcessResult r = run_process({resolved, "-c",
                                 "import sys, sysconfig\n"
                                 "skip = {sysconfig.get_paths().get(k) for k in ('stdlib', 'platstdlib')}\n"
                                 "for p in sys.path[1:]:\n"
                                 "    if p not in skip and not p.endswith(('lib-dynload', '.zip')):\n"
                                 "        print(p)\n"});
  if (r.exit_code != 0) return {};
  std::stringstream lines(r.out);
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.empty() && fs::is_directory(line, ec)) out.push_back(fs::absolute(line, ec).lexically_normal().string());
  }
  if (!file.empty()) {
    fs::create_directories(file.parent_path(), ec);
    fs::path tmp = file;
    tmp += fmt::format(".{}", static_cast<long>(::getpid()));
    {
      std::ofstream o(tmp);
      o << key << "\n";
      for (const auto& p : out) o << p << "\n";
    }
    fs::rename(tmp, file, ec);
  }
  return out;
}

void use_python_environment(const std::optional<std::string>& flag, const std::string& target_file) {
  if (const char* off = std::getenv("CKPTGUARD_NO_LIBRARIES"); off && std::string(off) == "1") return;
  index::set_library_path(python_sys_path(choose_python(flag, target_file)));
}

}  // namespace ckg::cli
