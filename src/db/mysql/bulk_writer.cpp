#include "db/mysql/bulk_writer.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "db/mysql/errors.hpp"
#include "weir/error.hpp"
#include "weir/log.hpp"

namespace weir::db::mysql {
namespace {
constexpr std::size_t kMaxRowsPerStatement = 500;
constexpr std::size_t kMaxPlaceholders = 65535;

// Makes one LOAD DATA all-or-nothing, as a single INSERT is: a savepoint inside the caller's
// transaction, or a transaction of its own when statements autocommit.
class StatementScope {
 public:
  explicit StatementScope(MyConnection& connection)
      : connection_(&connection), own_transaction_(connection.autocommits()) {
    connection_->execute_script(own_transaction_ ? "START TRANSACTION" : "SAVEPOINT weir_load_data");
  }
  StatementScope(const StatementScope&) = delete;
  StatementScope& operator=(const StatementScope&) = delete;
  ~StatementScope() { undo(); }

  void keep() {
    open_ = false;
    connection_->execute_script(own_transaction_ ? "COMMIT" : "RELEASE SAVEPOINT weir_load_data");
  }

  // Errors are ignored: the statement's own error is the one to report. (After a deadlock the
  // server has already rolled the whole transaction back, savepoint included.)
  void undo() noexcept {
    if (!open_) return;
    open_ = false;
    try {
      connection_->execute_script(own_transaction_ ? "ROLLBACK"
                                                   : "ROLLBACK TO SAVEPOINT weir_load_data; "
                                                     "RELEASE SAVEPOINT weir_load_data");
    } catch (const Error&) {
    }
  }

 private:
  MyConnection* connection_;
  bool own_transaction_;
  bool open_ = true;
};

}  // namespace

MyBulkWriter::MyBulkWriter(MyConnection& connection, const WriteSpec& spec)
    : connection_(&connection), tether_(connection.tether()), spec_(spec) {
  bool multi_row = spec.mode == WriteMode::insert || spec.mode == WriteMode::upsert;
  rows_per_statement_ =
      multi_row ? std::max<std::size_t>(1, std::min(kMaxRowsPerStatement, kMaxPlaceholders / spec.columns.size())) : 1;
  write_statement(connection.dialect(), spec_);  // validates the spec now, not at the first batch
  updates_on_conflict_ =
      spec.mode == WriteMode::upsert && std::any_of(spec.columns.begin(), spec.columns.end(), [&](const std::string& c) {
        return std::find(spec.key.begin(), spec.key.end(), c) == spec.key.end();
      });
  if (spec.mode == WriteMode::insert && connection.options().load_data)
    load_sql_ = load_data_sql(connection.dialect(), spec.table, spec.columns);
}

void MyBulkWriter::write(const Batch& batch) {
  tether_.check("a MySQL/MariaDB bulk writer");
  check_batch_width(batch, spec_);
  if (load_sql_ && batch.rows() >= kMinLoadDataRows && load(batch)) return;
  for (std::size_t first = 0; first < batch.rows(); first += rows_per_statement_)
    execute_rows(batch, first, std::min(rows_per_statement_, batch.rows() - first));
}

bool MyBulkWriter::load(const Batch& batch) {
  std::string context = fmt::format("loading rows 1–{} of the batch into `{}`", batch.rows(), spec_.table.to_string());
  StatementScope scope(*connection_);
  std::uint64_t loaded = 0;
  try {
    BatchInfile rows(batch, 0, batch.rows());
    loaded = connection_->load_data(*load_sql_, rows);
    if (std::optional<LoadWarning> w = first_load_warning(connection_->handle()))
      throw_warning(connection_->classify(w->code, w->message), w->code, w->message, w->count, "LOAD DATA LOCAL INFILE");
  } catch (Error& e) {
    scope.undo();
    if (e.kind() == ErrorKind::unsupported) {
      log::warn(fmt::format("writing to `{}`: the server refuses LOAD DATA LOCAL INFILE ({}); inserting with "
                            "INSERT statements instead (set local_infile=ON on the server for faster loads)",
                            spec_.table.to_string(), e.what()));
      load_sql_.reset();
      return false;
    }
    throw e.add_context(context);
  }
  scope.keep();
  affected_ += loaded;
  return true;
}

void MyBulkWriter::execute_rows(const Batch& batch, std::size_t first, std::size_t rows) {
  WriteStatement st = write_statement(connection_->dialect(), spec_, rows);
  params_.clear();
  for (std::size_t r = first; r < first + rows; ++r)
    for (std::size_t column : st.param_columns) params_.push_back(batch.at(r, column));
  try {
    std::uint64_t affected = connection_->execute(st.sql, params_);
    // ON DUPLICATE KEY UPDATE reports 1 per inserted row, 2 per updated row and 0 per row it
    // left as it was. Every row was inserted or updated: count each once, as PostgreSQL and
    // SQLite do. (Without update columns the clause is a no-op and the count is the inserts.)
    affected_ += updates_on_conflict_ ? rows : affected;
  } catch (Error& e) {
    throw e.add_context(fmt::format("writing rows {}–{} of the batch to `{}`", first + 1, first + rows,
                                    spec_.table.to_string()));
  }
}

}  // namespace weir::db::mysql
