#include "pipeline/state_store.hpp"

#include <fmt/format.h>

#include <array>
#include <chrono>
#include <filesystem>

#include "db/common/sql_writer.hpp"
#include "weir/error.hpp"
#include "weir/temporal.hpp"

namespace weir::pipeline {
namespace {

db::WriteSpec upsert_spec() {
  db::WriteSpec spec;
  spec.table = db::TableRef{"", std::string(StateStore::kTable)};
  spec.columns = {"pipeline", "position", "updated_at"};
  spec.mode = db::WriteMode::upsert;
  spec.key = {"pipeline"};
  return spec;
}

}  // namespace

void StateStore::ensure_table(db::Connection& connection) {
  const db::Dialect& d = connection.dialect();
  // VARCHAR for the key: MySQL cannot index TEXT without a prefix length.
  connection.execute(fmt::format("CREATE TABLE IF NOT EXISTS {} ({} VARCHAR(255) NOT NULL PRIMARY KEY, "
                                 "{} TEXT NOT NULL, {} VARCHAR(40) NOT NULL)",
                                 d.quote_identifier(kTable), d.quote_identifier("pipeline"),
                                 d.quote_identifier("position"), d.quote_identifier("updated_at")));
}

db::Connection& StateStore::connection() {
  if (connection_ && connection_->broken()) connection_.reset();
  if (!connection_) {
    // The default store is a file in .weir/ next to the project: make the folder on first use.
    if (config_.url.scheme == "sqlite" && config_.url.database != ":memory:") {
      std::error_code ignored;
      std::filesystem::create_directories(std::filesystem::path(config_.url.database).parent_path(), ignored);
    }
    auto c = db::connect(config_);
    ensure_table(*c);
    connection_ = std::move(c);
  }
  return *connection_;
}

std::optional<std::string> StateStore::load(std::string_view pipeline) {
  std::lock_guard lock(mutex_);
  db::Connection& c = connection();
  const db::Dialect& d = c.dialect();
  std::array<Value, 1> params{Value(pipeline)};
  auto cursor = c.query(fmt::format("SELECT {} FROM {} WHERE {} = {}", d.quote_identifier("position"),
                                    d.quote_identifier(kTable), d.quote_identifier("pipeline"), d.placeholder(1)),
                        params);
  Batch rows;
  std::optional<std::string> found;
  while (cursor->next(rows, 16))
    if (!rows.empty() && !rows.at(0, 0).is_null()) found = rows.at(0, 0).to_text();
  return found;
}

void StateStore::save_with(db::Connection& connection, std::string_view pipeline, std::string_view checkpoint) {
  static const db::WriteSpec spec = upsert_spec();
  std::array<Value, 3> params{Value(pipeline), Value(checkpoint), Value(format_timestamptz(timestamptz_now()))};
  auto statement = db::write_statement(connection.dialect(), spec);
  std::vector<Value> bound;
  for (std::size_t column : statement.param_columns) bound.push_back(params[column]);
  connection.execute(statement.sql, bound);
}

void StateStore::save(std::string_view pipeline, std::string_view checkpoint) {
  std::lock_guard lock(mutex_);
  db::Connection& c = connection();
  db::Transaction tx(c);
  save_with(c, pipeline, checkpoint);
  tx.commit();
}

void StateStore::reset(std::string_view pipeline) {
  std::lock_guard lock(mutex_);
  db::Connection& c = connection();
  const db::Dialect& d = c.dialect();
  std::array<Value, 1> params{Value(pipeline)};
  c.execute(fmt::format("DELETE FROM {} WHERE {} = {}", d.quote_identifier(kTable), d.quote_identifier("pipeline"),
                        d.placeholder(1)),
            params);
}

}  // namespace weir::pipeline
