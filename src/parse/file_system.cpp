// The disk as a FileSystem.
#include "parse/file_system.h"

#include <cerrno>
#include <cstdint>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ckg::parse {

namespace {

class Disk final : public FileSystem {
 public:
  EntryType type(const std::string& path) const override {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return EntryType::missing;
    if (S_ISREG(st.st_mode)) return EntryType::file;
    if (S_ISDIR(st.st_mode)) return EntryType::directory;
    return EntryType::other;
  }

  std::optional<std::string> read(const std::string& path, std::size_t max_bytes, std::string* error) const override {
    // O_NONBLOCK: a FIFO swapped in after the check must not block the open either.
    int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
      *error = errno == ENOENT ? "no such file" : std::string("cannot be read: ") + std::strerror(errno);
      return std::nullopt;
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd);
      *error = S_ISDIR(st.st_mode) ? "is a directory, expected a Python file" : "is not a regular file";
      return std::nullopt;
    }
    if (static_cast<std::uint64_t>(st.st_size) > max_bytes) {
      ::close(fd);
      *error = "is larger than " + std::to_string(max_bytes) + " bytes";
      return std::nullopt;
    }
    std::string bytes(static_cast<std::size_t>(st.st_size), '\0');
    std::size_t done = 0;
    while (done < bytes.size()) {
      ssize_t n = ::read(fd, bytes.data() + done, bytes.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      done += static_cast<std::size_t>(n);
    }
    ::close(fd);
    bytes.resize(done);
    return bytes;
  }
};

}  // namespace

const FileSystem& disk() {
  static const Disk instance;
  return instance;
}

}  // namespace ckg::parse
