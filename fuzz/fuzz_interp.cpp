// libFuzzer: model source through tree-sitter and the interpreter, as `ckptguard keys` runs it:
// every model the file defines is listed, and the first few are predicted. The public API reads
// files, so the input is written to one in a private temporary directory first.
//
// Inputs that crashed or leaked are kept under fuzz/crashes/interp/ and run as regression tests.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "interp/cycles.h"
#include "interp/predict.h"

namespace {

const std::string& model_path() {
  static const std::string path = [] {
    const auto dir = std::filesystem::temp_directory_path() /
                     ("ckg-fuzz-interp-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    return (dir / "model.py").string();
  }();
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  {
    std::ofstream out(model_path(), std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  std::optional<ckg::interp::PredictionError> error;
  const auto models = ckg::interp::list_models(model_path(), &error);
  for (std::size_t i = 0; i < models.size() && i < 3; ++i) {
    if (!models[i].required.empty()) continue;
    (void)ckg::interp::predict_keys({model_path(), models[i].name}, {});
  }
  // Interpreter objects are linked into their thread's tracked list (interp/cycles.h), so
  // LeakSanitizer sees them as reachable. Once no interpreter is alive, any still tracked is a
  // leak the cycle collector missed: a finding like any other.
  if (const std::size_t left = ckg::interp::tracked_containers(); left != 0) {
    std::fprintf(stderr, "fuzz_interp: %zu interpreter objects outlive every interpreter (a leak)\n", left);
    std::abort();
  }
  return 0;
}
