#include "builders.h"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace ckg::checkpoint::testing {

void put_le(std::string& bytes, std::size_t at, std::uint64_t value, int width) {
  for (int i = 0; i < width; ++i) bytes.at(at + i) = static_cast<char>((value >> (8 * i)) & 0xFF);
}

std::string le(std::uint64_t value, int width) {
  std::string out(width, '\0');
  put_le(out, 0, value, width);
  return out;
}

Pickle& Pickle::proto(int version) {
  bytes_ += '\x80';
  bytes_ += static_cast<char>(version);
  return *this;
}

Pickle& Pickle::op(unsigned char code) {
  bytes_ += static_cast<char>(code);
  return *this;
}

Pickle& Pickle::raw(std::string_view bytes) {
  bytes_ += bytes;
  return *this;
}

Pickle& Pickle::global(std::string_view module, std::string_view name) {
  bytes_ += 'c';
  bytes_ += module;
  bytes_ += '\n';
  bytes_ += name;
  bytes_ += '\n';
  return *this;
}

Pickle& Pickle::str(std::string_view text) {
  bytes_ += 'X';
  bytes_ += le(text.size(), 4);
  bytes_ += text;
  return *this;
}

Pickle& Pickle::integer(std::int64_t value) {
  if (value >= 0 && value < 256) {
    bytes_ += 'K';
    bytes_ += le(value, 1);
  } else if (value >= 0 && value < 65536) {
    bytes_ += 'M';
    bytes_ += le(value, 2);
  } else if (value >= INT32_MIN && value <= INT32_MAX) {
    bytes_ += 'J';
    bytes_ += le(static_cast<std::uint32_t>(value), 4);
  } else {
    bytes_ += '\x8a';
    bytes_ += '\x08';
    bytes_ += le(static_cast<std::uint64_t>(value), 8);
  }
  return *this;
}

Pickle& Pickle::binfloat(double value) {
  std::uint64_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  bytes_ += 'G';
  for (int i = 7; i >= 0; --i) bytes_ += static_cast<char>((bits >> (8 * i)) & 0xFF);
  return *this;
}

Pickle& Pickle::put(std::uint32_t index) {
  if (index < 256) {
    bytes_ += 'q';
    bytes_ += le(index, 1);
  } else {
    bytes_ += 'r';
    bytes_ += le(index, 4);
  }
  return *this;
}

Pickle& Pickle::get(std::uint32_t index) {
  if (index < 256) {
    bytes_ += 'h';
    bytes_ += le(index, 1);
  } else {
    bytes_ += 'j';
    bytes_ += le(index, 4);
  }
  return *this;
}

Pickle& Pickle::ints(std::initializer_list<std::int64_t> values) {
  op(op::MARK);
  for (auto v : values) integer(v);
  return op(op::TUPLE);
}

Pickle& Pickle::storage_ref(std::string_view storage_class, std::string_view key, std::int64_t numel) {
  return op(op::MARK).str("storage").global("torch", storage_class).str(key).str("cpu").integer(numel).op(op::TUPLE).op(op::BINPERSID);
}

Pickle& Pickle::tensor_v2(std::string_view storage_class, std::string_view key, std::int64_t numel,
                          std::int64_t offset, std::initializer_list<std::int64_t> size,
                          std::initializer_list<std::int64_t> stride, bool legacy) {
  global("torch._utils", "_rebuild_tensor_v2");
  op(op::MARK);
  op(op::MARK).str("storage").global("torch", storage_class).str(key).str("cpu").integer(numel);
  if (legacy) op(op::NONE);
  op(op::TUPLE).op(op::BINPERSID);
  integer(offset).ints(size).ints(stride).op(op::NEWFALSE);
  global("collections", "OrderedDict").op(op::EMPTY_TUPLE).op(op::REDUCE);
  return op(op::TUPLE).op(op::REDUCE);
}

Pickle& Pickle::stop() {
  return op(op::STOP);
}

std::string legacy_file(const std::string& pickle, const std::vector<LegacyStorage>& storages,
                        bool little_endian, std::int64_t protocol) {
  // torch.serialization.MAGIC_NUMBER = 0x1950a86a20f9469cfc6c as LONG1, little-endian.
  std::string out = Pickle()
                        .proto(2)
                        .raw(std::string("\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19", 12))
                        .stop()
                        .bytes();
  out += Pickle().proto(2).integer(protocol).stop().bytes();
  out += Pickle()
             .proto(2)
             .op(op::EMPTY_DICT)
             .op(op::MARK)
             .str("protocol_version")
             .integer(1001)
             .str("little_endian")
             .op(little_endian ? op::NEWTRUE : op::NEWFALSE)
             .str("type_sizes")
             .op(op::EMPTY_DICT)
             .op(op::SETITEMS)
             .stop()
             .bytes();
  out += pickle;
  Pickle keys;
  keys.proto(2).op(op::EMPTY_LIST).op(op::MARK);
  for (const auto& storage : storages) keys.str(storage.key);
  out += keys.op(op::APPENDS).stop().bytes();
  for (const auto& storage : storages) out += le(storage.numel, 8) + storage.data;
  return out;
}

std::string safetensors_file(const std::string& header, const std::string& data,
                             std::uint64_t length) {
  return le(length == UINT64_MAX ? header.size() : length, 8) + header + data;
}

std::uint32_t crc32_of(std::string_view bytes) {
  return static_cast<std::uint32_t>(
      ::crc32(0L, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(bytes.size())));
}

