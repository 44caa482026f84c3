// Fibers on ucontext: an mmap'd stack with a guard page, swapcontext to switch.
#include "interp/fiber.h"

#include <cxxabi.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <new>
#include <utility>

#if defined(__SANITIZE_ADDRESS__)
#define CKG_FIBER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CKG_FIBER_ASAN 1
#endif
#endif
#if defined(CKG_FIBER_ASAN)
#include <sanitizer/common_interface_defs.h>
#endif

namespace ckg::interp {

namespace {

// Stacks of finished fibers, kept for the next ones on the thread: mapping a stack, guarding it
// and faulting its first pages in costs tens of microseconds, more than a short generator runs.
// The pool is trivially destructible, so a fiber that ends after the thread's other
// thread_locals are gone (a generator closed by a static's destructor) can still look at it;
// `Reaper` unmaps what it holds when the thread ends, and marks it closed.
struct StackPool {
  static constexpr int kCapacity = 8;
  void* stacks[kCapacity];
  int count = 0;
  bool closed = false;
};
thread_local StackPool pool;
struct Reaper {
  ~Reaper() {
    for (int i = 0; i < pool.count; ++i) ::munmap(pool.stacks[i], mapping_size());
    pool.count = 0;
    pool.closed = true;
  }
  static std::size_t mapping_size() { return Fiber::kStackBytes + static_cast<std::size_t>(::sysconf(_SC_PAGESIZE)); }
};
thread_local Reaper reaper;

}  // namespace

Fiber::Fiber(Entry entry, void* arg) : entry_(entry), arg_(arg) {
  mapping_bytes_ = Reaper::mapping_size();
  (void)&reaper;  // constructed with the thread's first fiber, so that its destructor runs
  if (pool.count > 0) {
    mapping_ = pool.stacks[--pool.count];
  } else {
    void* mapped = ::mmap(nullptr, mapping_bytes_, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (mapped == MAP_FAILED) throw std::bad_alloc();
    // The lowest page faults: a body that overflows its stack crashes as on the main thread,
    // instead of writing over whatever is mapped below.
    if (::mprotect(mapped, mapping_bytes_ - kStackBytes, PROT_NONE) != 0) {
      ::munmap(mapped, mapping_bytes_);
      throw std::bad_alloc();
    }
    mapping_ = mapped;
  }
  stack_ = static_cast<char*>(mapping_) + (mapping_bytes_ - kStackBytes);
  ::getcontext(&context_);
  context_.uc_stack.ss_sp = stack_;
  context_.uc_stack.ss_size = kStackBytes;
  context_.uc_link = nullptr;  // the body never returns off the end: trampoline switches back
  // makecontext passes int arguments: the pointer goes in two halves.
  auto self = reinterpret_cast<std::uintptr_t>(this);
  ::makecontext(&context_, reinterpret_cast<void (*)()>(&Fiber::trampoline), 2,
                static_cast<unsigned int>(self & 0xffffffffu), static_cast<unsigned int>(self >> 32));
}

Fiber::~Fiber() {
  if (finished_ && !pool.closed && pool.count < StackPool::kCapacity) pool.stacks[pool.count++] = mapping_;
  else ::munmap(mapping_, mapping_bytes_);
}

void Fiber::exchange_exception_state(ExceptionState& save, const ExceptionState& load) {
  // libstdc++ and libc++abi both lay __cxa_eh_globals out as these two fields first.
  auto* globals = reinterpret_cast<ExceptionState*>(abi::__cxa_get_globals());
  save = *globals;
  *globals = load;
}

void Fiber::resume() {
  exchange_exception_state(caller_exceptions_, fiber_exceptions_);
#if defined(CKG_FIBER_ASAN)
  __sanitizer_start_switch_fiber(&caller_fake_stack_, stack_, kStackBytes);
#endif
  ::swapcontext(&caller_, &context_);
#if defined(CKG_FIBER_ASAN)
  __sanitizer_finish_switch_fiber(caller_fake_stack_, nullptr, nullptr);
#endif
  exchange_exception_state(fiber_exceptions_, caller_exceptions_);
  if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
}

void Fiber::arrived_in_fiber() {
#if defined(CKG_FIBER_ASAN)
  __sanitizer_finish_switch_fiber(fiber_fake_stack_, &caller_bottom_, &caller_size_);
#endif
}

void Fiber::leave_fiber(bool for_good) {
#if defined(CKG_FIBER_ASAN)
  // A fiber that is done passes no fake-stack slot: ASan frees its fake stack.
  __sanitizer_start_switch_fiber(for_good ? nullptr : &fiber_fake_stack_, caller_bottom_, caller_size_);
#else
  (void)for_good;
#endif
  ::swapcontext(&context_, &caller_);
}

void Fiber::suspend() {
  leave_fiber(false);
  arrived_in_fiber();
}

void Fiber::trampoline(unsigned int low, unsigned int high) {
  auto* self = reinterpret_cast<Fiber*>((static_cast<std::uintptr_t>(high) << 32) | low);
  self->arrived_in_fiber();
  try {
    self->entry_(self->arg_);
  } catch (...) {
    self->error_ = std::current_exception();
  }
  self->finished_ = true;
  self->leave_fiber(true);
}

}  // namespace ckg::interp
