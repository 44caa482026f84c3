// libFuzzer: the legacy (non-zip) torch.save stream: magic, protocol, sys_info, the object
// pickle, the storage key list and the storage data.
#include "checkpoint/detail/torch_legacy.h"
#include "fuzz_limits.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)ckg::checkpoint::detail::read_torch_legacy(ckg::fuzz::bytes_of(data, size),
                                                   ckg::fuzz::limits());
  return 0;
}
