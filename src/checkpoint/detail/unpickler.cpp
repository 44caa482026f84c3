#include "checkpoint/detail/unpickler.h"

#include <fmt/format.h>

#include <cstring>
#include <unordered_map>
#include <unordered_set>

#include "checkpoint/detail/bytes.h"
#include "checkpoint/detail/text.h"
#include "checkpoint/detail/torch_objects.h"

namespace ckg::checkpoint::detail {

namespace {

// Opcodes by their byte (pickle.py names). Anything not listed is unsupported.
enum Op : unsigned char {
  MARK = '(',
  STOP = '.',
  POP = '0',
  POP_MARK = '1',
  DUP = '2',
  BININT = 'J',
  BININT1 = 'K',
  BININT2 = 'M',
  NONE = 'N',
  BINPERSID = 'Q',
  REDUCE = 'R',
  BINSTRING = 'T',
  SHORT_BINSTRING = 'U',
  BINUNICODE = 'X',
  APPEND = 'a',
  BUILD = 'b',
  GLOBAL = 'c',
  APPENDS = 'e',
  BINGET = 'h',
  LONG_BINGET = 'j',
  EMPTY_LIST = ']',
  BINPUT = 'q',
  LONG_BINPUT = 'r',
  SETITEM = 's',
  TUPLE = 't',
  SETITEMS = 'u',
  EMPTY_TUPLE = ')',
  EMPTY_DICT = '}',
  BINFLOAT = 'G',
  BINBYTES = 'B',
  SHORT_BINBYTES = 'C',
  PROTO = 0x80,
  NEWOBJ = 0x81,
  TUPLE1 = 0x85,
  TUPLE2 = 0x86,
  TUPLE3 = 0x87,
  NEWTRUE = 0x88,
  NEWFALSE = 0x89,
  LONG1 = 0x8a,
  LONG4 = 0x8b,
  SHORT_BINUNICODE = 0x8c,
  BINUNICODE8 = 0x8d,
  BINBYTES8 = 0x8e,
  EMPTY_SET = 0x8f,
  ADDITEMS = 0x90,
  FROZENSET = 0x91,
  NEWOBJ_EX = 0x92,
  STACK_GLOBAL = 0x93,
  MEMOIZE = 0x94,
  FRAME = 0x95,
  BYTEARRAY8 = 0x96,
};

// Two's complement little-endian, as LONG1/LONG4 store it; at most 16 bytes (checked by caller).
__int128 decode_long(std::string_view bytes) {
  unsigned __int128 value = 0;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    value |= static_cast<unsigned __int128>(static_cast<unsigned char>(bytes[i])) << (8 * i);
  }
  if (!bytes.empty() && bytes.size() < 16 && (static_cast<unsigned char>(bytes.back()) & 0x80)) {
    value -= static_cast<unsigned __int128>(1) << (8 * bytes.size());
  }
  return static_cast<__int128>(value);
}

std::string int128_text(__int128 value) {
  const bool negative = value < 0;
  unsigned __int128 magnitude = negative ? static_cast<unsigned __int128>(-(value + 1)) + 1
                                         : static_cast<unsigned __int128>(value);
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(magnitude % 10)));
    magnitude /= 10;
  } while (magnitude != 0);
  return negative ? "-" + digits : digits;
}

class Machine {
 public:
  Machine(std::string_view bytes, const UnpickleOptions& options, const ReadLimits& limits)
      : in_(bytes, options.start),
        options_(options),
        limits_(limits),
        torch_(out_.arena, limits, options.persistent_ids, options.torchscript) {}

  Result<Unpickled> run();

 private:
  ReadError fail(std::string reason) const {
    return ReadError{{}, op_offset_, std::move(reason), std::string(options_.record)};
  }
  ReadError truncated(std::uint64_t needed) const {
    return fail(fmt::format("truncated pickle: opcode {} needs {} bytes, {} left", opcode_text(op_),
                            needed, in_.remaining()));
  }
  // The stack as one frame per MARK: ops may not reach below the innermost mark, like Python's.
  std::size_t frame_base() const { return marks_.empty() ? 0 : marks_.back(); }
  std::size_t frame_size() const { return stack_.size() - frame_base(); }
  ReadError underflow() const {
    return fail(fmt::format("stack underflow at opcode {}", opcode_text(op_)));
  }

