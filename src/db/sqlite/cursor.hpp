// SQLite streaming cursor: steps the statement as next() asks; nothing is buffered beyond
// the caller's batch, so memory stays flat on any table size.
#pragma once

#include <vector>

#include "db/sqlite/connection.hpp"

namespace weir::db::sqlite {

class SqliteCursor final : public Cursor {
 public:
  explicit SqliteCursor(Statement stmt);
  const std::shared_ptr<const Schema>& schema() const noexcept override { return schema_; }
  bool next(Batch& out, std::size_t max_rows) override;

 private:
  Statement stmt_;
  std::shared_ptr<const Schema> schema_;
  std::vector<Type> logical_;  // per column, from the declared type
  bool pending_row_ = false;  // the constructor's first step found a row not yet returned
  bool done_ = false;
};

}  // namespace weir::db::sqlite
