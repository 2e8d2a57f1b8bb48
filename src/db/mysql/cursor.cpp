#include "db/mysql/cursor.hpp"

#include "db/mysql/errors.hpp"

namespace weir::db::mysql {

MyCursor::MyCursor(MyConnection& connection, MYSQL_STMT* stmt) : StreamingCursor(connection), stmt_(stmt) {
  MYSQL_RES* meta = mysql_stmt_result_metadata(stmt_);
  std::vector<Column> columns;
  if (meta) {
    unsigned n = mysql_num_fields(meta);
    MYSQL_FIELD* fields = mysql_fetch_fields(meta);
    for (unsigned i = 0; i < n; ++i) columns.push_back(column_of(fields[i]));
    binder_.emplace(fields, n, connection.options().zero_dates_as_null);
    mysql_free_result(meta);
    if (mysql_stmt_bind_result(stmt_, binder_->binds()) != 0) throw_statement_error(stmt_, "binding result columns");
  } else {
    done_ = true;
    finish_results(stmt_);
  }
  schema_ = std::make_shared<const Schema>(std::move(columns));
}

MyCursor::~MyCursor() {
  close();
  if (auto* connection = this->connection()) connection->set_active_cursor(nullptr);
}

bool MyCursor::next(Batch& out, std::size_t max_rows) {
  check_not_cut_off();
  if (out.schema_ptr() != schema_) out.reset(schema_);
  else out.clear();
  out.reserve(max_rows);
  while (!done_ && out.rows() < max_rows) {
    int rc = mysql_stmt_fetch(stmt_);
    if (rc == MYSQL_NO_DATA) {
      done_ = true;
      finish_results(stmt_);
      break;
    }
    if (rc == 1) {
      done_ = true;
      throw_fetch_error(stmt_, connection_->handle(), "fetching rows");
    }
    binder_->read_row(stmt_, out.append_row());
  }
  return !out.empty();
}

void MyCursor::close() noexcept {
  if (done_ || !connection()) return;
  done_ = true;
  finish_results(stmt_);
}

}  // namespace weir::db::mysql
