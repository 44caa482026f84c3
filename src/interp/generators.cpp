// Generators and one-item-at-a-time iteration: resume and suspend, send/throw/close, yield from.
#include "interp/generators.h"

#include <iterator>
#include <new>
#include <utility>

#include <fmt/format.h>

#include "parse/syntax.h"

namespace ckg::interp {

// Generators suspended at once, at most. Each holds a fiber stack (the pages its body touched,
// tens of KiB, more under ASan) and two memory mappings: a program that leaves thousands
// suspended gets MemoryError rather than exhausting the process. Model code has a few.
constexpr std::size_t kMaxSuspendedGenerators = 4096;

GeneratorObj::~GeneratorObj() {
  if (state == State::suspended) owner->unwind_generator(*this);
}

// ---- iteration ----------------------------------------------------------------------------

bool Interpreter::steps_lazily(const Value& v) {
  if (!v.is_obj()) return false;
  switch (v.obj()->kind) {
    case ObjKind::generator: case ObjKind::iterator: return true;
    case ObjKind::instance: return v.as<InstanceObj>()->cls->lookup("__iter__") != nullptr;
    default: return false;
  }
}

Value Interpreter::iter(const Value& v) {
  if (v.as<GeneratorObj>() || v.as<IteratorObj>()) return v;
  if (auto* inst = v.as<InstanceObj>(); inst && inst->cls->lookup("__iter__")) {
    Value it = call(get_attr(v, "__iter__"), CallArgs{});
    auto* it_inst = it.as<InstanceObj>();
    if (it_inst && it_inst->cls->lookup("__next__")) return it;
    if (it_inst == inst) raise("TypeError", fmt::format("iter() returned non-iterator of type '{}'", type_name(v)));
    // The native models' __iter__ (ModuleList's, ...) return lists.
    return iter(it);
  }
  return Value::object(std::make_shared<IteratorObj>(iterate(v)));
}

std::optional<Value> Interpreter::next_item(const Value& iterator) {
  if (auto* g = iterator.as<GeneratorObj>()) return resume(*g, Value::none());
  if (auto* it = iterator.as<IteratorObj>()) {
    if (it->next) {
      step();  // a native lazy iterator (itertools.count) may be endless: the budget ends it
      return it->next(*this, *it);
    }
    if (it->pos < it->items.size()) return it->items[it->pos++];
    return std::nullopt;
  }
  if (auto* inst = iterator.as<InstanceObj>(); inst && inst->cls->lookup("__next__")) {
    try {
      return call(get_attr(iterator, "__next__"), CallArgs{});
    } catch (PyError& e) {
      if (e.type == "StopIteration") return std::nullopt;
      throw;
    }
  }
  raise("TypeError", fmt::format("'{}' object is not an iterator", type_name(iterator)));
}

void Interpreter::raise_stop_iteration(const Value& value) {
  auto inst = std::make_shared<InstanceObj>(exception_class("StopIteration"));
  if (!value.is_none()) inst->exception_args.push_back(value);
  inst->attrs.set("value", value);
  throw PyError{Value::object(inst), "StopIteration", value.is_none() ? std::string() : str(value), here(), project_location()};
}

PyError Interpreter::exception_from(Value exc) {
  if (exc.as<ClassObj>()) exc = call(exc, CallArgs{});
  if (is_unknown(exc)) raise("Exception", "raise of an unresolved exception");
  auto* inst = exc.as<InstanceObj>();
  std::string message = inst && !inst->exception_args.empty() ? str(inst->exception_args[0]) : "";
  std::string type = inst ? inst->cls->name : type_name(exc);
  return PyError{std::move(exc), std::move(type), std::move(message), here(), project_location()};
}

// ---- running a generator ------------------------------------------------------------------

void Interpreter::run_generator_body(void* generator) {
  auto& g = *static_cast<GeneratorObj*>(generator);
  Interpreter& in = *g.owner;
  // The body is a call in progress while it runs: it counts towards the recursion limit.
  if (in.depth_ >= in.limits_.max_call_depth) in.raise("RecursionError", "maximum recursion depth exceeded");
  ++in.depth_;
  struct DepthGuard { int& d; ~DepthGuard() { --d; } } guard{in.depth_};
  FrameScope scope(in, g.frame);
  try {
    if (!parse::is_null(g.expression)) {
      in.run_generator_expression(g);
    } else {
      auto& fn = *g.function.as<FunctionObj>();
      TSNode body = parse::field(fn.node, parse::Field::body);
      if (parse::kind(fn.node) == parse::Kind::k_lambda) (void)in.eval(g.frame, body);
      else in.exec_block(g.frame, body);
    }
  } catch (PyError& e) {
    // PEP 479: a StopIteration escaping the body would end the consumer's loop silently.
    if (e.type == "StopIteration") in.raise("RuntimeError", "generator raised StopIteration");
    throw;
  }
}

std::optional<Value> Interpreter::resume(GeneratorObj& g, Value sent, const PyError* thrown) {
  using State = GeneratorObj::State;
  if (g.state == State::running) raise("ValueError", "generator already executing");
  if (g.state == State::done) {
    if (thrown) throw *thrown;
    return std::nullopt;
  }
  if (g.state == State::created) {
    if (thrown) {  // raised before the body's first line: the generator never runs
      g.state = State::done;
      throw *thrown;
    }
    if (!sent.is_none()) raise("TypeError", "can't send non-None value to a just-started generator");
    if (suspended_generators_.size() >= kMaxSuspendedGenerators) {
      raise("MemoryError", fmt::format("more than {} generators suspended at once", kMaxSuspendedGenerators));
    }
    try {
      g.fiber = std::make_unique<Fiber>(&Interpreter::run_generator_body, &g);
    } catch (const std::bad_alloc&) {
      raise("MemoryError", "no memory for a generator's stack");
    }
    g.serial = ++generators_started_;
    suspended_generators_.emplace(g.serial, &g);
  }
  ObjPtr hold = g.weak_from_this().lock();  // null only when resumed by its own destructor
  g.transfer = std::move(sent);
  if (thrown) g.thrown = *thrown;
  // The body's frames go on top of the resumer's while it runs; the rest of the per-call-stack
  // state is the body's own, and the resumer's comes back when it yields or ends.
  const std::size_t base = frames.size();
  const std::size_t handled_base = handled_exceptions.size();
  const int base_depth = depth_;
  const TSNode resumer_node = current_node;
  const ExpressionNesting resumer_nesting = expression_nesting_;
  GeneratorObj* resumer = running_generator_;
  frames.insert(frames.end(), g.frames.begin(), g.frames.end());
  handled_exceptions.insert(handled_exceptions.end(), std::make_move_iterator(g.handled.begin()), std::make_move_iterator(g.handled.end()));
  g.handled.clear();
  depth_ += g.depth;
  current_node = g.node;
  expression_nesting_ = g.nesting;
  running_generator_ = &g;
  g.state = State::running;
  auto switch_back = [&] {
    g.frames.assign(frames.begin() + static_cast<std::ptrdiff_t>(base), frames.end());
    frames.resize(base);
    g.handled.assign(std::make_move_iterator(handled_exceptions.begin() + static_cast<std::ptrdiff_t>(handled_base)),
                     std::make_move_iterator(handled_exceptions.end()));
    handled_exceptions.erase(handled_exceptions.begin() + static_cast<std::ptrdiff_t>(handled_base), handled_exceptions.end());
    g.depth = depth_ - base_depth;
    depth_ = base_depth;
    g.node = current_node;
    current_node = resumer_node;
    g.nesting = expression_nesting_;
    expression_nesting_ = resumer_nesting;
    running_generator_ = resumer;
    g.thrown.reset();
    if (!g.fiber->finished()) {
      g.state = State::suspended;
      return;
    }
    // Done: the stack goes now, and the locals with it, as CPython clears a finished frame.
    g.state = State::done;
    g.fiber.reset();
    g.frame.env.reset();
    g.first_iterable = Value();
    suspended_generators_.erase(g.serial);
  };
  try {
    g.fiber->resume();
  } catch (...) {
    switch_back();
    throw;
  }
  switch_back();
  if (g.state == State::done) return std::nullopt;
  return std::exchange(g.transfer, Value());
}

Value Interpreter::suspend_generator(GeneratorObj& g, Value v) {
  if (g.unwinding) throw GeneratorUnwind{};
  g.transfer = std::move(v);
  g.fiber->suspend();
  if (g.unwinding) throw GeneratorUnwind{};
  if (g.thrown) {
    PyError e = std::move(*g.thrown);
    g.thrown.reset();
    e.where = here();
    throw e;
  }
  return std::exchange(g.transfer, Value());
}

Value Interpreter::yield_value(Frame& f, Value v) {
  // Only a generator function's own frame yields (CPython refuses `yield` anywhere else when
  // it compiles; here a stray one is an error at the statement).
  if (!running_generator_ || &running_generator_->frame != &f) raise("SyntaxError", "'yield' outside function");
  return suspend_generator(*running_generator_, std::move(v));
}

Value Interpreter::yield_from(Frame& f, const Value& iterable) {
  if (!running_generator_ || &running_generator_->frame != &f) raise("SyntaxError", "'yield' outside function");
  Value it = iter(iterable);
  auto* inner = it.as<GeneratorObj>();
  Value sent;
  std::optional<PyError> thrown;
  while (true) {
    // send() and throw() pass through to an inner generator, as in CPython.
    std::optional<Value> item;
    if (!inner) item = next_item(it);
    else if (thrown) item = resume(*inner, Value::none(), &*thrown);
    else item = resume(*inner, std::move(sent));
    thrown.reset();
    if (!item) return inner ? std::exchange(inner->frame.return_value, Value()) : Value::none();
    try {
      sent = suspend_generator(*running_generator_, std::move(*item));
    } catch (PyError& e) {
      if (!inner) throw;
      if (e.type == "GeneratorExit") {
        close(*inner);
        throw;
      }
      thrown = std::move(e);
    }
  }
}

// ---- closing ------------------------------------------------------------------------------

bool Interpreter::close(GeneratorObj& g) {
  if (g.state == GeneratorObj::State::created) g.state = GeneratorObj::State::done;
  if (g.state == GeneratorObj::State::done) return true;
  PyError exit = exception_from(Value::object(ObjPtr(ObjPtr(), exception_class("GeneratorExit"))));
  try {
    if (resume(g, Value::none(), &exit)) return false;
  } catch (PyError& e) {
    if (e.type != "GeneratorExit" && e.type != "StopIteration") throw;
  }
  return true;
}

void Interpreter::unwind_generator(GeneratorObj& g) noexcept {
  bool closed = false;
  try {
    closed = close(g);
  } catch (...) {
    // CPython only prints what a generator's finalizer raises; the budget may also have ended.
  }
  // The body yielded again instead of finishing: unwind its stack without running Python code.
  g.unwinding = !closed;
  while (g.state == GeneratorObj::State::suspended) {
    try {
      (void)resume(g, Value::none());
    } catch (...) {
    }
  }
}

void Interpreter::close_generators() {
  while (!suspended_generators_.empty()) {
    GeneratorObj& g = *suspended_generators_.begin()->second;
    ObjPtr hold = g.weak_from_this().lock();
    unwind_generator(g);
  }
}

// ---- the generator type -------------------------------------------------------------------

static GeneratorObj& generator_self(Interpreter& in, CallArgs& a) {
  auto* g = native_required(in, a, 0, "self").as<GeneratorObj>();
  if (!g) in.raise("TypeError", "descriptor requires a 'generator' object");
  return *g;
}

// send()'s result: the next yielded value, or StopIteration carrying the return value.
static Value yielded_or_stop(Interpreter& in, GeneratorObj& g, std::optional<Value> item) {
  if (!item) in.raise_stop_iteration(std::exchange(g.frame.return_value, Value()));
  return std::move(*item);
}

void install_generator_type(Interpreter& in) {
  ClassObj* cls = in.new_native_class("builtins.generator", {in.types.object});
  in.types.generator = cls;
  in.add_method(cls, "__iter__", [](Interpreter& i, CallArgs& a) { return native_required(i, a, 0, "self"); });
  in.add_method(cls, "__next__", [](Interpreter& i, CallArgs& a) {
    GeneratorObj& g = generator_self(i, a);
    return yielded_or_stop(i, g, i.resume(g, Value::none()));
  });
  in.add_method(cls, "send", [](Interpreter& i, CallArgs& a) {
    GeneratorObj& g = generator_self(i, a);
    return yielded_or_stop(i, g, i.resume(g, native_required(i, a, 1, "value")));
  });
  in.add_method(cls, "throw", [](Interpreter& i, CallArgs& a) {
    GeneratorObj& g = generator_self(i, a);
    Value exc = native_required(i, a, 1, "typ");
    // throw(type, value): the value is the exception's argument, as in the legacy signature.
    if (const Value* arg = native_arg(a, 2, "val"); arg && !arg->is_none() && exc.as<ClassObj>()) {
      exc = i.call(exc, CallArgs{{*arg}, {}});
    }
    PyError error = i.exception_from(exc);
    return yielded_or_stop(i, g, i.resume(g, Value::none(), &error));
  });
  in.add_method(cls, "close", [](Interpreter& i, CallArgs& a) {
    if (!i.close(generator_self(i, a))) i.raise("RuntimeError", "generator ignored GeneratorExit");
    return Value::none();
  });
}

}  // namespace ckg::interp
