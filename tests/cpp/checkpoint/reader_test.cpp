// Reading well-formed files end to end: zip structure and data locations, the legacy stream,
// the error text, and the inspect renderings.
#include <gtest/gtest.h>

#include "builders.h"
#include "checkpoint/detail/read_bytes.h"
#include "checkpoint/detail/zip_directory.h"
#include "checkpoint/detail/zip_records.h"
#include "checkpoint/inspect_render.h"

namespace ckg::checkpoint::testing {
namespace {

std::string two_tensor_pickle(bool legacy = false) {
  return Pickle()
      .proto(2)
      .global("collections", "OrderedDict")
      .op(op::EMPTY_TUPLE)
      .op(op::REDUCE)
      .op(op::MARK)
      .str("a")
      .tensor_v2("FloatStorage", "0", 4, 0, {2, 2}, {2, 1}, legacy)
      .str("b")
      .tensor_v2("FloatStorage", "0", 4, 1, {3}, {1}, legacy)
      .str("c")
      .tensor_v2("LongStorage", "1", 2, 0, {2}, {1}, legacy)
      .op(op::SETITEMS)
      .stop()
      .bytes();
}

const std::string kFloats =
    std::string("\x00\x00\x80\x3f", 4) + std::string(12, '\x01');  // 4 floats
const std::string kLongs = le(7, 8) + le(9, 8);

CheckpointInfo read_ok(const std::string& path) {
  auto info = read_checkpoint(path);
  if (!info) ADD_FAILURE() << describe(info.error());
  return info ? std::move(info).value() : CheckpointInfo{};
}

TEST(ZipDirectory, LocatesRecordsLikeTorchWritesThem) {
  BuiltZip zip = torch_zip(two_tensor_pickle(), {{"0", kFloats}, {"1", kLongs}});
  auto directory = detail::read_zip_directory(zip.bytes, ReadLimits{});
  ASSERT_TRUE(directory) << describe(directory.error());
  EXPECT_TRUE(directory->warnings.empty());
  const detail::ZipEntry* floats = directory->find("archive/data/0");
  ASSERT_NE(floats, nullptr);
  EXPECT_EQ(floats->data_offset % 64, 0u);
  EXPECT_EQ(zip.bytes.substr(floats->data_offset, floats->compressed_size), kFloats);
  EXPECT_EQ(directory->archive_end, zip.bytes.size());
}

TEST(ZipDirectory, Zip64ExtraCarriesTheHeaderOffset) {
  BuiltZip zip = torch_zip(two_tensor_pickle(), {{"0", kFloats}, {"1", kLongs}});
  std::string& b = zip.bytes;
  const std::size_t entry = zip.central[1];  // archive/data/0
  const std::size_t real_offset = zip.local[1];
  const std::string extra = std::string("\x01\x00\x08\x00", 4) + le(real_offset, 8);
  b.insert(entry + 46 + std::string("archive/data/0").size(), extra);
  put_le(b, entry + 30, extra.size(), 2);
  put_le(b, entry + 42, 0xFFFFFFFF, 4);
  const std::size_t grow = extra.size(), end64 = zip.end64 + grow, end = zip.end + grow;
  const std::uint64_t size = zip.end64 - zip.directory + grow;
  put_le(b, end64 + 40, size, 8);
  put_le(b, end - 20 + 8, end64, 8);
  put_le(b, end + 12, size, 4);
  auto directory = detail::read_zip_directory(b, ReadLimits{});
  ASSERT_TRUE(directory) << describe(directory.error());
  EXPECT_EQ(directory->find("archive/data/0")->header_offset, real_offset);
}

TEST(ZipDirectory, ReportsBytesNoRecordAccountsFor) {
  BuiltZip zip = torch_zip(two_tensor_pickle(), {{"0", kFloats}, {"1", kLongs}});
  std::string& b = zip.bytes;
  const std::string hidden = "hidden payload";
  b.insert(zip.directory, hidden);
  const std::size_t grow = hidden.size();
  put_le(b, zip.end64 + grow + 48, zip.directory + grow, 8);
  put_le(b, zip.end + grow - 20 + 8, zip.end64 + grow, 8);
  put_le(b, zip.end + grow + 16, zip.directory + grow, 4);
  auto directory = detail::read_zip_directory(b, ReadLimits{});
  ASSERT_TRUE(directory) << describe(directory.error());
  ASSERT_EQ(directory->warnings.size(), 1u);
  EXPECT_NE(directory->warnings[0].find("14 bytes of hidden data"), std::string::npos);
}

TEST(ZipRecords, InflatesDeflatedRecords) {
  const std::string text(5000, 'q');
  BuiltZip zip = build_zip({{"archive/x", deflate(text), 8, text.size(), crc32_of(text)}});
  auto directory = detail::read_zip_directory(zip.bytes, ReadLimits{});
  ASSERT_TRUE(directory);
  auto records = detail::ZipRecords::open(zip.bytes);
  ASSERT_TRUE(records);
  auto bytes = records->read(directory->entries[0], 1 << 20);
  ASSERT_TRUE(bytes) << describe(bytes.error());
  EXPECT_EQ(*bytes, text);
}

TEST(Reader, TorchZipTableAndLocations) {
  TempDir dir;
  BuiltZip zip = torch_zip(two_tensor_pickle(), {{"0", kFloats}, {"1", kLongs}});
  const CheckpointInfo info = read_ok(dir.write("ckpt.pt", zip.bytes));
  EXPECT_EQ(info.format, "torch-zip");
  ASSERT_EQ(info.tensors.size(), 3u);
  EXPECT_EQ(info.tensors[1].path, KeyPath{"b"});
  EXPECT_EQ(info.tensors[1].storage_offset, 1);
  EXPECT_EQ(info.tensors[1].nbytes, 12u);
  EXPECT_EQ(info.tensors[2].dtype, "int64");
  ASSERT_EQ(info.storages.size(), 2u);
  EXPECT_EQ(info.storages[0].tensors, (std::vector<std::size_t>{0, 1}));  // a and b alias
  EXPECT_EQ(zip.bytes.substr(*info.storages[1].data_offset, info.storages[1].nbytes), kLongs);
  EXPECT_EQ(info.state_dict_path, KeyPath{});
  EXPECT_EQ(info.details["archive_root"], "archive");
  EXPECT_TRUE(info.warnings.empty());
}

TEST(Reader, CompressedTensorRecordsCannotBeMapped) {
  TempDir dir;
  const std::string pickle = two_tensor_pickle();
  BuiltZip zip =
      build_zip({{"archive/data.pkl", pickle},
                 {"archive/data/0", deflate(kFloats), 8, kFloats.size(), crc32_of(kFloats)},
                 {"archive/data/1", kLongs},
                 {"archive/version", "3\n"}});
  const CheckpointInfo info = read_ok(dir.write("ckpt.pt", zip.bytes));
  EXPECT_FALSE(info.storages[0].data_offset.has_value());
  EXPECT_TRUE(info.storages[1].data_offset.has_value());
  ASSERT_EQ(info.warnings.size(), 1u);
  EXPECT_NE(info.warnings[0].find("record data/0 is compressed"), std::string::npos);
}

TEST(Reader, LegacyStream) {
  TempDir dir;
  const std::string file =
      legacy_file(two_tensor_pickle(true), {{"0", 4, kFloats}, {"1", 2, kLongs}});
  const CheckpointInfo info = read_ok(dir.write("legacy.pt", file));
  EXPECT_EQ(info.format, "torch-legacy");
  ASSERT_EQ(info.tensors.size(), 3u);
  EXPECT_EQ(file.substr(*info.storages[0].data_offset, 16), kFloats);
  EXPECT_EQ(file.substr(*info.storages[1].data_offset, 16), kLongs);
  EXPECT_TRUE(info.warnings.empty());
}

TEST(Reader, ErrorsNameFileRecordAndOffset) {
  EXPECT_EQ(describe(ReadError{"a.pt", 57, "refusing global os.system", "data.pkl"}),
            "a.pt: refusing global os.system at data.pkl offset 57");
  EXPECT_EQ(describe(ReadError{"a.pt", 3, "bad magic", {}}), "a.pt: bad magic at offset 3");
  EXPECT_EQ(describe(ReadError{"a\x1b[31m.pt", std::nullopt, "cannot open", {}}),
            "a\\x1b[31m.pt: cannot open");
}

TEST(Render, JsonAndText) {
  TempDir dir;
  BuiltZip zip = torch_zip(two_tensor_pickle(), {{"0", kFloats}, {"1", kLongs}});
  const std::string path = dir.write("ckpt.pt", zip.bytes);
  const CheckpointInfo info = read_ok(path);
  const nlohmann::ordered_json json = inspect_to_json(info, path);
  EXPECT_EQ(json["format"], "torch-zip");
  EXPECT_EQ(json["tensors"][0]["path"], nlohmann::ordered_json::array({"a"}));
  EXPECT_EQ(json["tensors"][0]["shape"], nlohmann::ordered_json::array({2, 2}));
  EXPECT_EQ(json["tensors"][0]["dtype"], "float32");
  EXPECT_EQ(json["tensors"][0]["nbytes"], 16);
  EXPECT_EQ(json["state_dict_path"], nlohmann::ordered_json::array());
  EXPECT_TRUE(json["metadata"].is_object());
  const std::string text = render_inspect_text(info, path);
  EXPECT_NE(text.find("torch-zip, 3 tensors in 2 storages"), std::string::npos) << text;
  EXPECT_NE(text.find("state_dict: (root)"), std::string::npos) << text;
  EXPECT_NE(text.find("shared storages"), std::string::npos) << text;
  EXPECT_NE(text.find("  b     float32  [3]"), std::string::npos) << text;
}

}  // namespace
}  // namespace ckg::checkpoint::testing

