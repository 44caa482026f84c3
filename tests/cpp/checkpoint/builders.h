// Byte-level builders for checkpoint tests: pickles opcode by opcode, zip archives laid out the
// way torch writes them (with the offsets of every header, so tests can corrupt single fields),
// and a child-process runner that reads a file under a memory cap and a time limit.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "checkpoint/checkpoint_info.h"

namespace ckg::checkpoint::testing {

void put_le(std::string& bytes, std::size_t at, std::uint64_t value, int width);
std::string le(std::uint64_t value, int width);

// Pickle opcodes, appended in order. Method names follow pickle.py's opcode names.
class Pickle {
 public:
  Pickle& proto(int version = 2);
  Pickle& op(unsigned char code);  // any single-byte opcode without arguments
  Pickle& raw(std::string_view bytes);
  Pickle& global(std::string_view module, std::string_view name);
  Pickle& str(std::string_view text);   // BINUNICODE
  Pickle& integer(std::int64_t value);  // BININT1/BININT/LONG1 as pickle.py chooses
  Pickle& binfloat(double value);
  Pickle& put(std::uint32_t index);                          // BINPUT / LONG_BINPUT
  Pickle& get(std::uint32_t index);                          // BINGET / LONG_BINGET
  Pickle& ints(std::initializer_list<std::int64_t> values);  // a tuple of ints
  // The persistent id of a storage: BINPERSID of ('storage', torch.<cls>, key, 'cpu', numel).
  Pickle& storage_ref(std::string_view storage_class, std::string_view key, std::int64_t numel);
  // torch._utils._rebuild_tensor_v2(('storage', torch.<cls>, key, 'cpu', numel), offset, size,
  // stride, False, OrderedDict()); the legacy format adds a sixth id field, the view (None).
  Pickle& tensor_v2(std::string_view storage_class, std::string_view key, std::int64_t numel,
                    std::int64_t offset, std::initializer_list<std::int64_t> size,
                    std::initializer_list<std::int64_t> stride, bool legacy = false);
  Pickle& stop();
  const std::string& bytes() const { return bytes_; }

 private:
  std::string bytes_;
};

// Opcode bytes used by the tests.
namespace op {
inline constexpr unsigned char MARK = '(', STOP = '.', POP = '0', NONE = 'N', REDUCE = 'R',
                               BUILD = 'b', APPEND = 'a', APPENDS = 'e', EMPTY_LIST = ']',
                               EMPTY_DICT = '}', EMPTY_TUPLE = ')', SETITEM = 's', SETITEMS = 'u',
                               TUPLE = 't', TUPLE1 = 0x85, TUPLE2 = 0x86, TUPLE3 = 0x87,
                               NEWFALSE = 0x89, NEWTRUE = 0x88, BINPERSID = 'Q',
                               STACK_GLOBAL = 0x93, MEMOIZE = 0x94, INST = 'i', OBJ = 'o',
                               EXT1 = 0x82, PERSID = 'P', NEXT_BUFFER = 0x97, LONG4 = 0x8b,
                               BINUNICODE = 'X', DUP = '2';
}

struct ZipRecordSpec {
  std::string name;
  std::string data;  // bytes as stored (already deflated when method is 8)
  std::uint16_t method = 0;
  std::uint64_t uncompressed_size = UINT64_MAX;  // default: data.size()
  std::uint32_t crc = 0;                         // 0: computed from data (stored records)
};

// A zip laid out like torch's writer: local headers with data descriptors (flags 0x0808), records
// aligned to 64 bytes via an "FB" extra field, a zip64 end record and locator.
struct BuiltZip {
  std::string bytes;
  std::vector<std::size_t> local;    // offset of each local header
  std::vector<std::size_t> central;  // offset of each central directory entry
  std::size_t directory = 0;         // central directory offset
  std::size_t end64 = 0;             // zip64 end record
  std::size_t end = 0;               // end of central directory record
};
BuiltZip build_zip(const std::vector<ZipRecordSpec>& records);

// A torch.save-style archive: archive/data.pkl, archive/data/<key>..., archive/version.
BuiltZip torch_zip(const std::string& pickle,
                   const std::vector<std::pair<std::string, std::string>>& storages = {},
                   std::string version = "3\n");

struct LegacyStorage {
  std::string key;
  std::uint64_t numel;  // written as the storage's size header
  std::string data;
};
// A legacy torch.save stream: magic, protocol 1001, sys_info, `pickle`, the key list, the data.
std::string legacy_file(const std::string& pickle, const std::vector<LegacyStorage>& storages,
                        bool little_endian = true, std::int64_t protocol = 1001);

// safetensors: the u64 header length (`length` overrides it), the header text, the data.
std::string safetensors_file(const std::string& header, const std::string& data,
                             std::uint64_t length = UINT64_MAX);

std::uint32_t crc32_of(std::string_view bytes);
std::string deflate(std::string_view bytes);

// Files under a per-test temporary directory, removed with it.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  std::string write(const std::string& name, const std::string& bytes) const;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Reads `path` in a forked child under an address-space cap and a time limit, so a crash, a
// runaway allocation or a hang fails the test instead of the test binary. The child reads as
// `inspect --verify` does: read_checkpoint, then verify_records.
struct ChildRead {
  bool clean_exit = false;  // the child returned normally (no signal, no timeout)
  bool ok = false;          // read_checkpoint and verify_records succeeded
  std::string message;      // describe(error) when !ok; the warnings joined by '\n' when ok
};
ChildRead read_in_child(const std::string& path, const ReadLimits& limits = {},
                        std::uint64_t memory_cap_bytes = 512ull << 20, unsigned seconds = 20);

}  // namespace ckg::checkpoint::testing
