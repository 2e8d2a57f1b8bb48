#include "query/result_table.hpp"

#include <fmt/format.h>

#include "db/common/sql_writer.hpp"
#include "weir/error.hpp"
#include "weir/log.hpp"

namespace weir::query {
namespace {

constexpr std::size_t kBatchRows = 1000;

// The type of a column SQLite declared none for (an expression): its first value's.
Type type_of_values(const Batch& batch, std::size_t column) {
  for (std::size_t r = 0; r < batch.rows(); ++r)
    if (!batch.at(r, column).is_null()) return batch.at(r, column).type();
  return Type::text;
}

std::string name_of(const db::ConnectionConfig& target) { return target.name.empty() ? target.describe() : target.name; }

}  // namespace

std::uint64_t store_result(db::Cursor& rows, const db::ConnectionConfig& target, const db::TableRef& table) {
  std::string where = fmt::format("`{}.{}`", name_of(target), table.to_string());
  if (target.read_only)
    throw Error(ErrorKind::config, fmt::format("{}: connection `{}` is read-only", where, name_of(target)));
  Batch batch;
  bool more = rows.next(batch, kBatchRows);
  std::vector<Column> columns = rows.schema()->columns();
  std::vector<std::string> names;
  for (std::size_t c = 0; c < columns.size(); ++c) {
    if (columns[c].type == Type::null) columns[c].type = more ? type_of_values(batch, c) : Type::text;
    names.push_back(columns[c].name);
  }
  auto connection = db::connect(target);
  if (connection->describe_table(table))
    throw Error(ErrorKind::config, fmt::format("{} already exists: --into makes a new table", where));
  std::uint64_t stored = 0;
  bool created = false;
  try {
    db::Transaction transaction(*connection);
    connection->execute(db::create_table_sql(connection->dialect(), table, Schema(columns), {}));
    created = true;
    auto writer = connection->bulk_writer({table, names, db::WriteMode::insert, {}});
    for (; more; more = rows.next(batch, kBatchRows)) {
      writer->write(batch);
      stored += batch.rows();
    }
    writer->finish();
    transaction.commit();
  } catch (Error& e) {
    if (created) {
      try {
        connection->execute_script("DROP TABLE IF EXISTS " + connection->dialect().quote_table(table));
      } catch (const std::exception& drop) {
        log::warn(fmt::format("{}: dropping the table after the failure: {}", where, drop.what()));
      }
    }
    throw e.add_context(where);
  }
  return stored;
}

}  // namespace weir::query
