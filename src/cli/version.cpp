#include "cli/version.h"

#include <dlfcn.h>

#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include <fmt/format.h>

#include "cli/build_info.h"

namespace ckg::cli {

namespace fs = std::filesystem;

namespace {

// The file this code runs from: the executable, or the _core extension inside Python.
fs::path own_file() {
  std::error_code ec;
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&own_file), &info) != 0 && info.dli_fname != nullptr) {
    fs::path path = fs::canonical(info.dli_fname, ec);
    if (!ec && path.extension() == ".so") return path;
  }
  return fs::canonical("/proc/self/exe", ec);
}

// Where this copy's Python package can be: beside the _core extension; for the development
// build's binary, the package directory it builds into; for an installed binary
// (PREFIX/bin/ckptguard), the package directories pip uses under PREFIX for this Python.
std::vector<fs::path> package_dirs(const fs::path& self) {
  std::error_code ec;
  if (self.extension() == ".so") return {self.parent_path()};
  if (fs::equivalent(self, build_info::kDevBinary, ec)) return {build_info::kDevPackageDir};
  const fs::path prefix = self.parent_path().parent_path();
  std::vector<fs::path> dirs;
  for (const char* lib : {"lib", "lib64"}) {
    for (const char* site : {"site-packages", "dist-packages"}) {
      dirs.push_back(prefix / lib / fmt::format("python{}", build_info::kPythonVersion) / site / "ckptguard");
    }
  }
  return dirs;
}

bool is_extension(const fs::path& file, std::string_view name) {
  const std::string filename = file.filename().string();
  return filename.rfind(std::string(name) + ".", 0) == 0 && file.extension() == ".so";
}

std::string checker_status() {
  if (*build_info::kCheckerTorch == '\0') return fmt::format("not built ({})", build_info::kCheckerNote);
  const fs::path self = own_file();
  std::error_code ec;
  for (const fs::path& dir : package_dirs(self)) {
    if (!fs::is_directory(dir, ec)) continue;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      if (is_extension(entry.path(), "_checker")) {
        return fmt::format("available (built against libtorch {}): {}", build_info::kCheckerTorch,
                           entry.path().string());
      }
    }
    return fmt::format("missing from {} (built against libtorch {}); reinstall ckptguard", dir.string(),
                       build_info::kCheckerTorch);
  }
  return fmt::format("not found (built against libtorch {}, but no ckptguard package beside {})",
                     build_info::kCheckerTorch, self.string());
}

}  // namespace

void print_version(std::ostream& out) {
  out << fmt::format("ckptguard {}\n", build_info::kVersion)
      << fmt::format("grammar: {}\n", build_info::kGrammar)
      << fmt::format("torch.nn catalogue: torch {}\n", build_info::kCatalogueTorch)
      << fmt::format("checker: {}\n", checker_status());
}

}  // namespace ckg::cli
