// sql_write — writes records into a table: insert, upsert, update or delete, in batches.
//
// Rows accumulate in one open transaction until `batch.rows` rows or `batch.interval` have
// passed, then commit together: a failure rolls the whole batch back, never half of it.
// With `create_table: true` a missing table is created from the input's columns (types
// inferred from the first rows where the input cannot say).
#include <fmt/format.h>

#include <chrono>

#include "db/common/sql_writer.hpp"
#include "modules/builtin.hpp"
#include "weir/db/driver.hpp"
#include "weir/error.hpp"

namespace weir::modules {
namespace {

using config::Field;
using Clock = std::chrono::steady_clock;

const config::Spec& batch_spec() {
  static const config::Spec s{
      "batch",
      "When to commit.",
      {
          Field{.name = "rows", .shapes = config::kInteger, .default_value = "5000",
                .description = "Commit after this many rows.", .example = "10000"},
          Field{.name = "interval", .shapes = config::kDuration, .default_value = "1s",
                .description = "Commit pending rows at least this often.", .example = "500ms"},
      }};
  return s;
}

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
          Field{.name = "mode", .default_value = "insert", .choices = {"insert", "upsert", "update", "delete"},
                .description = "insert, upsert (insert or update on key), update (by key) or delete (by key).",
                .example = "upsert"},
          Field{.name = "key", .shapes = config::kStringList,
                .description = "Key columns (target names) for upsert, update and delete.", .example = "[id]"},
          Field{.name = "columns", .shapes = config::kString | config::kStringMap, .default_value = "all",
                .description = "`all` to write every input field to the column of the same name, or a map "
                               "of target column to input field.",
                .example = "{ id: id, total: amount }"},
          Field{.name = "batch", .shapes = config::kObject, .description = "When to commit.",
                .example = "{ rows: 5000, interval: 1s }", .nested = &batch_spec()},
          Field{.name = "create_table", .shapes = config::kBoolean, .default_value = "false",
                .description = "Create the table from the input's columns when it does not exist.",
                .example = "true"},
      }};
  return s;
}

db::WriteMode parse_mode(const std::string& mode) {
  if (mode == "upsert") return db::WriteMode::upsert;
  if (mode == "update") return db::WriteMode::update;
  if (mode == "delete") return db::WriteMode::remove;
  return db::WriteMode::insert;
}

// A column's type for CREATE TABLE: the input's, else the first non-null value's.
Type infer_type(const Batch& batch, std::size_t column) {
  if (Type t = batch.schema()[column].type; t != Type::null) return t;
  for (std::size_t r = 0; r < batch.rows(); ++r)
    if (!batch.at(r, column).is_null()) return batch.at(r, column).type();
  return Type::null;
}

class SqlWrite final : public pipeline::Output {
 public:
  SqlWrite(const config::Section& section, const pipeline::ModuleContext& context)
      : connection_config_(context.connection(section, "connection")),
        path_(section.path()),
        create_table_(section.boolean("create_table")) {
    spec_.table = db::TableRef::parse(section.string("table"));
    spec_.mode = parse_mode(section.string("mode"));
    spec_.key = section.string_list("key");
    if (spec_.mode != db::WriteMode::insert && spec_.key.empty())
      throw Error(ErrorKind::config, fmt::format("{}: mode {} needs `key`", section.path_of("key"),
                                                 section.string("mode")));
    for (const std::string& k : spec_.key) db::validate_identifier(k, "key column");
    if (section.node("columns").IsMap()) {
      for (auto& [target, source] : section.string_map("columns")) {
        db::validate_identifier(target, "column");
        mapping_.emplace_back(target, source);
      }
    } else if (section.string("columns") != "all") {
      throw Error(ErrorKind::config, fmt::format("{}: expected `all` or a map of column: field",
                                                 section.path_of("columns")));
    }
    config::Section batch(section.node("batch"), batch_spec(), section.path_of("batch"));
    batch_rows_ = static_cast<std::uint64_t>(std::max<std::int64_t>(1, batch.integer("rows")));
    batch_interval_ = batch.duration("interval");
  }

  void open() override { connection_ = db::connect(connection_config_); }

  void write(const Batch& batch) override {
    if (batch.empty()) return;
    if (!writer_) prepare(batch);
    if (!connection_->in_transaction()) {
      connection_->begin();
      batch_started_ = Clock::now();
    }
    try {
      writer_->write(identity_ ? batch : project(batch));
    } catch (Error& e) {
      rollback_quietly();
      throw e.add_context(fmt::format("{} writing to `{}`", path_, spec_.table.to_string()));
    }
    pending_ += batch.rows();
    if (pending_ >= batch_rows_) flush();
  }

  void flush_if_due() override {
    if (pending_ && Clock::now() - batch_started_ >= batch_interval_) flush();
  }

  void flush() override {
    if (!connection_ || !connection_->in_transaction()) return;
    try {
      connection_->commit();
    } catch (Error& e) {
      rollback_quietly();
      throw e.add_context(fmt::format("{} committing to `{}`", path_, spec_.table.to_string()));
    }
    written_ += pending_;
    pending_ = 0;
  }

  std::uint64_t rows_written() const noexcept override { return written_; }

 private:
  void rollback_quietly() noexcept {
    try {
      connection_->rollback();
    } catch (...) {
    }
    pending_ = 0;
  }

  // Resolves the column mapping against the first batch's schema, creates the table if
  // asked, and makes the bulk writer.
  void prepare(const Batch& first) {
    const Schema& input = first.schema();
    std::vector<Column> columns;
    if (mapping_.empty()) {
      for (std::size_t i = 0; i < input.size(); ++i) {
        db::validate_identifier(input[i].name, "column");
        sources_.push_back(i);
      }
    } else {
      for (const auto& [target, source] : mapping_) {
        auto index = input.find(source);
        if (!index) input.index_of(source);  // throws, naming the closest field
        sources_.push_back(*index);
      }
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
    projected_schema_ = std::make_shared<const Schema>(std::move(columns));
    if (create_table_ && !connection_->describe_table(spec_.table))
      connection_->execute(db::create_table_sql(connection_->dialect(), spec_.table, *projected_schema_, spec_.key));
    writer_ = connection_->bulk_writer(spec_);
  }

  const Batch& project(const Batch& batch) {
    scratch_.reset(projected_schema_);
    for (std::size_t r = 0; r < batch.rows(); ++r) {
      std::span<Value> row = scratch_.append_row();
      for (std::size_t c = 0; c < sources_.size(); ++c) row[c] = batch.at(r, sources_[c]);
    }
    return scratch_;
  }

  db::ConnectionConfig connection_config_;
  std::string path_;
  bool create_table_;
  db::WriteSpec spec_;
  std::vector<std::pair<std::string, std::string>> mapping_;  // target column → input field
  std::vector<std::size_t> sources_;                          // input index per target column
  bool identity_ = false;
  std::shared_ptr<const Schema> projected_schema_;
  Batch scratch_;
  std::uint64_t batch_rows_ = 5000;
  std::chrono::milliseconds batch_interval_{1000};
  std::unique_ptr<db::Connection> connection_;
  std::unique_ptr<db::BulkWriter> writer_;
  Clock::time_point batch_started_;
  std::uint64_t pending_ = 0;
  std::uint64_t written_ = 0;
};

std::unique_ptr<pipeline::Output> make(const config::Section& section, const pipeline::ModuleContext& context) {
  return std::make_unique<SqlWrite>(section, context);
}

}  // namespace

pipeline::OutputModule sql_write_module() { return {"sql_write", &spec, &make}; }

}  // namespace weir::modules
