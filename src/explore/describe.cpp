#include "explore/describe.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/text.hpp"
#include "weir/db/connection.hpp"
#include "weir/db/dialect.hpp"
#include "weir/error.hpp"

namespace weir::explore {
namespace {

// The table `name` names, or an Error{config} naming it and the closest table there is.
db::TableInfo find_table(db::Connection& connection, const db::Driver& driver, std::string_view name) {
  db::TableRef ref = db::TableRef::parse(name);
  if (auto info = connection.describe_table(ref)) return std::move(*info);
  std::vector<std::string> names;
  for (const db::TableSummary& t : driver.catalog().tables(connection, {})) {
    names.push_back(t.ref.name);
    names.push_back(t.ref.to_string());
  }
  throw Error(ErrorKind::config,
              fmt::format("table `{}` does not exist{}", name,
                          did_you_mean(name, std::vector<std::string_view>(names.begin(), names.end()))));
}

std::vector<std::pair<std::string, std::string>> equivalents(const Column& column, const db::Driver& own) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const db::Driver* driver : db::Registry::builtin().drivers())
    if (driver != &own) out.emplace_back(driver->scheme(), driver->dialect().column_type(column));
  out.emplace_back("duckdb", duckdb_type(column));
  return out;
}

Batch read_sample(db::Connection& connection, const db::TableRef& table, std::size_t rows) {
  const db::Dialect& dialect = connection.dialect();
  std::vector<Value> limit{Value(static_cast<std::int64_t>(rows))};
  auto cursor = connection.query(
      fmt::format("SELECT * FROM {} LIMIT {}", dialect.quote_table(table), dialect.placeholder(1)), limit);
  Batch sample(cursor->schema()), more;
  while (sample.rows() < rows && cursor->next(more, rows - sample.rows()))
    for (std::size_t r = 0; r < more.rows(); ++r) sample.append_row(more.row(r));
  return sample;
}

}  // namespace

TableDescription describe_table(db::Connection& connection, const db::Driver& driver, std::string_view name,
                                std::size_t sample_rows) {
  db::TableInfo info = find_table(connection, driver, name);
  TableDescription out;
  out.driver = driver.scheme();
  out.details = driver.catalog().details(connection, info);
  out.primary_key = info.primary_key;
  out.row_estimate = info.row_estimate;
  if (!out.row_estimate)  // SQLite's describe_table leaves it to the listing (sqlite_stat1, after ANALYZE)
    for (const db::TableSummary& t : driver.catalog().tables(connection, {out.details.ref.schema, out.details.ref.name}))
      if (t.ref == out.details.ref) out.row_estimate = t.row_estimate;
  for (std::size_t i = 0; i < info.columns.size(); ++i) {
    Column column = info.columns[i];
    column.primary_key = std::find(info.primary_key.begin(), info.primary_key.end(), column.name) != info.primary_key.end();
    ColumnDescription c{column, {}, {}, equivalents(column, driver)};
    if (i < out.details.defaults.size()) c.default_value = out.details.defaults[i];
    if (i < out.details.comments.size()) c.comment = out.details.comments[i];
    out.columns.push_back(std::move(c));
  }
  if (sample_rows > 0) out.sample = read_sample(connection, out.details.ref, sample_rows);
  return out;
}

}  // namespace weir::explore
