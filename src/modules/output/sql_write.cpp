// sql_write — writes records into a table: insert, upsert, update or delete, in batches.
//
// The module is a Sink over one connection leased from the run's pool and a bulk writer; it
// holds the lease from its first batch to the end of the pipeline. The commit engine
// (pipeline/commit_engine.hpp) batches the rows, commits each batch with the checkpoint, sets
// rejected rows aside, replays after transient errors and, for `mode: replace`, makes each run
// of the input one transaction that starts by emptying the table.
// With `create_table: true` a missing table is created from the input's columns (types
// inferred from the first rows where the input cannot say).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "db/common/sql_writer.hpp"
#include "modules/builtin.hpp"
#include "modules/output/column_map.hpp"
#include "modules/output/database_sink.hpp"
#include "modules/output/refused_column.hpp"
#include "modules/retry_option.hpp"
#include "pipeline/commit_engine.hpp"
#include "weir/db/driver.hpp"
#include "weir/db/pool.hpp"
#include "weir/error.hpp"

namespace weir::modules {
namespace {

using config::Field;

const config::Spec& spec() {
  static const config::Spec s{
      "sql_write",
      "Writes records into a table with batched INSERT, upsert, UPDATE or DELETE, one transaction per batch.",
      {
          Field{.name = "connection", .required = true, .description = "Name of the connection to write to.",
                .example = "warehouse"},
          Field{.name = "table", .required = true,
                .description = "Target table, optionally schema-qualified; quoted by the database's rules.",
                .example = "orders_enriched"},
          Field{.name = "mode", .default_value = "insert",
                .choices = {"insert", "insert_or_ignore", "upsert", "update", "delete", "replace"},
                .description = "insert; insert_or_ignore (rows whose key is already there are left alone); "
                               "upsert (insert, or update on key the rows whose written values differ: a row "
                               "holding them already is left alone and fires no trigger); update (by key); "
                               "delete (by key); or replace: each run's rows replace the table's in one "
                               "transaction, committed only when the input read them all (not for an input "
                               "with a cursor, which reads only new rows).",
                .example = "upsert"},
          Field{.name = "key", .shapes = config::kStringList,
                .description = "Key columns (target names) for upsert, update and delete, of any type (a "
                               "uuid, text, several columns); for insert_or_ignore the unique key whose "
                               "conflicts are ignored (absent: any).",
                .example = "[id]"},
          Field{.name = "columns", .shapes = config::kString | config::kStringMap, .default_value = "all",
                .description = "`all` to write every input field to the column of the same name, or a map "
                               "of target column to input field.",
                .example = "{ id: id, total: amount }"},
          pipeline::batch_field(),
          Field{.name = "create_table", .shapes = config::kBoolean, .default_value = "false",
                .description = "Create the table from the input's columns when it does not exist.",
                .example = "true"},
          retry_field(),
      }};
  return s;
}

db::WriteMode parse_mode(const std::string& mode) {
  if (mode == "upsert") return db::WriteMode::upsert;
  if (mode == "update") return db::WriteMode::update;
  if (mode == "delete") return db::WriteMode::remove;
  if (mode == "insert_or_ignore") return db::WriteMode::insert_or_ignore;
  return db::WriteMode::insert;
}

// A column's type for CREATE TABLE: the input's, else the first non-null value's.
Type infer_type(const Batch& batch, std::size_t column) {
  if (Type t = batch.schema()[column].type; t != Type::null) return t;
  for (std::size_t r = 0; r < batch.rows(); ++r)
    if (!batch.at(r, column).is_null()) return batch.at(r, column).type();
  return Type::null;
}

class SqlWriteSink final : public DatabaseSink {
 public:
  SqlWriteSink(const config::Section& section, const pipeline::ModuleContext& context)
      : DatabaseSink(context, context.connection(section, "connection"), section.path()),
        create_table_(section.boolean("create_table")) {
    spec_.table = db::TableRef::parse(section.string("table"));
    spec_.mode = parse_mode(section.string("mode"));
    spec_.key = section.string_list("key");
    const bool needs_key = spec_.mode != db::WriteMode::insert && spec_.mode != db::WriteMode::insert_or_ignore;
    if (needs_key && spec_.key.empty())
      throw Error(ErrorKind::config, fmt::format("{}: mode {} needs `key`", section.path_of("key"),
                                                 section.string("mode")));
    for (const std::string& k : spec_.key) db::validate_identifier(k, "key column");
    mapping_ = read_column_map(section, "columns");
    if (mapping_.empty() && section.string("columns") != "all") {
      throw Error(ErrorKind::config, fmt::format("{}: expected `all` or a map of column: field",
                                                 section.path_of("columns")));
    }
  }

