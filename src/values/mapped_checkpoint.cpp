// Memory-mapped tensors of a checkpoint, every extent checked against the mapping first.
#include "values/mapped_checkpoint.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>

#include <ATen/ATen.h>
#include <fmt/format.h>

namespace ckg::values {

using checkpoint::CheckpointInfo;
using checkpoint::KeyPath;
using checkpoint::StorageInfo;
using checkpoint::TensorInfo;

namespace {

constexpr std::array<std::pair<const char*, at::ScalarType>, 12> kScalarTypes{{
    {"bool", at::kBool},
    {"uint8", at::kByte},
    {"int8", at::kChar},
    {"int16", at::kShort},
    {"int32", at::kInt},
    {"int64", at::kLong},
    {"float16", at::kHalf},
    {"bfloat16", at::kBFloat16},
    {"float32", at::kFloat},
    {"float64", at::kDouble},
    {"complex64", at::kComplexFloat},
    {"complex128", at::kComplexDouble},
}};

std::string joined(const KeyPath& path, std::size_t from, const char* separator) {
  std::string out;
  for (std::size_t i = from; i < path.size(); ++i) {
    if (i > from) out += separator;
    out += path[i];
  }
  return out;
}

// Why the view (shape, strides, offset in elements) does not fit `elements` elements, if it
// does not. An empty view touches nothing, so any offset fits (as torch allows).
std::optional<std::string> view_problem(const TensorInfo& tensor, std::uint64_t elements) {
  if (tensor.shape.size() != tensor.strides.size()) {
    return fmt::format("{} sizes but {} strides", tensor.shape.size(), tensor.strides.size());
  }
  if (tensor.storage_offset < 0) {
    return fmt::format("negative storage offset {}", tensor.storage_offset);
  }
  std::uint64_t last = static_cast<std::uint64_t>(tensor.storage_offset);
  bool empty = false;
  for (std::size_t i = 0; i < tensor.shape.size(); ++i) {
    if (tensor.shape[i] < 0 || tensor.strides[i] < 0) {
      return fmt::format("negative size or stride in dimension {}", i);
    }
    if (tensor.shape[i] == 0) empty = true;
  }
  if (empty) return std::nullopt;
  for (std::size_t i = 0; i < tensor.shape.size(); ++i) {
    std::uint64_t reach = 0;
    if (__builtin_mul_overflow(static_cast<std::uint64_t>(tensor.shape[i] - 1),
                               static_cast<std::uint64_t>(tensor.strides[i]), &reach) ||
        __builtin_add_overflow(last, reach, &last)) {
      return std::string("view extent overflows");
    }
  }
  if (last >= elements) {
    return fmt::format("view reaches element {} of a storage holding {}", last, elements);
  }
  return std::nullopt;
}

}  // namespace

// A whole file mapped privately. The descriptor is opened read-only, so the file is never
// written; pages are copy-on-write rather than PROT_READ so that an in-place op on a tensor
// handed to Python changes this process's copy instead of killing it with SIGSEGV (torch's own
// mmap loading makes the same choice).
class FileMapping {
 public:
  static Result<std::shared_ptr<const FileMapping>> open(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return os_error(path, "cannot open");
    struct stat info {};
    if (::fstat(fd, &info) != 0) {
      auto error = os_error(path, "cannot stat");
      ::close(fd);
      return error;
    }
    if (!S_ISREG(info.st_mode)) {
      ::close(fd);
      return ReadError{path, std::nullopt, "not a regular file", {}};
    }
    const auto size = static_cast<std::size_t>(info.st_size);
    void* data = nullptr;
    if (size > 0) {
      data = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
      if (data == MAP_FAILED) {
        auto error = os_error(path, "cannot map");
        ::close(fd);
        return error;
      }
    }
    ::close(fd);  // the mapping keeps the file open on its own
    return std::shared_ptr<const FileMapping>(new FileMapping(static_cast<char*>(data), size));
  }

  FileMapping(const FileMapping&) = delete;
  FileMapping& operator=(const FileMapping&) = delete;
  ~FileMapping() {
    if (data_ != nullptr) ::munmap(data_, size_);
  }

  char* data() const { return data_; }
  std::size_t size() const { return size_; }

 private:
  FileMapping(char* data, std::size_t size) : data_(data), size_(size) {}

  static ReadError os_error(const std::string& path, const char* what) {
    return ReadError{path, std::nullopt, std::string(what) + ": " + std::strerror(errno), {}};
  }

