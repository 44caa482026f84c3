// libFuzzer: the restricted unpickler and the object walk on a data.pkl, with the persistent ids
// of the zip format and of the legacy format, and as a TorchScript archive's pickle.
#include <optional>
#include <vector>

#include "checkpoint/detail/torch_pickle.h"
#include "checkpoint/detail/unpickler.h"
#include "fuzz_limits.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ckg::checkpoint::detail;
  const std::string_view pickle = ckg::fuzz::bytes_of(data, size);
  const auto limits = ckg::fuzz::limits();
  const UnpickleOptions variants[] = {{"data.pkl", PersistentIds::TorchZip, 0, false},
                                      {"data.pkl", PersistentIds::TorchZip, 0, true},
                                      {{}, PersistentIds::TorchLegacy, 0, false}};
  for (const UnpickleOptions& options : variants) {
    auto unpickled = unpickle(pickle, options, limits);
    if (!unpickled) continue;
    const std::vector<std::optional<std::uint64_t>> offsets(unpickled->arena.storages().size());
    (void)describe_pickled(*unpickled, "torch-zip", options.record, offsets, limits);
  }
  return 0;
}
