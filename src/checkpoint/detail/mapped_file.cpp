#include "checkpoint/detail/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace ckg::checkpoint::detail {

namespace {

ReadError os_error(const std::string& path, const char* what) {
  return ReadError{path, std::nullopt, std::string(what) + ": " + std::strerror(errno), {}};
}

// Closes the descriptor on every path out of open(); the mapping outlives it.
struct Descriptor {
  int fd;
  ~Descriptor() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

Result<MappedFile> MappedFile::open(const std::string& path) {
  Descriptor file{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (file.fd < 0) return os_error(path, "cannot open");
  struct stat info {};
  if (::fstat(file.fd, &info) != 0) return os_error(path, "cannot stat");
  if (S_ISDIR(info.st_mode)) return ReadError{path, std::nullopt, "is a directory", {}};
  if (!S_ISREG(info.st_mode)) return ReadError{path, std::nullopt, "not a regular file", {}};
  const auto size = static_cast<std::size_t>(info.st_size);
  // mmap rejects empty lengths; an empty file is simply an empty view.
  if (size == 0) return MappedFile(path, nullptr, 0);
  void* data = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, file.fd, 0);
  if (data == MAP_FAILED) return os_error(path, "cannot map");
  return MappedFile(path, static_cast<const char*>(data), size);
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : path_(std::move(other.path_)),
      data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)) {}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    release();
    path_ = std::move(other.path_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

MappedFile::~MappedFile() {
  release();
}

void MappedFile::release() {
  if (data_ != nullptr) ::munmap(const_cast<char*>(data_), size_);
  data_ = nullptr;
  size_ = 0;
}

}  // namespace ckg::checkpoint::detail
