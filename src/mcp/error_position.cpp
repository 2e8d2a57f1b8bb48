#include "mcp/error_position.hpp"

#include <fmt/format.h>

#include <string>

namespace weir::mcp {
namespace {

constexpr std::string_view kMarker = " at character ";

bool continuation_byte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// The byte offset `chars` characters after `from` in `text` (its end at most), or npos past it.
std::size_t advance_chars(std::string_view text, std::size_t from, std::size_t chars) {
  std::size_t at = from;
  if (from > text.size()) return std::string_view::npos;
  for (; chars > 0 && at < text.size(); --chars) {
    ++at;
    while (at < text.size() && continuation_byte(text[at])) ++at;
  }
  return chars == 0 && at <= text.size() ? at : std::string_view::npos;
}

}  // namespace

Error located(const Error& e, const SentStatement& sent) {
  std::string_view message = e.what();
  std::size_t marker = message.rfind(kMarker);
  if (marker == std::string_view::npos) return e;
  std::size_t digits_at = marker + kMarker.size(), digits_end = digits_at;
  std::size_t position = 0;
  while (digits_end < message.size() && message[digits_end] >= '0' && message[digits_end] <= '9')
    position = position * 10 + static_cast<std::size_t>(message[digits_end++] - '0');
  if (digits_end == digits_at) return e;

  std::string where;
  if (position > sent.prefix_chars) {
    std::size_t at = advance_chars(sent.sql, sent.begin, position - sent.prefix_chars - 1);
    if (at != std::string_view::npos) {
      std::size_t line = 1, line_start = 0;
      for (std::size_t i = 0; i < at; ++i)
        if (sent.sql[i] == '\n') ++line, line_start = i + 1;
      std::size_t column = 1;
      for (std::size_t i = line_start; i < at; ++i) column += continuation_byte(sent.sql[i]) ? 0 : 1;
      where = fmt::format(" (line {}, column {})", line, column);
    }
  }
  std::string text = std::string(message.substr(0, marker)) + where + std::string(message.substr(digits_end));
  return Error(e.kind(), text, e.code(), e.retryable());
}

}  // namespace weir::mcp
