// libFuzzer: the restricted unpickler and the object walk on a data.pkl, with the persistent ids
// of the zip format and of the legacy format, as a TorchScript archive's pickle, and in the
// listing mode of `inspect --objects`.
#include <optional>
#include <utility>
#include <vector>

#include "checkpoint/detail/torch_pickle.h"
#include "checkpoint/detail/unpickler.h"
#include "fuzz_limits.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ckg::checkpoint::detail;
  const std::string_view pickle = ckg::fuzz::bytes_of(data, size);
  const auto limits = ckg::fuzz::limits();
  auto listing = limits;  // `inspect --objects`: unknown classes are names, whole modules walked
  listing.inert_classes = true;
  const UnpickleOptions zip{"data.pkl", PersistentIds::TorchZip, 0, false};
  const UnpickleOptions legacy{{}, PersistentIds::TorchLegacy, 0, false};
  const std::pair<UnpickleOptions, const ckg::checkpoint::ReadLimits*> variants[] = {
      {zip, &limits}, {{"data.pkl", PersistentIds::TorchZip, 0, true}, &limits}, {legacy, &limits},
      {zip, &listing}, {legacy, &listing}};
  for (const auto& [options, read_limits] : variants) {
    auto unpickled = unpickle(pickle, options, *read_limits);
    if (!unpickled) continue;
    const std::vector<std::optional<std::uint64_t>> offsets(unpickled->arena.storages().size());
    (void)describe_pickled(*unpickled, "torch-zip", options.record, offsets, *read_limits);
  }
  return 0;
}