  std::optional<ValueId> pop() {
    if (frame_size() == 0) return std::nullopt;
    ValueId v = stack_.back();
    stack_.pop_back();
    return v;
  }
  std::optional<std::vector<ValueId>> pop_mark() {
    if (marks_.empty()) return std::nullopt;
    std::vector<ValueId> items(stack_.begin() + static_cast<std::ptrdiff_t>(marks_.back()),
                               stack_.end());
    stack_.resize(marks_.back());
    marks_.pop_back();
    return items;
  }
  std::uint32_t here() const { return static_cast<std::uint32_t>(op_offset_); }

  Result<std::string_view> take(std::uint64_t n) {
    auto bytes = in_.take(n);
    if (!bytes) return truncated(n);
    return *bytes;
  }
  template <class T>
  Result<T> read_int() {
    auto bytes = in_.take(sizeof(T));
    if (!bytes) return truncated(sizeof(T));
    return load_le<T>(bytes->data());
  }
  Result<std::string> read_line();
  Status push_text(std::uint64_t length, bool as_bytes);
  Status push_long(std::uint64_t length);
  Status memo_put(std::uint64_t index);
  Status memo_get(std::uint64_t index);
  Status add_global(std::string module, std::string name);
  Status step();
  Status check_budgets(std::uint64_t ops) const;

  ByteCursor in_;
  const UnpickleOptions& options_;
  const ReadLimits& limits_;
  Unpickled out_;
  TorchObjects torch_;
  std::vector<ValueId> stack_;
  std::vector<std::size_t> marks_;
  std::unordered_map<std::uint64_t, ValueId> memo_;
  std::unordered_set<std::string> globals_seen_;
  std::uint64_t op_offset_ = 0;
  unsigned char op_ = 0;
  bool stopped_ = false;
};

Result<std::string> Machine::read_line() {
  // Lines are capped so a GLOBAL without a newline cannot make us scan or copy megabytes.
  const std::string_view window = in_.rest().substr(0, limits_.max_line_bytes + 1);
  const auto newline = window.find('\n');
  if (newline == std::string_view::npos) {
    if (window.size() > limits_.max_line_bytes) {
      return fail(fmt::format("GLOBAL name longer than {} bytes (limit max_line_bytes)",
                              limits_.max_line_bytes));
    }
    return fail("truncated pickle: GLOBAL name without a newline");
  }
  in_.skip(newline + 1);
  return std::string(window.substr(0, newline));
}

Status Machine::push_text(std::uint64_t length, bool as_bytes) {
  // Checked against what is left before anything is allocated.
  auto bytes = take(length);
  if (!bytes) return std::move(bytes).error();
  if (as_bytes) {
    stack_.push_back(out_.arena.make_bytes(std::string(*bytes), here()));
    return Ok{};
  }
  if (!valid_utf8(*bytes)) return fail("string is not valid UTF-8");
  stack_.push_back(out_.arena.make_str(std::string(*bytes), here()));
  return Ok{};
}

Status Machine::push_long(std::uint64_t length) {
  if (length > limits_.max_int_bytes) {
    return fail(
        fmt::format("integer too large ({} bytes, more than {}; limit max_int_bytes)", length,
                    limits_.max_int_bytes));
  }
  auto bytes = take(length);
  if (!bytes) return std::move(bytes).error();
  const __int128 value = decode_long(*bytes);
  if (value >= INT64_MIN && value <= INT64_MAX) {
    stack_.push_back(out_.arena.make_int(static_cast<std::int64_t>(value), here()));
  } else {
    stack_.push_back(out_.arena.make_big_int(int128_text(value), here()));
  }
  return Ok{};
}

Status Machine::memo_put(std::uint64_t index) {
  if (frame_size() == 0) return underflow();
  if (memo_.size() >= limits_.max_memo_entries && memo_.find(index) == memo_.end()) {
    return fail(fmt::format("memo holds more than {} entries (limit max_memo_entries)",
                            limits_.max_memo_entries));
  }
  memo_[index] = stack_.back();
  return Ok{};
}

Status Machine::memo_get(std::uint64_t index) {
  auto it = memo_.find(index);
  if (it == memo_.end()) return fail(fmt::format("memo {} undefined", index));
  stack_.push_back(it->second);
  return Ok{};
}

