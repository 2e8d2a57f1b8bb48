#include "pipeline/dead_letters.hpp"

#include <fmt/format.h>

#include <chrono>

#include "weir/error.hpp"
#include "weir/temporal.hpp"

namespace weir::pipeline {
namespace {

const std::vector<std::string>& letter_columns() {
  static const std::vector<std::string> columns{"pipeline",      "stage",  "error_kind",
                                                "error_message", "record", "created_at"};
  return columns;
}

std::shared_ptr<const Schema> letter_schema() {
  static const auto schema = [] {
    std::vector<Column> columns;
    for (const std::string& name : letter_columns()) {
      Column column;
      column.name = name;
      column.type = Type::text;
      columns.push_back(std::move(column));
    }
    return std::make_shared<const Schema>(std::move(columns));
  }();
  return schema;
}

}  // namespace

DeadLetterTable::DeadLetterTable(db::ConnectionConfig config, db::TableRef table, std::string pipeline,
                                 std::shared_ptr<db::Pool> pool, RetryPolicy retry)
    : config_(std::move(config)),
      table_(std::move(table)),
      pipeline_(std::move(pipeline)),
      pool_(pool ? std::move(pool) : db::Pool::create(config_)),
      retry_(retry) {}

void DeadLetterTable::add(DeadLetter letter) {
  std::lock_guard lock(mutex_);
  pending_.push_back(std::move(letter));
  ++added_;
}

std::string DeadLetterTable::location() const {
  return fmt::format("table `{}` on {}", table_.to_string(), config_.describe());
}

std::vector<DeadLetter> DeadLetterTable::snapshot() {
  std::lock_guard lock(mutex_);
  in_flight_ = pending_.size();
  return pending_;
}

void DeadLetterTable::confirm() {
  std::lock_guard lock(mutex_);
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(in_flight_));
  in_flight_ = 0;
}

void DeadLetterTable::ensure_table(db::Connection& connection) const {
  const db::Dialect& d = connection.dialect();
  auto q = [&](std::string_view name) { return d.quote_identifier(name); };
  connection.execute(fmt::format(
      "CREATE TABLE IF NOT EXISTS {} ({} VARCHAR(255) NOT NULL, {} VARCHAR(255) NOT NULL, {} VARCHAR(40) NOT NULL, "
      "{} TEXT NOT NULL, {} TEXT NOT NULL, {} VARCHAR(40) NOT NULL)",
      d.quote_table(table_), q("pipeline"), q("stage"), q("error_kind"), q("error_message"), q("record"),
      q("created_at")));
}

void DeadLetterTable::write(db::Connection& connection, const std::vector<DeadLetter>& letters) {
  if (letters.empty()) return;
  Batch batch(letter_schema());
  std::string created = format_timestamptz(timestamptz_now());
  for (const DeadLetter& l : letters) {
    std::span<Value> row = batch.append_row();
    row[0] = Value(pipeline_);
    row[1] = Value(l.stage);
    row[2] = Value(to_string(l.kind));
    row[3] = Value(l.message);
    row[4] = Value(l.record_json);
    row[5] = Value(created);
  }
  db::WriteSpec spec{table_, letter_columns(), db::WriteMode::insert, {}};
  auto writer = connection.bulk_writer(spec);
  writer->write(batch);
  writer->finish();
}

void DeadLetterTable::write_pending(db::Connection& connection) { write(connection, snapshot()); }

void DeadLetterTable::flush(std::stop_token stop) {
  std::vector<DeadLetter> letters = snapshot();
  if (letters.empty()) return;
  const std::string what = fmt::format("writing dead letters to `{}`", table_.to_string());
  try {
    db::with_connection(
        *pool_, retry_,
        [&](db::Connection& c) {
          if (!table_checked_) {
            ensure_table(c);
            table_checked_ = true;
          }
          db::Transaction tx(c);
          write(c, letters);
          tx.commit();
        },
        db::Idempotent::yes, logged_retries(what, config_.describe(), retry_, std::move(stop)));
  } catch (Error& e) {
    throw e.add_context(fmt::format("{} in {}", what, config_.describe()));
  }
  confirm();
}

}  // namespace weir::pipeline
