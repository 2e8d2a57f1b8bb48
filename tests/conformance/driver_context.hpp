// DriverContext — everything the conformance suite needs to know about one driver under test.
//
// The suite (tests/conformance/*_test.cpp) is one set of value-parameterised tests run once
// per context returned by all_contexts(). A test talks to the database only through the
// public Connection / Cursor / BulkWriter interfaces and builds its SQL with the connection's
// dialect (quote_identifier, placeholder, column_type), so adding a driver means adding a
// context here, not editing tests. Where databases really differ the context says so:
//   * caps            — capability flags; tests that need one skip (with the reason) without it;
//   * supported_types — the logical types the driver declares it can store and read back;
//   * skip            — "Suite.Test" → reason, for known gaps of one driver (a reason starting
//                       with "BUG:" marks a library bug the test exposes);
//   * server_text     — a fragment of the database's own message for each error scenario;
//   * long_running_query — SQL that runs for minutes, for the cancel() test.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "weir/db/driver.hpp"
#include "weir/value.hpp"

namespace weir::conformance {

struct Capabilities {
  bool has_schemas = false;            // CREATE SCHEMA works; tables are addressed as schema.table
  bool exact_decimal_storage = false;  // decimal columns keep every digit (SQLite: ~15 significant)
  bool native_bool = false;            // boolean expressions come back as Type::boolean
  bool native_timestamp = false;       // date/time columns reject text that is not a date/time
  bool native_uuid = false;            // uuid columns reject text that is not a uuid
  bool native_json = false;            // json columns reject text that is not JSON
  bool can_cancel = false;             // Connection::cancel() interrupts a running statement
  bool tells_unchanged_rows = false;   // rows set to the values they hold count as unchanged
  // A connection streams one result at a time: another statement cuts an open cursor off
  // (its next() throws). Without it, cursors on one connection stay open side by side.
  bool one_result_at_a_time = false;
  bool non_finite_floats = true;       // float columns hold NaN and ±infinity
  bool zoned_timestamp_columns = true;  // created timestamptz columns read back as timestamptz
  // The statement that makes the database count a table's rows for its planner, when
  // describe_table gives that estimate ({} is the quoted table); empty where it gives none.
  std::string analyze_for_row_estimate;
};

struct DriverContext {
  // The gtest parameter name ([A-Za-z0-9_]): tests show as "Suite.Test/sqlite_file".
  std::string name;
  // A fresh configuration for one more connection to this context's database. Whether two
  // connections see the same data is up to the context (sqlite::memory: gives each its own).
  std::function<db::ConnectionConfig()> make_config;
  Capabilities caps;
  std::vector<Type> supported_types;
  // "Suite.Test" (the suite without the "Drivers/" prefix, the test without "/context") →
  // why that test does not apply. Every skip shows its reason; Conformance.SkipListsNameTests
  // fails when a key names no test, so a renamed test cannot silently lose its skip. With
  // WEIR_CONFORMANCE_RUN_SKIPPED=1 in the environment skip lists are ignored (to check whether
  // a listed bug has been fixed).
  std::map<std::string, std::string> skip;
  // Error scenario → a fragment of the database's message the weir::Error must carry. Keys:
  // unique, not_null, foreign_key, check, unknown_table, unknown_column (in a query),
  // unknown_target_column (in an INSERT's column list), bad_sql.
  std::map<std::string, std::string> server_text;
  std::string long_running_query;
  // The name of the schema unqualified tables live in ("main", "public", the database).
  std::string default_schema;
  // Whatever must outlive the context's connections (a TempDir holding the database file).
  std::shared_ptr<void> keep_alive;

  std::unique_ptr<db::Connection> connect() const;
  bool supports(Type type) const;
  std::optional<std::string> skip_reason(std::string_view suite, std::string_view test) const;
  // "weir_<prefix>_<16 hex digits>", lower case: unique across runs and parallel processes.
  std::string unique_table_name(std::string_view prefix = "t") const;
};

// The contexts the suite runs against: SQLite (a file, in WAL and in rollback-journal mode,
// and sqlite::memory:), and PostgreSQL ("postgres") and MySQL/MariaDB ("mysql") when their
// server URLs are in WEIR_TEST_PG_URL / WEIR_TEST_MYSQL_URL (tests/harness/with-servers.sh).
// Built once per process; the same objects back every test.
const std::vector<DriverContext>& all_contexts();

// A context the suite does not run in this process, and why (its server URL is unset). The
// binary prints the contexts present and absent before the first test; under CI=true
// Conformance.EveryContextIsPresent fails when one is absent.
struct AbsentContext {
  std::string name;
  std::string reason;
};
const std::vector<AbsentContext>& absent_contexts();

// Parameter name generator for INSTANTIATE_TEST_SUITE_P.
std::string context_name(const ::testing::TestParamInfo<DriverContext>& info);

// What gtest prints for a parameter.
void PrintTo(const DriverContext& context, std::ostream* os);

}  // namespace weir::conformance