Status Machine::add_global(std::string module, std::string name) {
  if (!valid_utf8(module) || !valid_utf8(name)) return fail("GLOBAL name is not valid UTF-8");
  std::string qualified = module + "." + name;
  if (globals_seen_.insert(qualified).second) out_.globals.push_back(std::move(qualified));
  auto token = torch_.global(module, name, here());
  if (!token) return std::move(token).error();
  stack_.push_back(*token);
  return Ok{};
}

// Opcodes are cheap one by one; what they can make the reader do is not. One BUILD copies a whole
// dict, and the memo lets a few bytes name a large value again and again. So steps count the
// opcodes plus every element copied or hashed on their behalf, and memory counts what the graph
// holds; both are checked after every opcode, which stays within twice the limit.
Status Machine::check_budgets(std::uint64_t ops) const {
  const std::uint64_t steps = ops + out_.arena.work();
  if (steps > limits_.max_pickle_ops) {
    return fail(fmt::format("more than {} pickle steps (opcodes and the elements they copy; "
                            "limit max_pickle_ops)",
                            limits_.max_pickle_ops));
  }
  if (out_.arena.footprint() > limits_.max_object_bytes) {
    return fail(fmt::format("unpickled objects take more than {} bytes (limit max_object_bytes)",
                            limits_.max_object_bytes));
  }
  return Ok{};
}

Result<Unpickled> Machine::run() {
  std::uint64_t ops = 0;
  while (!stopped_) {
    auto budgets = check_budgets(++ops);
    if (!budgets) return std::move(budgets).error();
    op_offset_ = in_.pos();
    if (op_offset_ - options_.start > limits_.max_record_bytes) {
      return fail(fmt::format("pickle longer than {} bytes", limits_.max_record_bytes));
    }
    auto op = in_.u8();
    if (!op) return fail("truncated pickle: no STOP opcode");
    op_ = *op;
    out_.opcodes.set(op_);
    auto status = step();
    if (!status) {
      ReadError error = std::move(status).error();
      if (!error.offset) error.offset = op_offset_;
      if (error.record.empty()) error.record = std::string(options_.record);
      return error;
    }
  }
  out_.end = in_.pos();
  for (auto& warning : torch_.take_warnings()) out_.warnings.push_back(std::move(warning));
  return std::move(out_);
}

