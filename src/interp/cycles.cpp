// Reference cycles: tracking, and trial deletion as CPython's collector does it.
#include "interp/cycles.h"

#include <limits>
#include <memory>
#include <utility>
#include <vector>

#include "interp/generators.h"
#include "interp/value.h"

namespace ckg::interp {

namespace {

// The thread's tracked containers, newest first. Trivially destructible, so a container that
// outlives the thread's other statics can still unlink itself.
struct TrackedList {
  Tracked* head = nullptr;
};
thread_local TrackedList tracked;
thread_local int live_interpreters = 0;

}  // namespace

class CycleCollector {
 public:
  static void link(Tracked* t) {
    t->prev_ = nullptr;
    t->next_ = tracked.head;
    if (tracked.head) tracked.head->prev_ = t;
    tracked.head = t;
  }
  static void unlink(Tracked* t) {
    if (t->prev_) t->prev_->next_ = t->next_;
    else tracked.head = t->next_;
    if (t->next_) t->next_->prev_ = t->prev_;
  }
  std::size_t collect();
  static std::size_t count() {
    std::size_t n = 0;
    for (Tracked* t = tracked.head; t; t = t->next_) ++n;
    return n;
  }

 private:
  static constexpr std::int64_t kReachable = std::numeric_limits<std::int64_t>::max();

