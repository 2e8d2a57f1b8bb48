#include "db/postgres/bulk_writer.hpp"

#include <fmt/format.h>

#include <cstdlib>

#include "db/common/column_rounding.hpp"
#include "db/postgres/copy_in.hpp"
#include "db/postgres/errors.hpp"
#include "db/postgres/types.hpp"

namespace weir::db::postgres {
namespace {

// Sent whenever this much is encoded: big enough for few, full socket writes, small enough
// that the server works on the first rows while the next ones are encoded.
constexpr std::size_t kCopyChunk = 64 << 10;
constexpr std::size_t kPipelineDepth = 1000;
// From this many rows on, BulkMerge::automatic stages upserts, updates and deletes: below it
// making and emptying the stage costs more than it saves (bench/pg_merge.sh).
constexpr std::size_t kStageFromRows = 1000;

// The type of each column; a domain's base type in its place (the server reads a domain's
// binary form with its base type's, then checks the domain's constraints); its modifier and name.
constexpr const char* kColumnTypesSql =
    "SELECT a.attname, (CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE a.atttypid END)::int8, "
    "a.atttypmod, format_type(a.atttypid, a.atttypmod) "
    "FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
    "WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped";

}  // namespace

PgBulkWriter::PgBulkWriter(PgConnection& connection, const WriteSpec& spec)
    : connection_(&connection),
      tether_(connection.tether()),
      spec_(spec),
      statement_(write_statement(connection.dialect(), spec)) {
  if (spec_.mode != WriteMode::insert) {
    if (connection.bulk_merge() != BulkMerge::statements) stage_ = staged_merge(connection.dialect(), spec_);
    // Each upsert says whether it inserted (see staged_merge.cpp on xmax); one that left the
    // row as it was (the values already there, or nothing but the key to set) returns no row.
    if (spec_.mode == WriteMode::upsert) statement_.sql += " RETURNING (xmax = 0)";
    return;
  }
  const Dialect& d = connection.dialect();
  copy_text_sql_ = fmt::format("COPY {} ({}) FROM STDIN", d.quote_table(spec_.table), d.quote_identifiers(spec_.columns));
  copy_binary_sql_ = copy_text_sql_ + " (FORMAT binary)";
}

WriteCounts PgBulkWriter::write(const Batch& batch) {
  tether_.check("a PostgreSQL bulk writer");
  check_batch_width(batch, spec_);
  WriteCounts counts;
  if (batch.empty()) return counts;
  connection_->finish_active_cursor();
  codecs();
  check_scales(batch, scale_limits_, spec_.columns);
  if (spec_.mode == WriteMode::insert)
    counts.inserted = copy(batch, copy_text_sql_, copy_binary_sql_,
                           fmt::format("copying into `{}`", spec_.table.to_string()), false);
  else if (staged(batch)) counts = merge(batch);
  else counts = pipeline(batch);
  counts_ += counts;
  return counts;
}

bool PgBulkWriter::staged(const Batch& batch) const {
  if (!stage_) return false;
  if (connection_->bulk_merge() == BulkMerge::copy) return true;  // and fails clearly without TEMP
  // A role without the TEMP privilege still writes, one statement per row.
  return batch.rows() >= kStageFromRows && connection_->may_create_temp_tables();
}

WriteCounts PgBulkWriter::merge(const Batch& batch) {
  const std::string context = fmt::format("writing to `{}` through a stage", spec_.table.to_string());
  // Outside a transaction each statement would commit alone, and the commit after the
  // stage's creation would drop it again (ON COMMIT DROP).
  std::optional<Transaction> own;
  if (!connection_->in_transaction()) own.emplace(*connection_);
  try {
    connection_->execute_script(stage_->prepare);
  } catch (Error& e) {
    throw e.add_context(context);
  }
  const std::uint64_t staged = copy(batch, stage_->copy_text, stage_->copy_binary, context, true);
  std::uint64_t found = 0;
  ResultHandle merged;
  try {
    merged = connection_->run(stage_->merge, {});
    found = std::min<std::uint64_t>(staged, std::strtoull(PQgetvalue(merged.get(), 0, 0), nullptr, 10));
    if (own) own->commit();
  } catch (Error& e) {
    throw e.add_context(context);
  }
  WriteCounts counts;
  switch (spec_.mode) {
    case WriteMode::insert_or_ignore:
      counts.inserted = found;
      counts.unchanged = staged - found;
      return counts;
    case WriteMode::upsert: {
      // Rows before the last of their key in the batch count as updated, as when each row is a
      // statement; the merge wrote only the last.
      const std::uint64_t updated = std::strtoull(PQgetvalue(merged.get(), 0, 1), nullptr, 10);
      // Only when some rows were neither inserted nor updated is it worth telling which.
      const std::uint64_t superseded =
          found + updated < staged ? batch.rows() - count_last_rows_of_keys(batch, spec_) : 0;
      counts.inserted = found;
      counts.updated = std::min(updated + superseded, staged - found);
      counts.unchanged = staged - found - counts.updated;
      return counts;
    }
    default: return statement_counts(spec_.mode, staged, found);
  }
}

const std::vector<BinaryCodec>& PgBulkWriter::codecs() {
  if (codecs_) return *codecs_;
  std::vector<Value> table{Value(connection_->dialect().quote_table(spec_.table))};
  ResultHandle types = connection_->run(kColumnTypesSql, table);
  const int found = PQntuples(types.get());
  std::vector<BinaryCodec> codecs;
  column_types_.assign(spec_.columns.size(), 0);
  scale_limits_.assign(spec_.columns.size(), std::nullopt);
  bool all_binary = true;
  for (std::size_t c = 0; c < spec_.columns.size(); ++c) {
    for (int i = 0; i < found && !column_types_[c]; ++i) {
      if (spec_.columns[c] != PQgetvalue(types.get(), i, 0)) continue;
      const Oid oid = static_cast<Oid>(std::strtoul(PQgetvalue(types.get(), i, 1), nullptr, 10));
      const PgType* t = find_type(oid);
      Column column{spec_.columns[c], t ? t->type : Type::text, PQgetvalue(types.get(), i, 3)};
      describe_modifier(oid, std::atoi(PQgetvalue(types.get(), i, 2)), column);
      column_types_[c] = oid;
      scale_limits_[c] = scale_limit(column);
    }
    std::optional<BinaryCodec> codec = BinaryCodec::for_type(column_types_[c]);
    all_binary = all_binary && codec;
    if (codec) codecs.push_back(*codec);
  }
  if (!all_binary) codecs.clear();
  param_types_.clear();
  for (std::size_t column : statement_.param_columns) param_types_.push_back(column_types_[column]);
  // A missing table is not remembered: COPY reports it, and it may exist at the next write.
  if (found == 0) {
    static const std::vector<BinaryCodec> kNone;
    return kNone;
  }
  codecs_ = std::move(codecs);
  return *codecs_;
}

bool PgBulkWriter::binary_fits(const Batch& batch) {
  const std::vector<BinaryCodec>& columns = codecs();
  if (columns.empty()) return false;
  for (std::size_t r = 0; r < batch.rows(); ++r) {
    std::span<const Value> row = batch.row(r);
    for (std::size_t c = 0; c < row.size(); ++c)
      if (!columns[c].accepts(row[c])) return false;
  }
  return true;
}

std::uint64_t PgBulkWriter::copy(const Batch& batch, const std::string& text_sql, const std::string& binary_sql,
                                 const std::string& context, bool numbered) {
  const bool binary = binary_fits(batch);
  CopyIn copy(*connection_, binary ? binary_sql : text_sql, context);
  buffer_.clear();
  try {
    if (binary) encode_binary_rows(batch, copy, numbered);
    else encode_text_rows(batch, copy, numbered);
    copy.send(buffer_);
  } catch (Error& e) {
    buffer_.clear();
    copy.abort(e.what());
    throw e.add_context(context);
  } catch (...) {
    buffer_.clear();
    copy.abort("weir failed while sending the COPY data");
    throw;
  }
  return copy.finish();
}

void PgBulkWriter::encode_binary_rows(const Batch& batch, CopyIn& copy, bool numbered) {
  const std::vector<BinaryCodec>& columns = *codecs_;
  const auto width = static_cast<std::int16_t>(columns.size() + (numbered ? 1 : 0));
  append_binary_header(buffer_);
  std::size_t r = 0, c = 0;
  try {
    for (; r < batch.rows(); ++r) {
      std::span<const Value> row = batch.row(r);
      buffer_.put_i16(width);
      for (c = 0; c < row.size(); ++c) columns[c].encode(row[c], buffer_);
      if (numbered) {
        buffer_.put_i32(8);
        buffer_.put_i64(static_cast<std::int64_t>(r + 1));
      }
      if (buffer_.size() >= kCopyChunk) copy.send(buffer_);
    }
  } catch (Error& e) {
    if (e.kind() == ErrorKind::data)
      e.add_context(fmt::format("column `{}`, row {} of the batch", spec_.columns[c], r + 1));
    throw;
  }
  append_binary_trailer(buffer_);
}

void PgBulkWriter::encode_text_rows(const Batch& batch, CopyIn& copy, bool numbered) {
  codecs();
  for (std::size_t r = 0; r < batch.rows(); ++r) {
    try {
      append_text_row(batch.row(r), buffer_, numbered ? std::optional<std::int64_t>(r + 1) : std::nullopt,
                      column_types_);
    } catch (Error& e) {
      throw e.add_context(fmt::format("row {} of the batch", r + 1));
    }
    if (buffer_.size() >= kCopyChunk) copy.send(buffer_);
  }
}

void PgBulkWriter::count_statement(PGresult* result, WriteCounts& counts) const {
  if (spec_.mode == WriteMode::insert_or_ignore) {
    ++(std::strtoull(PQcmdTuples(result), nullptr, 10) ? counts.inserted : counts.unchanged);
  } else if (spec_.mode != WriteMode::upsert) {
    counts += statement_counts(spec_.mode, 1, std::strtoull(PQcmdTuples(result), nullptr, 10));
  } else if (PQntuples(result) == 0) {
    ++counts.unchanged;
  } else {
    ++(*PQgetvalue(result, 0, 0) == 't' ? counts.inserted : counts.updated);
  }
}

WriteCounts PgBulkWriter::pipeline(const Batch& batch) {
  PGconn* conn = connection_->handle();
  std::string context = fmt::format("writing to `{}`", spec_.table.to_string());
  codecs();  // the column types are asked for before pipeline mode, which takes no other query
  if (!PQenterPipelineMode(conn)) throw_connection_error(conn, context);
  std::vector<Value> row_params(statement_.param_columns.size());
  Params params;
  std::optional<Error> first_error;
  WriteCounts counts;
  try {
    for (std::size_t start = 0; start < batch.rows() && !first_error; start += kPipelineDepth) {
      std::size_t end = std::min(batch.rows(), start + kPipelineDepth);
      // The unnamed statement, parsed again after each Sync: a transaction pooler may send the
      // next part to another server connection. It lasts until the next one is parsed.
      if (!PQsendPrepare(conn, "", statement_.sql.c_str(), 0, nullptr)) throw_connection_error(conn, context);
      for (std::size_t r = start; r < end; ++r) {
        for (std::size_t p = 0; p < row_params.size(); ++p) row_params[p] = batch.at(r, statement_.param_columns[p]);
        params.bind(row_params, param_types_);
        if (!PQsendQueryPrepared(conn, "", params.size(), params.values(), params.lengths(), params.formats(), 0))
          throw_connection_error(conn, context);
      }
      if (!PQpipelineSync(conn)) throw_connection_error(conn, context);
      read_pipeline_results(conn, start, end, context, counts, first_error);
    }
  } catch (...) {
    end_pipeline_quietly(conn);
    throw;
  }
  PQexitPipelineMode(conn);
  if (first_error) throw *first_error;
  return counts;
}

void PgBulkWriter::read_pipeline_results(PGconn* conn, std::size_t start, std::size_t end, const std::string& context,
                                         WriteCounts& counts, std::optional<Error>& first_error) {
  // The parse's result, then each row's, each followed by a NULL; then the Sync's. Statement 0
  // is the parse, statement i the batch's row start + i.
  for (std::size_t statement = 0; statement <= end - start + 1;) {
    ResultHandle result(PQgetResult(conn));
    if (!result) {
      ++statement;
      continue;
    }
    ExecStatusType status = PQresultStatus(result.get());
    if (status == PGRES_PIPELINE_SYNC) break;
    if ((status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) && statement > 0) {
      count_statement(result.get(), counts);
    } else if (status == PGRES_FATAL_ERROR && !first_error) {
      try {
        const std::string where =
            statement == 0 ? context : fmt::format("{}, row {} of the batch", context, start + statement);
        throw_result_error(result.get(), conn, where);
      } catch (const Error& e) {
        first_error = e;
      }
    }
  }
}

}  // namespace weir::db::postgres
