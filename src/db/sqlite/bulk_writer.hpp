// SQLite bulk writer: one prepared INSERT/upsert/UPDATE/DELETE reused for every row, cells
// bound without copying. Inside the caller's transaction this is SQLite's fastest path.
#pragma once

#include "db/common/sql_writer.hpp"
#include "db/sqlite/connection.hpp"

namespace weir::db::sqlite {

class SqliteBulkWriter final : public BulkWriter {
 public:
  SqliteBulkWriter(SqliteConnection& connection, const WriteSpec& spec);
  void write(const Batch& batch) override;
  std::uint64_t finish() override { return affected_; }

 private:
  SqliteConnection* connection_;
  WriteSpec spec_;
  WriteStatement statement_;
  Statement stmt_;
  std::uint64_t affected_ = 0;
};

}  // namespace weir::db::sqlite