  void prepare(const Batch& first) override;
  // A batch in another shape than the last (a change stream's table changed mid-stream, or a
  // filter's output did) is mapped onto the same target columns again, by name.
  const Batch& shape(const Batch& batch) override {
    if (batch.schema_ptr() != bound_) bind(batch.schema_ptr());
    return identity_ ? batch : project(batch);
  }
  void reset_writes() override { writer_ = connection_->bulk_writer(spec_); }

  db::WriteCounts write(const Batch& rows) override {
    if (rows.has_changes()) refuse_unsent_cells(rows);
    try {
      return writer_->write(rows);
    } catch (Error& e) {
      if (rows.rows() == 1 && pipeline::is_row_error(e)) name_refused_column(e, target_columns_, checks_, spec_.columns, rows.row(0));
      throw;
    }
  }

  void empty_target() override { connection_->execute(db::delete_all_sql(connection_->dialect(), spec_.table)); }
  bool exists() override { return connection_->describe_table(spec_.table).has_value(); }

  // The target's names: what was rejected.
  std::string record_json(const Batch& rows, std::size_t row) const override {
    return pipeline::row_json(rows, row, &spec_.columns);
  }

  // `key`'s columns, else the target's primary key.
  std::string row_key(const Batch& rows, std::size_t row) const override {
    std::string out;
    for (std::size_t c = 0; c < rows.width() && c < spec_.columns.size(); ++c) {
      if (std::ranges::find(key_columns_, spec_.columns[c]) == key_columns_.end()) continue;
      out += fmt::format("{}{}=", out.empty() ? "" : ", ", spec_.columns[c]);
      rows.at(row, c).append_json(out);
    }
    return out;
  }

  std::string describe() const override { return fmt::format("{} writing to `{}`", path_, spec_.table.to_string()); }
  std::string target() const override { return spec_.table.to_string(); }

  pipeline::Identity identity() const override {
    return {{"connection", connection_config_.identity()}, {"table", spec_.table.to_string()}};
  }
  void probe(const Schema* input) override;

 private:
  std::size_t source_index(const Schema& input, const std::string& target, const std::string& source) const {
    return mapped_field(input, path_, target, source);
  }
  void bind(const std::shared_ptr<const Schema>& input);
  void refuse_unsent_cells(const Batch& rows) const;
  const Batch& project(const Batch& batch);
  void drop_writers() noexcept override { writer_.reset(); }

