#include "db/mysql/bulk_writer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <optional>

#include "db/common/column_rounding.hpp"
#include "db/mysql/errors.hpp"
#include "db/mysql/types.hpp"
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

// The number after `label` in the server's info line ("Records: 3  Duplicates: 1  Warnings: 0").
std::optional<std::uint64_t> info_number(std::string_view info, std::string_view label) {
  std::size_t at = info.find(label);
  if (at == std::string_view::npos) return std::nullopt;
  std::uint64_t n = 0;
  const char* end = info.data() + info.size();
  auto [ptr, ec] = std::from_chars(info.data() + at + label.size(), end, n);
  if (ec != std::errc()) return std::nullopt;
  return n;
}

}  // namespace

MyBulkWriter::MyBulkWriter(MyConnection& connection, const WriteSpec& spec)
    : connection_(&connection), tether_(connection.tether()), spec_(spec) {
  bool multi_row = spec.mode == WriteMode::insert || spec.mode == WriteMode::upsert;
  rows_per_statement_ =
      multi_row ? std::max<std::size_t>(1, std::min(kMaxRowsPerStatement, kMaxPlaceholders / spec.columns.size())) : 1;
  write_statement(connection.dialect(), spec_);  // validates the spec now, not at the first batch
  if (spec.mode == WriteMode::insert && connection.options().load_data)
    load_sql_ = load_data_sql(connection.dialect(), spec.table, spec.columns);
}

WriteCounts MyBulkWriter::write(const Batch& batch) {
  tether_.check("a MySQL/MariaDB bulk writer");
  check_batch_width(batch, spec_);
  check_storable(batch, spec_.columns);
  check_scales(batch, scale_limits(), spec_.columns);
  WriteCounts counts;
  std::optional<std::uint64_t> loaded;
  if (load_sql_ && batch.rows() >= kMinLoadDataRows) loaded = load(batch);
  if (loaded) {
    counts.inserted = *loaded;
  } else {
    for (std::size_t first = 0; first < batch.rows(); first += rows_per_statement_)
      counts += execute_rows(batch, first, std::min(rows_per_statement_, batch.rows() - first));
  }
  counts_ += counts;
  return counts;
}

const ScaleLimits& MyBulkWriter::scale_limits() {
  if (!scale_limits_) {
    // A missing table is not remembered: the statement reports it, and it may exist later.
    std::optional<TableInfo> table = connection_->describe_table(spec_.table);
    if (!table) {
      static const ScaleLimits kNone;
      return kNone;
    }
    scale_limits_ = db::scale_limits(table->columns, spec_.columns);
  }
  return *scale_limits_;
}

std::optional<std::uint64_t> MyBulkWriter::load(const Batch& batch) {
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
      return std::nullopt;
    }
    throw e.add_context(context);
  }
  scope.keep();
  return loaded;
}

WriteCounts MyBulkWriter::execute_rows(const Batch& batch, std::size_t first, std::size_t rows) {
  WriteStatement st = write_statement(connection_->dialect(), spec_, rows);
  params_.clear();
  for (std::size_t r = first; r < first + rows; ++r)
    for (std::size_t column : st.param_columns) params_.push_back(batch.at(r, column));
  try {
    std::uint64_t affected = connection_->execute(st.sql, params_);
    if (std::optional<LoadWarning> w = first_load_warning(connection_->handle(), true))
      throw_warning(ErrorKind::data, w->code, w->message, w->count, "a value would lose digits");
    return statement_result(rows, affected);
  } catch (Error& e) {
    throw e.add_context(fmt::format("writing rows {}–{} of the batch to `{}`", first + 1, first + rows,
                                    spec_.table.to_string()));
  }
}

WriteCounts MyBulkWriter::statement_result(std::size_t rows, std::uint64_t affected) const {
  WriteCounts counts;
  const std::string_view info = connection_->last_info();
  switch (spec_.mode) {
    case WriteMode::insert: counts.inserted = affected; break;
    case WriteMode::upsert: {
      // ON DUPLICATE KEY UPDATE reports 1 per inserted row, 2 per updated row and 0 per row it
      // left as it was; a multi-row statement's info counts the updated ones ("Duplicates",
      // the rows changed). A single row's count says it all. (A no-op clause, for an upsert
      // with nothing but the key, changes nothing: its conflicts are unchanged.)
      std::uint64_t updated = rows == 1 ? affected / 2 : info_number(info, "Duplicates: ").value_or(affected > rows ? affected - rows : 0);
      updated = std::min<std::uint64_t>(updated, affected / 2);
      counts.inserted = std::min<std::uint64_t>(affected - 2 * updated, rows - updated);
      counts.updated = updated;
      counts.unchanged = rows - counts.inserted - updated;
      break;
    }
    case WriteMode::update: {
      // affected counts rows changed; "Rows matched" also those already holding the values.
      std::uint64_t matched = std::min<std::uint64_t>(info_number(info, "Rows matched: ").value_or(affected), rows);
      counts.updated = std::min<std::uint64_t>(affected, matched);
      counts.unchanged = matched - counts.updated;
      counts.not_found = rows - matched;
      break;
    }
    case WriteMode::remove: counts = statement_counts(spec_.mode, rows, affected); break;
  }
  return counts;
}

}  // namespace weir::db::mysql
