#include "pipeline/dead_letters.hpp"

#include <fmt/format.h>

#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>

#include "db/common/sql_writer.hpp"
#include "pipeline/change_letters.hpp"
#include "pipeline/checkpoint.hpp"
#include "pipeline/sink.hpp"
#include "weir/error.hpp"
#include "weir/temporal.hpp"

namespace weir::pipeline {
namespace {

const std::vector<std::string>& letter_columns() {
  static const std::vector<std::string> columns{"pipeline",   "stage", "error_kind", "error_message",
                                                "record",     "created_at", "id",    "error_code",
                                                "original",   "original_values", "position"};
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

// A letter's id, one word to type or paste: unique across the processes writing the table
// (microseconds since the epoch, process, sequence), and sorting as the letters were made.
std::string new_letter_id() {
  static std::atomic<std::uint64_t> sequence{0};
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                    std::chrono::system_clock::now().time_since_epoch()).count();
  return fmt::format("{}-{}-{}", micros, ::getpid(), ++sequence);
}

bool has_column(db::Connection& connection, const db::TableRef& table, std::string_view name) {
  auto described = connection.describe_table(table);
  if (!described) return false;
  for (const Column& c : described->columns)
    if (c.name == name) return true;
  return false;
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
  if (letter.origin) {
    const Batch& origin = *letter.origin;
    const std::size_t row = letter.origin_row;
    // A change keeps what it did and where, for a replay to apply it as it was.
    const bool change = origin.op(row) != ChangeOp::row;
    letter.original_json = change ? change_json(origin, row) : row_json(origin, row);
    letter.original_values = change ? encode_change(origin, row) : encode_position(origin.row(row));
    if (input_) {
      letter.position = input_->position_of(*letter.origin, letter.origin_row);
      letter.replaces = input_->replayed_letter(*letter.origin, letter.origin_row);
    }
    letter.origin = nullptr;  // the batch is the stage's, not the letter's
  }
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
  db::create_if_missing(connection, fmt::format(
      "CREATE TABLE IF NOT EXISTS {} ({} VARCHAR(255) NOT NULL, {} VARCHAR(255) NOT NULL, {} VARCHAR(40) NOT NULL, "
      "{} TEXT NOT NULL, {} TEXT NOT NULL, {} VARCHAR(40) NOT NULL, {} VARCHAR(80), {} VARCHAR(20), {} TEXT, {} TEXT, "
      "{} TEXT)",
      d.quote_table(table_), q("pipeline"), q("stage"), q("error_kind"), q("error_message"), q("record"),
      q("created_at"), q("id"), q("error_code"), q("original"), q("original_values"), q("position")));
  // A table an earlier weir version made: its letters stay, without the columns added since.
  constexpr std::pair<std::string_view, std::string_view> kAdded[] = {{"id", "VARCHAR(80)"},
                                                                      {"error_code", "VARCHAR(20)"},
                                                                      {"original", "TEXT"},
                                                                      {"original_values", "TEXT"},
                                                                      {"position", "TEXT"}};
  for (auto [column, type] : kAdded) {
    if (has_column(connection, table_, column)) continue;
    try {
      connection.execute(fmt::format("ALTER TABLE {} ADD COLUMN {} {}", d.quote_table(table_), q(column), type));
    } catch (const Error&) {
      if (!has_column(connection, table_, column)) throw;  // else another pipeline added it meanwhile
    }
  }
}

void DeadLetterTable::write(db::Connection& connection, const std::vector<DeadLetter>& letters) {
  if (letters.empty()) return;
  Batch batch(letter_schema());
  std::string created = format_timestamptz(timestamptz_now());
  auto text_or_null = [](const std::string& text) { return text.empty() ? Value() : Value(text); };
  for (const DeadLetter& l : letters) {
    // A replay that gave up on a record again: its letter keeps its id, with the new error.
    if (!l.replaces.empty()) {
      delete_letter(connection, l.replaces);
      std::lock_guard lock(mutex_);
      rewritten_.insert(l.replaces);
    }
    std::span<Value> row = batch.append_row();
    row[0] = Value(pipeline_);
    row[1] = Value(l.stage);
    row[2] = Value(to_string(l.kind));
    row[3] = Value(l.message);
    row[4] = Value(l.record_json);
    row[5] = Value(created);
    row[6] = Value(l.replaces.empty() ? new_letter_id() : l.replaces);
    row[7] = text_or_null(l.code);
    row[8] = text_or_null(l.original_json);
    row[9] = text_or_null(l.original_values);
    row[10] = text_or_null(l.position);
  }
  db::WriteSpec spec{table_, letter_columns(), db::WriteMode::insert, {}};
  auto writer = connection.bulk_writer(spec);
  writer->write(batch);
  writer->finish();
}

void DeadLetterTable::write_pending(db::Connection& connection) { write(connection, snapshot()); }

std::uint64_t DeadLetterTable::delete_letter(db::Connection& connection, const std::string& id) {
  const db::Dialect& d = connection.dialect();
  return connection.execute(fmt::format("DELETE FROM {} WHERE {} = {} AND {} = {}", d.quote_table(table_),
                                        d.quote_identifier("pipeline"), d.placeholder(1), d.quote_identifier("id"),
                                        d.placeholder(2)),
                            std::array<Value, 2>{Value(pipeline_), Value(id)});
}

void DeadLetterTable::retire(db::Connection& connection, const std::vector<std::string>& ids) {
  for (const std::string& id : ids) delete_letter(connection, id);
}

void DeadLetterTable::retire(const std::vector<std::string>& ids, std::stop_token stop) {
  if (ids.empty()) return;
  const std::string what = fmt::format("deleting the replayed dead letters from `{}`", table_.to_string());
  try {
    db::with_connection(
        *pool_, retry_,
        [&](db::Connection& c) {
          db::Transaction tx(c);
          retire(c, ids);
          tx.commit();
        },
        db::Idempotent::yes, logged_retries(what, config_.describe(), retry_, std::move(stop)));
  } catch (Error& e) {
    throw e.add_context(fmt::format("{} in {}: the rows they held are written; replaying those letters again "
                                    "writes them again",
                                    what, config_.describe()));
  }
}

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

std::vector<DeadLetterTable::Stored> DeadLetterTable::list(const std::optional<std::string>& id) {
  std::vector<Stored> letters;
  db::with_connection(*pool_, retry_, [&](db::Connection& c) {
    ensure_table(c);
    letters.clear();
    const db::Dialect& d = c.dialect();
    auto q = [&](std::string_view name) { return d.quote_identifier(name); };
    std::vector<Value> params{Value(pipeline_)};
    std::string where = fmt::format("{} = {}", q("pipeline"), d.placeholder(1));
    if (id) {
      params.emplace_back(*id);
      where += fmt::format(" AND {} = {}", q("id"), d.placeholder(2));
    }
    auto rows = c.query(fmt::format("SELECT {}, {}, {}, {}, {}, {}, {}, {}, {}, {} FROM {} WHERE {} ORDER BY {}, {}",
                                    q("id"), q("created_at"), q("stage"), q("error_kind"), q("error_code"),
                                    q("error_message"), q("record"), q("original"), q("original_values"),
                                    q("position"), d.quote_table(table_), where, q("created_at"), q("id")),
                        params);
    Batch batch;
    while (rows->next(batch, 256))
      for (std::size_t r = 0; r < batch.rows(); ++r) {
        auto text = [&](std::size_t c) { return batch.at(r, c).to_text(); };
        letters.push_back(Stored{text(0), text(1), text(2), text(3), text(4), text(5), text(6), text(7), text(8),
                                 text(9)});
      }
  }, db::Idempotent::yes, {});
  return letters;
}

std::uint64_t DeadLetterTable::purge(const std::vector<std::string>& ids) {
  std::uint64_t purged = 0;
  db::with_connection(*pool_, retry_, [&](db::Connection& c) {
    ensure_table(c);
    const db::Dialect& d = c.dialect();
    auto q = [&](std::string_view name) { return d.quote_identifier(name); };
    const std::string all = fmt::format("DELETE FROM {} WHERE {} = {}", d.quote_table(table_), q("pipeline"),
                                        d.placeholder(1));
    db::Transaction tx(c);
    purged = 0;
    if (ids.empty()) purged = c.execute(all, std::array<Value, 1>{Value(pipeline_)});
    for (const std::string& id : ids)
      purged += c.execute(fmt::format("{} AND {} = {}", all, q("id"), d.placeholder(2)),
                          std::array<Value, 2>{Value(pipeline_), Value(id)});
    tx.commit();
  }, db::Idempotent::yes, {});
  return purged;
}

}  // namespace weir::pipeline