  bool create_table_;
  db::WriteSpec spec_;
  ColumnMap mapping_;                                         // target column → input field
  std::vector<std::size_t> sources_;                          // input index per target column
  std::shared_ptr<const Schema> bound_;                       // the input shape sources_ reads
  bool identity_ = false;
  std::shared_ptr<const Schema> projected_schema_;
  Batch scratch_;
  std::unique_ptr<db::BulkWriter> writer_;
  std::vector<std::string> key_columns_;  // what names a row in messages: `key`, else the primary key
  std::vector<Column> target_columns_;    // as described when prepared, to name a column that refuses a value
  std::vector<db::Constraint> checks_;    // the target's CHECK constraints, likewise
};

void SqlWriteSink::probe(const Schema* input) {
  db::Lease connection = pool_->acquire();
  auto table = connection->describe_table(spec_.table);
  std::string where = fmt::format("{}: table `{}` on {}", path_, spec_.table.to_string(), connection_config_.describe());
  std::vector<std::string> wanted;
  for (const auto& [target, source] : mapping_) {
    wanted.push_back(target);
    if (input) source_index(*input, target, source);
  }
  if (!table) {
    if (create_table_) return;
    throw Error(ErrorKind::config, fmt::format("{} does not exist (set create_table: true to create it)", where));
  }
  if (mapping_.empty() && input)
    for (const Column& c : input->columns()) wanted.push_back(c.name);
  wanted.insert(wanted.end(), spec_.key.begin(), spec_.key.end());
  for (const std::string& column : wanted) {
    bool found = false;
    for (const auto& c : table->columns) found = found || c.name == column;
    if (!found) throw Error(ErrorKind::config, fmt::format("{} has no column `{}`", where, column));
  }
}

// Resolves the column mapping against the first batch's schema, creates the table if asked,
// and makes the bulk writer.
void SqlWriteSink::prepare(const Batch& first) {
  const Schema& input = first.schema();
  std::vector<Column> columns;
  if (mapping_.empty()) {
    for (std::size_t i = 0; i < input.size(); ++i) {
      db::validate_identifier(input[i].name, "column");
      sources_.push_back(i);
    }
  } else {
    for (const auto& [target, source] : mapping_) sources_.push_back(source_index(input, target, source));
  }
  identity_ = sources_.size() == input.size();
  for (std::size_t i = 0; i < sources_.size(); ++i) {
    identity_ = identity_ && sources_[i] == i;
    Column c = input[sources_[i]];
    c.name = mapping_.empty() ? c.name : mapping_[i].first;
    c.type = infer_type(first, sources_[i]);
    spec_.columns.push_back(c.name);
    columns.push_back(std::move(c));
  }
  // The source's primary key is kept only whole: a part of it need not be unique.
  auto key_columns = [](const std::vector<Column>& cs) {
    return std::count_if(cs.begin(), cs.end(), [](const Column& c) { return c.primary_key; });
  };
  if (key_columns(columns) != key_columns(input.columns()))
    for (Column& c : columns) c.primary_key = false;
  bound_ = first.schema_ptr();
  projected_schema_ = std::make_shared<const Schema>(std::move(columns), input.source());
  auto target = connection_->describe_table(spec_.table);
  if (create_table_ && !target) {
    connection_->execute(db::create_table_sql(connection_->dialect(), spec_.table, *projected_schema_, spec_.key));
    target = connection_->describe_table(spec_.table);
  }
  key_columns_ = spec_.key;
  if (key_columns_.empty() && target) key_columns_ = target->primary_key;
  if (target) target_columns_ = target->columns, checks_ = checks_of(*connection_, connection_config_, *target);
  writer_ = connection_->bulk_writer(spec_);
}

// Maps the target's columns (fixed by the first batch, or by `columns:`) onto a new input
// shape; throws Error{config} naming the field the target cannot take or lacks.
void SqlWriteSink::bind(const std::shared_ptr<const Schema>& input) {
  std::vector<std::size_t> sources;
  for (std::size_t i = 0; i < spec_.columns.size(); ++i) {
    if (!mapping_.empty()) {
      sources.push_back(source_index(*input, mapping_[i].first, mapping_[i].second));
    } else if (auto index = input->find(spec_.columns[i])) {
      sources.push_back(*index);
    } else {
      throw Error(ErrorKind::config,
                  fmt::format("{}: the input's fields changed: `{}`, written to `{}` from the first batch on, is "
                              "missing",
                              path_, spec_.columns[i], spec_.table.to_string()));
    }
  }
  if (mapping_.empty())
    for (const Column& c : input->columns())
      if (std::ranges::find(spec_.columns, c.name) == spec_.columns.end())
        throw Error(ErrorKind::config,
                    fmt::format("{}: the input's fields changed: `{}` is not among the columns written to `{}` "
                                "(taken from the first batch: {}); map the fields with `columns:`",
                                path_, c.name, spec_.table.to_string(), fmt::join(spec_.columns, ", ")));
  sources_ = std::move(sources);
  identity_ = sources_.size() == input->size();
  for (std::size_t i = 0; i < sources_.size(); ++i) identity_ = identity_ && sources_[i] == i;
  bound_ = input;
}

// A cell the source did not send (an unchanged TOASTed value) is neither NULL nor a value:
// writing either would change the target's row, so the row is rejected instead.
void SqlWriteSink::refuse_unsent_cells(const Batch& rows) const {
  for (std::size_t r = 0; r < rows.rows(); ++r) {
    if (rows.all_sent(r)) continue;
    std::size_t c = 0;
    while (rows.sent(r, c)) ++c;
    throw Error(ErrorKind::data,
                fmt::format("column `{}`: the source did not send its value (unchanged and stored out of line, "
                            "as PostgreSQL does with TOASTed values); sql_write would overwrite it",
                            spec_.columns[c]));
  }
}

const Batch& SqlWriteSink::project(const Batch& batch) {
  scratch_.reset(projected_schema_);
  const bool changes = batch.has_changes();
  for (std::size_t r = 0; r < batch.rows(); ++r) {
    std::span<Value> row = scratch_.append_row();
    for (std::size_t c = 0; c < sources_.size(); ++c) row[c] = batch.at(r, sources_[c]);
    if (changes) scratch_.carry_change(batch, r);
  }
  return scratch_;
}

std::unique_ptr<pipeline::Output> make(const config::Section& section, const pipeline::ModuleContext& context) {
  auto sink = std::make_unique<SqlWriteSink>(section, context);
  const bool replace = section.string("mode") == "replace";
  auto policy = pipeline::read_commit_policy(section, replace, read_retry_policy(section));
  return std::make_unique<pipeline::CommitEngine>(std::move(sink), std::move(policy));
}

}  // namespace

pipeline::OutputModule sql_write_module() { return {"sql_write", &spec, &make}; }

}  // namespace weir::modules