namespace ckg::checkpoint::testing {
namespace {

// A deterministic mutation smoke test (the libFuzzer targets' little sibling): every truncation
// and a few thousand byte flips of each format must read or fail cleanly. Under ASan/UBSan this
// is where out-of-bounds reads would show.
TEST(Robustness, TruncatedAndMutatedFilesFailCleanly) {
  const std::string zip = torch_zip(two_tensor_pickle(), {{"0", kFloats}, {"1", kLongs}}).bytes;
  const std::string legacy =
      legacy_file(two_tensor_pickle(true), {{"0", 4, kFloats}, {"1", 2, kLongs}});
  const std::string safetensors = safetensors_file(
      R"({"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"b":{"dtype":"I64","shape":[2],"data_offsets":[16,32]}})",
      kFloats + kLongs);
  std::uint64_t state = 0x9E3779B97F4A7C15ull;
  const auto next = [&] {
    state ^= state << 13, state ^= state >> 7, state ^= state << 17;
    return state;
  };
  for (const std::string& original : {zip, legacy, safetensors}) {
    for (std::size_t length = 0; length < original.size(); ++length) {
      auto info = detail::read_checkpoint_bytes(original.substr(0, length), ReadLimits{});
      ASSERT_FALSE(info) << "a truncation to " << length << " bytes read as valid";
      EXPECT_EQ(info.error().reason.find('\n'), std::string::npos);
    }
    for (int round = 0; round < 3000; ++round) {
      std::string mutant = original;
      for (int flips = 1 + static_cast<int>(next() % 4); flips > 0; --flips) {
        mutant[next() % mutant.size()] = static_cast<char>(next());
      }
      auto info = detail::read_checkpoint_bytes(mutant, ReadLimits{});
      if (!info) {
        EXPECT_FALSE(info.error().reason.empty());
      }
    }
  }
}

}  // namespace
}  // namespace ckg::checkpoint::testing
