// A cursor streaming on a connection that runs one result at a time (PostgreSQL, MySQL). When
// the connection runs another statement, or closes, before the cursor reached its end, the
// driver drops the rest of the rows; reporting that as the end of the result would truncate it
// silently, so next() throws instead.
#pragma once

#include "weir/db/connection.hpp"
#include "weir/error.hpp"

namespace weir::db {

template <class Conn>
class StreamingCursor : public Cursor {
 public:
  explicit StreamingCursor(Conn& connection) : connection_(&connection) {}
  // Cancels the statement if rows remain and consumes what is left.
  virtual void close() noexcept = 0;
  // The connection takes another statement: the rows left are dropped and the cursor lets go
  // of the connection. Unless the cursor had seen its end, next() then throws.
  void supersede() noexcept {
    cut_off_ = !done_;
    close();
    connection_ = nullptr;
  }
  // The connection is going away.
  void detach() noexcept {
    cut_off_ = !done_;
    done_ = true;
    connection_ = nullptr;
  }

 protected:
  // Called first in next().
  void check_not_cut_off() const {
    if (cut_off_)
      throw Error(ErrorKind::internal,
                  "a query's result was cut off before its end: its connection ran another statement or closed "
                  "(a connection streams one result at a time: read a cursor to its end, or use another connection)");
  }

  Conn* connection_;
  bool done_ = false;  // the statement's results are all consumed
  bool cut_off_ = false;
};

}  // namespace weir::db
