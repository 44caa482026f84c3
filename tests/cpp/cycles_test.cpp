// The cycle collector (interp/cycles.h): what only reference cycles keep alive is freed, and
// nothing anything else holds is touched.
#include "interp/cycles.h"

#include <filesystem>
#include <fstream>
#include <memory>

#include <gtest/gtest.h>

#include "interp/predict.h"
#include "interp/value.h"

namespace ckg::interp {
namespace {

namespace fs = std::filesystem;

TEST(CycleCollection, FreesAListThatHoldsItself) {
  auto l = std::make_shared<ListObj>();
  l->items.push_back(Value::object(l));  // l.append(l)
  std::weak_ptr<ListObj> watch = l;
  l.reset();
  ASSERT_FALSE(watch.expired());  // counting alone cannot free it
  EXPECT_EQ(collect_cycles(), 1u);
  EXPECT_TRUE(watch.expired());
}

TEST(CycleCollection, FreesAFunctionAndTheScopeThatHoldsIt) {
  auto scope = std::make_shared<Env>();
  auto f = std::make_shared<FunctionObj>();
  f->closure = scope;
  scope->vars.set("r", Value::object(f));  // def r(): def r(): ...
  std::weak_ptr<Env> watch_scope = scope;
  std::weak_ptr<FunctionObj> watch_f = f;
  scope.reset();
  f.reset();
  EXPECT_EQ(collect_cycles(), 2u);
  EXPECT_TRUE(watch_scope.expired());
  EXPECT_TRUE(watch_f.expired());
}

TEST(CycleCollection, KeepsACycleHeldFromOutsideWithItsContents) {
  auto a = std::make_shared<ListObj>();
  auto b = std::make_shared<DictObj>();
  a->items.push_back(Value::object(b));
  b->set(Value::string("back"), Value::object(a));
  auto held = std::make_shared<TupleObj>(std::vector<Value>{Value::object(a)});
  std::weak_ptr<DictObj> watch_b = b;
  a.reset();
  b.reset();
  EXPECT_EQ(collect_cycles(), 0u);
  ASSERT_FALSE(watch_b.expired());
  EXPECT_EQ(watch_b.lock()->items.size(), 1u);
  auto* list = held->items[0].as<ListObj>();
  ASSERT_NE(list, nullptr);
  EXPECT_EQ(list->items.size(), 1u);
  held.reset();
  EXPECT_EQ(collect_cycles(), 2u);
  EXPECT_TRUE(watch_b.expired());
}

TEST(CycleCollection, ContainersNoSharedPointerOwnsCountAsHeldFromOutside) {
  ListObj on_stack;  // as native code builds a temporary
  auto inner = std::make_shared<ListObj>();
  inner->items.push_back(Value::object(inner));
  on_stack.items.push_back(Value::object(inner));
  std::weak_ptr<ListObj> watch = inner;
  inner.reset();
  EXPECT_EQ(collect_cycles(), 0u);
  EXPECT_FALSE(watch.expired());
  on_stack.items.clear();
  EXPECT_EQ(collect_cycles(), 1u);
}

// End to end: a prediction whose source makes cycles (the fuzzer's leak, a module holding
// itself, closures, bound methods kept on the instance) leaves no tracked container at all
// (fuzz_interp checks the same after every input).
TEST(CycleCollection, APredictionLeavesNoContainersBehind) {
  fs::path dir = fs::path(testing::TempDir()) / "ckptguard_cycles";
  fs::create_directories(dir);
  fs::path file = dir / "model.py";
  std::ofstream(file) << "import torch.nn as nn\n\n"
                         "def r():\n    def r():\n        return r\n    return r\n\n"
                         "class Net(nn.Module):\n"
                         "    def __init__(self):\n"
                         "        super().__init__()\n"
                         "        self.me = [self]\n"
                         "        self.hook = self.extra_repr\n"
                         "        loop = []\n        loop.append(loop)\n"
                         "        self.fc = nn.Linear(len(loop), 2)\n"
                         "        self.make = r()\n";
  auto result = predict_keys({file.string(), "Net"}, {});
  ASSERT_FALSE(result.error) << result.error->message;
  ASSERT_EQ(result.prediction->manifest.keys.size(), 2u);
  EXPECT_EQ(tracked_containers(), 0u);
}

}  // namespace
}  // namespace ckg::interp
