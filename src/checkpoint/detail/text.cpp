#include "checkpoint/detail/text.h"

#include <fmt/format.h>

#include <cstdint>
#include <optional>

namespace ckg::checkpoint::detail {

namespace {

// Decodes one code point at `i`; nullopt for anything strict UTF-8 does not allow.
std::optional<char32_t> decode(std::string_view text, std::size_t& i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) {
    ++i;
    return lead;
  }
  std::size_t length;
  char32_t cp;
  char32_t min;
  if ((lead & 0xE0) == 0xC0) {
    length = 2, cp = lead & 0x1F, min = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, cp = lead & 0x0F, min = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, cp = lead & 0x07, min = 0x10000;
  } else {
    return std::nullopt;
  }
  if (text.size() - i < length) return std::nullopt;
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return std::nullopt;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
  i += length;
  return cp;
}

bool needs_escape(char32_t cp) {
  return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0) ||              // C0, DEL, C1
         (cp >= 0x200E && cp <= 0x200F) || (cp >= 0x202A && cp <= 0x202E) ||  // bidi marks
         (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 || cp == 0x2029 || cp == 0xFEFF;
}

}  // namespace

bool valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    if (!decode(text, i)) return false;
  }
  return true;
}

std::string escape_for_display(std::string_view text, std::size_t max_bytes) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    if (out.size() >= max_bytes) {
      out += fmt::format("...({} bytes)", text.size());
      break;
    }
    const std::size_t start = i;
    auto cp = decode(text, i);
    if (!cp) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(text[start]));
      i = start + 1;
    } else if (*cp == '\\') {
      out += "\\\\";
    } else if (*cp < 0x100 && needs_escape(*cp)) {
      out += fmt::format("\\x{:02x}", static_cast<std::uint32_t>(*cp));
    } else if (needs_escape(*cp)) {
      out += fmt::format("\\u{{{:04x}}}", static_cast<std::uint32_t>(*cp));
    } else {
      out.append(text.substr(start, i - start));
    }
  }
  return out;
}

}  // namespace ckg::checkpoint::detail
