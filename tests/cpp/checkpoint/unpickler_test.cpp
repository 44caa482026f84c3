// The restricted unpickler and the object walk on hand-built pickles: opcode semantics as Python
// has them, the torch builders, structure discovery and metadata.
#include "checkpoint/detail/unpickler.h"

#include <gtest/gtest.h>

#include "builders.h"
#include "checkpoint/detail/object_walk.h"

namespace ckg::checkpoint::testing {
namespace {

using detail::Arena;
using detail::Kind;
using detail::PersistentIds;
using detail::Unpickled;
using detail::ValueId;

Unpickled load(const std::string& bytes, PersistentIds ids = PersistentIds::TorchZip) {
  auto out = detail::unpickle(bytes, detail::UnpickleOptions{"data.pkl", ids}, ReadLimits{});
  if (!out) ADD_FAILURE() << describe(out.error());
  return out ? std::move(out).value() : Unpickled{};
}

std::string load_error(const std::string& bytes) {
  auto out = detail::unpickle(bytes, detail::UnpickleOptions{"data.pkl", PersistentIds::TorchZip},
                              ReadLimits{});
  return out ? std::string("<no error>") : out.error().reason;
}

detail::Structure walk(const Unpickled& u, const ReadLimits& limits = {}) {
  auto out = detail::walk_object(u.arena, u.root, "data.pkl", limits);
  if (!out) ADD_FAILURE() << describe(out.error());
  return out ? std::move(out).value() : detail::Structure{};
}

nlohmann::json metadata_of(const std::string& pickle) {
  return walk(load(pickle)).metadata;
}

TEST(Unpickler, Protocol4Opcodes) {
  // FRAME, SHORT_BINUNICODE, MEMOIZE, STACK_GLOBAL, EMPTY_SET + ADDITEMS, FROZENSET, SHORT_BINBYTES
  Pickle p;
  p.proto(4).raw("\x95").raw(le(60, 8)).op(op::EMPTY_DICT).op(op::MEMOIZE).op(op::MARK);
  p.raw(
       "\x8c\x01"
       "a")
      .raw(
          "\x8c\x0b"
          "collections")
      .raw(
          "\x8c\x0b"
          "OrderedDict")
      .op(op::STACK_GLOBAL)
      .op(op::EMPTY_TUPLE)
      .op(op::REDUCE);
  p.raw(
       "\x8c\x01"
       "s")
      .raw("\x8f")
      .op(op::MARK)
      .integer(3)
      .integer(1)
      .raw("\x90");
  p.raw(
       "\x8c\x01"
       "f")
      .op(op::MARK)
      .integer(2)
      .raw("\x91");
  p.raw(
       "\x8c\x01"
       "b")
      .raw("C\x02xy");
  p.op(op::SETITEMS).stop();
  const nlohmann::json meta = metadata_of(p.bytes());
  EXPECT_EQ(meta, nlohmann::json::parse(R"({"a": {}, "s": [3, 1], "f": [2], "b": "<2 bytes>"})"));
}

TEST(Unpickler, IntegersAndFloats) {
  Pickle p;
  p.proto(2).op(op::EMPTY_DICT).op(op::MARK);
  p.str("neg").integer(-5).str("i32").integer(-70000).str("i64").integer(1ll << 40);
  p.str("long1_neg").raw(std::string("\x8a\x02\x00\xff", 4));  // -256
  p.str("long1_zero").raw(std::string("\x8a\x00", 2));
  p.str("big").raw("\x8a\x09").raw(le(0, 8)).raw("\x01");  // 2^64
  p.str("float").binfloat(-2.5);
  p.op(op::SETITEMS).stop();
  const nlohmann::json meta = metadata_of(p.bytes());
  EXPECT_EQ(meta["neg"], -5);
  EXPECT_EQ(meta["i32"], -70000);
  EXPECT_EQ(meta["i64"], 1ll << 40);
  EXPECT_EQ(meta["long1_neg"], -256);
  EXPECT_EQ(meta["long1_zero"], 0);
  EXPECT_EQ(meta["big"], "18446744073709551616");
  EXPECT_EQ(meta["float"], -2.5);
}

TEST(Unpickler, DictKeysFollowPythonEquality) {
  // {1: 'a', True: 'b', 1.0: 'c', 'k': 'd'} -> {1: 'c', 'k': 'd'}: one slot, first position, last
  // value.
  Pickle p;
  p.proto(2)
      .op(op::EMPTY_DICT)
      .op(op::MARK)
      .integer(1)
      .str("a")
      .op(op::NEWTRUE)
      .str("b")
      .binfloat(1.0)
      .str("c")
      .str("k")
      .str("d")
      .op(op::SETITEMS)
      .stop();
  Unpickled u = load(p.bytes());
  const auto& items = u.arena.dict_of(u.root).items;
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(u.arena.kind(items[0].first), Kind::Int);
  EXPECT_EQ(u.arena.text_of(items[0].second), "c");
}

TEST(Unpickler, PopOnAnEmptyFrameDropsTheMark) {
  // Python's POP: with nothing above the mark it discards the mark itself.
  Pickle p;
  p.proto(2).integer(7).op(op::MARK).op(op::POP).op(op::TUPLE1).stop();
  Unpickled u = load(p.bytes());
  ASSERT_EQ(u.arena.kind(u.root), Kind::Tuple);
  EXPECT_EQ(u.arena.items_of(u.root).size(), 1u);
}

TEST(Unpickler, MemoSharesObjects) {
  // [x, x] where x is one list: appending to it later shows through both references.
  Pickle p;
  p.proto(2)
      .op(op::EMPTY_LIST)
      .op(op::EMPTY_LIST)
      .put(0)
      .op(op::APPEND)
      .get(0)
      .op(op::APPEND)
      .get(0)
      .integer(5)
      .op(op::APPEND)
      .op(op::POP)
      .stop();
  Unpickled u = load(p.bytes());
  const auto& outer = u.arena.items_of(u.root);
  ASSERT_EQ(outer.size(), 2u);
  EXPECT_EQ(outer[0], outer[1]);
  EXPECT_EQ(u.arena.items_of(outer[0]).size(), 1u);
}

TEST(Unpickler, ErrorsCarryTheOpcodeOffset) {
  auto out =
      detail::unpickle(Pickle().proto(2).op(op::NONE).get(9).stop().bytes(),
                       detail::UnpickleOptions{"data.pkl", PersistentIds::TorchZip}, ReadLimits{});
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().offset, 3u);
  EXPECT_EQ(out.error().record, "data.pkl");
  EXPECT_EQ(out.error().reason, "memo 9 undefined");
}

TEST(Unpickler, PersistentIdsOnlyWhereAllowed) {
  const std::string pickle = Pickle()
                                 .proto(2)
                                 .storage_ref("FloatStorage", "0", 1)
                                 .stop()
                                 .bytes();
  auto out =
      detail::unpickle(pickle, detail::UnpickleOptions{"x", PersistentIds::None}, ReadLimits{});
  ASSERT_FALSE(out);
  EXPECT_NE(out.error().reason.find("unexpected persistent id"), std::string::npos);
  EXPECT_TRUE(detail::unpickle(pickle, detail::UnpickleOptions{"x", PersistentIds::TorchZip},
                               ReadLimits{}));
}

TEST(TorchObjects, PythonValues) {
  Pickle p;
  p.proto(2).op(op::EMPTY_DICT).op(op::MARK);
  p.str("size").global("torch", "Size").ints({2, 3}).op(op::TUPLE1).op(op::REDUCE);
  p.str("device").global("torch", "device").str("cuda").integer(0).op(op::TUPLE2).op(op::REDUCE);
  p.str("dtype").global("torch", "half");
  p.str("bytes")
      .global("_codecs", "encode")
      .str("\xc3\xa9!")
      .str("latin1")
      .op(op::TUPLE2)
      .op(op::REDUCE);
  p.str("set")
      .global("__builtin__", "set")
      .op(op::EMPTY_LIST)
      .op(op::MARK)
      .integer(1)
      .integer(2)
      .op(op::APPENDS)
      .op(op::TUPLE1)
      .op(op::REDUCE);
  p.str("complex")
      .global("builtins", "complex")
      .binfloat(1)
      .binfloat(-2)
      .op(op::TUPLE2)
      .op(op::REDUCE);
  p.str("pairs")
      .global("collections", "OrderedDict")
      .str("x")
      .integer(1)
      .op(op::TUPLE2)
      .op(op::TUPLE1)
      .op(op::TUPLE1)
      .op(op::REDUCE);
  p.op(op::SETITEMS).stop();
  Unpickled u = load(p.bytes());
  const nlohmann::json meta = walk(u).metadata;
  EXPECT_EQ(meta["size"], nlohmann::json::parse("[2, 3]"));
  EXPECT_EQ(meta["device"], "cuda:0");
  EXPECT_EQ(meta["dtype"], "torch.float16");
  EXPECT_EQ(meta["bytes"], "<2 bytes>");
  EXPECT_EQ(meta["set"], nlohmann::json::parse("[1, 2]"));
  EXPECT_EQ(meta["complex"], "(1-2j)");
  EXPECT_EQ(meta["pairs"], nlohmann::json::parse(R"({"x": 1})"));
}

TEST(TorchObjects, TensorRebuilders) {
  // _rebuild_parameter(v2 tensor, True, {}), _rebuild_tensor_v3 over an untyped storage, a meta
  // tensor, and _rebuild_from_type_v2(..., Parameter, ...).
  Pickle p;
  p.proto(2).op(op::EMPTY_DICT).op(op::MARK);
  p.str("param")
      .global("torch._utils", "_rebuild_parameter")
      .tensor_v2("FloatStorage", "0", 6, 0, {2, 3}, {3, 1})
      .op(op::NEWTRUE)
      .op(op::EMPTY_DICT)
      .op(op::TUPLE3)
      .op(op::REDUCE);
  p.str("v3")
      .global("torch._utils", "_rebuild_tensor_v3")
      .op(op::MARK)
      .storage_ref("UntypedStorage", "1", 16)
      .integer(1)
      .ints({3})
      .ints({1})
      .op(op::NEWFALSE)
      .op(op::EMPTY_DICT)
      .global("torch", "float32")
      .op(op::TUPLE)
      .op(op::REDUCE);
  p.str("meta")
      .global("torch._utils", "_rebuild_meta_tensor_no_storage")
      .op(op::MARK)
      .global("torch", "int64")
      .ints({4, 5})
      .ints({5, 1})
      .op(op::NEWFALSE)
      .op(op::TUPLE)
      .op(op::REDUCE);
  p.str("typed")
      .global("torch._tensor", "_rebuild_from_type_v2")
      .op(op::MARK)
      .global("torch._utils", "_rebuild_tensor_v2")
      .global("torch.nn.parameter", "Parameter")
      .op(op::MARK)
      .storage_ref("FloatStorage", "0", 6)
      .integer(0)
      .ints({6})
      .ints({1})
      .op(op::NEWFALSE)
      .op(op::EMPTY_DICT)
      .op(op::TUPLE)
      .op(op::EMPTY_DICT)
      .op(op::TUPLE)
      .op(op::REDUCE);
  p.op(op::SETITEMS).stop();
  Unpickled u = load(p.bytes());
  const detail::Structure s = walk(u);
  ASSERT_EQ(s.tensors.size(), 4u);
  const auto& param = u.arena.tensor_of(s.tensors[0].second);
  EXPECT_TRUE(param.is_parameter);
  EXPECT_TRUE(param.requires_grad);
  const auto& v3 = u.arena.tensor_of(s.tensors[1].second);
  EXPECT_EQ(v3.dtype->name, "float32");
  EXPECT_EQ(v3.storage_offset, 1);
  EXPECT_EQ(v3.nbytes, 12u);  // elements 1..3 of four floats: fits the 16-byte storage
  const auto& meta = u.arena.tensor_of(s.tensors[2].second);
  EXPECT_FALSE(meta.storage.has_value());
  EXPECT_EQ(meta.nbytes, 160u);
  EXPECT_TRUE(u.arena.tensor_of(s.tensors[3].second).is_parameter);
  EXPECT_EQ(s.state_dict_path, KeyPath{});  // only tensors under string keys: a state_dict
}

TEST(TorchObjects, UntypedStorageBoundsAreInBytes) {
  Pickle p;
  p.proto(2)
      .global("torch._utils", "_rebuild_tensor_v3")
      .op(op::MARK)
      .storage_ref("UntypedStorage", "1", 16)
      .integer(2)
      .ints({3})
      .ints({1})
      .op(op::NEWFALSE)
      .op(op::EMPTY_DICT)
      .global("torch", "float32")
      .op(op::TUPLE)
      .op(op::REDUCE)
      .stop();
  EXPECT_NE(load_error(p.bytes()).find("needs 20 bytes of storage 1 (16 bytes)"),
            std::string::npos);
}

std::string ordered_state_dict(std::initializer_list<const char*> keys, bool with_metadata = true) {
  Pickle p;
  p.global("collections", "OrderedDict").op(op::EMPTY_TUPLE).op(op::REDUCE).op(op::MARK);
  int key = 0;
  for (const char* name : keys) {
    p.str(name).tensor_v2("FloatStorage", std::to_string(key++), 2, 0, {2}, {1});
  }
  p.op(op::SETITEMS);
  if (with_metadata) {
    p.op(op::EMPTY_DICT)
        .str("_metadata")
        .global("collections", "OrderedDict")
        .op(op::EMPTY_TUPLE)
        .op(op::REDUCE)
        .str("")
        .op(op::EMPTY_DICT)
        .str("version")
        .integer(1)
        .op(op::SETITEM)
        .op(op::SETITEM)
        .op(op::SETITEM)
        .op(op::BUILD);
  }
  return p.bytes();
}

TEST(Structure, RootStateDictWithModuleVersions) {
  Unpickled u =
      load(Pickle().proto(2).raw(ordered_state_dict({"a.weight", "a.bias"})).stop().bytes());
  detail::Structure s = walk(u);
  ASSERT_TRUE(s.state_dict_path);
  EXPECT_TRUE(s.state_dict_path->empty());
  EXPECT_EQ(s.tensors.size(), 2u);
  EXPECT_EQ(s.state_dict_metadata, nlohmann::json::parse(R"({"": {"version": 1}})"));
  EXPECT_EQ(s.metadata, nlohmann::json::object());
}

TEST(Structure, NestedWrappersAndOptimizers) {
  // {"meta": {...}, "trainer": {"model": {"module": sd}}, "opts": [{"state": {}, "param_groups":
  // [{"lr": 0.1}]}]}
  Pickle p;
  p.proto(2).op(op::EMPTY_DICT).op(op::MARK);
  p.str("meta").op(op::EMPTY_DICT).str("epoch").integer(4).op(op::SETITEM);
  p.str("trainer")
      .op(op::EMPTY_DICT)
      .str("model")
      .op(op::EMPTY_DICT)
      .str("module")
      .raw(ordered_state_dict({"w"}, false))
      .op(op::SETITEM)
      .op(op::SETITEM);
  p.str("opts")
      .op(op::EMPTY_LIST)
      .op(op::EMPTY_DICT)
      .op(op::MARK)
      .str("state")
      .op(op::EMPTY_DICT)
      .str("param_groups")
      .op(op::EMPTY_LIST)
      .op(op::EMPTY_DICT)
      .str("lr")
      .binfloat(0.1)
      .op(op::SETITEM)
      .op(op::APPEND)
      .op(op::SETITEMS)
      .op(op::APPEND);
  p.op(op::SETITEMS).stop();
  detail::Structure s = walk(load(p.bytes()));
  EXPECT_EQ(s.state_dict_path, (KeyPath{"trainer", "model", "module"}));
  EXPECT_EQ(s.optimizer_paths, (std::vector<KeyPath>{{"opts", "0"}}));
  EXPECT_EQ(
      s.metadata,
      nlohmann::json::parse(
          R"({"meta": {"epoch": 4}, "opts": [{"state": {}, "param_groups": [{"lr": 0.1}]}]})"));
}

TEST(Structure, OptimizerStateIsNeverTheModel) {
  // Only optimizer state holds string-keyed tensor dicts: no state_dict is claimed.
  Pickle p;
  p.proto(2)
      .op(op::EMPTY_DICT)
      .str("optimizer")
      .op(op::EMPTY_DICT)
      .op(op::MARK)
      .str("state")
      .op(op::EMPTY_DICT)
      .integer(0)
      .op(op::EMPTY_DICT)
      .str("exp_avg")
      .tensor_v2("FloatStorage", "0", 2, 0, {2}, {1})
      .op(op::SETITEM)
      .op(op::SETITEM)
      .str("param_groups")
      .op(op::EMPTY_LIST)
      .op(op::SETITEMS)
      .op(op::SETITEM)
      .stop();
  detail::Structure s = walk(load(p.bytes()));
  EXPECT_EQ(s.state_dict_path, std::nullopt);
  EXPECT_EQ(s.tensors.size(), 1u);
  EXPECT_EQ(s.tensors[0].first, (KeyPath{"optimizer", "state", "0", "exp_avg"}));
}

TEST(Structure, MetadataDepthIsCapped) {
  Pickle p;
  p.proto(2);
  for (int i = 0; i < 100; ++i) p.op(op::EMPTY_LIST);
  for (int i = 0; i < 99; ++i) p.op(op::APPEND);
  p.stop();
  detail::Structure s = walk(load(p.bytes()));
  ASSERT_EQ(s.warnings.size(), 1u);
  EXPECT_NE(s.warnings[0].find("deeper than 64"), std::string::npos);
  nlohmann::json deepest = s.metadata;
  int depth = 0;
  while (deepest.is_array()) deepest = deepest[0], ++depth;
  EXPECT_EQ(depth, 64);
  EXPECT_EQ(deepest, "<nested deeper than 64 levels>");
}

TEST(Structure, RepeatedFindingsAreCounted) {
  // A list holding itself 1000 times: 1000 cycles, 10 reported, the rest counted.
  Pickle p;
  p.proto(2).op(op::EMPTY_LIST).put(0).op(op::MARK);
  for (int i = 0; i < 1000; ++i) p.get(0);
  detail::Structure s = walk(load(p.op(op::APPENDS).stop().bytes()));
  ASSERT_EQ(s.warnings.size(), 11u);
  EXPECT_EQ(s.warnings[0], "reference cycle at [0]");
  EXPECT_EQ(s.warnings[10], "... and 990 more: reference cycles");
}

TEST(Structure, LongStringsAreTruncated) {
  const std::string long_text(10000, 'x');
  detail::Structure s = walk(load(Pickle().proto(2).str(long_text).stop().bytes()));
  const std::string text = s.metadata.get<std::string>();
  EXPECT_LT(text.size(), 4200u);
  EXPECT_NE(text.find("(10000 bytes)"), std::string::npos);
}

}  // namespace
}  // namespace ckg::checkpoint::testing
