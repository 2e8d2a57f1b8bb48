// A streaming cursor whose connection ran another statement, or closed, before the cursor
// reached its end. PostgreSQL and MySQL stream one result per connection, so the driver drops
// the rest of the rows; reporting that as the end of the result would truncate it silently.
#pragma once

#include "weir/error.hpp"

namespace weir::db {

[[noreturn]] inline void throw_cut_off_cursor() {
  throw Error(ErrorKind::internal,
              "a query's result was cut off before its end: its connection ran another statement or closed "
              "(a connection streams one result at a time: read a cursor to its end, or use another connection)");
}

}  // namespace weir::db
