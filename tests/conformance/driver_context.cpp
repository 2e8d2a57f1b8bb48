#include "conformance/driver_context.hpp"

#include <cctype>
#include <cstdlib>
#include <iostream>

#include <fmt/format.h>

#include "support/test_support.hpp"
#include "weir/url.hpp"

namespace weir::conformance {

std::unique_ptr<db::Connection> DriverContext::connect() const { return db::connect(make_config()); }

bool DriverContext::supports(Type type) const {
  for (Type t : supported_types)
    if (t == type) return true;
  return false;
}

std::optional<std::string> DriverContext::skip_reason(std::string_view suite, std::string_view test) const {
  auto it = skip.find(fmt::format("{}.{}", suite, test));
  if (it == skip.end()) return std::nullopt;
  return it->second;
}

std::string DriverContext::unique_table_name(std::string_view prefix) const {
  return fmt::format("weir_{}_{}", prefix, test::unique_suffix());
}

namespace {

// ---------------------------------------------------------------------------------------
// SQLite
// ---------------------------------------------------------------------------------------

const char* const kSqliteSeparateDatabases = "sqlite::memory: gives every connection its own private database";

DriverContext sqlite_base(std::string name) {
  DriverContext c;
  c.name = std::move(name);
  c.caps = Capabilities{
      .has_schemas = false,            // ATTACHed databases are not schemas weir lists
      .exact_decimal_storage = true,   // DECIMAL_TEXT: TEXT affinity keeps the decimal's text
      .native_bool = false,            // booleans are integers; only BOOLEAN columns read as bool
      .native_timestamp = false,       // dates are text: anything can be stored
      .native_uuid = false,
      .native_json = false,
      .can_cancel = true,  // sqlite3_interrupt
      .one_result_at_a_time = false,  // each cursor is its own prepared statement
      .analyze_for_row_estimate = "",  // sqlite_stat1 feeds the listing, not describe_table
  };
  c.supported_types = {Type::boolean, Type::int64,     Type::float64,     Type::decimal, Type::text,
                       Type::bytes,   Type::date,      Type::time,        Type::timestamp,
                       Type::timestamptz, Type::interval, Type::uuid,     Type::json};
  c.skip = {};
  c.server_text = {
      {"unique", "UNIQUE constraint failed"},
      {"not_null", "NOT NULL constraint failed"},
      {"foreign_key", "FOREIGN KEY constraint failed"},
      {"check", "CHECK constraint failed"},
      {"unknown_table", "no such table"},
      {"unknown_column", "no such column"},
      {"unknown_target_column", "has no column named"},
      {"bad_sql", "syntax error"},
  };
  c.long_running_query =
      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000000) "
      "SELECT count(*) FROM c";
  c.default_schema = "main";
  return c;
}

// A database file in a TempDir the context keeps alive; `options` is the URL's query string.
DriverContext sqlite_file(std::string name, std::string options) {
  DriverContext c = sqlite_base(std::move(name));
  auto dir = std::make_shared<test::TempDir>();
  std::string url = "sqlite:" + dir->file("conformance.db") + options;
  c.make_config = [url] { return db::ConnectionConfig{.name = "conformance", .url = Url::parse(url), .init_script = {}}; };
  c.keep_alive = dir;
  return c;
}

DriverContext sqlite_memory() {
  DriverContext c = sqlite_base("sqlite_memory");
  c.make_config = [] {
    return db::ConnectionConfig{.name = "conformance", .url = Url::parse("sqlite::memory:"), .init_script = {}};
  };
  c.skip.emplace("ConformanceTransactions.CommitIsVisibleToAnotherConnection", kSqliteSeparateDatabases);
  c.skip.emplace("ConformanceTransactions.UncommittedWorkIsInvisibleToAnotherConnection",
                 kSqliteSeparateDatabases);
  return c;
}

// ---------------------------------------------------------------------------------------
// PostgreSQL and MySQL/MariaDB: one context each, from the server URL the harness exports
// (tests/harness/with-servers.sh: WEIR_TEST_PG_URL, WEIR_TEST_MYSQL_URL). With the variable
// unset the context is absent: the binary says so before the first test, and
// Conformance.EveryContextIsPresent fails under CI=true. Every connection of a context
// reaches the same database; tables get unique names, so runs against a server that is not
// fresh (or parallel runs) do not collide.
// ---------------------------------------------------------------------------------------

std::optional<std::string> server_url(const char* variable) {
  const char* url = std::getenv(variable);
  if (!url || !*url) return std::nullopt;
  return std::string(url);
}

std::function<db::ConnectionConfig()> config_for(std::string url) {
  return [url = std::move(url)] {
    return db::ConnectionConfig{.name = "conformance", .url = Url::parse(url), .init_script = {}};
  };
}

// Two contexts: "postgres" with the default bulk_merge=auto (the suite's small batches take
// the statement path), "postgres_merge_copy" with every upsert, update and delete staged
// through COPY (bulk_merge=copy), so both paths answer to the same suite. Both again as
// "pgbouncer" and "pgbouncer_merge_copy", through the harness's PgBouncer in transaction mode
// (WEIR_TEST_PGBOUNCER_URL): each transaction may run on another server connection.
std::optional<DriverContext> postgres_context(std::string name, const char* url_variable, std::string_view bulk_merge) {
  auto url = server_url(url_variable);
  if (!url) return std::nullopt;
  DriverContext c;
  c.name = std::move(name);
  Url with_option = Url::parse(*url);
  with_option.set_option("bulk_merge", bulk_merge);
  c.make_config = config_for(with_option.to_string_with_password());
  c.caps = Capabilities{
      .has_schemas = true,
      .exact_decimal_storage = true,  // numeric
      .native_bool = true,
      .native_timestamp = true,
      .native_uuid = true,
      .native_json = true,  // jsonb
      .can_cancel = true,   // PQcancel
      .one_result_at_a_time = true,  // single-row mode and COPY TO STDOUT hold the connection
      .analyze_for_row_estimate = "ANALYZE {}",  // pg_class.reltuples
  };
  c.supported_types = {Type::boolean, Type::int64,       Type::float64,  Type::decimal, Type::text,
                       Type::bytes,   Type::date,        Type::time,     Type::timestamp,
                       Type::timestamptz, Type::interval, Type::uuid,    Type::json};
  c.server_text = {
      {"unique", "duplicate key value violates unique constraint"},
      {"not_null", "violates not-null constraint"},
      {"foreign_key", "violates foreign key constraint"},
      {"check", "violates check constraint"},
      {"unknown_table", "does not exist"},          // relation "…" does not exist
      {"unknown_column", "does not exist"},         // column "nope" does not exist
      {"unknown_target_column", "does not exist"},  // column "nope" of relation "…" does not exist
      {"bad_sql", "syntax error"},
  };
  c.long_running_query = "SELECT pg_sleep(600)";
  c.default_schema = "public";
  return c;
}

// The harness runs MariaDB; the texts below are its words (MySQL 8 differs for CHECK:
// "Check constraint '…' is violated."). Two contexts: "mysql" inserts large batches with
// LOAD DATA LOCAL INFILE (the default), "mysql_insert" with INSERT statements only
// (bulk_insert=insert), so both paths answer to the same suite.
std::optional<DriverContext> mysql_context(std::string name, std::string_view bulk_insert) {
  auto url = server_url("WEIR_TEST_MYSQL_URL");
  if (!url) return std::nullopt;
  DriverContext c;
  c.name = std::move(name);
  Url with_option = Url::parse(*url);
  with_option.set_option("bulk_insert", bulk_insert);
  c.make_config = config_for(with_option.to_string_with_password());
  c.caps = Capabilities{
      // CREATE SCHEMA makes another database, but a connection lists only the tables of its
      // own (the URL's database): list_tables() is not meant to span the server.
      .has_schemas = false,
      .exact_decimal_storage = true,  // DECIMAL(65,30)
      .native_bool = false,           // 1 = 1 is the integer 1; only TINYINT(1) columns read as bool
      .native_timestamp = true,       // the default sql_mode (STRICT_TRANS_TABLES) rejects non-dates
      .native_uuid = false,           // uuids are stored in CHAR(36) (MySQL has no uuid type)
      .native_json = true,            // JSON (MariaDB: CHECK (json_valid(…))) rejects non-JSON
      .can_cancel = true,             // KILL QUERY from a second connection
      .tells_unchanged_rows = true,   // ON DUPLICATE KEY UPDATE: 0 per row left as it was; UPDATE's "Rows matched"
      .one_result_at_a_time = true,   // an unbuffered result holds the connection
      .non_finite_floats = false,     // DOUBLE has no NaN or infinity
      .zoned_timestamp_columns = false,  // instants are UTC DATETIME(6): TIMESTAMP ends in 2038
      .analyze_for_row_estimate = "ANALYZE TABLE {}",  // information_schema.TABLES.TABLE_ROWS
  };
  // Neither an interval type nor (in MySQL) a uuid type: the dialect stores both as text, which
  // reads back as text, so the driver does not declare them.
  c.supported_types = {Type::boolean, Type::int64, Type::float64,   Type::decimal,     Type::text, Type::bytes,
                       Type::date,    Type::time,  Type::timestamp, Type::timestamptz, Type::json};
  c.server_text = {
      {"unique", "Duplicate entry"},                       // Duplicate entry '1' for key 'PRIMARY'
      {"not_null", "cannot be null"},                      // Column 'name' cannot be null
      {"foreign_key", "foreign key constraint fails"},     // Cannot add or update a child row: …
      {"check", "CONSTRAINT"},                             // CONSTRAINT `t.qty` failed for `db`.`t`
      {"unknown_table", "doesn't exist"},                  // Table 'db.t' doesn't exist
      {"unknown_column", "Unknown column"},                // Unknown column 'nope' in 'field list'
      {"unknown_target_column", "Unknown column"},
      {"bad_sql", "SQL syntax"},                           // You have an error in your SQL syntax; …
  };
  c.long_running_query = "SELECT SLEEP(600)";
  c.default_schema = Url::parse(*url).database;
  return c;
}

struct Contexts {
  std::vector<DriverContext> present;
  std::vector<AbsentContext> absent;