  char* data_;
  std::size_t size_;
};

std::optional<at::ScalarType> scalar_type_of(const std::string& torch_dtype) {
  for (const auto& [name, type] : kScalarTypes) {
    if (torch_dtype == name) return type;
  }
  return std::nullopt;
}

std::string dtype_name(at::ScalarType type) {
  for (const auto& [name, known] : kScalarTypes) {
    if (known == type) return name;
  }
  return c10::toString(type);
}

Result<MappedCheckpoint> MappedCheckpoint::open(const std::string& path) {
  auto info = checkpoint::read_checkpoint(path);
  if (!info) return std::move(info).error();
  MappedCheckpoint out(path, std::move(info).value());
  for (const StorageInfo& storage : out.info_.storages) {
    if (!storage.data_offset || out.files_.count(storage.file)) continue;
    auto mapping = FileMapping::open(out.file_path(storage.file));
    if (!mapping) return std::move(mapping).error();
    out.files_.emplace(storage.file, std::move(mapping).value());
  }
  return out;
}

std::string MappedCheckpoint::file_path(const std::string& shard) const {
  if (shard.empty()) return path_;
  return (std::filesystem::path(path_).parent_path() / shard).string();
}

Result<std::vector<StateDictEntry>> MappedCheckpoint::state_dict() const {
  if (!info_.state_dict_path) {
    return ReadError{path_, std::nullopt, "no model state_dict found in the checkpoint", {}};
  }
  return state_dict_entries(info_);
}

std::optional<std::size_t> MappedCheckpoint::find(const std::string& name) const {
  if (auto entries = state_dict()) {
    for (const auto& [key, index] : *entries) {
      if (key == name) return index;
    }
  }
  for (std::size_t i = 0; i < info_.tensors.size(); ++i) {
    if (joined(info_.tensors[i].path, 0, "/") == name) return i;
  }
  return std::nullopt;
}

Result<at::Tensor> MappedCheckpoint::tensor(std::size_t index) const {
  const TensorInfo& tensor = info_.tensors.at(index);
  const std::string name = joined(tensor.path, 0, "/");
  auto fail = [&](const std::string& file, const std::string& reason) {
    return ReadError{file, std::nullopt, fmt::format("tensor {}: {}", name, reason), {}};
  };
  if (!tensor.storage) return fail(path_, "has no data (a meta tensor)");
  const StorageInfo& storage = info_.storages.at(*tensor.storage);
  const std::string file = file_path(storage.file);
  const auto type = scalar_type_of(tensor.dtype);
  if (!type) return fail(file, fmt::format("dtype {} is not supported for values", tensor.dtype));
  if (info_.byteorder != "little") {
    return fail(file, fmt::format("tensor data is {}-endian; only little-endian data can be "
                                  "mapped", info_.byteorder));
  }
  if (!storage.data_offset) {
    return fail(file, fmt::format("storage {} is a compressed record; its bytes cannot be mapped",
                                  storage.key));
  }
  const FileMapping& mapping = *files_.at(storage.file);
  const std::uint64_t begin = *storage.data_offset;
  if (begin > mapping.size() || storage.nbytes > mapping.size() - begin) {
    return fail(file, fmt::format("storage {} ({} bytes at offset {}) runs past the end of the "
                                  "file ({} bytes)",
                                  storage.key, storage.nbytes, begin, mapping.size()));
  }
  const auto itemsize = static_cast<std::uint64_t>(c10::elementSize(*type));
  const std::uint64_t elements = storage.nbytes / itemsize;
  if (auto problem = view_problem(tensor, elements)) return fail(file, *problem);

  const auto options = at::TensorOptions().dtype(*type);
  const auto count = static_cast<std::int64_t>(elements);
  char* bytes = mapping.data() + begin;
  at::Tensor flat;
  if (elements == 0) {
    flat = at::empty({0}, options);
  } else if (reinterpret_cast<std::uintptr_t>(bytes) % itemsize == 0) {
    // The deleter owns a reference to the mapping: it stays mapped while any view lives.
    flat = at::from_blob(bytes, {count}, [keep = files_.at(storage.file)](void*) {}, options);
  } else {
    flat = at::empty({count}, options);
    std::memcpy(flat.data_ptr(), bytes, elements * itemsize);
  }
  at::Tensor view = flat.as_strided(tensor.shape, tensor.strides, tensor.storage_offset);
  if (tensor.requires_grad && (at::isFloatingType(*type) || at::isComplexType(*type))) {
    view.set_requires_grad(true);
  }
  return view;
}

}  // namespace ckg::values
