// PostgreSQL WAL positions (LSNs) as weir reads and writes them: 64-bit, shown as "0/16B3748".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "weir/change.hpp"

namespace weir::cdc {

using Lsn = std::uint64_t;

// "16/B374D848", as pg_lsn prints it: one formatter, the core's, which dead letters' change
// positions use too.
using weir::format_lsn;
// The text form back; nullopt when `text` is not one.
std::optional<Lsn> parse_lsn(std::string_view text) noexcept;

}  // namespace weir::cdc