std::string deflate(std::string_view bytes) {
  // Raw deflate (no zlib header), as zip stores it.
  z_stream stream{};
  if (deflateInit2(&stream, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("deflateInit2");
  }
  std::string out(deflateBound(&stream, bytes.size()), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  stream.avail_in = static_cast<uInt>(bytes.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  if (::deflate(&stream, Z_FINISH) != Z_STREAM_END) throw std::runtime_error("deflate");
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

BuiltZip build_zip(const std::vector<ZipRecordSpec>& records) {
  BuiltZip zip;
  std::string& out = zip.bytes;
  std::vector<std::uint32_t> crcs;
  for (const ZipRecordSpec& record : records) {
    const std::uint64_t uncompressed =
        record.uncompressed_size == UINT64_MAX ? record.data.size() : record.uncompressed_size;
    const std::uint32_t crc = record.crc != 0 ? record.crc : crc32_of(record.data);
    crcs.push_back(crc);
    zip.local.push_back(out.size());
    // Pad with an "FB" extra field so the data starts 64-byte aligned, like torch's writer.
    const std::size_t before_extra = out.size() + 30 + record.name.size();
    const std::size_t padding = (64 - (before_extra + 4) % 64) % 64;
    out += "PK\x03\x04";
    out += le(0, 2) + le(0x0808, 2) + le(record.method, 2) + le(0, 4);
    out += le(0, 4) + le(0, 4) + le(0, 4);  // crc and sizes follow in the data descriptor
    out += le(record.name.size(), 2) + le(4 + padding, 2);
    out += record.name;
    out += "FB" + le(padding, 2) + std::string(padding, 'Z');
    out += record.data;
    out += "PK\x07\x08" + le(crc, 4) + le(record.data.size(), 4) + le(uncompressed, 4);
  }
  zip.directory = out.size();
  for (std::size_t i = 0; i < records.size(); ++i) {
    const ZipRecordSpec& record = records[i];
    const std::uint64_t uncompressed =
        record.uncompressed_size == UINT64_MAX ? record.data.size() : record.uncompressed_size;
    zip.central.push_back(out.size());
    out += "PK\x01\x02";
    out += le(0, 2) + le(0, 2) + le(0x0808, 2) + le(record.method, 2) + le(0, 4);
    out += le(crcs[i], 4) + le(record.data.size(), 4) + le(uncompressed, 4);
    out += le(record.name.size(), 2) + le(0, 2) + le(0, 2) + le(0, 2) + le(0, 2) + le(0, 4);
    out += le(zip.local[i], 4);
    out += record.name;
  }
  const std::size_t directory_size = out.size() - zip.directory;
  zip.end64 = out.size();
  out += "PK\x06\x06" + le(44, 8) + le(0x031e, 2) + le(0x2d, 2) + le(0, 4) + le(0, 4);
  out +=
      le(records.size(), 8) + le(records.size(), 8) + le(directory_size, 8) + le(zip.directory, 8);
  out += "PK\x06\x07" + le(0, 4) + le(zip.end64, 8) + le(1, 4);
  zip.end = out.size();
  out += "PK\x05\x06" + le(0, 2) + le(0, 2) + le(records.size(), 2) + le(records.size(), 2);
  out += le(directory_size, 4) + le(zip.directory, 4) + le(0, 2);
  return zip;
}

BuiltZip torch_zip(const std::string& pickle,
                   const std::vector<std::pair<std::string, std::string>>& storages,
                   std::string version) {
  std::vector<ZipRecordSpec> records{{"archive/data.pkl", pickle}};
  for (const auto& [key, data] : storages) records.push_back({"archive/data/" + key, data});
  records.push_back({"archive/version", std::move(version)});
  return build_zip(records);
}

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "ckg-checkpoint-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string TempDir::write(const std::string& name, const std::string& bytes) const {
  const std::string path = path_ + "/" + name;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return path;
}

namespace {

[[maybe_unused]] std::uint64_t current_address_space() {
  std::ifstream statm("/proc/self/statm");
  std::uint64_t pages = 0;
  statm >> pages;
  return pages * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

}  // namespace

ChildRead read_in_child(const std::string& path, const ReadLimits& limits,
                        std::uint64_t memory_cap_bytes, unsigned seconds) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("pipe");
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork");
  if (pid == 0) {
    ::close(fds[0]);
#ifndef __SANITIZE_ADDRESS__  // ASan reserves terabytes of address space for its shadow
    const rlim_t cap = current_address_space() + memory_cap_bytes;
    const struct rlimit limit { cap, cap };
    ::setrlimit(RLIMIT_AS, &limit);
#else
    static_cast<void>(memory_cap_bytes);
#endif
    ::alarm(seconds);
    auto info = read_checkpoint(path, limits);
    if (info) {
      // What `inspect --verify` does: every record read through, CRCs checked.
      if (auto verified = verify_records(path, *info, limits); !verified) {
        info = std::move(verified).error();
      }
    }
    std::string report;
    if (info) {
      report = "o";
      for (const auto& warning : info->warnings) report += warning + "\n";
    } else {
      report = "e" + describe(info.error());
    }
    std::size_t written = 0;
    while (written < report.size()) {
      const ssize_t n = ::write(fds[1], report.data() + written, report.size() - written);
      if (n <= 0) break;
      written += static_cast<std::size_t>(n);
    }
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string report;
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buffer, sizeof buffer)) > 0)
    report.append(buffer, static_cast<std::size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ChildRead result;
  result.clean_exit = WIFEXITED(status) && WEXITSTATUS(status) == 0 && !report.empty();
  if (result.clean_exit) {
    result.ok = report[0] == 'o';
    result.message = report.substr(1);
  } else {
    result.message = WIFSIGNALED(status)
                         ? "child killed by signal " + std::to_string(WTERMSIG(status))
                         : "child exited abnormally";
  }
  return result;
}

}  // namespace ckg::checkpoint::testing
