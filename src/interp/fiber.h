// A coroutine with its own stack on the current thread: how a generator's body stops at `yield`.
//
// The evaluator walks the syntax tree by recursion, so a `yield` deep inside an expression
// (`x = f((yield v))`) has a whole native call stack under it. A fiber keeps that stack while the
// generator is suspended. It runs on the same OS thread as whoever resumes it, so thread_locals
// (the cycle collector's tracked list) mean the same thing inside and outside.
#pragma once

#include <ucontext.h>

#include <cstddef>
#include <exception>

namespace ckg::interp {

class Fiber {
 public:
  using Entry = void (*)(void* arg);
  // `entry(arg)` runs on the fiber's stack from the first resume(). Takes a stack now (a pooled
  // one, else a new mapping); throws std::bad_alloc when it cannot.
  Fiber(Entry entry, void* arg);
  // The body must have finished or never started: a stack still in use is unmapped as it is,
  // without running the destructors of what lives on it. A finished one's goes to the pool.
  ~Fiber();
  Fiber(const Fiber&) = delete;
  Fiber& operator=(const Fiber&) = delete;

  // Runs the body until it suspends or finishes. An exception the body let out is rethrown here,
  // in the resumer: none may unwind across the fiber's entry.
  void resume();
  // From inside the body: back to the resume() that is running it.
  void suspend();
  bool finished() const { return finished_; }

  // The native stack a fiber gets, as much as the main thread's usual 8 MiB: the interpreter's
  // recursion limit (max_call_depth) is sized for that, and a generator's body may recurse as
  // deep as any code. Reserved, not committed: only the pages a body touches cost memory.
  static constexpr std::size_t kStackBytes = std::size_t{8} << 20;

 private:
  // The C++ runtime's per-thread exception state (__cxa_eh_globals): the exceptions being
  // handled, and how many are in flight. Each fiber has its own, so that a body suspended
  // inside a catch block does not mix its exception with the resumer's.
  struct ExceptionState {
    void* caught = nullptr;
    unsigned int uncaught = 0;
  };
  static void exchange_exception_state(ExceptionState& save, const ExceptionState& load);
  static void trampoline(unsigned int low, unsigned int high);
  // The two halves of every switch in the fiber: AddressSanitizer must be told which stack is
  // live, or it reports the other one's frames as errors.
  void arrived_in_fiber();
  void leave_fiber(bool for_good);

  Entry entry_;
  void* arg_;
  void* mapping_ = nullptr;
  std::size_t mapping_bytes_ = 0;
  void* stack_ = nullptr;  // lowest usable address, above the guard page
  ucontext_t context_{};
  ucontext_t caller_{};
  ExceptionState fiber_exceptions_;
  ExceptionState caller_exceptions_;
  bool finished_ = false;
  std::exception_ptr error_;
  // AddressSanitizer's bookkeeping: the fiber's fake stack while it is switched out, and the
  // resumer's stack bounds.
  void* fiber_fake_stack_ = nullptr;
  void* caller_fake_stack_ = nullptr;
  const void* caller_bottom_ = nullptr;
  std::size_t caller_size_ = 0;
};

}  // namespace ckg::interp
