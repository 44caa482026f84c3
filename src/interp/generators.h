// Generator objects: a generator function's call, or a generator expression, run lazily on a fiber.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "interp/fiber.h"
#include "interp/interpreter.h"

namespace ckg::interp {

// The body runs on a Fiber of its own, from one `yield` to the next, as the generator is
// iterated; Interpreter::resume switches to it and back.
struct GeneratorObj : Object {
  static constexpr ObjKind kKind = ObjKind::generator;
  explicit GeneratorObj(Interpreter& in) : Object(kKind), owner(&in) {}
  // A generator destroyed while suspended is closed first (GeneratorExit at its yield, so its
  // finally blocks run), and its fiber's stack unwinds: what that stack holds is released.
  ~GeneratorObj() override;

  enum class State { created, suspended, running, done };

  Interpreter* owner;
  std::string name;      // __name__: the function's, or <genexpr>
  Frame frame;           // the body's frame: its locals, then its return value
  Value function;        // keeps the generator function alive (None for a generator expression)
  TSNode expression{};   // a generator expression's node (null for a generator function)
  Value first_iterable;  // a generator expression's first iterable, evaluated where it is written
  State state = State::created;
  std::unique_ptr<Fiber> fiber;  // from the first resume to the end of the body
  // What crosses a switch: the value yielded out or sent in, and what resuming raises at the
  // yield instead (throw(), close()). `unwinding`: every yield raises GeneratorUnwind, which
  // Python code cannot catch, so the stack unwinds even if the body ignores GeneratorExit.
  Value transfer;
  std::optional<PyError> thrown;
  bool unwinding = false;
  // The interpreter's per-call-stack state of the suspended body (see Interpreter::resume).
  std::vector<Frame*> frames;
  int depth = 0;
  TSNode node{};
  Interpreter::ExpressionNesting nesting;
  // The exceptions the body's except clauses are handling while it is suspended: they sit on top
  // of the resumer's while it runs (a bare `raise` in it re-raises its own, and the resumer's
  // own is back once it yields), as CPython chains a generator's exception state.
  std::vector<PyError> handled;
  std::uint64_t serial = 0;  // its key in the interpreter's suspended generators
};

// Thrown at the yield of a generator being destroyed that did not finish on GeneratorExit: not
// a PyError, so neither except nor finally runs, as when CPython frees such a frame.
struct GeneratorUnwind {};

// Installs the `generator` type's methods: __next__, send, throw, close, __iter__.
void install_generator_type(Interpreter& in);

}  // namespace ckg::interp
