// --verify: a row count and a checksum of both sides. The checksum adds up a 64-bit FNV-1a
// hash of each row's values in their canonical JSON form, so it depends on the rows and not on
// the order either database returns them in. An instant is hashed as its UTC wall time: a
// target without a zone-aware type (MySQL's DATETIME) holds it so.
#pragma once

#include <cstdint>
#include <string>

#include "weir/db/connection.hpp"

namespace weir::sync {

struct TableDigest {
  std::uint64_t rows = 0;
  std::uint64_t checksum = 0;
};

// Reads every row `sql` returns.
TableDigest digest(db::Connection& connection, const std::string& sql);

}  // namespace weir::sync
