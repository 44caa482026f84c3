#include "checkpoint/detail/torch_legacy.h"

#include <fmt/format.h>

#include <unordered_map>

#include "checkpoint/detail/bytes.h"
#include "checkpoint/detail/text.h"
#include "checkpoint/detail/torch_pickle.h"
#include "checkpoint/detail/unpickler.h"

namespace ckg::checkpoint::detail {

namespace {

// torch.serialization.MAGIC_NUMBER and PROTOCOL_VERSION.
constexpr std::string_view kMagicNumber = "119547037146038801333356";
constexpr std::int64_t kProtocolVersion = 1001;

// The header pickles hold plain values only; each is its own pickle with its own memo.
Result<Unpickled> header_pickle(std::string_view file, std::uint64_t start,
                                const ReadLimits& limits) {
  return unpickle(file, UnpickleOptions{{}, PersistentIds::None, start}, limits);
}

}  // namespace

Result<CheckpointInfo> read_torch_legacy(std::string_view file, const ReadLimits& limits) {
  auto magic = header_pickle(file, 0, limits);
  if (!magic)
    return error_at(
        0, "not a torch checkpoint: no legacy magic number (" + magic.error().reason + ")");
  if (magic->arena.kind(magic->root) != Kind::BigInt ||
      magic->arena.text_of(magic->root) != kMagicNumber) {
    return error_at(0, "not a torch checkpoint: bad legacy magic number");
  }
  auto protocol = header_pickle(file, magic->end, limits);
  if (!protocol) return std::move(protocol).error();
  if (protocol->arena.kind(protocol->root) != Kind::Int ||
      protocol->arena.int_of(protocol->root) != kProtocolVersion) {
    return error_at(magic->end, "unsupported legacy protocol version (expected 1001)");
  }
  auto sys_info = header_pickle(file, protocol->end, limits);
  if (!sys_info) return std::move(sys_info).error();
  auto little_endian = str_key_value(sys_info->arena, sys_info->root, "little_endian");
  if (!little_endian || sys_info->arena.kind(*little_endian) != Kind::Bool) {
    return error_at(protocol->end, "legacy sys_info has no little_endian flag");
  }
  if (!sys_info->arena.boolean_of(*little_endian)) {
    return error_at(protocol->end,
                    "big-endian legacy checkpoints are not supported (little_endian: False)");
  }

  auto pickled =
      unpickle(file, UnpickleOptions{{}, PersistentIds::TorchLegacy, sys_info->end}, limits);
  if (!pickled) return std::move(pickled).error();
  auto keys = header_pickle(file, pickled->end, limits);
  if (!keys) return std::move(keys).error();
  const Arena& key_arena = keys->arena;
  if (key_arena.kind(keys->root) != Kind::List) {
    return error_at(pickled->end, "legacy storage key list is not a list");
  }

  // Storage bytes follow in key-list order: an int64 element count, then the elements.
  const auto& storages = pickled->arena.storages();
  std::unordered_map<std::string, std::size_t> by_key;
  for (std::size_t i = 0; i < storages.size(); ++i) by_key.emplace(storages[i].key, i);
  std::vector<std::optional<std::uint64_t>> data_offsets(storages.size());
  std::uint64_t pos = keys->end;
  for (ValueId item : key_arena.items_of(keys->root)) {
    if (key_arena.kind(item) != Kind::Str)
      return error_at(pickled->end, "legacy storage key is not a str");
    const std::string& key = key_arena.text_of(item);
    const std::string shown = escape_for_display(key, 100);
    auto found = by_key.find(key);
    if (found == by_key.end()) {
      return error_at(pickled->end,
                      fmt::format("legacy storage {} is listed but not used by the pickle", shown));
    }
    const PickledStorage& storage = storages[found->second];
    if (data_offsets[found->second])
      return error_at(pickled->end, fmt::format("legacy storage {} is listed twice", shown));
    ByteCursor header(file, pos);
    auto count = header.u64();
    if (!count)
      return error_at(pos, fmt::format("truncated: storage {} has no size header", shown));
    if (*count != storage.numel) {
      return error_at(pos, fmt::format("storage {} header says {} elements, the pickle declares {}",
                                       shown, *count, storage.numel));
    }
    const std::uint64_t nbytes = storage.numel * storage.dtype->itemsize;  // checked at load
    if (!range_fits(pos + 8, nbytes, file.size())) {
      return error_at(pos,
                      fmt::format("truncated: storage {} needs {} bytes, {} left", shown, nbytes,
                                  file.size() - std::min<std::uint64_t>(file.size(), pos + 8)));
    }
    data_offsets[found->second] = pos + 8;
    pos += 8 + nbytes;
  }
  for (std::size_t i = 0; i < storages.size(); ++i) {
    if (!data_offsets[i]) {
      return error_at(storages[i].offset, fmt::format("storage {} has no data in the file",
                                                      escape_for_display(storages[i].key, 100)));
    }
  }

  auto info = describe_pickled(*pickled, "torch-legacy", {}, data_offsets, limits);
  if (!info) return info;
  info->details["legacy_protocol_version"] = kProtocolVersion;
  if (pos < file.size()) {
    const std::string_view rest = file.substr(pos);
    const bool zip = rest.find("PK\x05\x06") != std::string_view::npos ||
                     rest.find("PK\x03\x04") != std::string_view::npos;
    info->warnings.push_back(
        fmt::format("{} bytes of hidden data after the last storage at offset {}{}", rest.size(),
                    pos, zip ? " (it holds a zip archive: the file is a polyglot)" : ""));
  }
  for (const Unpickled* header : {&*magic, &*protocol, &*sys_info, &*keys}) {
    info->warnings.insert(info->warnings.end(), header->warnings.begin(), header->warnings.end());
  }
  return info;
}

}  // namespace ckg::checkpoint::detail
