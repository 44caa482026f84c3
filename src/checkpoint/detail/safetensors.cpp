#include "checkpoint/detail/safetensors.h"

#include <fmt/format.h>

#include <algorithm>

#include "checkpoint/detail/bytes.h"
#include "checkpoint/detail/dtypes.h"
#include "checkpoint/detail/json_text.h"
#include "checkpoint/detail/text.h"

namespace ckg::checkpoint::detail {

namespace {

constexpr std::uint64_t kLengthBytes = 8;

struct Entry {
  std::string name;
  const Dtype* dtype;
  std::vector<std::int64_t> shape;
  std::vector<std::int64_t> strides;  // C order, as torch makes them (empty dims count as 1)
  std::uint64_t begin, end;
  std::uint64_t numel;
};

std::optional<std::uint64_t> unsigned_of(const nlohmann::ordered_json& value) {
  if (!value.is_number_unsigned()) return std::nullopt;
  return value.get<std::uint64_t>();
}

Result<Entry> parse_entry(const std::string& name, const nlohmann::ordered_json& info,
                          const ReadLimits& limits) {
  const std::string shown = escape_for_display(name, 200);
  const auto wrong = [&](std::string what) {
    return error_at(kLengthBytes, fmt::format("tensor {}: {}", shown, what));
  };
  if (!info.is_object()) return wrong("entry is not an object");
  const auto dtype_it = info.find("dtype");
  const auto shape_it = info.find("shape");
  const auto offsets_it = info.find("data_offsets");
  if (dtype_it == info.end() || !dtype_it->is_string())
    return wrong("dtype missing or not a string");
  if (shape_it == info.end() || !shape_it->is_array()) return wrong("shape missing or not a list");
  if (offsets_it == info.end() || !offsets_it->is_array() || offsets_it->size() != 2) {
    return wrong("data_offsets must be [begin, end]");
  }
  Entry entry{name, dtype_by_safetensors(dtype_it->get<std::string>()), {}, {}, 0, 0, 1};
  if (!entry.dtype) {
    return wrong(
        fmt::format("unsupported dtype {}", escape_for_display(dtype_it->get<std::string>(), 40)));
  }
  if (shape_it->size() > limits.max_rank) {
    return wrong(
        fmt::format("rank {} exceeds {} (limit max_rank)", shape_it->size(), limits.max_rank));
  }
  for (const auto& dim : *shape_it) {
    auto n = unsigned_of(dim);
    if (!n || *n > static_cast<std::uint64_t>(INT64_MAX))
      return wrong("shape must hold non-negative ints");
    auto next = checked_mul(entry.numel, *n);
    if (!next) return wrong("element count overflows");
    entry.numel = *next;
    entry.shape.push_back(static_cast<std::int64_t>(*n));
  }
  entry.strides.assign(entry.shape.size(), 1);
  std::uint64_t stride = 1;
  for (std::size_t i = entry.shape.size(); i-- > 0;) {
    if (stride > static_cast<std::uint64_t>(INT64_MAX)) return wrong("strides overflow");
    entry.strides[i] = static_cast<std::int64_t>(stride);
    auto next =
        checked_mul(stride, std::max<std::uint64_t>(static_cast<std::uint64_t>(entry.shape[i]), 1));
    if (!next) return wrong("strides overflow");
    stride = *next;
  }
  auto begin = unsigned_of((*offsets_it)[0]);
  auto end = unsigned_of((*offsets_it)[1]);
  if (!begin || !end) return wrong("data_offsets must be non-negative ints");
  if (*end < *begin)
    return wrong(fmt::format("data_offsets [{}, {}] end before they begin", *begin, *end));
  entry.begin = *begin;
  entry.end = *end;
  auto nbytes = checked_mul(entry.numel, entry.dtype->itemsize);
  if (!nbytes) return wrong("size overflows");
  if (*nbytes != entry.end - entry.begin) {
    return wrong(fmt::format("shape [{}] of {} needs {} bytes but data_offsets span {}",
                             fmt::join(entry.shape, ", "), dtype_it->get<std::string>(), *nbytes,
                             entry.end - entry.begin));
  }
  return entry;
}

}  // namespace

bool looks_like_safetensors(std::string_view file) {
  return file.size() > kLengthBytes && file[kLengthBytes] == '{';
}

bool has_safetensors_header(std::string_view file) {
  return looks_like_safetensors(file) &&
         load_le<std::uint64_t>(file.data()) <= file.size() - kLengthBytes;
}

Result<CheckpointInfo> read_safetensors(std::string_view file, const ReadLimits& limits) {
  if (file.size() < kLengthBytes)
    return error_at(0, "safetensors header length missing (file too short)");
  const std::uint64_t header_length = load_le<std::uint64_t>(file.data());
  if (header_length > limits.max_json_header_bytes) {
    return error_at(0, fmt::format("safetensors header too large ({} bytes, more than {}; limit "
                                   "max_json_header_bytes)",
                                   header_length, limits.max_json_header_bytes));
  }
  if (header_length < 2)
    return error_at(0, fmt::format("invalid safetensors header length {}", header_length));
  if (!range_fits(kLengthBytes, header_length, file.size())) {
    return error_at(
        0, fmt::format("safetensors header length {} runs past the end of the file ({} bytes)",
                       header_length, file.size()));
  }
  std::string_view header = file.substr(kLengthBytes, header_length);
  // Writers pad the header with spaces so the data is aligned.
  while (!header.empty() && header.back() == ' ') header.remove_suffix(1);
  if (header.empty() || header.front() != '{')
    return error_at(kLengthBytes, "safetensors header does not start with '{'");
  auto json = parse_untrusted_json(header, kLengthBytes, limits);
  if (!json) return std::move(json).error();
  if (!json->is_object()) return error_at(kLengthBytes, "safetensors header is not a JSON object");

  CheckpointInfo info;
  info.format = "safetensors";
  info.state_dict_path = KeyPath{};
  std::vector<Entry> entries;
  for (const auto& [name, value] : json->items()) {
    if (name == "__metadata__") {
      if (!value.is_object()) return error_at(kLengthBytes, "__metadata__ is not an object");
      for (const auto& [key, text] : value.items()) {
        if (!text.is_string()) {
          return error_at(kLengthBytes, fmt::format("__metadata__ value for {} is not a string",
                                                    escape_for_display(key, 200)));
        }
        info.metadata[key] = text.get<std::string>();
      }
      continue;
    }
    auto entry = parse_entry(name, value, limits);
    if (!entry) return std::move(entry).error();
    entries.push_back(std::move(*entry));
  }

  // The data must be tiled exactly: sorted by offset, each span starting where the last ended.
  const std::uint64_t data_start = kLengthBytes + header_length;
  const std::uint64_t data_length = file.size() - data_start;
  std::vector<const Entry*> by_offset;
  for (const Entry& entry : entries) by_offset.push_back(&entry);
  std::stable_sort(by_offset.begin(), by_offset.end(), [](const Entry* a, const Entry* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  std::uint64_t covered = 0;
  for (const Entry* entry : by_offset) {
    if (entry->begin != covered) {
      return error_at(
          data_start + std::min(entry->begin, covered),
          fmt::format("tensor {}: data_offsets [{}, {}] {} (previous data ends at {})",
                      escape_for_display(entry->name, 200), entry->begin, entry->end,
                      entry->begin > covered ? "leave a gap" : "overlap other data", covered));
    }
    covered = entry->end;
  }
  if (covered != data_length) {
    return error_at(data_start + std::min(covered, data_length),
                    fmt::format("tensor data ends at {} but the file holds {} data bytes", covered,
                                data_length));
  }

  for (const Entry& entry : entries) {
    StorageInfo storage;
    storage.key = entry.name;
    storage.dtype = std::string(entry.dtype->name);
    storage.numel = entry.numel;
    storage.nbytes = entry.end - entry.begin;
    storage.device = "cpu";
    storage.data_offset = data_start + entry.begin;
    storage.tensors.push_back(info.tensors.size());
    TensorInfo tensor;
    tensor.path = KeyPath{entry.name};
    tensor.shape = entry.shape;
    tensor.strides = entry.strides;
    tensor.dtype = storage.dtype;
    tensor.nbytes = storage.nbytes;
    tensor.storage = info.storages.size();
    info.tensors.push_back(std::move(tensor));
    info.storages.push_back(std::move(storage));
  }
  info.details["header_bytes"] = header_length;
  return info;
}

}  // namespace ckg::checkpoint::detail
