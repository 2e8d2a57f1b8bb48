// MySQL/MariaDB streaming cursor: unbuffered mysql_stmt_fetch, one row at a time into the
// caller's batch, so memory stays bounded whatever the result's size.
#pragma once

#include <optional>

#include "db/common/cut_off_cursor.hpp"
#include "db/mysql/connection.hpp"
#include "db/mysql/types.hpp"

namespace weir::db::mysql {

class MyCursor final : public StreamingCursor<MyConnection> {
 public:
  MyCursor(MyConnection& connection, MYSQL_STMT* stmt);
  ~MyCursor() override;
  const std::shared_ptr<const Schema>& schema() const noexcept override { return schema_; }
  bool next(Batch& out, std::size_t max_rows) override;
  void close() noexcept override;

 private:
  MYSQL_STMT* stmt_;
  std::shared_ptr<const Schema> schema_;
  std::optional<ResultBinder> binder_;
};

}  // namespace weir::db::mysql