  // The shared_ptrs owning `t`. Zero for a container no shared_ptr owns (on the stack, in a
  // unique_ptr): something outside the tracked graph holds it.
  static long strong_count(Tracked* t) {
    return t->kind_ == Tracked::Kind::env ? static_cast<Env*>(t)->weak_from_this().use_count()
                                          : static_cast<Object*>(t)->weak_from_this().use_count();
  }
  template <class Visit>
  static void for_each_reference(Tracked* t, Visit&& visit);
  // The container a reference owns. Native code also points at objects with shared_ptrs that
  // own nothing or something else (the aliasing constructor, for interpreter-owned classes):
  // those are not among the object's owners, so they are not counted or followed.
  template <class T>
  static Tracked* target(const std::shared_ptr<T>& p) {
    // One that owns nothing points at an interpreter-owned native (`object` as a base), which is
    // gone by the time the last interpreter collects: it must not be dereferenced.
    if (!p || p.use_count() == 0) return nullptr;
    auto own = p->weak_from_this();
    return own.owner_before(p) || p.owner_before(own) ? nullptr : p.get();
  }
  static Tracked* target(const Value& v) { return target(v.obj()); }
};

Tracked::Tracked(Kind kind) : kind_(kind) { CycleCollector::link(this); }
Tracked::Tracked(const Tracked& other) : kind_(other.kind_) { CycleCollector::link(this); }
Tracked::~Tracked() { CycleCollector::unlink(this); }

// Calls `visit` on every owning reference a container holds: each Value, ObjPtr and
// shared_ptr<Env> member. What is not visited (a builtin's C++ closure, a raw pointer) either
// owns nothing or counts as a reference from outside, which can only keep more alive.
template <class Visit>
void CycleCollector::for_each_reference(Tracked* t, Visit&& visit) {
  auto map = [&](OrderedMap<Value>& m) {
    for (auto& [name, v] : m.mutable_items()) visit(v);
  };
  auto values = [&](std::vector<Value>& vs) {
    for (auto& v : vs) visit(v);
  };
  if (t->kind_ == Tracked::Kind::env) {
    auto* env = static_cast<Env*>(t);
    map(env->vars);
    visit(env->parent);
    return;
  }
  auto* o = static_cast<Object*>(t);
  switch (o->kind) {
    case ObjKind::tuple: values(static_cast<TupleObj*>(o)->items); break;
    case ObjKind::list: values(static_cast<ListObj*>(o)->items); break;
    case ObjKind::set: values(static_cast<SetObj*>(o)->items); break;
    case ObjKind::iterator: values(static_cast<IteratorObj*>(o)->items); break;
    case ObjKind::dict: {
      auto* d = static_cast<DictObj*>(o);
      for (auto& [k, v] : d->items) {
        visit(k);
        visit(v);
      }
      visit(d->default_factory);
      visit(d->subclass_holder);
      visit(d->attrs_of);
      map(d->attrs);
      break;
    }
    case ObjKind::function: {
      auto* f = static_cast<FunctionObj*>(o);
      for (auto& p : f->params) {
        if (p.default_value) visit(*p.default_value);
      }
      visit(f->closure);
      map(f->attrs);
      break;
    }
    case ObjKind::bound_method: {
      auto* m = static_cast<BoundMethodObj*>(o);
      visit(m->self);
      visit(m->func);
      break;
    }
    case ObjKind::partial: {
      auto* p = static_cast<PartialObj*>(o);
      visit(p->func);
      values(p->bound.positional);
      for (auto& [name, v] : p->bound.keywords) visit(v);
      break;
    }
    case ObjKind::class_: {
      auto* c = static_cast<ClassObj*>(o);
      values(c->bases);
      map(c->attrs);
      visit(c->metaclass);
      for (auto& field : c->dataclass_fields) {
        if (field.default_value) visit(*field.default_value);
        visit(field.default_factory);
      }
      break;
    }
    case ObjKind::instance: {
      auto* i = static_cast<InstanceObj*>(o);
      visit(i->cls_holder);
      map(i->attrs);
      if (i->module) {
        map(i->module->parameters);
        map(i->module->buffers);
        map(i->module->modules);
      }
      values(i->exception_args);
      break;
    }
    case ObjKind::module_ns: visit(static_cast<ModuleNs*>(o)->globals); break;
    case ObjKind::slice: {
      auto* s = static_cast<SliceObj*>(o);
      visit(s->start);
      visit(s->stop);
      visit(s->step);
      break;
    }
    case ObjKind::property: {
      auto* p = static_cast<PropertyObj*>(o);
      visit(p->getter);
      visit(p->setter);
      visit(p->deleter);
      break;
    }
    case ObjKind::staticmethod: visit(static_cast<StaticMethodObj*>(o)->func); break;
    case ObjKind::classmethod: visit(static_cast<ClassMethodObj*>(o)->func); break;
    case ObjKind::super_proxy: visit(static_cast<SuperObj*>(o)->self); break;
    case ObjKind::generator: {
      // What a suspended body's native stack holds is not seen: it counts as a reference from
      // outside, and the interpreter closes every suspended generator before collecting.
      auto* g = static_cast<GeneratorObj*>(o);
      visit(g->frame.env);
      visit(g->frame.first_arg);
      visit(g->frame.return_value);
      visit(g->function);
      visit(g->first_iterable);
      visit(g->transfer);
      break;
    }
    case ObjKind::builtin:
    case ObjKind::tensor:
    case ObjKind::unknown:
    case ObjKind::dtype:
    case ObjKind::lazy_import:
    case ObjKind::bytes: break;
  }
}

std::size_t CycleCollector::collect() {
  std::vector<Tracked*> nodes;
  for (Tracked* t = tracked.head; t; t = t->next_) nodes.push_back(t);

  // References from outside the tracked graph: the owners of each container, less the
  // references tracked containers hold to it.
  for (Tracked* t : nodes) {
    long owners = strong_count(t);
    t->gc_refs_ = owners == 0 ? kReachable : owners;
  }
  for (Tracked* t : nodes) {
    for_each_reference(t, [](auto& ref) {
      if (Tracked* to = target(ref); to && to->gc_refs_ != kReachable) --to->gc_refs_;
    });
  }

  // Everything reachable from a container referenced from outside stays.
  std::vector<Tracked*> pending;
  for (Tracked* t : nodes) {
    if (t->gc_refs_ > 0) {
      t->gc_refs_ = kReachable;
      pending.push_back(t);
    }
  }
  while (!pending.empty()) {
    Tracked* t = pending.back();
    pending.pop_back();
    for_each_reference(t, [&](auto& ref) {
      if (Tracked* to = target(ref); to && to->gc_refs_ != kReachable) {
        to->gc_refs_ = kReachable;
        pending.push_back(to);
      }
    });
  }

  // The rest only keeps itself alive. Take every reference out of it first (nothing dies
  // while the list is walked), then drop them: the counts free it, one level at a time.
  std::vector<Value> values;
  std::vector<ObjPtr> objects;
  std::vector<std::shared_ptr<Env>> envs;
  std::size_t garbage = 0;
  for (Tracked* t : nodes) {
    if (t->gc_refs_ == kReachable) continue;
    ++garbage;
    for_each_reference(t, [&](auto& ref) {
      using Ref = std::decay_t<decltype(ref)>;
      if constexpr (std::is_same_v<Ref, Value>) values.push_back(std::exchange(ref, Value()));
      else if constexpr (std::is_same_v<Ref, ObjPtr>) objects.push_back(std::move(ref));
      else envs.push_back(std::move(ref));
    });
  }
  nodes.clear();
  release_values(values);
  objects.clear();
  envs.clear();
  return garbage;
}

std::size_t collect_cycles() { return CycleCollector().collect(); }

std::size_t tracked_containers() { return CycleCollector::count(); }

InterpreterLifetime::InterpreterLifetime() { ++live_interpreters; }
InterpreterLifetime::~InterpreterLifetime() {
  if (--live_interpreters == 0) collect_cycles();
}

}  // namespace ckg::interp
