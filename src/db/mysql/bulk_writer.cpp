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
  bool multi_row = inserts_rows(spec.mode);
  rows_per_statement_ =
      multi_row ? std::max<std::size_t>(1, std::min(kMaxRowsPerStatement, kMaxPlaceholders / spec.columns.size())) : 1;
  write_statement(connection.dialect(), spec_);  // validates the spec now, not at the first batch
  if (spec.mode == WriteMode::insert && connection.options().load_data)
    load_sql_ = load_data_sql(connection.dialect(), spec.table, spec.columns);
  // Without a key, insert_or_ignore cannot tell which rows are there: ON DUPLICATE KEY UPDATE.
  if (spec.mode == WriteMode::upsert || (spec.mode == WriteMode::insert_or_ignore && !spec.key.empty()))
    stage_ = staged_upsert(connection.dialect(), spec);
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
  } else if (stage_ && !batch.empty()) {
    counts = upsert(batch);
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

WriteCounts MyBulkWriter::upsert(const Batch& batch) {
  std::string context = fmt::format("upserting rows 1–{} of the batch into `{}` through a stage", batch.rows(),
                                    spec_.table.to_string());
  const bool ignore = spec_.mode == WriteMode::insert_or_ignore;  // the first row of a key, not the last
  const std::vector<char> last = last_rows_of_keys(batch, spec_, ignore);
  WriteCounts counts;
  StatementScope scope(*connection_);
  try {
    if (!stage_made_) connection_->execute_script(stage_->create);
    stage_made_ = true;
    connection_->execute(stage_->empty, {});
    fill_stage(batch, last);
    if (!stage_->update.empty()) counts.updated = connection_->execute(stage_->update, {});
    counts.inserted = connection_->execute(stage_->insert, {});
  } catch (Error& e) {
    scope.undo();
    throw e.add_context(context);
  }
  scope.keep();
  // Rows before the last of their key count as updated, as when each row is a statement.
  const auto kept = static_cast<std::uint64_t>(std::count(last.begin(), last.end(), 1));
  if (!ignore) counts.updated = std::min(counts.updated + (batch.rows() - kept), batch.rows() - counts.inserted);
  counts.unchanged = batch.rows() - counts.inserted - counts.updated;
  return counts;
}

void MyBulkWriter::fill_stage(const Batch& batch, const std::vector<char>& rows) {
  const WriteSpec stage{stage_->stage, spec_.columns, WriteMode::insert, {}};
  std::vector<std::size_t> chunk;
  auto flush = [&] {
    WriteStatement st = write_statement(connection_->dialect(), stage, chunk.size());
    params_.clear();
    for (std::size_t r : chunk)
      for (std::size_t column : st.param_columns) params_.push_back(batch.at(r, column));
    connection_->execute(st.sql, params_);
    if (std::optional<LoadWarning> w = first_load_warning(connection_->handle(), true))
      throw_warning(ErrorKind::data, w->code, w->message, w->count, "a value would lose digits");
    chunk.clear();
  };
  for (std::size_t r = 0; r < batch.rows(); ++r) {
    if (!rows[r]) continue;
    chunk.push_back(r);
    if (chunk.size() == rows_per_statement_) flush();
  }
  if (!chunk.empty()) flush();
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
    // The clause's no-op update affects nothing: a row not inserted was there already.
    case WriteMode::insert_or_ignore:
      counts.inserted = std::min<std::uint64_t>(affected, rows);
      counts.unchanged = rows - counts.inserted;
      break;
    case WriteMode::upsert:  // through the stage (upsert())
      throw Error(ErrorKind::internal, "MyBulkWriter: an upsert counted as a statement");
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
