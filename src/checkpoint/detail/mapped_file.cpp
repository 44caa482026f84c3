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

// What a path that is not a regular file is, for the one-line refusal.
const char* file_kind(mode_t mode) {
  if (S_ISDIR(mode)) return "is a directory";
  if (S_ISFIFO(mode)) return "is a named pipe (FIFO), not a regular file";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "is a device, not a regular file";
  if (S_ISSOCK(mode)) return "is a socket, not a regular file";
  return "not a regular file";
}

}  // namespace

Result<MappedFile> MappedFile::open(const std::string& path) {
  // Only regular files are opened: opening a FIFO waits for a writer forever, and opening a device
  // may do things. The path is checked before opening and what was opened is checked again;
  // O_NONBLOCK keeps a FIFO swapped in between from blocking the open itself.
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return os_error(path, "cannot open");
  if (!S_ISREG(info.st_mode)) return ReadError{path, std::nullopt, file_kind(info.st_mode), {}};
  Descriptor file{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK)};
  if (file.fd < 0) return os_error(path, "cannot open");
  if (::fstat(file.fd, &info) != 0) return os_error(path, "cannot stat");
  if (!S_ISREG(info.st_mode)) return ReadError{path, std::nullopt, file_kind(info.st_mode), {}};
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
