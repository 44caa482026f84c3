// Hostile torch.save files (security-notes §3): each is built byte by byte, read in a child
// process under a memory cap and a time limit, and must end in one clear message, never a crash.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "builders.h"

namespace ckg::checkpoint::testing {
namespace {

// {"w": tensor float32 [2, 3]} in an OrderedDict, storage "0" of 6 floats.
Pickle state_dict_prefix() {
  Pickle p;
  p.proto(2).global("collections", "OrderedDict").op(op::EMPTY_TUPLE).op(op::REDUCE).op(op::MARK);
  return p;
}

std::string valid_pickle() {
  return state_dict_prefix()
      .str("w")
      .tensor_v2("FloatStorage", "0", 6, 0, {2, 3}, {3, 1})
      .op(op::SETITEMS)
      .stop()
      .bytes();
}

std::string floats(std::size_t n) {
  return std::string(4 * n, '\0');
}

// A torch zip around `pickle` with storage "0" holding 6 floats.
std::string zip_of(const std::string& pickle, std::string storage = floats(6)) {
  return torch_zip(pickle, {{"0", std::move(storage)}}).bytes;
}

// A single tensor with the given view of storage "0" (6 floats).
std::string view_zip(std::int64_t offset, std::initializer_list<std::int64_t> size,
                     std::initializer_list<std::int64_t> stride, std::int64_t numel = 6) {
  return zip_of(state_dict_prefix()
                    .str("w")
                    .tensor_v2("FloatStorage", "0", numel, offset, size, stride)
                    .op(op::SETITEMS)
                    .stop()
                    .bytes());
}

// pickle: the global called with ("touch pwned",)
std::string calls(std::string_view module, std::string_view name) {
  return zip_of(Pickle()
                    .proto(2)
                    .global(module, name)
                    .str("touch pwned")
                    .op(op::TUPLE1)
                    .op(op::REDUCE)
                    .stop()
                    .bytes());
}

std::string patched(std::string bytes, std::size_t at, std::uint64_t value, int width) {
  put_le(bytes, at, value, width);
  return bytes;
}

// Central directory field offsets (APPNOTE 4.3.12) and local header ones (4.3.7).
constexpr std::size_t kCentralFlags = 8, kCentralMethod = 10, kCentralCrc = 16,
                      kCentralCompressed = 20, kCentralUncompressed = 24, kCentralOffset = 42;
constexpr std::size_t kLocalMethod = 8, kLocalCompressed = 18;

std::string zip_with_central_patch(std::size_t record, std::size_t field, std::uint64_t value,
                                   int width) {
  BuiltZip zip = torch_zip(valid_pickle(), {{"0", floats(6)}});
  return patched(zip.bytes, zip.central[record] + field, value, width);
}

std::string zip_with_local_patch(std::size_t record, std::size_t field, std::uint64_t value,
                                 int width) {
  BuiltZip zip = torch_zip(valid_pickle(), {{"0", floats(6)}});
  return patched(zip.bytes, zip.local[record] + field, value, width);
}

std::string zip_named(std::vector<std::string> names) {
  std::vector<ZipRecordSpec> records;
  for (auto& name : names)
    records.push_back({std::move(name), name == "archive/version" ? "3\n" : valid_pickle()});
  return build_zip(records).bytes;
}

// data.pkl given a central zip64 extra declaring 2^40 bytes, stored: nothing may be allocated.
std::string huge_stored_record() {
  BuiltZip zip = torch_zip(valid_pickle(), {{"0", floats(6)}});
  std::string& b = zip.bytes;
  const std::size_t entry = zip.central[0];
  const std::size_t name_length = 16;  // "archive/data.pkl"
  const std::string extra =
      std::string("\x01\x00\x10\x00", 4) + le(1ull << 40, 8) + le(1ull << 40, 8);
  b.insert(entry + 46 + name_length, extra);
  put_le(b, entry + 30, extra.size(), 2);
  put_le(b, entry + kCentralCompressed, 0xFFFFFFFF, 4);
  put_le(b, entry + kCentralUncompressed, 0xFFFFFFFF, 4);
  // The directory grew: fix its size in both end records and move the zip64 locator target.
  const std::size_t grow = extra.size();
  const std::size_t end64 = zip.end64 + grow, end = zip.end + grow;
  const std::uint64_t size = (zip.end64 - zip.directory) + grow;
  put_le(b, end64 + 40, size, 8);
  put_le(b, end - 20 + 8, end64, 8);
  put_le(b, end + 12, size, 4);
  return b;
}

// Record "archive/b" is referenced twice: its real local header, and a copy embedded in the data
// of "archive/a". The central entry points at the copy, so the two records overlap.
std::string overlapping_records() {
  const std::string b_data = "bbbb";
  BuiltZip first = build_zip(
      {{"archive/data.pkl", valid_pickle()}, {"archive/version", "3\n"}, {"archive/b", b_data}});
  const std::string segment = first.bytes.substr(first.local[2], first.directory - first.local[2]);
  BuiltZip zip = build_zip({{"archive/data.pkl", valid_pickle()},
                            {"archive/version", "3\n"},
                            {"archive/a", segment},
                            {"archive/b", b_data}});
  const std::size_t copy = zip.bytes.find(segment, zip.local[2] + 4);
  return patched(zip.bytes, zip.central[3] + kCentralOffset, copy, 4);
}

std::string inflating_past_declared() {
  const std::string pickle = valid_pickle() + std::string(1 << 20, '\0');
  std::vector<ZipRecordSpec> records{
      {"archive/data.pkl", deflate(pickle), 8, valid_pickle().size(), crc32_of(pickle)},
      {"archive/data/0", floats(6)},
      {"archive/version", "3\n"}};
  return build_zip(records).bytes;
}

std::string deflated_declaring(std::uint64_t size) {
  const std::string pickle = valid_pickle();
  return build_zip({{"archive/data.pkl", deflate(pickle), 8, size, crc32_of(pickle)},
                    {"archive/data/0", floats(6)},
                    {"archive/version", "3\n"}})
      .bytes;
}

std::string bad_crc() {
  BuiltZip zip = torch_zip(valid_pickle(), {{"0", floats(6)}});
  const std::size_t at = zip.bytes.find(valid_pickle());
  zip.bytes[at + 3] ^= 0x01;  // inside "collections": the CRC no longer matches
  return zip.bytes;
}

std::string entry_count(std::uint64_t count) {
  BuiltZip zip = torch_zip(valid_pickle(), {{"0", floats(6)}});
  put_le(zip.bytes, zip.end + 8, 0xFFFF, 2);
  put_le(zip.bytes, zip.end + 10, 0xFFFF, 2);
  put_le(zip.bytes, zip.end64 + 24, count, 8);
  return patched(zip.bytes, zip.end64 + 32, count, 8);
}

std::string directory_offset_past_eof() {
  BuiltZip zip = torch_zip(valid_pickle(), {{"0", floats(6)}});
  put_le(zip.bytes, zip.end + 16, 0xFFFFFFFF, 4);
  return patched(zip.bytes, zip.end64 + 48, 0x7FFFFFFFFFFFFFF0ull, 8);
}

std::string with_record(const std::string& name, const std::string& data) {
  return build_zip({{"archive/data.pkl", valid_pickle()},
                    {"archive/data/0", floats(6)},
                    {"archive/version", "3\n"},
                    {"archive/" + name, data}})
      .bytes;
}

// Nested lists built with APPEND only (no MARK), so only the object walk sees the depth.
std::string nested_lists(int depth) {
  Pickle p;
  p.proto(2).op(op::EMPTY_LIST).put(0).put(1);
  for (int i = 0; i < depth; ++i)
    p.op(op::EMPTY_LIST).put(2).op(op::APPEND).op(op::POP).get(2).put(1);
  return zip_of(p.op(op::POP).get(0).stop().bytes());
}

// L0 = ["x"]; L(i) = [L(i-1), L(i-1)]: tiny pickle, 2^100 paths.
std::string billion_laughs() {
  Pickle p;
  p.proto(2).op(op::EMPTY_LIST).str("x").op(op::APPEND).put(0);
  for (int i = 0; i < 100; ++i)
    p.op(op::POP).op(op::EMPTY_LIST).op(op::MARK).get(0).get(0).op(op::APPENDS).put(0);
  return zip_of(p.stop().bytes());
}

// --- issue 16: what a small file can make the reader do through the memo.

// A dict whose key is a tuple of 1,600 references to one 1 MiB string.
std::string memo_tuple_key() {
  Pickle p;
  p.proto(2).op(op::EMPTY_DICT).str(std::string(1 << 20, 'a')).put(0).op(op::POP).op(op::MARK);
  for (int i = 0; i < 1600; ++i) p.get(0);
  return zip_of(p.op(op::TUPLE).op(op::NONE).op(op::SETITEM).stop().bytes());
}

// Metadata: a list holding one 16 KiB string 320,000 times.
std::string memo_metadata_strings() {
  Pickle p;
  p.proto(2).op(op::EMPTY_DICT).str("meta").op(op::EMPTY_LIST).str(std::string(16384, 'm')).put(1);
  p.op(op::APPEND);
  for (int batch = 0; batch < 320; ++batch) {
    p.op(op::MARK);
    for (int i = 0; i < 1000; ++i) p.get(1);
    p.op(op::APPENDS);
  }
  return zip_of(p.op(op::SETITEM).stop().bytes());
}

// `tensors` names for one tensor, in a dict nested `depth` levels deep.
std::string deep_tensor_paths(int depth, int tensors) {
  Pickle p;
  p.proto(2).op(op::EMPTY_DICT).put(0);
  for (int i = 0; i < depth; ++i) p.str("k").op(op::EMPTY_DICT).put(1).op(op::SETITEM).op(op::POP).get(1);
  p.op(op::MARK).str("t0").tensor_v2("FloatStorage", "0", 6, 0, {6}, {1}).put(2);
  for (int i = 1; i < tensors; ++i) p.str("t" + std::to_string(i)).get(2);
  return zip_of(p.op(op::SETITEMS).op(op::POP).get(0).stop().bytes());
}

// A list of `count` empty dicts: one opcode each.
std::string empty_dicts(int count) {
  return zip_of(Pickle()
                    .proto(2)
                    .op(op::EMPTY_LIST)
                    .op(op::MARK)
                    .raw(std::string(count, '}'))
                    .op(op::APPENDS)
                    .stop()
                    .bytes());
}

// BUILD of one 10,000-item state on an OrderedDict, 16,000 times: 64 KB of opcodes.
std::string repeated_build() {
  Pickle p = state_dict_prefix();
  p.op(op::POP).op(op::EMPTY_DICT).op(op::MARK);
  for (int i = 0; i < 10'000; ++i) p.integer(i).op(op::NONE);
  p.op(op::SETITEMS).put(1).op(op::POP);
  for (int i = 0; i < 16'000; ++i) p.get(1).op(op::BUILD);
  return zip_of(p.stop().bytes());
}

// A list of 100,000 dicts shaped like optimizer state: {"state": {}, "param_groups": []}.
std::string optimizer_dicts() {
  Pickle p;
  p.proto(2).str("state").put(1).op(op::POP).str("param_groups").put(2).op(op::POP);
  p.op(op::EMPTY_LIST);
  for (int batch = 0; batch < 100; ++batch) {
    p.op(op::MARK);
    for (int i = 0; i < 1000; ++i) {
      p.op(op::EMPTY_DICT).get(1).op(op::EMPTY_DICT).op(op::SETITEM).get(2).op(op::EMPTY_LIST);
      p.op(op::SETITEM);
    }
    p.op(op::APPENDS);
  }
  return zip_of(p.stop().bytes());
}

// Catalogue item 16: "os" and "system" stored in the memo, swapped on the way to STACK_GLOBAL.
std::string memo_swap() {
  return zip_of(Pickle()
                    .proto(4)
                    .str("system")
                    .put(0)
                    .str("os")
                    .put(1)
                    .op(op::POP)
                    .op(op::POP)
                    .get(1)
                    .get(0)
                    .op(op::STACK_GLOBAL)
                    .str("touch pwned")
                    .op(op::TUPLE1)
                    .op(op::REDUCE)
                    .stop()
                    .bytes());
}

// Catalogue item 19, the legal case: Module.state_dict()'s OrderedDict with BUILD({"_metadata"}).
std::string ordered_dict_with_metadata() {
  Pickle p = state_dict_prefix();
  p.str("w").tensor_v2("FloatStorage", "0", 6, 0, {2, 3}, {3, 1}).op(op::SETITEMS);
  p.op(op::EMPTY_DICT).str("_metadata").global("collections", "OrderedDict").op(op::EMPTY_TUPLE);
  p.op(op::REDUCE).str("").op(op::EMPTY_DICT).str("version").integer(1).op(op::SETITEM);
  p.op(op::SETITEM).op(op::SETITEM).op(op::BUILD);
  return zip_of(p.stop().bytes());
}

// Catalogue item 32: a sparse COO tensor (listed as metadata only) and a quantized tensor whose
// stride reaches past its storage.
std::string sparse_tensor() {
  return zip_of(state_dict_prefix()
                    .str("s")
                    .global("torch._utils", "_rebuild_sparse_tensor")
                    .op(op::MARK)
                    .str("torch.sparse_coo")
                    .op(op::EMPTY_TUPLE)
                    .op(op::TUPLE)
                    .op(op::REDUCE)
                    .op(op::SETITEMS)
                    .stop()
                    .bytes());
}

std::string quantized_huge_stride() {
  return zip_of(state_dict_prefix()
                    .str("q")
                    .global("torch._utils", "_rebuild_qtensor")
                    .op(op::MARK)
                    .storage_ref("QInt8Storage", "0", 24)
                    .integer(0)
                    .ints({2})
                    .ints({1ll << 40})
                    .op(op::EMPTY_TUPLE)
                    .op(op::NEWFALSE)
                    .op(op::EMPTY_DICT)
                    .op(op::TUPLE)
                    .op(op::REDUCE)
                    .op(op::SETITEMS)
                    .stop()
                    .bytes());
}

// Catalogue item 41: keys carrying an OSC 8 link, a carriage return, a bidi override, 1 MB.
std::string escape_sequences_in_keys() {
  Pickle p = state_dict_prefix();
  const std::string keys[] = {"fc\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\.weight",
                              "a\rOK.weight", "b\u202egnp.weight", std::string(1 << 20, 'k')};
  for (const std::string& key : keys) p.str(key).tensor_v2("FloatStorage", "0", 6, 0, {6}, {1});
  return zip_of(p.op(op::SETITEMS).stop().bytes());
}

// Catalogue item 8, tensor data: one bit of data/0 flipped (listing never reads it).
std::string tensor_record_bad_crc() {
  BuiltZip zip = torch_zip(valid_pickle(), {{"0", floats(6)}});
  zip.bytes[zip.bytes.find(floats(6))] ^= 0x01;
  return zip.bytes;
}

// Catalogue item 40: an index mapping a tensor to a shard outside its directory.
std::string index_escaping_its_directory() {
  return R"({"metadata": {}, "weight_map": {"w": "../../etc/passwd"}})";
}

// The legacy stream of {"w": float32 [2, 3]} over storage "1" with `numel` declared elements.
std::string legacy_pickle(std::int64_t numel = 6, std::int64_t offset = 0) {
  return state_dict_prefix()
      .str("w")
      .tensor_v2("FloatStorage", "1", numel, offset, {2, 3}, {3, 1}, true)
      .op(op::SETITEMS)
      .stop()
      .bytes();
}

std::string legacy_view(std::int64_t view_offset, std::int64_t view_numel) {
  Pickle p = state_dict_prefix();
  p.str("w")
      .global("torch._utils", "_rebuild_tensor_v2")
      .op(op::MARK)
      .op(op::MARK)
      .str("storage")
      .global("torch", "FloatStorage")
      .str("1")
      .str("cpu")
      .integer(6)
      .str("2")
      .integer(view_offset)
      .integer(view_numel)
      .op(op::TUPLE3)
      .op(op::TUPLE)
      .op(op::BINPERSID)
      .integer(0)
      .ints({2})
      .ints({1})
      .op(op::NEWFALSE)
      .op(op::EMPTY_DICT)
      .op(op::TUPLE)
      .op(op::REDUCE)
      .op(op::SETITEMS)
      .stop();
  return legacy_file(p.bytes(), {{"1", 6, floats(6)}});
}

// {"a": F32 [2, 2] at [0, 16], "b": I64 [1] at [16, 24]} with `a` and `b` spelled by the caller.
std::string two_tensor_header(
    const std::string& a = R"("a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]})",
    const std::string& b = R"("b":{"dtype":"I64","shape":[1],"data_offsets":[16,24]})") {
  return "{" + a + "," + b + "}";
}

std::string safetensors_with(const std::string& header, std::size_t data = 24) {
  return safetensors_file(header, std::string(data, '\x01'));
}

struct Case {
  const char* name;
  std::function<std::string()> make;
  const char* expect;  // substring of the error (or, when `ok`, of the warnings)
  bool ok = false;
  std::vector<std::string> limits = {};  // `--limit` values: "max_pickle_ops=1000"
};

const std::vector<Case>& cases() {
  static const std::vector<Case> all = {
      // --- zip structure
      {"empty_file", [] { return std::string(); }, "empty file"},
      {"truncated_zip",
       [] {
         BuiltZip z = torch_zip(valid_pickle(), {{"0", floats(6)}});
         return z.bytes.substr(0, z.directory);
       },
       "end of central directory not found"},
      {"directory_offset_past_eof", directory_offset_past_eof, "central directory offset"},
      {"zip64_record_outside_file",
       [] {
         BuiltZip z = torch_zip(valid_pickle(), {{"0", floats(6)}});
         return patched(z.bytes, z.end - 20 + 8, 1ull << 62, 8);
       },
       "zip64 end record offset"},
      {"zip64_size_overflow",
       [] {
         BuiltZip z = torch_zip(valid_pickle(), {{"0", floats(6)}});
         put_le(z.bytes, z.end + 12, 0xFFFFFFFF, 4);
         return patched(z.bytes, z.end64 + 40, UINT64_MAX, 8);
       },
       "run past the end records"},
      {"end_records_disagree",
       [] {
         BuiltZip z = torch_zip(valid_pickle(), {{"0", floats(6)}});
         return patched(z.bytes, z.end + 10, 2, 2);
       },
       "end records disagree on the entry count"},
      {"entries_beyond_limit", [] { return entry_count(10'000'000); },
       "exceeds 1000000 (limit max_zip_entries)"},
      {"entries_beyond_directory", [] { return entry_count(500'000); }, "exceeds directory size"},
      {"stored_record_claims_2_to_the_40", huge_stored_record,
       "declares 1099511627776 bytes, past the end"},
      {"stored_sizes_differ",
       [] { return zip_with_central_patch(0, kCentralUncompressed, 0x7FFFFFFF, 4); },
       "declares 2147483647 bytes but holds"},
      {"inflates_past_declared_size", inflating_past_declared, "inflates past the"},
      {"deflated_record_over_limit", [] { return deflated_declaring(1ull << 30); },
       "over the limit of 67108864"},
      {"overlapping_records", overlapping_records, "records archive/a and archive/b overlap"},
      {"duplicate_record",
       [] {
         return zip_named({"archive/data.pkl", "archive/data.pkl", "archive/version"});
       },
       "duplicate record archive/data.pkl"},
      {"local_name_mismatch",
       [] {
         BuiltZip z = torch_zip(valid_pickle(), {{"0", floats(6)}});
         z.bytes[z.local[2] + 30 + 14] = 'm';
         return z.bytes;
       },
       "header mismatch in record archive/version: name"},
      {"local_method_mismatch", [] { return zip_with_local_patch(0, kLocalMethod, 8, 2); },
       "compression method"},
      {"local_size_mismatch", [] { return zip_with_local_patch(0, kLocalCompressed, 5, 4); },
       "CRC or sizes"},
      {"encrypted_record", [] { return zip_with_central_patch(0, kCentralFlags, 0x0809, 2); },
       "unsupported zip feature: encryption"},
      {"compression_method_99", [] { return zip_with_central_patch(0, kCentralMethod, 99, 2); },
       "unsupported zip feature: compression method 99"},
      {"descriptor_mismatch", [] { return zip_with_central_patch(1, kCentralCrc, 0x1234, 4); },
       "data descriptor"},
      {"bad_crc", bad_crc, "CRC"},
      {"name_dot_dot",
       [] {
         return zip_named({"archive/data.pkl", "archive/../x", "archive/version"});
       },
       "contains '..'"},
      {"name_absolute",
       [] {
         return zip_named({"/archive/data.pkl", "archive/version"});
       },
       "absolute record name"},
      {"name_backslash",
       [] {
         return zip_named({"archive/data.pkl", "archive\\x", "archive/version"});
       },
       "backslash"},
      {"name_nul",
       [] {
         return zip_named({"archive/data.pkl", std::string("archive/x\0y", 11), "archive/version"});
       },
       "control characters"},
      {"name_64k",
       [] {
         return zip_named(
             {"archive/data.pkl", "archive/" + std::string(60000, 'a'), "archive/version"});
       },
       "longer than 4096 bytes"},
      {"name_outside_root",
       [] {
         return zip_named({"archive/data.pkl", "other/x", "archive/version"});
       },
       "outside the archive root archive/"},
      {"name_without_root",
       [] {
         return zip_named({"data.pkl", "archive/version"});
       },
       "not inside an archive directory"},
      {"byteorder_middle", [] { return with_record("byteorder", "middle"); },
       "byteorder record is 'middle'"},
      {"version_20_digits",
       [] {
         return torch_zip(valid_pickle(), {{"0", floats(6)}}, "12345678901234567890\n").bytes;
       },
       "version record is not a small decimal number"},
      {"no_data_pkl",
       [] {
         return build_zip({{"archive/data/0", floats(6)}, {"archive/version", "3\n"}}).bytes;
       },
       "no data.pkl record"},
      {"no_version",
       [] {
         return build_zip({{"archive/data.pkl", valid_pickle()}, {"archive/data/0", floats(6)}})
             .bytes;
       },
       "no version record"},
      {"pytorch1_magic", [] { return std::string("PYTORCH1") + std::string(100, '\0'); },
       "preview release"},
      {"torchscript_archive",
       [] { return with_record("code/__torch__.py", "def forward(self): pass\n"); },
       "TorchScript is code", true},
      {"script_class_outside_torchscript", [] { return calls("__torch__.model", "Net"); },
       "refusing global __torch__.model.Net (not on the allow-list)"},
      {"script_helpers_outside_torchscript",
       [] { return calls("torch.jit._pickle", "restore_type_tag"); },
       "refusing global torch.jit._pickle.restore_type_tag"},
      {"tar_archive",
       [] {
         std::string t(1024, '\0');
         t.replace(257, 5, "ustar");
         return t;
       },
       "legacy .tar"},
      {"junk_before_zip", [] { return "junk" + zip_of(valid_pickle()); }, "unrecognized format"},
      {"trailing_data_after_zip", [] { return zip_of(valid_pickle()) + "hidden"; },
       "hidden data after the end of the zip", true},
      {"unreferenced_storage_record",
       [] {
         return torch_zip(valid_pickle(), {{"0", floats(6)}, {"7", "x"}}).bytes;
       },
       "record data/7 is not referenced", true},

      // --- the legacy stream
      {"legacy_bad_magic",
       [] {
         std::string f = legacy_file(legacy_pickle(), {{"1", 6, floats(6)}});
         f[5] ^= 1;
         return f;
       },
       "bad legacy magic number"},
      {"legacy_protocol_1000",
       [] {
         return legacy_file(legacy_pickle(), {{"1", 6, floats(6)}}, true, 1000);
       },
       "unsupported legacy protocol version"},
      {"legacy_big_endian",
       [] {
         return legacy_file(legacy_pickle(), {{"1", 6, floats(6)}}, false);
       },
       "little_endian: False"},
      {"legacy_header_numel_differs",
       [] {
         return legacy_file(legacy_pickle(), {{"1", 5, floats(5)}});
       },
       "storage 1 header says 5 elements, the pickle declares 6"},
      {"legacy_truncated_data",
       [] {
         std::string f = legacy_file(legacy_pickle(), {{"1", 6, floats(6)}});
         return f.substr(0, f.size() - 3);
       },
       "truncated: storage 1 needs 24 bytes, 21 left"},
      {"legacy_storage_without_data", [] { return legacy_file(legacy_pickle(), {}); },
       "storage 1 has no data in the file"},
      {"legacy_unknown_key_listed",
       [] {
         return legacy_file(legacy_pickle(), {{"1", 6, floats(6)}, {"9", 1, floats(1)}});
       },
       "legacy storage 9 is listed but not used"},
      {"legacy_view_past_root", [] { return legacy_view(4, 3); }, "storage view past its root"},
      {"legacy_view_tensor_past_view", [] { return legacy_view(4, 1); },
       "tensor view out of bounds"},
      {"legacy_tensor_past_storage",
       [] {
         return legacy_file(legacy_pickle(6, 1), {{"1", 6, floats(6)}});
       },
       "tensor view out of bounds"},
      {"legacy_zip_polyglot",
       [] {
         return legacy_file(legacy_pickle(), {{"1", 6, floats(6)}}) + zip_of(valid_pickle());
       },
       "the file is a polyglot", true},
      {"legacy_os_system",
       [] {
         return legacy_file(Pickle()
                                .proto(2)
                                .global("os", "system")
                                .str("x")
                                .op(op::TUPLE1)
                                .op(op::REDUCE)
                                .stop()
                                .bytes(),
                            {});
       },
       "refusing global os.system at offset"},

      // --- safetensors
      {"st_header_past_file",
       [] { return safetensors_file(two_tensor_header(), std::string(24, '\0'), 1000); },
       "safetensors header length 1000 runs past the end of the file"},
      {"st_header_too_large",
       [] { return safetensors_file(two_tensor_header(), std::string(24, '\0'), 200'000'000); },
       "safetensors header too large (200000000 bytes, more than 100000000; limit max_json_header_bytes)"},
      {"st_header_too_short", [] { return safetensors_file("{", "}"); },
       "invalid safetensors header length 1"},
      {"st_not_utf8",
       [] {
         return safetensors_with(
             "{\"\xff\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}", 4);
       },
       "JSON is not valid UTF-8"},
      {"st_deep_nesting",
       [] { return safetensors_with("{\"a\":" + std::string(1'000'000, '[') + "}"); },
       "JSON nested deeper than 64 levels"},
      {"st_invalid_json", [] { return safetensors_with(R"({"a": tru})"); }, "invalid JSON"},
      {"st_duplicate_key",
       [] {
         return safetensors_with(
             two_tensor_header(R"("b":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]})"));
       },
       "duplicate key b in JSON"},
      {"st_offsets_reversed",
       [] {
         return safetensors_with(
             two_tensor_header(R"("a":{"dtype":"F32","shape":[0],"data_offsets":[16,0]})"));
       },
       "tensor a: data_offsets [16, 0] end before they begin"},
      {"st_offsets_gap",
       [] {
         return safetensors_with(
             two_tensor_header(R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})"));
       },
       "tensor b: data_offsets [16, 24] leave a gap (previous data ends at 8)"},
      {"st_offsets_overlap",
       [] {
         return safetensors_with(
             two_tensor_header(R"("a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]})",
                               R"("b":{"dtype":"I64","shape":[1],"data_offsets":[8,16]})"),
             16);
       },
       "tensor b: data_offsets [8, 16] overlap other data"},
      {"st_offsets_not_from_zero",
       [] {
         return safetensors_with(
             two_tensor_header(R"("a":{"dtype":"F32","shape":[2,2],"data_offsets":[4,20]})",
                               R"("b":{"dtype":"I64","shape":[1],"data_offsets":[20,28]})"),
             28);
       },
       "tensor a: data_offsets [4, 20] leave a gap (previous data ends at 0)"},
      {"st_trailing_data", [] { return safetensors_with(two_tensor_header(), 30); },
       "tensor data ends at 24 but the file holds 30 data bytes"},
      {"st_missing_data", [] { return safetensors_with(two_tensor_header(), 20); },
       "tensor data ends at 24 but the file holds 20 data bytes"},
      {"st_float_offset",
       [] {
         return safetensors_with(
             two_tensor_header(R"("a":{"dtype":"F32","shape":[2,2],"data_offsets":[0.0,16]})"));
       },
       "data_offsets must be non-negative ints"},
      {"st_negative_offset",
       [] {
         return safetensors_with(
             two_tensor_header(R"("a":{"dtype":"F32","shape":[2,2],"data_offsets":[-16,16]})"));
       },
       "data_offsets must be non-negative ints"},
      {"st_span_mismatch",
       [] {
         return safetensors_with(
             two_tensor_header(R"("a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,16]})"));
       },
       "tensor a: shape [2, 3] of F32 needs 24 bytes but data_offsets span 16"},
      {"st_shape_overflow",
       [] {
         return safetensors_with(two_tensor_header(
             R"("a":{"dtype":"F32","shape":[4294967296,4294967296,2],"data_offsets":[0,16]})"));
       },
       "tensor a: element count overflows"},
      {"st_odd_f16_span",
       [] {
         return safetensors_with(
             two_tensor_header(R"("a":{"dtype":"F16","shape":[7],"data_offsets":[0,15]})",
                               R"("b":{"dtype":"I8","shape":[9],"data_offsets":[15,24]})"));
       },
       "needs 14 bytes but data_offsets span 15"},
      {"st_dtype_f128",
       [] {
         return safetensors_with(
             two_tensor_header(R"("a":{"dtype":"F128","shape":[1],"data_offsets":[0,16]})"));
       },
       "tensor a: unsupported dtype F128"},
      {"st_metadata_not_str",
       [] {
         return safetensors_with("{\"__metadata__\":{\"epoch\":3}," +
                                 two_tensor_header().substr(1));
       },
       "__metadata__ value for epoch is not a string"},
      {"st_rank_100",
       [] {
         std::string shape = "[" + std::string(99 * 2, ' ') + "1]";
         for (int i = 0; i < 99; ++i) shape[1 + 2 * i] = '1', shape[2 + 2 * i] = ',';
         return safetensors_with(two_tensor_header("\"a\":{\"dtype\":\"F32\",\"shape\":" + shape +
                                                   ",\"data_offsets\":[0,16]}"));
       },
       "tensor a: rank 100 exceeds 64 (limit max_rank)"},

      // --- the pickle machine
      {"tuple3_on_empty_stack",
       [] { return zip_of(Pickle().proto(2).op(op::TUPLE3).stop().bytes()); },
       "stack underflow at opcode 0x87 at data.pkl offset 2"},
      {"appends_without_mark",
       [] { return zip_of(Pickle().proto(2).op(op::EMPTY_LIST).op(op::APPENDS).stop().bytes()); },
       "opcode 'e' without MARK"},
      {"mark_frame_is_sealed",
       [] {
         return zip_of(Pickle()
                           .proto(2)
                           .op(op::NONE)
                           .op(op::MARK)
                           .op(op::POP)
                           .op(op::POP)
                           .op(op::TUPLE1)
                           .stop()
                           .bytes());
       },
       "stack underflow"},
      {"binget_unset", [] { return zip_of(Pickle().proto(2).get(200).stop().bytes()); },
       "memo 200 undefined"},
      {"binunicode_past_end",
       [] {
         return zip_of(
             Pickle().proto(2).op(op::BINUNICODE).raw(le(0xFFFFFFFF, 4)).raw("0123456789").bytes());
       },
       "truncated pickle: opcode 'X' needs 4294967295 bytes, 10 left"},
      {"invalid_utf8", [] { return zip_of(Pickle().proto(2).str("\xff\xfe").stop().bytes()); },
       "not valid UTF-8"},
      {"lone_surrogate",
       [] { return zip_of(Pickle().proto(2).str("\xed\xa0\x80").stop().bytes()); },
       "not valid UTF-8"},
      {"global_without_newline",
       [] { return zip_of(Pickle().proto(2).raw("cos\nsystem").bytes()); }, "without a newline"},
      {"global_1mb_long",
       [] {
         return zip_of(
             Pickle().proto(2).raw("c" + std::string(1 << 20, 'a') + "\nb\n").stop().bytes());
       },
       "GLOBAL name longer than 1024 bytes"},
      {"os_system", [] { return calls("os", "system"); },
       "refusing global os.system at data.pkl offset 2"},
      {"posix_system", [] { return calls("posix", "system"); }, "refusing global posix.system at"},
      {"nt_system", [] { return calls("nt", "system"); }, "refusing global nt.system at"},
      {"builtins_eval", [] { return calls("builtins", "eval"); },
       "refusing global builtins.eval at"},
      {"py2_builtin_eval", [] { return calls("__builtin__", "eval"); },
       "refusing global builtins.eval at"},
      {"builtins_exec", [] { return calls("builtins", "exec"); },
       "refusing global builtins.exec at"},
      {"builtins_getattr", [] { return calls("builtins", "getattr"); },
       "refusing global builtins.getattr at"},
      {"subprocess_popen", [] { return calls("subprocess", "Popen"); },
       "refusing global subprocess.Popen at"},
      {"importlib", [] { return calls("importlib", "import_module"); },
       "refusing global importlib.import_module"},
      {"torch_load", [] { return calls("torch", "load"); }, "refusing global torch.load at"},
      {"pickled_class", [] { return calls("__main__", "Net"); },
       "refusing global __main__.Net (not on the allow-list)"},
      {"numpy_builtins", [] { return calls("numpy", "__builtins__"); },
       "refusing global numpy.__builtins__"},
      {"dotted_dunder", [] { return calls("torch._utils", "_rebuild_tensor_v2.__globals__"); },
       "refusing global torch._utils._rebuild_tensor_v2.__globals__"},
      {"stack_global_os_system",
       [] {
         return zip_of(
             Pickle().proto(4).str("os").str("system").op(op::STACK_GLOBAL).stop().bytes());
       },
       "refusing global os.system"},
      {"stack_global_non_str",
       [] {
         return zip_of(
             Pickle().proto(4).integer(1).str("system").op(op::STACK_GLOBAL).stop().bytes());
       },
       "STACK_GLOBAL operands must be str"},
      {"rebuild_wrong_arity",
       [] {
         return zip_of(Pickle()
                           .proto(2)
                           .global("torch._utils", "_rebuild_tensor_v2")
                           .ints({1, 2})
                           .op(op::REDUCE)
                           .stop()
                           .bytes());
       },
       "bad arguments to torch._utils._rebuild_tensor_v2: expected 6 or 7 arguments, got 2"},
      {"rebuild_wrong_types",
       [] {
         return zip_of(Pickle()
                           .proto(2)
                           .global("torch._utils", "_rebuild_tensor_v2")
                           .ints({1, 2, 3, 4, 5, 6})
                           .op(op::REDUCE)
                           .stop()
                           .bytes());
       },
       "storage must be a storage, got int"},
      {"call_non_callable",
       [] {
         return zip_of(Pickle()
                           .proto(2)
                           .op(op::EMPTY_DICT)
                           .op(op::EMPTY_TUPLE)
                           .op(op::REDUCE)
                           .stop()
                           .bytes());
       },
       "cannot call a dict"},
      {"setitem_on_list",
       [] {
         return zip_of(
             Pickle().proto(2).op(op::EMPTY_LIST).str("k").str("v").op(op::SETITEM).stop().bytes());
       },
       "SETITEM target must be a dict, got list"},
      {"append_on_dict",
       [] {
         return zip_of(Pickle().proto(2).op(op::EMPTY_DICT).str("v").op(op::APPEND).stop().bytes());
       },
       "APPEND target must be a list, got dict"},
      {"setitems_odd",
       [] {
         return zip_of(Pickle()
                           .proto(2)
                           .op(op::EMPTY_DICT)
                           .op(op::MARK)
                           .str("k")
                           .op(op::SETITEMS)
                           .stop()
                           .bytes());
       },
       "odd number of items"},
      {"unhashable_key",
       [] {
         return zip_of(Pickle()
                           .proto(2)
                           .op(op::EMPTY_DICT)
                           .op(op::EMPTY_LIST)
                           .str("v")
                           .op(op::SETITEM)
                           .stop()
                           .bytes());
       },
       "unhashable dict key of type list"},
      {"build_on_int",
       [] {
         return zip_of(
             Pickle().proto(2).integer(1).op(op::EMPTY_DICT).op(op::BUILD).stop().bytes());
       },
       "BUILD target must be an OrderedDict or an allow-listed object, got int"},
      {"build_on_plain_dict",
       [] {
         return zip_of(
             Pickle().proto(2).op(op::EMPTY_DICT).op(op::EMPTY_DICT).op(op::BUILD).stop().bytes());
       },
       "BUILD target must be"},
      {"deep_marks",
       [] { return zip_of(Pickle().proto(2).raw(std::string(1'000'000, '(')).stop().bytes()); },
       "nesting deeper than 10000"},
      {"deep_lists", [] { return nested_lists(20'000); }, "nesting deeper than 10000"},
      {"self_containing_list",
       [] {
         return zip_of(
             Pickle().proto(2).op(op::EMPTY_LIST).put(0).get(0).op(op::APPEND).stop().bytes());
       },
       "reference cycle", true},
      {"billion_laughs", billion_laughs, "object graph expands past 2000000 nodes"},
      {"long4_2gb",
       [] { return zip_of(Pickle().proto(2).op(op::LONG4).raw(le(0x7FFFFFFF, 4)).stop().bytes()); },
       "integer too large (2147483647 bytes"},
      {"hidden_data_after_stop",
       [] { return zip_of(valid_pickle() + Pickle().proto(2).global("os", "system").bytes()); },
       "hidden data after STOP in data.pkl", true},
      {"opcode_inst",
       [] { return zip_of(Pickle().proto(2).op(op::INST).raw("os\nsystem\n").stop().bytes()); },
       "unsupported opcode 'i' at data.pkl offset 2"},
      {"opcode_obj",
       [] { return zip_of(Pickle().proto(2).op(op::MARK).op(op::OBJ).stop().bytes()); },
       "unsupported opcode 'o'"},
      {"opcode_ext1",
       [] { return zip_of(Pickle().proto(2).op(op::EXT1).raw("\x01").stop().bytes()); },
       "unsupported opcode 0x82"},
      {"opcode_persid",
       [] { return zip_of(Pickle().proto(2).op(op::PERSID).raw("0\n").stop().bytes()); },
       "unsupported opcode 'P'"},
      {"opcode_next_buffer",
       [] { return zip_of(Pickle().proto(5).op(op::NEXT_BUFFER).stop().bytes()); },
       "unsupported opcode 0x97"},
      {"protocol_255", [] { return zip_of(Pickle().proto(255).stop().bytes()); },
       "unsupported pickle protocol 255"},
      // --- issue 16: amplification, through the memo and otherwise
      {"memo_tuple_key", memo_tuple_key, "", true},
      {"memo_metadata_strings", memo_metadata_strings,
       "key paths and metadata exceed 268435456 bytes (limit max_output_bytes)"},
      {"deep_tensor_paths", [] { return deep_tensor_paths(4000, 4000); },
       "key paths and metadata exceed 268435456 bytes (limit max_output_bytes)"},
      {"empty_dicts", [] { return empty_dicts(2'000'000); },
       "unpickled objects take more than 67108864 bytes (limit max_object_bytes)", false,
       {"max_object_bytes=67108864"}},
      {"repeated_build", repeated_build,
       "more than 10000000 pickle steps (opcodes and the elements they copy; limit "
       "max_pickle_ops)"},
      {"optimizer_dicts", optimizer_dicts, "", true},
      {"deflated_record_declaring_60_mib", [] { return deflated_declaring(60 << 20); },
       "declares 62914560 bytes, more than its"},
      {"st_number_out_of_range", [] { return safetensors_with(R"({"a":1e400})"); },
       "invalid JSON: number overflow parsing '1e400'"},
      // --- catalogue items without a case above
      {"memo_swap", memo_swap, "refusing global os.system"},
      {"ordered_dict_with_metadata", ordered_dict_with_metadata, "", true},
      {"sparse_tensor", sparse_tensor, "sparse tensor at [s] is not listed", true},
      {"quantized_huge_stride", quantized_huge_stride, "tensor view out of bounds"},
      {"escape_sequences_in_keys", escape_sequences_in_keys, "", true},
      {"tensor_record_bad_crc", tensor_record_bad_crc,
       "record archive/data/0 fails its CRC check"},
      {"index_escaping_its_directory", index_escaping_its_directory,
       "shard path escapes directory: ../../etc/passwd"},
      {"stride_zero_and_overlapping_views",
       [] {
         return zip_of(state_dict_prefix()
                           .str("broadcast")
                           .tensor_v2("FloatStorage", "0", 6, 0, {4, 6}, {0, 1})
                           .str("overlap")
                           .tensor_v2("FloatStorage", "0", 6, 1, {3, 2}, {1, 1})
                           .op(op::SETITEMS)
                           .stop()
                           .bytes());
       },
       "", true},
      {"too_many_ops",
       [] { return zip_of(Pickle().proto(2).raw(std::string(5000, 'N')).stop().bytes()); },
       "more than 1000 pickle steps", false, {"max_pickle_ops=1000"}},
      {"too_many_memo_entries",
       [] {
         Pickle p;
         p.proto(2).op(op::NONE);
         for (int i = 0; i < 20; ++i) p.put(i);
         return zip_of(p.stop().bytes());
       },
       "memo holds more than 10 entries", false, {"max_memo_entries=10"}},

      // --- storages and tensor views
      {"persistent_id_not_storage",
       [] {
         return zip_of(Pickle()
                           .proto(2)
                           .op(op::MARK)
                           .str("module")
                           .integer(1)
                           .op(op::TUPLE)
                           .op(op::BINPERSID)
                           .stop()
                           .bytes());
       },
       "bad persistent id: expected ('storage', ...)"},
      {"persistent_id_short",
       [] {
         return zip_of(Pickle()
                           .proto(2)
                           .op(op::MARK)
                           .str("storage")
                           .global("torch", "FloatStorage")
                           .op(op::TUPLE)
                           .op(op::BINPERSID)
                           .stop()
                           .bytes());
       },
       "bad persistent id: expected 5 fields, got 2"},
      {"persistent_id_not_a_storage_type",
       [] {
         return zip_of(Pickle()
                           .proto(2)
                           .op(op::MARK)
                           .str("storage")
                           .global("collections", "OrderedDict")
                           .str("0")
                           .str("cpu")
                           .integer(6)
                           .op(op::TUPLE)
                           .op(op::BINPERSID)
                           .stop()
                           .bytes());
       },
       "field 1 must be a storage type"},
      {"storage_record_missing",
       [] {
         return zip_of(state_dict_prefix()
                           .str("w")
                           .tensor_v2("FloatStorage", "999", 6, 0, {6}, {1})
                           .op(op::SETITEMS)
                           .stop()
                           .bytes());
       },
       "record data/999 missing at data.pkl offset"},
      {"numel_overflow", [] { return view_zip(0, {1}, {1}, 0x4000000000000001ll); },
       "storage 0 size overflows"},
      {"record_smaller_than_storage", [] { return zip_of(valid_pickle(), floats(5)); },
       "holds 20 bytes but its storage declares 24"},
      {"record_larger_than_storage", [] { return zip_of(valid_pickle(), floats(7)); },
       "holds 28 bytes but its storage declares 24"},
      {"conflicting_storage_use",
       [] {
         return zip_of(state_dict_prefix()
                           .str("a")
                           .tensor_v2("FloatStorage", "0", 6, 0, {6}, {1})
                           .str("b")
                           .tensor_v2("LongStorage", "0", 3, 0, {3}, {1})
                           .op(op::SETITEMS)
                           .stop()
                           .bytes());
       },
       "conflicting storage use for key 0"},
      {"view_past_storage",
       [] {
         return view_zip(2, {2, 3}, {3, 1});
       },
       "tensor view out of bounds"},
      {"view_stride_past_storage",
       [] {
         return view_zip(0, {2, 3}, {4, 1});
       },
       "tensor view out of bounds"},
      {"negative_size", [] { return view_zip(0, {-1}, {1}); }, "negative size -1 in dimension 0"},
      {"negative_stride", [] { return view_zip(0, {2}, {-1}); }, "negative stride -1"},
      {"negative_offset", [] { return view_zip(-3, {2}, {1}); }, "negative storage offset -3"},
      {"size_stride_length_differ",
       [] {
         return view_zip(0, {2, 3}, {1});
       },
       "size and stride differ in length (2 vs 1)"},
      {"empty_view_offset_past_storage", [] { return view_zip(100, {0}, {1}); },
       "tensor view out of bounds"},
      {"rank_1000",
       [] {
         Pickle p = state_dict_prefix();
         p.str("w")
             .global("torch._utils", "_rebuild_tensor_v2")
             .op(op::MARK)
             .storage_ref("FloatStorage", "0", 6)
             .integer(0)
             .op(op::MARK);
         for (int i = 0; i < 1000; ++i) p.integer(1);
         p.op(op::TUPLE).op(op::MARK);
         for (int i = 0; i < 1000; ++i) p.integer(1);
         p.op(op::TUPLE)
             .op(op::NEWFALSE)
             .op(op::EMPTY_DICT)
             .op(op::TUPLE)
             .op(op::REDUCE)
             .op(op::SETITEMS)
             .stop();
         return zip_of(p.bytes());
       },
       "tensor rank 1000 exceeds 64 (limit max_rank)"},
      {"element_count_overflow",
       [] {
         return view_zip(0, {1ll << 62, 1ll << 62}, {0, 0});
       },
       "element count overflows"},
      {"byte_size_overflow", [] { return view_zip(0, {1ll << 62}, {0}); }, "size overflows"},
      {"requires_grad_not_bool",
       [] {
         return zip_of(state_dict_prefix()
                           .str("w")
                           .global("torch._utils", "_rebuild_tensor_v2")
                           .op(op::MARK)
                           .storage_ref("FloatStorage", "0", 6)
                           .integer(0)
                           .ints({6})
                           .ints({1})
                           .integer(1)
                           .op(op::EMPTY_DICT)
                           .op(op::TUPLE)
                           .op(op::REDUCE)
                           .op(op::SETITEMS)
                           .stop()
                           .bytes());
       },
       "requires_grad must be a bool"},
  };
  return all;
}

// security-notes §3: the cases that stand for each catalogue item (42 and 43 are model source:
// the interpreter's). benchmarks/catalogue_table.py turns this into the closing note's table.
const std::map<int, std::vector<std::string>>& catalogue() {
  static const std::map<int, std::vector<std::string>> items = {
      {1, {"truncated_zip"}},
      {2, {"directory_offset_past_eof", "zip64_record_outside_file", "zip64_size_overflow",
           "end_records_disagree"}},
      {3, {"stored_record_claims_2_to_the_40", "stored_sizes_differ"}},
      {4, {"inflates_past_declared_size", "deflated_record_over_limit",
           "deflated_record_declaring_60_mib"}},
      {5, {"overlapping_records"}},
      {6, {"duplicate_record"}},
      {7, {"local_name_mismatch", "local_method_mismatch", "local_size_mismatch",
           "descriptor_mismatch", "encrypted_record", "compression_method_99"}},
      {8, {"bad_crc", "tensor_record_bad_crc"}},
      {9, {"name_dot_dot", "name_absolute", "name_backslash", "name_nul", "name_64k",
           "name_outside_root", "name_without_root"}},
      {10, {"entries_beyond_limit", "entries_beyond_directory"}},
      {11, {"junk_before_zip", "trailing_data_after_zip", "legacy_zip_polyglot"}},
      {12, {"byteorder_middle", "version_20_digits", "no_data_pkl", "no_version", "pytorch1_magic",
            "empty_file"}},
      {13, {"tuple3_on_empty_stack", "appends_without_mark", "mark_frame_is_sealed",
            "binget_unset", "binunicode_past_end"}},
      {14, {"invalid_utf8", "lone_surrogate", "global_without_newline", "global_1mb_long"}},
      {15, {"os_system", "posix_system", "nt_system", "builtins_eval", "py2_builtin_eval",
            "builtins_exec", "builtins_getattr", "subprocess_popen", "importlib", "torch_load",
            "pickled_class", "legacy_os_system"}},
      {16, {"numpy_builtins", "dotted_dunder", "stack_global_os_system", "stack_global_non_str",
            "memo_swap"}},
      {17, {"rebuild_wrong_arity", "rebuild_wrong_types", "requires_grad_not_bool",
            "call_non_callable"}},
      {18, {"setitem_on_list", "append_on_dict", "setitems_odd", "unhashable_key"}},
      {19, {"build_on_int", "build_on_plain_dict", "ordered_dict_with_metadata"}},
      {20, {"deep_marks", "deep_lists"}},
      {21, {"self_containing_list", "billion_laughs", "memo_tuple_key", "memo_metadata_strings",
            "deep_tensor_paths", "empty_dicts", "repeated_build", "optimizer_dicts",
            "too_many_ops", "too_many_memo_entries"}},
      {22, {"long4_2gb"}},
      {23, {"hidden_data_after_stop"}},
      {24, {"opcode_inst", "opcode_obj", "opcode_ext1", "opcode_persid", "opcode_next_buffer",
            "protocol_255"}},
      {25, {"persistent_id_not_storage", "persistent_id_short", "persistent_id_not_a_storage_type",
            "storage_record_missing", "unreferenced_storage_record"}},
      {26, {"numel_overflow"}},
      {27, {"record_smaller_than_storage", "record_larger_than_storage"}},
      {28, {"conflicting_storage_use"}},
      {29, {"view_past_storage", "view_stride_past_storage", "negative_size", "negative_stride",
            "negative_offset", "size_stride_length_differ", "empty_view_offset_past_storage",
            "rank_1000"}},
      {30, {"element_count_overflow", "byte_size_overflow"}},
      {31, {"stride_zero_and_overlapping_views"}},
      {32, {"sparse_tensor", "quantized_huge_stride"}},
      {33, {"legacy_bad_magic", "legacy_protocol_1000", "legacy_big_endian",
            "legacy_header_numel_differs", "legacy_truncated_data", "legacy_storage_without_data",
            "legacy_unknown_key_listed", "legacy_view_past_root", "legacy_view_tensor_past_view",
            "legacy_tensor_past_storage"}},
      {34, {"tar_archive"}},
      {35, {"torchscript_archive", "script_class_outside_torchscript",
            "script_helpers_outside_torchscript"}},
      {36, {"st_header_past_file", "st_header_too_large", "st_header_too_short", "st_not_utf8",
            "st_deep_nesting", "st_invalid_json", "st_number_out_of_range"}},
      {37, {"st_duplicate_key"}},
      {38, {"st_offsets_reversed", "st_offsets_gap", "st_offsets_overlap",
            "st_offsets_not_from_zero", "st_trailing_data", "st_missing_data", "st_float_offset",
            "st_negative_offset"}},
      {39, {"st_span_mismatch", "st_shape_overflow", "st_odd_f16_span", "st_dtype_f128",
            "st_metadata_not_str", "st_rank_100"}},
      {40, {"index_escaping_its_directory"}},
      {41, {"escape_sequences_in_keys"}},
  };
  return items;
}

void PrintTo(const Case& c, std::ostream* out) {
  *out << c.name;
}

class Hostile : public ::testing::TestWithParam<Case> {};

TEST_P(Hostile, EndsInOneClearMessage) {
  const Case& c = GetParam();
  TempDir dir;
  const std::string path = dir.write("ckpt.pt", c.make());
  ReadLimits limits;
  for (const std::string& assignment : c.limits) ASSERT_FALSE(set_limit(limits, assignment));
  const ChildRead read = read_in_child(path, limits);
  ASSERT_TRUE(read.clean_exit) << read.message;
  EXPECT_EQ(read.ok, c.ok) << read.message;
  EXPECT_NE(read.message.find(c.expect), std::string::npos) << read.message;
  if (!c.ok) {
    EXPECT_EQ(read.message.rfind(path + ": ", 0), 0u) << read.message;
    EXPECT_EQ(read.message.find('\n'), std::string::npos) << read.message;
  }
}

INSTANTIATE_TEST_SUITE_P(Catalogue, Hostile, ::testing::ValuesIn(cases()),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(HostileCatalogue, EveryItemHasCasesAndEveryCaseAnItem) {
  std::set<std::string> names;
  for (const Case& c : cases()) EXPECT_TRUE(names.insert(c.name).second) << c.name;
  std::set<std::string> mapped;
  for (int item = 1; item <= 41; ++item) {
    ASSERT_TRUE(catalogue().count(item)) << "catalogue item " << item;
    for (const std::string& name : catalogue().at(item)) {
      EXPECT_TRUE(names.count(name)) << "item " << item << ": no case " << name;
      mapped.insert(name);
    }
  }
  for (const std::string& name : names) EXPECT_TRUE(mapped.count(name)) << name << " has no item";
}

// With CKG_CATALOGUE_DIR set, writes every case's file and a manifest (item, name, expected
// text, ok, limits) for benchmarks/catalogue_table.py, which runs them through the CLI.
TEST(HostileCatalogue, WritesTheCasesForTheTable) {
  const char* out = std::getenv("CKG_CATALOGUE_DIR");
  if (out == nullptr) GTEST_SKIP() << "CKG_CATALOGUE_DIR is not set";
  nlohmann::json manifest = nlohmann::json::array();
  for (const auto& [item, names] : catalogue()) {
    for (const std::string& name : names) {
      const Case& c = *std::find_if(cases().begin(), cases().end(),
                                    [&](const Case& candidate) { return candidate.name == name; });
      std::ofstream(std::string(out) + "/" + name, std::ios::binary) << c.make();
      manifest.push_back(
          {{"item", item}, {"name", name}, {"expect", c.expect}, {"ok", c.ok}, {"limits", c.limits}});
    }
  }
  std::ofstream(std::string(out) + "/manifest.json") << manifest.dump(1);
}

TEST(HostileFixtures, NonRegularFilesAreRefusedWithoutBlocking) {
  TempDir dir;
  const std::string fifo = dir.path() + "/pipe.pt";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const ChildRead read = read_in_child(fifo, {}, 512ull << 20, 5);
  ASSERT_TRUE(read.clean_exit) << "blocked on the FIFO";
  EXPECT_FALSE(read.ok);
  EXPECT_EQ(read.message, fifo + ": is a named pipe (FIFO), not a regular file");
  const ChildRead device = read_in_child("/dev/zero", {}, 512ull << 20, 5);
  ASSERT_TRUE(device.clean_exit);
  EXPECT_EQ(device.message, "/dev/zero: is a device, not a regular file");
}

TEST(HostileFixtures, VerifyReadsEveryRecordAndChecksItsCrc) {
  TempDir dir;
  const std::string good = dir.write("good.pt", zip_of(valid_pickle()));
  auto info = read_checkpoint(good);
  ASSERT_TRUE(info) << describe(info.error());
  EXPECT_TRUE(verify_records(good, *info));

  // One bit of tensor data flipped: listing never reads it, verification must.
  const std::string bad = dir.write("bad.pt", tensor_record_bad_crc());
  info = read_checkpoint(bad);
  ASSERT_TRUE(info) << describe(info.error());
  auto verified = verify_records(bad, *info);
  ASSERT_FALSE(verified);
  EXPECT_EQ(describe(verified.error()).rfind(bad + ": record archive/data/0 fails its CRC check", 0), 0u)
      << describe(verified.error());
}

TEST(HostileFixtures, ValidBaseReads) {
  TempDir dir;
  const ChildRead read = read_in_child(dir.write("ok.pt", zip_of(valid_pickle())));
  ASSERT_TRUE(read.clean_exit);
  EXPECT_TRUE(read.ok) << read.message;
  EXPECT_EQ(read.message, "");
}

}  // namespace
}  // namespace ckg::checkpoint::testing
