// PostgreSQL WAL positions (LSNs) as weir reads and writes them: 64-bit, shown as "0/16B3748".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace weir::cdc {

using Lsn = std::uint64_t;

// "16/B374D848": the high and low 32 bits in hexadecimal, as pg_lsn prints them.
std::string format_lsn(Lsn lsn);
// The text form back; nullopt when `text` is not one.
std::optional<Lsn> parse_lsn(std::string_view text) noexcept;

}  // namespace weir::cdc
