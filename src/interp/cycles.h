// Reference cycles among interpreter values.
//
// Objects and scopes are reference counted (std::shared_ptr), and ordinary Python makes cycles:
// a nested function's closure holds the scope that holds the function, `l.append(l)`,
// `self.parent = self`. Counting alone never frees those, so every session would leak what it
// built (fuzz/crashes/interp/leak-nested-def.py), and a long-lived process (the pytest plugin,
// the bindings) would grow with every prediction. As in CPython (Modules/gcmodule.c), every
// container is tracked and a cycle detector frees, by trial deletion, what only cycles keep alive.
//
// It runs when the last Interpreter of a thread is destroyed. Objects point at each other raw
// in places (a class's MRO, a function's defining class and module); collecting while an
// interpreter is alive could free an object one of them still points at.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ckg::interp {

// Base of Object and Env: links each into its thread's list of tracked containers.
class Tracked {
 public:
  enum class Kind : std::uint8_t { object, env };
  Tracked(const Tracked& other);  // a copy is a new container, tracked on its own
  Tracked& operator=(const Tracked&) { return *this; }

 protected:
  explicit Tracked(Kind kind);
  ~Tracked();

 private:
  friend class CycleCollector;
  Tracked* prev_ = nullptr;
  Tracked* next_ = nullptr;
  std::int64_t gc_refs_ = 0;  // scratch for the collector
  Kind kind_;
};

// Counts the live interpreters of this thread. The last one to be destroyed collects the cycles
// left behind; an Interpreter holds one as its first member, so it goes after everything else.
class InterpreterLifetime {
 public:
  InterpreterLifetime();
  ~InterpreterLifetime();
  InterpreterLifetime(const InterpreterLifetime&) = delete;
  InterpreterLifetime& operator=(const InterpreterLifetime&) = delete;
};

// Frees every tracked container of this thread that only reference cycles keep alive, and
// returns how many there were. Safe only while no Interpreter of this thread is alive.
std::size_t collect_cycles();

// How many containers this thread tracks now: what is alive, cycles included (a session that
// ends should leave none of its own behind).
std::size_t tracked_containers();

}  // namespace ckg::interp
