// Read-only memory map of a checkpoint. Listing touches only the pages holding headers and
// pickles, so the cost does not grow with the size of the tensor data.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "checkpoint/read_error.h"

namespace ckg::checkpoint::detail {

class MappedFile {
 public:
  static Result<MappedFile> open(const std::string& path);

  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  std::string_view bytes() const { return {data_, size_}; }
  const std::string& path() const { return path_; }

 private:
  MappedFile(std::string path, const char* data, std::size_t size)
      : path_(std::move(path)), data_(data), size_(size) {}
  void release();

  std::string path_;
  const char* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace ckg::checkpoint::detail
