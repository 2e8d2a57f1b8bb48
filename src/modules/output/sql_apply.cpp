// sql_apply — applies a change stream (inserts, updates, deletes, truncates; see
// weir/change.hpp) to the tables of a database, the same database kind as the source or another.
//
//   output:
//     sql_apply:
//       connection: warehouse
//       tables: { public.orders: orders, public.customers: customers }   # allow-list; default: all, same names
//       on_conflict: upsert                                              # insert | upsert | update
//
// The module is a Sink under the commit engine (pipeline/commit_engine.hpp), as sql_write is:
// the engine commits only where a source transaction ended, so each commits whole in the
// target with the checkpoint; it isolates rows the target rejects into the dead letters and
// replays after deadlocks and lost connections. Each batch holds one source table's changes
// (Schema::source()); ApplyTable cuts it into runs of one kind and writes each through the
// database's bulk path (change_runs.hpp).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <map>

#include "modules/builtin.hpp"
#include "modules/output/apply_table.hpp"
#include "modules/output/database_sink.hpp"
#include "modules/retry_option.hpp"
#include "pipeline/change_letters.hpp"
#include "pipeline/commit_engine.hpp"
#include "weir/error.hpp"
#include "weir/log.hpp"

namespace weir::modules {
namespace {

using config::Field;

const config::Spec& table_spec() {
  static const config::Spec s{
      "sql_apply table",
      "Where one source table's changes go.",
      {
          Field{.name = "table", .description = "Target table, optionally schema-qualified; default: the source "
                                                "table's name.",
                .example = "orders"},
          Field{.name = "columns", .shapes = config::kStringMap,
                .description = "Map of target column to source column; only these columns are written. Default: "
                               "every source column to the target column of its name.",
                .example = "{ id: id, total: amount }"},
          Field{.name = "key", .shapes = config::kStringList,
                .description = "Target columns that find a row for updates and deletes. Default: the columns the "
                               "source marks as its key, else the target's primary key.",
                .example = "[id]"},
      }};
  return s;
}

const config::Spec& spec() {
  static const config::Spec s{
      "sql_apply",
      "Applies change records (inserts, updates, deletes, truncates, e.g. from postgres_cdc) to tables, each "
      "source transaction in one target transaction.",
      {
          Field{.name = "connection", .required = true, .description = "Name of the connection to apply to.",
                .example = "warehouse"},
          Field{.name = "tables", .shapes = config::kStringList | config::kStringMap | config::kAnyMap,
                .description = "Source tables to apply (`schema.table`); changes of any other are skipped and "
                               "counted. A list keeps their names; a map names each one's target table, or gives "
                               "it `table`, `columns` and `key`. Default: every table, to the target table of "
                               "its name without the schema.",
                .example = "{ public.orders: orders, public.customers: { table: crm.customers, key: [id] } }",
                .nested = &table_spec()},
          Field{.name = "on_conflict", .default_value = "upsert", .choices = {"insert", "upsert", "update"},
                .description = "When the target does not hold what the source had: `insert` rejects an insert "
                               "whose key is there (to the dead letters); `update` updates that row instead; "
                               "`upsert` also inserts the row of an update whose key is missing (when every "
                               "column was sent). An update or delete of a missing row is counted as not found.",
                .example = "insert"},
          pipeline::batch_field(),
          retry_field(),
      }};
  return s;
}

// The route `tables.<source>` gives: a target name, or an object of `table_spec()`.
TableRoute read_route(const std::string& source, const YAML::Node& value, const std::string& path) {
  TableRoute route{db::TableRef{"", db::TableRef::parse(source).name}, {}, {}};
  if (value.IsScalar()) {
    route.target = db::TableRef::parse(value.Scalar());
  } else if (value.IsMap()) {
    config::Section table(value, table_spec(), path);
    route.columns = read_column_map(table, "columns");
    route.key = table.string_list("key");
    if (table.has("table")) route.target = db::TableRef::parse(table.string("table"));
    for (const std::string& k : route.key) db::validate_identifier(k, "key column");
  }
  return route;
}

// `tables:` as routes by source table name; empty: every table, same names. Throws
// Error{config} naming the entry with a name that is no table or column name.
std::map<std::string, TableRoute> read_routes(const config::Section& section) {
  std::map<std::string, TableRoute> routes;
  const YAML::Node tables = section.node("tables");
  std::vector<std::pair<std::string, YAML::Node>> entries;
  if (tables.IsMap()) {
    for (const auto& entry : tables) entries.emplace_back(entry.first.Scalar(), entry.second);
  } else if (tables.IsSequence() || tables.IsScalar()) {
    for (const std::string& source : section.string_list("tables")) entries.emplace_back(source, YAML::Node());
  }
  for (const auto& [source, value] : entries) {
    const std::string path = section.path_of("tables") + "." + source;
    try {
      routes[source] = read_route(source, value, path);
    } catch (Error& e) {
      throw e.add_context(path);
    }
  }
  return routes;
}

class SqlApplySink final : public DatabaseSink {
 public:
  SqlApplySink(const config::Section& section, const pipeline::ModuleContext& context)
      : DatabaseSink(context, context.connection(section, "connection"), section.path()),
        routes_(read_routes(section)),
        allow_list_(section.has("tables")),
        on_conflict_(parse_on_conflict(section.string("on_conflict"))) {}

