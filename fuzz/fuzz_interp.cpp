// libFuzzer: model source through tree-sitter and the interpreter, as `ckptguard keys` runs it:
// every model the file defines is listed, and the first few are predicted. The public API reads
// files, so the input is written to one in a private temporary directory first.
//
// The interpreter belongs to another part of the project: crashes found here are kept under
// fuzz/crashes/interp/ for its owners rather than fixed from here.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

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
  return 0;
}
