// Safetensors files and sharded checkpoints read through their index JSON.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "builders.h"

namespace ckg::checkpoint::testing {
namespace {

std::string entry_json(const std::string& name, std::size_t offset) {
  return ",\"" + name + R"(":{"dtype":"F32","shape":[2],"data_offsets":[)" +
         std::to_string(offset) + "," + std::to_string(offset + 8) + "]}";
}

std::string shard(const std::vector<std::string>& names) {
  // One F32 [2] tensor per name, contiguous, with __metadata__ like safetensors' torch writer.
  std::string header = R"({"__metadata__":{"format":"pt"})";
  std::string data;
  for (const std::string& name : names) {
    header += entry_json(name, data.size());
    data += std::string(8, '\x02');
  }
  return safetensors_file(header + "}", data);
}

std::string index_json(const std::string& weight_map) {
  return R"({"metadata": {"total_size": 32}, "weight_map": {)" + weight_map + "}}";
}

CheckpointInfo read_ok(const std::string& path) {
  auto info = read_checkpoint(path);
  if (!info) ADD_FAILURE() << describe(info.error());
  return info ? std::move(info).value() : CheckpointInfo{};
}

std::string read_error(const std::string& path) {
  const ChildRead read = read_in_child(path);
  EXPECT_TRUE(read.clean_exit) << read.message;
  EXPECT_FALSE(read.ok) << read.message;
  return read.message;
}

TEST(Safetensors, TableLocationsAndMetadata) {
  TempDir dir;
  const std::string bytes = shard({"a.weight", "a.bias"});
  const CheckpointInfo info = read_ok(dir.write("model.safetensors", bytes));
  EXPECT_EQ(info.format, "safetensors");
  ASSERT_EQ(info.tensors.size(), 2u);
  EXPECT_EQ(info.tensors[1].path, KeyPath{"a.bias"});
  EXPECT_EQ(info.tensors[1].shape, std::vector<std::int64_t>{2});
  EXPECT_EQ(info.tensors[1].strides, std::vector<std::int64_t>{1});
  EXPECT_EQ(info.storages[1].data_offset, bytes.size() - 8);
  EXPECT_EQ(info.metadata, nlohmann::json::parse(R"({"format": "pt"})"));
  EXPECT_EQ(info.state_dict_path, KeyPath{});
}

TEST(Safetensors, HeaderPaddingAndEmptyTensors) {
  TempDir dir;
  const std::string header =
      R"({"e":{"dtype":"BF16","shape":[0,3],"data_offsets":[0,0]},"s":{"dtype":"BOOL","shape":[],"data_offsets":[0,1]}})";
  const CheckpointInfo info =
      read_ok(dir.write("x.safetensors", safetensors_file(header + "     ", "\x01")));
  ASSERT_EQ(info.tensors.size(), 2u);
  EXPECT_EQ(info.tensors[0].dtype, "bfloat16");
  EXPECT_EQ(info.tensors[0].strides, (std::vector<std::int64_t>{3, 1}));
  EXPECT_EQ(info.tensors[1].shape, std::vector<std::int64_t>{});
  EXPECT_EQ(info.tensors[1].dtype, "bool");
}

TEST(Sharded, SafetensorsShards) {
  TempDir dir;
  dir.write("model-00001-of-00002.safetensors", shard({"a.weight", "a.bias"}));
  dir.write("model-00002-of-00002.safetensors", shard({"b.weight"}));
  const std::string index = dir.write(
      "model.safetensors.index.json",
      index_json(
          R"("a.weight": "model-00001-of-00002.safetensors", "a.bias": "model-00001-of-00002.safetensors",
         "b.weight": "model-00002-of-00002.safetensors")"));
  const CheckpointInfo info = read_ok(index);
  EXPECT_EQ(info.format, "sharded-safetensors");
  ASSERT_EQ(info.tensors.size(), 3u);
  EXPECT_EQ(info.tensors[2].path, KeyPath{"b.weight"});
  EXPECT_EQ(*info.tensors[2].storage, 2u);
  EXPECT_EQ(info.storages[2].file, "model-00002-of-00002.safetensors");
  EXPECT_EQ(info.storages[2].tensors, std::vector<std::size_t>{2});
  EXPECT_EQ(info.metadata["total_size"], 32);
  EXPECT_EQ(info.details["shards"].size(), 2u);
  EXPECT_TRUE(info.warnings.empty());
}

TEST(Sharded, TorchShards) {
  TempDir dir;
  const std::string pickle = Pickle()
                                 .proto(2)
                                 .op(op::EMPTY_DICT)
                                 .str("w")
                                 .tensor_v2("FloatStorage", "0", 2, 0, {2}, {1})
                                 .op(op::SETITEM)
                                 .stop()
                                 .bytes();
  dir.write("pytorch_model-00001-of-00001.bin",
            torch_zip(pickle, {{"0", std::string(8, '\0')}}).bytes);
  const CheckpointInfo info = read_ok(dir.write(
      "pytorch_model.bin.index.json", index_json(R"("w": "pytorch_model-00001-of-00001.bin")")));
  EXPECT_EQ(info.format, "sharded-torch");
  ASSERT_EQ(info.tensors.size(), 1u);
  EXPECT_EQ(info.storages[0].file, "pytorch_model-00001-of-00001.bin");
}

TEST(Sharded, ExtraTensorsInAShardAreReported) {
  TempDir dir;
  dir.write("s1.safetensors", shard({"a", "stray"}));
  const CheckpointInfo info =
      read_ok(dir.write("model.safetensors.index.json", index_json(R"("a": "s1.safetensors")")));
  ASSERT_EQ(info.warnings.size(), 1u);
  EXPECT_EQ(info.warnings[0], "tensor stray in shard s1.safetensors is not in the index");
}

TEST(Sharded, HostileIndexes) {
  TempDir dir;
  dir.write("s1.safetensors", shard({"a"}));
  dir.write("s2.safetensors", shard({"b"}));
  const auto index = [&](const std::string& name, const std::string& body) {
    return dir.write(name, body);
  };
  EXPECT_NE(read_error(index("up.index.json", index_json(R"("a": "../../etc/passwd")")))
                .find("shard path escapes directory: ../../etc/passwd"),
            std::string::npos);
  EXPECT_NE(read_error(index("abs.index.json", index_json(R"("a": "/etc/passwd")")))
                .find("shard path escapes directory"),
            std::string::npos);
  EXPECT_NE(read_error(index("missing.index.json",
                             index_json(R"("a": "s1.safetensors", "zz": "s1.safetensors")")))
                .find("tensor zz listed in the index is missing from shard s1.safetensors"),
            std::string::npos);
  EXPECT_NE(read_error(index("wrong.index.json",
                             index_json(R"("a": "s2.safetensors", "b": "s1.safetensors")")))
                .find("tensor b is in shard s2.safetensors but"),
            std::string::npos);
  const std::string gone =
      read_error(index("gone.index.json", index_json(R"("a": "nope.safetensors")")));
  EXPECT_NE(gone.find(dir.path() + "/nope.safetensors: cannot open"), std::string::npos) << gone;
  EXPECT_NE(read_error(index("nomap.index.json", R"({"metadata": {}})"))
                .find("index has no weight_map object"),
            std::string::npos);
  EXPECT_NE(
      read_error(index("deep.index.json", "{\"weight_map\":" + std::string(100000, '[') + "}"))
          .find("nested deeper"),
      std::string::npos);
  EXPECT_NE(read_error(index("dup.index.json",
                             R"({"weight_map": {"a": "s1.safetensors", "a": "s2.safetensors"}})"))
                .find("duplicate key a"),
            std::string::npos);
  EXPECT_NE(read_error(index("self.index.json", index_json(R"("a": "self.index.json")")))
                .find("unrecognized format"),
            std::string::npos);
  const std::string huge = index("huge.index.json", R"({"metadata": {"total_size": 1e400}, "weight_map": {}})");
  EXPECT_EQ(read_error(huge), huge + ": invalid JSON: number overflow parsing '1e400' at offset 32");
  const std::string pipe = dir.path() + "/pipe.safetensors";
  ASSERT_EQ(::mkfifo(pipe.c_str(), 0600), 0);
  EXPECT_EQ(read_error(index("fifo.index.json", index_json(R"("a": "pipe.safetensors")"))),
            pipe + ": is a named pipe (FIFO), not a regular file");
}

TEST(Sharded, ManyTensorsParseInLinearTime) {
  // ordered_json's own insertion searches the object: 200,000 keys took minutes.
  TempDir dir;
  std::vector<std::string> names;
  for (int i = 0; i < 200'000; ++i) names.push_back("layer" + std::to_string(i) + ".weight");
  const std::string path = dir.write("big.safetensors", shard(names));
  const ChildRead read = read_in_child(path, {}, 1ull << 30, 20);
  ASSERT_TRUE(read.clean_exit) << read.message;
  EXPECT_TRUE(read.ok) << read.message;
}

}  // namespace
}  // namespace ckg::checkpoint::testing
