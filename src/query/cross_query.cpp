#include "query/cross_query.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>

#include "db/sqlite/connection.hpp"
#include "query/decimal_order.hpp"
#include "query/remote_traits.hpp"
#include "query/table_names.hpp"
#include "weir/url.hpp"

namespace weir::query {
namespace {

std::string vtab_name(std::size_t index) { return fmt::format("weir_remote_{}", index + 1); }

// The byte in the original statement that byte `at` of the rewritten one came from.
std::size_t original_offset(std::size_t at, const std::vector<TableName>& names,
                            const std::vector<std::string>& replacements) {
  std::ptrdiff_t shift = 0;
  for (std::size_t i = 0; i < names.size(); ++i) {
    std::size_t new_begin = names[i].begin + shift;
    std::size_t new_end = new_begin + replacements[i].size();
    if (at < new_begin) break;
    if (at < new_end) return names[i].begin;
    shift += static_cast<std::ptrdiff_t>(replacements[i].size()) - static_cast<std::ptrdiff_t>(names[i].end - names[i].begin);
  }
  return static_cast<std::size_t>(std::max<std::ptrdiff_t>(0, static_cast<std::ptrdiff_t>(at) - shift));
}

}  // namespace

bool CrossQuery::names_remote_tables(std::string_view sql, const Connections& connections) {
  return !find_remote_tables(sql, connections.exists).empty();
}

CrossQuery::CrossQuery(std::string sql, const Connections& connections, bool log_queries) : sql_(std::move(sql)) {
  names_ = find_remote_tables(sql_, connections.exists);
  db::ConnectionConfig memory;
  memory.name = "weir query";
  memory.url = Url::parse("sqlite::memory:");
  engine_ = db::connect(memory);
  auto* sqlite = dynamic_cast<db::sqlite::SqliteConnection*>(engine_.get());
  if (!sqlite) throw Error(ErrorKind::internal, "the embedded database is not SQLite");
  register_decimal_functions(sqlite->handle());
  tables_.register_module(sqlite->handle());
  for (const TableName& name : names_) {
    auto it = std::find_if(sources_.begin(), sources_.end(), [&](const auto& s) { return s->name() == name.connection; });
    if (it == sources_.end()) {
      sources_.push_back(std::make_unique<RemoteSource>(name.connection, connections.resolve(name.connection)));
      if (log_queries) sources_.back()->keep_log(&sent_);
    }
    add_table(name);
  }
  for (const TableName& name : names_) {
    std::size_t index = 0;
    while (tables_.at(index).label != name.label()) ++index;
    replacements_.push_back(vtab_names_[index]);
  }
  std::size_t i = 0;
  rewritten_ = rewrite_tables(sql_, names_, [&](const TableName&) { return replacements_[i++]; });
  check_statement();
}

CrossQuery::~CrossQuery() = default;

void CrossQuery::add_table(const TableName& name) {
  for (std::size_t i = 0; i < tables_.size(); ++i)
    if (tables_.at(i).label == name.label()) return;
  RemoteSource& source = **std::find_if(sources_.begin(), sources_.end(),
                                        [&](const auto& s) { return s->name() == name.connection; });
  db::Connection& connection = source.connection();
  auto info = connection.describe_table(name.table);
  if (!info)
    throw Error(ErrorKind::config, fmt::format("connection `{}` has no table `{}` (column {})", name.connection,
                                               name.table.to_string(), name.begin + 1));
  auto table = std::make_unique<RemoteTable>();
  table->label = name.label();
  table->source = &source;
  table->ref = name.table;
  table->columns = info->columns;
  table->row_estimate = info->row_estimate;
  table->traits = remote_traits(connection.dialect());
  table->stats.name = table->label;
  std::size_t index = tables_.add(std::move(table));
  const db::Dialect& sqlite = engine_->dialect();
  std::string vtab = sqlite.quote_identifier(vtab_name(index));
  engine_->execute_script(fmt::format("CREATE VIRTUAL TABLE temp.{} USING weir_remote({})", vtab, index));
  vtab_names_.push_back(vtab);
}

// Prepares the statement once to report bad SQL as bad input: one line naming the problem and
// where it is in the statement as the user wrote it.
void CrossQuery::check_statement() {
  sqlite3* db = dynamic_cast<db::sqlite::SqliteConnection&>(*engine_).handle();
  sqlite3_stmt* stmt = nullptr;
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v2(db, rewritten_.c_str(), static_cast<int>(rewritten_.size()), &stmt, &tail);
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> guard(stmt, sqlite3_finalize);
  if (rc != SQLITE_OK) {
    std::string message = sqlite3_errmsg(db);
    int offset = sqlite3_error_offset(db);
    std::string where;
    if (offset >= 0)
      where = fmt::format(" (column {})", original_offset(static_cast<std::size_t>(offset), names_, replacements_) + 1);
    throw Error(ErrorKind::config, fmt::format("the statement: {}{}", message, where));
  }
  if (!stmt) throw Error(ErrorKind::config, "the statement is empty");
  if (tail && std::string_view(tail).find_first_not_of(" \t\r\n;") != std::string_view::npos)
    throw Error(ErrorKind::config, "give one statement at a time");
  if (!sqlite3_stmt_readonly(stmt)) throw Error(ErrorKind::config, "weir query across connections only reads: the statement would write");
}

std::unique_ptr<db::Cursor> CrossQuery::run() { return engine_->query(rewritten_); }

void CrossQuery::finish() {
  for (auto& source : sources_) source->finish();
}

std::vector<std::string> CrossQuery::plan() {
  std::vector<std::string> lines;
  auto cursor = engine_->query("EXPLAIN QUERY PLAN " + rewritten_);
  Batch batch;
  while (cursor->next(batch, 100))
    for (std::size_t r = 0; r < batch.rows(); ++r) lines.push_back(batch.at(r, batch.width() - 1).to_text());
  for (std::size_t i = 0; i < tables_.size(); ++i) lines.push_back(fmt::format("{} = {}", vtab_names_[i], tables_.at(i).label));
  return lines;
}

std::vector<TableStats> CrossQuery::stats() const {
  std::vector<TableStats> out;
  for (std::size_t i = 0; i < tables_.size(); ++i) out.push_back(tables_.at(i).stats);
  return out;
}

}  // namespace weir::query
