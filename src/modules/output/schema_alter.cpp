#include "modules/output/schema_alter.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "db/common/sql_writer.hpp"
#include "weir/batch.hpp"
#include "weir/error.hpp"
#include "weir/log.hpp"

namespace weir::modules {
namespace {

using Kind = ColumnChange::Kind;

class Alteration {
 public:
  Alteration(db::Connection& connection, const db::TableRef& table, const std::string& where)
      : c_(connection), d_(connection.dialect()), table_(table), where_(where) {
    describe();
  }

  bool run(const ShapeChange& change) {
    for (const ColumnChange& step : change.changes) {
      if (!step.apply) continue;
      switch (step.kind) {
        case Kind::add: add(step); break;
        case Kind::drop: drop(step.column.name); break;
        case Kind::type: retype(step.column); break;
        case Kind::rename: rename(step.old_name, step.column.name); break;
      }
    }
    return altered_;
  }

 private:
  void describe() {
    auto info = c_.describe_table(table_);
    if (!info) throw Error(ErrorKind::config, fmt::format("{} does not exist: create it first", where_));
    info_ = std::move(*info);
  }
  const Column* find(const std::string& name) const {
    auto it = std::ranges::find(info_.columns, name, &Column::name);
    return it == info_.columns.end() ? nullptr : &*it;
  }
  std::string type_of(const Column& column) const {
    if (auto problem = d_.cannot_hold(column))
      throw Error(ErrorKind::config, fmt::format("{}: column `{}` cannot be altered to hold the source's {}: {}",
                                                 where_, column.name, column.native_type, *problem));
    return d_.column_type(column);
  }
  void execute(const std::string& sql, std::span<const Value> params = {}, bool then_describe = true) {
    log::info(fmt::format("{}: {}", where_, sql));
    c_.execute(sql, params);
    altered_ = true;
    if (then_describe) describe();
  }

  void add(const ColumnChange& step) {
    if (find(step.column.name)) return;
    Column column = step.column;
    column.nullable = true;
    execute(fmt::format("ALTER TABLE {} ADD COLUMN {} {}", d_.quote_table(table_), d_.quote_identifier(column.name),
                        type_of(column)));
    if (step.existing && !step.existing->is_null())
      execute(fmt::format("UPDATE {} SET {} = {}", d_.quote_table(table_), d_.quote_identifier(column.name),
                          d_.placeholder(1)),
              std::span(&*step.existing, 1));
  }

  void drop(const std::string& name) {
    const Column* column = find(name);
    if (!column) return;
    const bool keyed = std::ranges::count(info_.primary_key, name) > 0;
    if (d_.drops_any_column() || !keyed) {
      try {
        execute(fmt::format("ALTER TABLE {} DROP COLUMN {}", d_.quote_table(table_), d_.quote_identifier(name)));
        return;
      } catch (const Error&) {
        if (d_.drops_any_column()) throw;  // SQLite refuses indexed columns: rebuilt below
      }
    }
    rebuild(name, nullptr);
  }

  void retype(const Column& source) {
    const Column* column = find(source.name);
    if (!column) return;
    const std::string type = type_of(source);
    if (same_type(column->native_type, type)) return;
    std::string sql = d_.alter_column_type_sql(table_, column->name, type, !column->nullable);
    if (sql.empty()) rebuild(column->name, &source);
    else execute(sql);
  }

  void rename(const std::string& from, const std::string& to) {
    if (!find(from) || find(to)) return;
    execute(fmt::format("ALTER TABLE {} RENAME COLUMN {} TO {}", d_.quote_table(table_), d_.quote_identifier(from),
                        d_.quote_identifier(to)));
  }

  static bool same_type(std::string_view a, std::string_view b) {
    auto plain = [](std::string_view s) {
      std::string out;
      for (char c : s)
        if (c != ' ') out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return out;
    };
    return plain(a) == plain(b);
  }

  // A copy of the table with column `name` dropped (`source` null) or of `source`'s type, its
  // rows and its indexes, put in the table's place.
  void rebuild(const std::string& name, const Column* source);

  db::Connection& c_;
  const db::Dialect& d_;
  db::TableRef table_;
  std::string where_;
  db::TableInfo info_;
  bool altered_ = false;
};

// The indexes' statements are read from the catalog SQLite keeps them in (sqlite_master).
void Alteration::rebuild(const std::string& name, const Column* source) {
  std::vector<Column> columns;
  std::vector<std::string> copied;
  for (const Column& c : info_.columns) {
    if (c.name == name && !source) continue;
    columns.push_back(c.name == name ? *source : c);
    columns.back().name = c.name;
    columns.back().nullable = c.nullable;
    copied.push_back(c.name);
  }
  std::vector<std::string> key;
  for (const std::string& k : info_.primary_key)
    if (k != name || source) key.push_back(k);
  const db::TableRef scratch{table_.schema, "weir_rebuild_" + table_.name};
  std::vector<std::string> indexes;
  Value table_name(table_.name);
  auto cursor = c_.query("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = " + d_.placeholder(1) +
                             " AND sql IS NOT NULL",
                         std::span(&table_name, 1));
  Batch rows;
  while (cursor->next(rows, 100))
    for (std::size_t r = 0; r < rows.rows(); ++r) indexes.push_back(rows.at(r, 0).to_text());
  cursor.reset();
  const std::string list = d_.quote_identifiers(copied);
  auto step = [&](const std::string& sql) { execute(sql, {}, false); };  // the table is away in between
  step(fmt::format("DROP TABLE IF EXISTS {}", d_.quote_table(scratch)));
  step(db::create_table_sql(d_, scratch, Schema(columns), key));
  step(fmt::format("INSERT INTO {} ({}) SELECT {} FROM {}", d_.quote_table(scratch), list, list, d_.quote_table(table_)));
  step(fmt::format("DROP TABLE {}", d_.quote_table(table_)));
  step(fmt::format("ALTER TABLE {} RENAME TO {}", d_.quote_table(scratch), d_.quote_identifier(table_.name)));
  for (const std::string& index : indexes) {
    try {
      step(index);
    } catch (const Error& e) {  // an index on the column dropped
      log::warn(fmt::format("{}: index not recreated after the table was rebuilt: {}", where_, e.what()));
    }
  }
  describe();
}

}  // namespace

bool alter_target(db::Connection& connection, const db::TableRef& table, const ShapeChange& change,
                  const std::string& where) {
  return Alteration(connection, table, where).run(change);
}

}  // namespace weir::modules
