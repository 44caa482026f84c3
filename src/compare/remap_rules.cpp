// Compacting a key remap into prefix rules.
#include "compare/remap_rules.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace ckg::compare {

namespace {

// The longest common dotted suffix of `a` and `b`: what a prefix rename leaves alone.
std::size_t common_suffix(const std::string& a, const std::string& b) {
  std::size_t n = 0;
  while (n < a.size() && n < b.size() && a[a.size() - 1 - n] == b[b.size() - 1 - n]) ++n;
  // Back to a component boundary: the suffix must start right after a dot (or be everything).
  while (n > 0 && n < a.size() && a[a.size() - n - 1] != '.') --n;
  while (n > 0 && n < b.size() && b[b.size() - n - 1] != '.') --n;
  return n;
}

}  // namespace

std::vector<RemapRule> compact_rules(const std::map<std::string, std::string>& remap) {
  // Each rename as (old prefix, new prefix); a rule is kept when every key of the old version
  // under that prefix... is renamed by it, which a remap of whole layers always satisfies.
  std::map<std::pair<std::string, std::string>, std::vector<std::string>> by_prefix;
  for (const auto& [from, to] : remap) {
    std::size_t n = common_suffix(from, to);
    by_prefix[{from.substr(0, from.size() - n), to.substr(0, to.size() - n)}].push_back(from);
  }
  std::vector<RemapRule> rules;
  std::set<std::string> covered;
  for (const auto& [prefixes, keys] : by_prefix) {
    const auto& [from, to] = prefixes;
    bool is_prefix = !from.empty() && (from.back() == '.' || keys.size() > 1) && from.back() == '.';
    // Another rename inside the same prefix would make the rule ambiguous: keep keys then.
    bool clash = false;
    for (const auto& [other, target] : remap) {
      if (other.rfind(from, 0) == 0 && apply_rules({{RemapRule::Kind::prefix, from, to}}, other) != target) clash = true;
    }
    if (is_prefix && !clash) {
      rules.push_back({RemapRule::Kind::prefix, from, to});
      covered.insert(keys.begin(), keys.end());
    }
  }
  for (const auto& [from, to] : remap) {
    if (!covered.count(from)) rules.push_back({RemapRule::Kind::key, from, to});
  }
  return rules;
}

std::string apply_rules(const std::vector<RemapRule>& rules, const std::string& key) {
  for (const auto& r : rules) {
    if (r.kind == RemapRule::Kind::key && key == r.from) return r.to;
    if (r.kind == RemapRule::Kind::prefix && key.rfind(r.from, 0) == 0) return r.to + key.substr(r.from.size());
  }
  return key;
}

// len() in Python: UTF-8 continuation bytes do not count.
static std::size_t code_points(const std::string& s) {
  return std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
}

std::string python_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') out += '\\', out += static_cast<char>(c);
    else if (c < 0x20 || c == 0x7F) out += fmt::format("\\x{:02x}", c);
    else out += static_cast<char>(c);
  }
  return out + "\"";
}

std::string python_fix(const std::vector<RemapRule>& rules) {
  if (rules.empty()) return {};
  if (rules.size() == 1 && rules[0].kind == RemapRule::Kind::prefix) {
    const RemapRule& r = rules[0];
    if (r.to.empty()) {
      return fmt::format("state_dict = {{k.removeprefix({}): v for k, v in state_dict.items()}}\n", python_string(r.from));
    }
    return fmt::format("state_dict = {{({} + k[{}:] if k.startswith({}) else k): v for k, v in state_dict.items()}}\n",
                       python_string(r.to), code_points(r.from), python_string(r.from));
  }
  std::string entries;
  for (const auto& r : rules) {
    entries += fmt::format("    ({}, {}),  # {}\n", python_string(r.from), python_string(r.to),
                           r.kind == RemapRule::Kind::prefix ? "every key under this prefix" : "one key");
  }
  return "RENAMES = [\n" + entries + "]\n\n"
         "def renamed(key):\n"
         "    for old, new in RENAMES:\n"
         "        if key == old or (old.endswith(\".\") and key.startswith(old)):\n"
         "            return new + key[len(old):]\n"
         "    return key\n\n"
         "state_dict = {renamed(k): v for k, v in state_dict.items()}\n";
}

}  // namespace ckg::compare
