// A cursor streaming on a connection that runs one result at a time (PostgreSQL, MySQL). When
// the connection runs another statement, or closes, before the cursor reached its end, the
// driver drops the rest of the rows; reporting that as the end of the result would truncate it
// silently, so next() throws instead. That the connection closed is known by its tether, the
// one mechanism by which whatever a connection lends (cursors, bulk writers) checks it is
// still there.
#pragma once

#include "weir/db/connection.hpp"
#include "weir/error.hpp"

namespace weir::db {

template <class Conn>
class StreamingCursor : public Cursor {
 public:
  explicit StreamingCursor(Conn& connection) : connection_(&connection), tether_(connection.tether()) {}
  // Cancels the statement if rows remain and consumes what is left.
  virtual void close() noexcept = 0;
  // The connection takes another statement: the rows left are dropped and the cursor lets go
  // of the connection. Unless the cursor had seen its end, next() then throws.
  void supersede() noexcept {
    cut_off_ = !done_;
    close();
    connection_ = nullptr;
  }

 protected:
  // The connection, or null once the cursor let go of it or it closed.
  Conn* connection() const noexcept { return tether_.held() ? connection_ : nullptr; }

  // Called first in next().
  void check_not_cut_off() const {
    if (cut_off_ || (!done_ && !connection()))
      throw Error(ErrorKind::internal,
                  "a query's result was cut off before its end: its connection ran another statement or closed "
                  "(a connection streams one result at a time: read a cursor to its end, or use another connection)");
  }

  Conn* connection_;
  Tether tether_;
  bool done_ = false;  // the statement's results are all consumed
  bool cut_off_ = false;
};

}  // namespace weir::db