  db::WriteCounts write(const Batch& rows) override {
    ApplyTable* table = route(rows.schema().source());
    if (!table) return {.skipped = rows.rows()};
    try {
      return table->apply(*connection_, rows);
    } catch (Error& e) {
      if (pipeline::is_row_error(e)) table->name_refused_column(e, rows);
      throw;
    }
  }
  void reset_writes() override { drop_writers(); }
  // The target is altered only after what is in flight committed (MySQL's DDL would commit it
  // without its checkpoint).
  bool commits_before(const Batch& rows) override {
    if (rows.schema().source().empty()) return false;
    auto it = tables_.find(source_name(rows.schema().source()));
    return it != tables_.end() && it->second && it->second->alters_for(rows);
  }
  bool takes_shape(const Batch& empty) override {
    if (empty.schema().source().empty() || !empty.schema().change()) return false;
    ApplyTable* table = route(empty.schema().source());
    return table && table->announced_by(empty);
  }

  // The change as it was rejected: what it did, where it sits in the source's stream, its rows.
  std::string record_json(const Batch& rows, std::size_t row) const override {
    return pipeline::change_json(rows, row);
  }

  // The row's key in its target table, and that table, for the line of a rejected row.
  std::string row_key(const Batch& rows, std::size_t row) const override {
    const ApplyTable* table = applying(rows);
    return table ? table->row_key(rows, row) : std::string();
  }
  std::string target_of(const Batch& rows) const override {
    const ApplyTable* table = applying(rows);
    return table ? table->target().to_string() : target();
  }

  std::string describe() const override { return fmt::format("{} applying changes", path_); }
  std::string target() const override { return fmt::format("the tables of {}", connection_config_.describe()); }
  pipeline::Identity identity() const override { return {{"connection", connection_config_.identity()}}; }
  // `weir validate --check-sql`: each table named in `tables` exists with the columns mapped.
  void probe(const Schema* input) override;

 private:
  ApplyTable* route(const SourceTable& source);
  const ApplyTable* applying(const Batch& rows) const {
    auto it = tables_.find(source_name(rows.schema().source()));
    return it == tables_.end() ? nullptr : it->second.get();
  }
  void drop_writers() noexcept override {
    for (auto& [source, table] : tables_)
      if (table) table->drop_writers();
  }

  std::map<std::string, TableRoute> routes_;
  bool allow_list_;
  OnConflict on_conflict_;
  std::map<std::string, std::unique_ptr<ApplyTable>> tables_;  // by source name; null: skipped
};

// The table applying `source`'s changes; null when `tables:` leaves it out (logged once). Called
// from write(), whose errors the commit engine names the stage in (describe()): not named again.
ApplyTable* SqlApplySink::route(const SourceTable& source) {
  if (source.empty())
    throw Error(ErrorKind::config, "the input's rows name no source table; sql_apply applies changes of tables "
                                   "(such as postgres_cdc's), use sql_write for rows");
  const std::string name = source_name(source);
  if (auto it = tables_.find(name); it != tables_.end()) return it->second.get();
  auto configured = routes_.find(name);
  if (configured == routes_.end() && allow_list_) {
    log::info(fmt::format("{}: changes of `{}` are skipped: it is not among `tables` (they count as skipped)", path_,
                          name));
    tables_[name] = nullptr;
    return nullptr;
  }
  TableRoute route = configured != routes_.end() ? configured->second : TableRoute{{"", source.name}, {}, {}};
  for (const auto& [other, applied] : tables_)
    if (!allow_list_ && applied && applied->target() == route.target)
      throw Error(ErrorKind::config,
                  fmt::format("`{}` and `{}` would both go to table `{}`; name their targets in `tables`", other, name,
                              route.target.to_string()));  // the commit engine names the stage
  auto& table = tables_[name] = std::make_unique<ApplyTable>(source, std::move(route), on_conflict_, path_,
                                                                connection_config_);
  return table.get();
}

void SqlApplySink::probe(const Schema*) {
  db::Lease connection = pool_->acquire();
  for (const auto& [source, route] : routes_) {
    auto table = connection->describe_table(route.target);
    const std::string where = fmt::format("{}.tables.{}: table `{}` on {}", path_, source, route.target.to_string(),
                                          connection_config_.describe());
    if (!table) throw Error(ErrorKind::config, fmt::format("{} does not exist", where));
    const Schema columns(table->columns);
    for (const auto& [target, field] : route.columns)
      if (!columns.find(target)) throw Error(ErrorKind::config, fmt::format("{} has no column `{}`", where, target));
  }
}

std::unique_ptr<pipeline::Output> make(const config::Section& section, const pipeline::ModuleContext& context) {
  auto sink = std::make_unique<SqlApplySink>(section, context);
  auto policy = pipeline::read_commit_policy(section, false, read_retry_policy(section));
  return std::make_unique<pipeline::CommitEngine>(std::move(sink), std::move(policy));
}

}  // namespace

pipeline::OutputModule sql_apply_module() { return {"sql_apply", &spec, &make}; }

}  // namespace weir::modules
