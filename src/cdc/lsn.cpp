#include "cdc/lsn.hpp"

#include <charconv>

namespace weir::cdc {

std::optional<Lsn> parse_lsn(std::string_view text) noexcept {
  std::size_t slash = text.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == text.size()) return std::nullopt;
  auto half = [](std::string_view digits) -> std::optional<std::uint64_t> {
    std::uint64_t value = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value, 16);
    if (ec != std::errc{} || end != digits.data() + digits.size() || value > 0xFFFF'FFFFu || digits.size() > 8)
      return std::nullopt;
    return value;
  };
  auto high = half(text.substr(0, slash)), low = half(text.substr(slash + 1));
  if (!high || !low) return std::nullopt;
  return *high << 32 | *low;
}

}  // namespace weir::cdc
