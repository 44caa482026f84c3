// Parses the embedded torch inventory once per process.
#include "interp/torch_inventory.h"

#include <algorithm>
#include <map>
#include <set>

namespace ckg::embedded {
extern const std::string_view torch_inventory;
}

namespace ckg::interp::inventory {
namespace {

struct Inventory {
  std::string version;
  std::map<std::string, std::set<std::string_view>, std::less<>> members;
};

const Inventory& inventory() {
  static const Inventory* parsed = [] {
    auto* out = new Inventory;
    std::string_view text = embedded::torch_inventory;
    std::set<std::string_view>* current = nullptr;
    while (!text.empty()) {
      std::size_t eol = text.find('\n');
      std::string_view line = text.substr(0, eol);
      text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
      if (line.rfind("version ", 0) == 0) {
        std::string_view v = line.substr(8);
        if (v != "none") out->version = std::string(v);
      } else if (!line.empty() && line[0] == '@') {
        current = &out->members[std::string(line.substr(1))];
      } else if (current) {
        while (!line.empty()) {
          std::size_t sp = line.find(' ');
          std::string_view name = line.substr(0, sp);
          if (!name.empty()) current->insert(name);
          line = sp == std::string_view::npos ? std::string_view() : line.substr(sp + 1);
        }
        current = nullptr;
      }
    }
    return out;
  }();
  return *parsed;
}

}  // namespace

const std::string& listed_torch_version() { return inventory().version; }

bool covers(const std::string& dotted) { return inventory().members.count(dotted) > 0; }

bool has(const std::string& dotted, std::string_view name) {
  auto it = inventory().members.find(dotted);
  return it != inventory().members.end() && it->second.count(name) > 0;
}

std::vector<std::string> names(const std::string& dotted) {
  auto it = inventory().members.find(dotted);
  if (it == inventory().members.end()) return {};
  return {it->second.begin(), it->second.end()};
}

}  // namespace ckg::interp::inventory
