// Where source files are read from: the disk, or one version of a project held elsewhere (a git
// revision, the index) that is read without being written out.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

namespace ckg::parse {

enum class EntryType { missing, file, directory, other };  // other: a FIFO, device or socket

class FileSystem {
 public:
  virtual ~FileSystem() = default;
  virtual EntryType type(const std::string& path) const = 0;
  // The bytes of a regular file of at most `max_bytes`; nullopt with `error` set (one lower-case
  // phrase) when there are none.
  virtual std::optional<std::string> read(const std::string& path, std::size_t max_bytes, std::string* error) const = 0;

  bool is_file(const std::string& path) const { return type(path) == EntryType::file; }
  bool is_directory(const std::string& path) const { return type(path) == EntryType::directory; }
};

// The real file system. Anything but a regular file is refused before it is opened, so a FIFO
// given as a source never blocks.
const FileSystem& disk();

}  // namespace ckg::parse
