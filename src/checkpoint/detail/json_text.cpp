#include "checkpoint/detail/json_text.h"

#include <fmt/format.h>

#include <string>
#include <unordered_set>
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

// Builds the document the way nlohmann's own DOM parser does, with two differences: keys are
// appended to the ordered object directly, where ordered_map's emplace would search it linearly
// (quadratic for a header of many tensors), with duplicates caught by a hash set per open object;
// and every parse error, a number out of double range included, is recorded, never thrown.
class DocumentBuilder {
 public:
  using Json = nlohmann::ordered_json;

  bool null() { return place(nullptr); }
  bool boolean(bool value) { return place(value); }
  bool number_integer(Json::number_integer_t value) { return place(value); }
  bool number_unsigned(Json::number_unsigned_t value) { return place(value); }
  bool number_float(Json::number_float_t value, const Json::string_t&) { return place(value); }
  bool string(Json::string_t& value) { return place(std::move(value)); }
  bool binary(Json::binary_t&) { return false; }  // JSON text has no binary values
  bool start_object(std::size_t) {
    open(Json::object());
    keys_.emplace_back();
    return true;
  }
  bool key(Json::string_t& key) {
    if (!keys_.back().insert(key).second) {
      error_ = fmt::format("duplicate key {} in JSON", escape_for_display(key, 200));
      return false;
    }
    auto& object = open_.back()->get_ref<Json::object_t&>();
    object.emplace_back(std::move(key), nullptr);
    slot_ = &object.back().second;
    return true;
  }
  bool end_object() {
    keys_.pop_back();
    open_.pop_back();
    return true;
  }
  bool start_array(std::size_t) {
    open(Json::array());
    return true;
  }
  bool end_array() {
    open_.pop_back();
    return true;
  }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& e) {
    // what() is "[json.exception.parse_error.101] parse error at line 1, ...": keep the words.
    const std::string_view what = e.what();
    const auto bracket = what.find("] ");
    error_ = fmt::format("invalid JSON: {}",
                         bracket == std::string_view::npos ? what : what.substr(bracket + 2));
    error_position_ = position > 0 ? position - 1 : 0;
    return false;
  }

  Json& document() { return document_; }
  const std::string& error() const { return error_; }
  std::size_t error_position() const { return error_position_; }

 private:
  // Containers stay put while they are open: their parent only grows once they are closed.
  Json* add(Json value) {
    if (open_.empty()) {
      document_ = std::move(value);
      return &document_;
    }
    if (open_.back()->is_array()) {
      open_.back()->push_back(std::move(value));
      return &open_.back()->back();
    }
    *slot_ = std::move(value);
    return slot_;
  }
  bool place(Json value) {
    add(std::move(value));
    return true;
  }
  void open(Json container) { open_.push_back(add(std::move(container))); }

  Json document_;
  std::vector<Json*> open_;
  std::vector<std::unordered_set<std::string>> keys_;  // per open object
  Json* slot_ = nullptr;                               // the value of the last key
  std::string error_;
  std::size_t error_position_ = 0;
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
    return fail(where, fmt::format("JSON nested deeper than {} levels (limit max_json_depth)",
                                   limits.max_json_depth));
  }
  DocumentBuilder builder;
  if (!nlohmann::ordered_json::sax_parse(text.begin(), text.end(), &builder)) {
    return fail(builder.error_position(), builder.error());
  }
  return std::move(builder.document());
}

}  // namespace ckg::checkpoint::detail
