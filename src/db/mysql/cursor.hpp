// MySQL/MariaDB streaming cursor: unbuffered mysql_stmt_fetch, one row at a time into the
// caller's batch, so memory stays bounded whatever the result's size.
#pragma once

#include <optional>

#include "db/mysql/connection.hpp"
#include "db/mysql/types.hpp"

namespace weir::db::mysql {

class MyCursor final : public Cursor {
 public:
  MyCursor(MyConnection& connection, MYSQL_STMT* stmt);
  ~MyCursor() override;
  const std::shared_ptr<const Schema>& schema() const noexcept override { return schema_; }
  bool next(Batch& out, std::size_t max_rows) override;
  void close() noexcept;
  // The connection takes another statement: the rows left are dropped and the cursor lets go
  // of the connection. Unless the cursor had seen its end, next() then throws instead of
  // reporting the end (cut_off_cursor.hpp).
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

 private:
  MyConnection* connection_;
  MYSQL_STMT* stmt_;
  std::shared_ptr<const Schema> schema_;
  std::optional<ResultBinder> binder_;
  bool done_ = false;
  bool cut_off_ = false;
};

}  // namespace weir::db::mysql
