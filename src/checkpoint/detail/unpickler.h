// The restricted unpickler: an iterative stack machine over the opcodes torch checkpoints use.
// GLOBAL is a table lookup, never an import; REDUCE/NEWOBJ/BUILD/BINPERSID go through
// hand-written builders (torch_objects.h) that check arity and types; nothing is ever called.
#pragma once

#include <bitset>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "checkpoint/checkpoint_info.h"
#include "checkpoint/detail/pickle_value.h"
#include "checkpoint/read_error.h"

namespace ckg::checkpoint::detail {

// Which persistent ids (BINPERSID) the pickle may contain.
enum class PersistentIds {
  None,         // any BINPERSID is an error (legacy header pickles, plain pickles)
  TorchZip,     // ('storage', StorageType, key, location, numel)
  TorchLegacy,  // ('storage', StorageType, key, location, numel, view_metadata)
};

struct UnpickleOptions {
  std::string_view
      record;  // names the pickle in errors: "data.pkl"; empty: offsets are file offsets
  PersistentIds persistent_ids = PersistentIds::None;
  std::uint64_t start = 0;   // where the pickle begins in `bytes`; all offsets stay absolute
  bool torchscript = false;  // a TorchScript archive's data.pkl
};

struct Unpickled {
  Arena arena;
  ValueId root = 0;
  std::uint64_t end = 0;  // offset just past STOP; the caller decides what trailing bytes mean
  int protocol = 0;
  std::vector<std::string> warnings;
  // What the pickle used, for predicting what stricter loaders would say (weights_only.h).
  std::bitset<256> opcodes;
  std::vector<std::string> globals;  // "module.name" as written, first use order, no repeats
};

// 'G' for printable opcodes, 0x8c otherwise: how errors name an opcode.
std::string opcode_text(unsigned char op);

// `bytes` may hold more than the pickle (legacy streams hold several); `end` says where it stopped.
// Errors carry `record` and the opcode offset; the caller fills in the file path.
Result<Unpickled> unpickle(std::string_view bytes, const UnpickleOptions& options,
                           const ReadLimits& limits);

}  // namespace ckg::checkpoint::detail
