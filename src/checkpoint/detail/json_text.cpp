#include "checkpoint/detail/json_text.h"

#include <fmt/format.h>

#include <set>
#include <string>
#include <vector>

#include "checkpoint/detail/text.h"

namespace ckg::checkpoint::detail {

namespace {

// Deepest [ / { nesting outside strings: a linear scan, so a million '[' never reach the parser.
std::size_t nesting_depth(std::string_view text, std::size_t cap, std::size_t& where) {
  std::size_t depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > deepest) deepest = depth;
      if (deepest > cap) {
        where = i;
        return deepest;
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

struct DuplicateKey {
  std::string key;
};

}  // namespace

Result<nlohmann::ordered_json> parse_untrusted_json(std::string_view text, std::uint64_t offset,
                                                    const ReadLimits& limits) {
  const auto fail = [&](std::uint64_t at, std::string reason) {
    return ReadError{{}, offset + at, std::move(reason), {}};
  };
  if (!valid_utf8(text)) return fail(0, "JSON is not valid UTF-8");
  std::size_t where = 0;
  if (nesting_depth(text, limits.max_json_depth, where) > limits.max_json_depth) {
    return fail(where, fmt::format("JSON nested deeper than {} levels", limits.max_json_depth));
  }
  // One set of seen keys per open object; the callback sees keys in order.
  std::vector<std::set<std::string>> open_objects;
  const auto check_keys = [&](int, nlohmann::ordered_json::parse_event_t event,
                              nlohmann::ordered_json& parsed) {
    using Event = nlohmann::ordered_json::parse_event_t;
    if (event == Event::object_start) open_objects.emplace_back();
    if (event == Event::object_end && !open_objects.empty()) open_objects.pop_back();
    if (event == Event::key && !open_objects.empty()) {
      std::string key = parsed.get<std::string>();
      if (!open_objects.back().insert(key).second) throw DuplicateKey{std::move(key)};
    }
    return true;
  };
  try {
    return nlohmann::ordered_json::parse(text.begin(), text.end(), check_keys);
  } catch (const DuplicateKey& duplicate) {
    return fail(0, fmt::format("duplicate key {} in JSON", escape_for_display(duplicate.key, 200)));
  } catch (const nlohmann::ordered_json::parse_error& error) {
    return fail(error.byte > 0 ? error.byte - 1 : 0, fmt::format("invalid JSON: {}", error.what()));
  }
}

}  // namespace ckg::checkpoint::detail
