// libFuzzer: a file that starts like a torch.save zip. Our directory reader first, then the whole
// archive (records inflated and CRC-checked, data.pkl through the unpickler and the object walk), then
// verification of every record.
#include "checkpoint/detail/torch_zip.h"
#include "checkpoint/detail/zip_directory.h"
#include "fuzz_limits.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ckg::checkpoint::detail;
  const std::string_view file = ckg::fuzz::bytes_of(data, size);
  const auto limits = ckg::fuzz::limits();
  if (!read_zip_directory(file, limits)) return 0;
  (void)read_torch_zip(file, limits);
  (void)verify_torch_zip(file, limits);
  return 0;
}