Status Machine::step() {
  Arena& arena = out_.arena;
  switch (op_) {
    case PROTO: {
      auto version = read_int<std::uint8_t>();
      if (!version) return std::move(version).error();
      if (*version > 5) return fail(fmt::format("unsupported pickle protocol {}", *version));
      out_.protocol = *version;
      return Ok{};
    }
    case FRAME: {
      // Frames only batch reads; the length must still fit in what is left.
      auto length = read_int<std::uint64_t>();
      if (!length) return std::move(length).error();
      if (*length > in_.remaining()) return fail("truncated pickle: frame longer than the data");
      return Ok{};
    }
    case STOP: {
      auto root = pop();
      if (!root) return underflow();
      if (!stack_.empty() || !marks_.empty()) {
        out_.warnings.push_back(fmt::format(
            "{} values left on the pickle stack at STOP (offset {})", stack_.size(), op_offset_));
      }
      out_.root = *root;
      stopped_ = true;
      return Ok{};
    }
    case MARK:
      if (marks_.size() >= limits_.max_depth) {
        return fail(fmt::format("nesting deeper than {} (limit max_depth)", limits_.max_depth));
      }
      marks_.push_back(stack_.size());
      return Ok{};
    case POP:
      if (frame_size() > 0) {
        stack_.pop_back();
      } else if (!pop_mark()) {
        return underflow();
      }
      return Ok{};
    case POP_MARK:
      if (!pop_mark()) return fail("POP_MARK without MARK");
      return Ok{};
    case DUP:
      if (frame_size() == 0) return underflow();
      stack_.push_back(stack_.back());
      return Ok{};
    case NONE: stack_.push_back(arena.none()); return Ok{};
    case NEWTRUE: stack_.push_back(arena.boolean(true)); return Ok{};
    case NEWFALSE: stack_.push_back(arena.boolean(false)); return Ok{};
    case BININT: {
      auto v = read_int<std::uint32_t>();
      if (!v) return std::move(v).error();
      stack_.push_back(arena.make_int(static_cast<std::int32_t>(*v), here()));
      return Ok{};
    }
    case BININT1: {
      auto v = read_int<std::uint8_t>();
      if (!v) return std::move(v).error();
      stack_.push_back(arena.make_int(*v, here()));
      return Ok{};
    }
    case BININT2: {
      auto v = read_int<std::uint16_t>();
      if (!v) return std::move(v).error();
      stack_.push_back(arena.make_int(*v, here()));
      return Ok{};
    }
    case LONG1: {
      auto n = read_int<std::uint8_t>();
      if (!n) return std::move(n).error();
      return push_long(*n);
    }
    case LONG4: {
      auto n = read_int<std::uint32_t>();
      if (!n) return std::move(n).error();
      if (static_cast<std::int32_t>(*n) < 0) return fail("LONG4 with a negative length");
      return push_long(*n);
    }
    case BINFLOAT: {
      auto bytes = take(8);
      if (!bytes) return std::move(bytes).error();
      std::uint64_t bits = 0;
      for (char c : *bytes) bits = (bits << 8) | static_cast<unsigned char>(c);  // big-endian
      double v;
      std::memcpy(&v, &bits, sizeof v);
      stack_.push_back(arena.make_float(v, here()));
      return Ok{};
    }
    case SHORT_BINUNICODE:
    case SHORT_BINSTRING:
    case SHORT_BINBYTES: {
      auto n = read_int<std::uint8_t>();
      if (!n) return std::move(n).error();
      // Python 2 str (BINSTRING) decodes as UTF-8: torch.load passes encoding="utf-8".
      return push_text(*n, op_ == SHORT_BINBYTES);
    }
    case BINUNICODE:
    case BINSTRING:
    case BINBYTES: {
      auto n = read_int<std::uint32_t>();
      if (!n) return std::move(n).error();
      if (op_ == BINSTRING && static_cast<std::int32_t>(*n) < 0)
        return fail("BINSTRING with a negative length");
      return push_text(*n, op_ == BINBYTES);
    }
    case BINUNICODE8:
    case BINBYTES8:
    case BYTEARRAY8: {
      auto n = read_int<std::uint64_t>();
      if (!n) return std::move(n).error();
      return push_text(*n, op_ != BINUNICODE8);
    }
    case EMPTY_TUPLE: stack_.push_back(arena.make_sequence(Kind::Tuple, {}, here())); return Ok{};
    case EMPTY_LIST: stack_.push_back(arena.make_sequence(Kind::List, {}, here())); return Ok{};
    case EMPTY_SET: stack_.push_back(arena.make_sequence(Kind::Set, {}, here())); return Ok{};
    case EMPTY_DICT: stack_.push_back(arena.make_dict("", here())); return Ok{};
    case TUPLE:
    case FROZENSET: {
      auto items = pop_mark();
      if (!items) return fail(fmt::format("opcode {} without MARK", opcode_text(op_)));
      if (op_ == FROZENSET) {
        for (ValueId item : *items) {
          if (!arena.key_id(item)) return fail("unhashable set element");
        }
      }
      stack_.push_back(
          arena.make_sequence(op_ == TUPLE ? Kind::Tuple : Kind::Set, std::move(*items), here()));
      return Ok{};
    }
    case TUPLE1:
    case TUPLE2:
    case TUPLE3: {
      const std::size_t n = op_ - TUPLE1 + 1;
      if (frame_size() < n) return underflow();
      std::vector<ValueId> items(stack_.end() - static_cast<std::ptrdiff_t>(n), stack_.end());
      stack_.resize(stack_.size() - n);
      stack_.push_back(arena.make_sequence(Kind::Tuple, std::move(items), here()));
      return Ok{};
    }
    case APPEND: {
      auto item = pop();
      if (!item || frame_size() == 0) return underflow();
      if (arena.kind(stack_.back()) != Kind::List) {
        return fail(fmt::format("APPEND target must be a list, got {}",
                                kind_name(arena.kind(stack_.back()))));
      }
      arena.extend(stack_.back(), {*item});
      return Ok{};
    }
    case APPENDS:
    case ADDITEMS: {
      auto items = pop_mark();
      if (!items) return fail(fmt::format("opcode {} without MARK", opcode_text(op_)));
      if (frame_size() == 0) return underflow();
      const Kind want = op_ == APPENDS ? Kind::List : Kind::Set;
      if (arena.kind(stack_.back()) != want) {
        return fail(fmt::format("{} target must be a {}, got {}",
                                op_ == APPENDS ? "APPENDS" : "ADDITEMS", kind_name(want),
                                kind_name(arena.kind(stack_.back()))));
      }
      if (want == Kind::Set) {
        for (ValueId item : *items) {
          if (!arena.key_id(item)) return fail("unhashable set element");
        }
      }
      arena.extend(stack_.back(), *items);
      return Ok{};
    }
    case SETITEM:
    case SETITEMS: {
      std::vector<ValueId> items;
      if (op_ == SETITEM) {
        if (frame_size() < 3) return underflow();
        items.assign(stack_.end() - 2, stack_.end());
        stack_.resize(stack_.size() - 2);
      } else {
        auto marked = pop_mark();
        if (!marked) return fail("SETITEMS without MARK");
        if (marked->size() % 2 != 0) return fail("SETITEMS with an odd number of items");
        if (frame_size() == 0) return underflow();
        items = std::move(*marked);
      }
      const ValueId target = stack_.back();
      // CVE-2026-24747: SETITEM on anything but a dict must never write into it.
      if (arena.kind(target) != Kind::Dict) {
        return fail(fmt::format("{} target must be a dict, got {}",
                                op_ == SETITEM ? "SETITEM" : "SETITEMS",
                                kind_name(arena.kind(target))));
      }
      for (std::size_t i = 0; i < items.size(); i += 2) {
        if (!arena.set_item(target, items[i], items[i + 1])) {
          return fail(
              fmt::format("unhashable dict key of type {}", kind_name(arena.kind(items[i]))));
        }
      }
      return Ok{};
    }
    case BINPUT: {
      auto index = read_int<std::uint8_t>();
      if (!index) return std::move(index).error();
      return memo_put(*index);
    }
    case LONG_BINPUT: {
      auto index = read_int<std::uint32_t>();
      if (!index) return std::move(index).error();
      return memo_put(*index);
    }
    case MEMOIZE: return memo_put(memo_.size());
    case BINGET: {
      auto index = read_int<std::uint8_t>();
      if (!index) return std::move(index).error();
      return memo_get(*index);
    }
    case LONG_BINGET: {
      auto index = read_int<std::uint32_t>();
      if (!index) return std::move(index).error();
      return memo_get(*index);
    }
    case GLOBAL: {
      auto module = read_line();
      if (!module) return std::move(module).error();
      auto name = read_line();
      if (!name) return std::move(name).error();
      return add_global(std::move(*module), std::move(*name));
    }
    case STACK_GLOBAL: {
      if (frame_size() < 2) return underflow();
      const ValueId name = stack_.back();
      const ValueId module = stack_[stack_.size() - 2];
      if (arena.kind(name) != Kind::Str || arena.kind(module) != Kind::Str) {
        return fail("STACK_GLOBAL operands must be str");
      }
      stack_.resize(stack_.size() - 2);
      return add_global(arena.text_of(module), arena.text_of(name));
    }
    case REDUCE:
    case NEWOBJ:
    case NEWOBJ_EX: {
      std::optional<ValueId> kwargs;
      if (op_ == NEWOBJ_EX) {
        kwargs = pop();
        if (!kwargs) return underflow();
      }
      auto args = pop();
      auto callable = pop();
      if (!args || !callable) return underflow();
      if (kwargs && (arena.kind(*kwargs) != Kind::Dict || !arena.dict_of(*kwargs).items.empty())) {
        return fail("NEWOBJ_EX with keyword arguments");
      }
      auto made = torch_.call(*callable, *args, here());
      if (!made) return std::move(made).error();
      stack_.push_back(*made);
      return Ok{};
    }
    case BUILD: {
      auto state = pop();
      if (!state || frame_size() == 0) return underflow();
      return torch_.build(stack_.back(), *state);
    }
    case BINPERSID: {
      auto pid = pop();
      if (!pid) return underflow();
      auto storage = torch_.persistent_load(*pid, here());
      if (!storage) return std::move(storage).error();
      stack_.push_back(*storage);
      return Ok{};
    }
    default: return fail(fmt::format("unsupported opcode {}", opcode_text(op_)));
  }
}

}  // namespace

std::string opcode_text(unsigned char op) {
  if (op >= 0x21 && op < 0x7f) return fmt::format("'{}'", static_cast<char>(op));
  return fmt::format("0x{:02x}", op);
}

Result<Unpickled> unpickle(std::string_view bytes, const UnpickleOptions& options,
                           const ReadLimits& limits) {
  Machine machine(bytes, options, limits);
  return machine.run();
}

}  // namespace ckg::checkpoint::detail
