// MySQL/MariaDB bulk writer: inserts and upserts as multi-row prepared INSERTs (up to 500 rows
// per execution), updates and deletes as one prepared statement executed per row.
#pragma once

#include "db/common/sql_writer.hpp"
#include "db/mysql/connection.hpp"

namespace weir::db::mysql {

class MyBulkWriter final : public BulkWriter {
 public:
  MyBulkWriter(MyConnection& connection, const WriteSpec& spec);
  void write(const Batch& batch) override;
  std::uint64_t finish() override { return affected_; }

 private:
  // Executes the statement for `rows` rows starting at `first`.
  void execute_rows(const Batch& batch, std::size_t first, std::size_t rows);

  MyConnection* connection_;
  WriteSpec spec_;
  std::size_t rows_per_statement_;
  bool updates_on_conflict_;  // an upsert with columns besides the key
  std::vector<Value> params_;
  std::uint64_t affected_ = 0;
};

}  // namespace weir::db::mysql
