// Errors of the checkpoint reader are values: every hostile or broken input ends in a ReadError
// that names the file, the place and the problem, so the CLI can print one line and exit 2.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace ckg::checkpoint {

struct ReadError {
  std::string path;  // the file the problem is in (a shard, for sharded checkpoints)
  std::optional<std::uint64_t> offset;  // byte offset inside `record` if set, else inside the file
  std::string reason;                   // lowercase, no final period: "refusing global os.system"
  std::string record;                   // archive record or section the offset is relative to
};

// "ckpt.pt: refusing global os.system at data.pkl offset 57"
std::string describe(const ReadError& error);

// An error at a file offset (or nowhere in particular); read_checkpoint fills in the path.
inline ReadError error_at(std::optional<std::uint64_t> offset, std::string reason) {
  return ReadError{{}, offset, std::move(reason), {}};
}

// A value or the reason there is none. Kept tiny on purpose: C++17 has no std::expected.
template <class T>
class Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}
  Result(ReadError error) : state_(std::in_place_index<1>, std::move(error)) {}

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const ReadError& error() const& { return std::get<1>(state_); }
  ReadError&& error() && { return std::get<1>(std::move(state_)); }

 private:
  std::variant<T, ReadError> state_;
};

// For steps that produce nothing but may fail.
struct Ok {};
using Status = Result<Ok>;

}  // namespace ckg::checkpoint