  void add(std::string name, const char* url_variable, std::optional<DriverContext> context) {
    if (context) present.push_back(std::move(*context));
    else absent.push_back({std::move(name), std::string(url_variable) + " is not set"});
  }
};

const Contexts& contexts() {
  static const Contexts all = [] {
    Contexts c;
    c.present.push_back(sqlite_file("sqlite_file", ""));  // WAL, the driver's default
    c.present.push_back(sqlite_file("sqlite_file_rollback_journal", "?journal_mode=delete"));
    c.present.push_back(sqlite_memory());
    c.add("postgres", "WEIR_TEST_PG_URL", postgres_context("postgres", "WEIR_TEST_PG_URL", "auto"));
    c.add("postgres_merge_copy", "WEIR_TEST_PG_URL",
          postgres_context("postgres_merge_copy", "WEIR_TEST_PG_URL", "copy"));
    c.add("pgbouncer", "WEIR_TEST_PGBOUNCER_URL", postgres_context("pgbouncer", "WEIR_TEST_PGBOUNCER_URL", "auto"));
    c.add("pgbouncer_merge_copy", "WEIR_TEST_PGBOUNCER_URL",
          postgres_context("pgbouncer_merge_copy", "WEIR_TEST_PGBOUNCER_URL", "copy"));
    c.add("mysql", "WEIR_TEST_MYSQL_URL", mysql_context("mysql", "load_data"));
    c.add("mysql_insert", "WEIR_TEST_MYSQL_URL", mysql_context("mysql_insert", "insert"));
    return c;
  }();
  return all;
}

// Prints, before the first test, which contexts run and which do not (and why): a context
// missing for want of a server would otherwise vanish from the output without a line.
class ContextReport : public ::testing::Environment {
 public:
  void SetUp() override {
    std::string present;
    for (const DriverContext& c : all_contexts()) present += (present.empty() ? "" : ", ") + c.name;
    std::cerr << "conformance contexts run: " << present << "\n";
    for (const AbsentContext& a : absent_contexts())
      std::cerr << "conformance context absent: " << a.name << " (" << a.reason << ")\n";
  }
};

[[maybe_unused]] ::testing::Environment* const kContextReport =
    ::testing::AddGlobalTestEnvironment(new ContextReport);

}  // namespace

const std::vector<DriverContext>& all_contexts() { return contexts().present; }

const std::vector<AbsentContext>& absent_contexts() { return contexts().absent; }

std::string context_name(const ::testing::TestParamInfo<DriverContext>& info) { return info.param.name; }

void PrintTo(const DriverContext& context, std::ostream* os) { *os << context.name; }

}  // namespace weir::conformance
