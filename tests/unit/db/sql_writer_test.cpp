// Shared SQL writers (src/db/common/sql_writer.cpp) spelled by the SQLite dialect: exact SQL
// text, placeholder → column mapping, and the configuration errors.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "db/common/sql_writer.hpp"
#include "db/mysql/dialect.hpp"
#include "db/postgres/dialect.hpp"
#include "db/sqlite/dialect.hpp"
#include "support/test_support.hpp"
#include "unit/db/print.hpp"
#include "weir/error.hpp"

namespace weir::db {
namespace {

using Params = std::vector<std::size_t>;

const sqlite::SqliteDialect kDialect{};

WriteSpec spec(WriteMode mode, std::vector<std::string> columns, std::vector<std::string> key = {},
               TableRef table = {"", "t"}) {
  return WriteSpec{std::move(table), std::move(columns), mode, std::move(key)};
}

// Runs fn, expecting an Error{config} whose message contains `fragment`.
template <class F>
void expect_config_error(F&& fn, const std::string& fragment) {
  try {
    fn();
    ADD_FAILURE() << "expected a config error mentioning `" << fragment << "`";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::config) << e.what();
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

TEST(SqlWriter, DialectBasics) {
  EXPECT_EQ(kDialect.placeholder(1), "?1");
  EXPECT_EQ(kDialect.placeholder(12), "?12");
  EXPECT_EQ(kDialect.quote_identifier("plain"), "\"plain\"");
  EXPECT_EQ(kDialect.quote_identifier("a\"b"), "\"a\"\"b\"");
  EXPECT_EQ(kDialect.quote_identifier("\"\""), "\"\"\"\"\"\"");
  EXPECT_EQ(kDialect.quote_table(TableRef{"main", "Order Items"}), "\"main\".\"Order Items\"");
  EXPECT_EQ(kDialect.quote_table(TableRef{"", "t"}), "\"t\"");
}

TEST(SqlWriter, Insert) {
  WriteStatement st = write_statement(kDialect, spec(WriteMode::insert, {"id", "name", "qty"}));
  EXPECT_EQ(st.sql, "INSERT INTO \"t\" (\"id\", \"name\", \"qty\") VALUES (?1, ?2, ?3)");
  EXPECT_EQ(st.param_columns, (Params{0, 1, 2}));
}

TEST(SqlWriter, InsertIgnoresAKey) {
  WriteStatement st = write_statement(kDialect, spec(WriteMode::insert, {"id", "name"}, {"id"}));
  EXPECT_EQ(st.sql, "INSERT INTO \"t\" (\"id\", \"name\") VALUES (?1, ?2)");
}

TEST(SqlWriter, Upsert) {
  WriteStatement st = write_statement(kDialect, spec(WriteMode::upsert, {"id", "name", "qty"}, {"id"}));
  EXPECT_EQ(st.sql,
            "INSERT INTO \"t\" (\"id\", \"name\", \"qty\") VALUES (?1, ?2, ?3) ON CONFLICT (\"id\") "
            "DO UPDATE SET \"name\" = excluded.\"name\", \"qty\" = excluded.\"qty\" "
            "WHERE (\"t\".\"name\" IS NOT excluded.\"name\" OR \"t\".\"qty\" IS NOT excluded.\"qty\")");
  EXPECT_EQ(st.param_columns, (Params{0, 1, 2}));
}

TEST(SqlWriter, UpsertWithCompositeKey) {
  WriteStatement st = write_statement(kDialect, spec(WriteMode::upsert, {"region", "id", "qty"}, {"id", "region"}));
  EXPECT_EQ(st.sql,
            "INSERT INTO \"t\" (\"region\", \"id\", \"qty\") VALUES (?1, ?2, ?3) ON CONFLICT (\"id\", \"region\") "
            "DO UPDATE SET \"qty\" = excluded.\"qty\" WHERE (\"t\".\"qty\" IS NOT excluded.\"qty\")");
}

TEST(SqlWriter, UpsertOfOnlyKeyColumnsDoesNothingOnConflict) {
  WriteStatement st = write_statement(kDialect, spec(WriteMode::upsert, {"id"}, {"id"}));
  EXPECT_EQ(st.sql, "INSERT INTO \"t\" (\"id\") VALUES (?1) ON CONFLICT (\"id\") DO NOTHING");
  EXPECT_EQ(st.param_columns, (Params{0}));
}

TEST(SqlWriter, InsertOrIgnoreDoesNothingOnConflict) {
  EXPECT_EQ(write_statement(kDialect, spec(WriteMode::insert_or_ignore, {"id", "name"}, {"id"}), 2).sql,
            "INSERT INTO \"t\" (\"id\", \"name\") VALUES (?1, ?2), (?3, ?4) ON CONFLICT (\"id\") DO NOTHING");
  EXPECT_EQ(write_statement(kDialect, spec(WriteMode::insert_or_ignore, {"id", "name"})).sql,
            "INSERT INTO \"t\" (\"id\", \"name\") VALUES (?1, ?2) ON CONFLICT DO NOTHING")
      << "without a key: any unique key's conflict";
}

// The conditions an upsert sets a row under: some written column differs, NULLs equal.
TEST(SqlWriter, EachDialectSaysWhenValuesDiffer) {
  const std::vector<std::string> columns{"a", "b"};
  EXPECT_EQ(kDialect.differs(columns, "r", "o"), "(r.\"a\" IS NOT o.\"a\" OR r.\"b\" IS NOT o.\"b\")");
  EXPECT_EQ(postgres::PgDialect{}.differs(columns, "r", "o"),
            "NOT (ROW(r.\"a\", r.\"b\")::record *= ROW(o.\"a\", o.\"b\")::record)");
  EXPECT_EQ(mysql::MyDialect{}.differs(columns, "r", "o"), "NOT (BINARY r.`a` <=> BINARY o.`a` AND BINARY r.`b` <=> BINARY o.`b`)");
  EXPECT_EQ(mysql::MyDialect{}.ignore_clause({}, columns), " ON DUPLICATE KEY UPDATE `a` = `a`");
}

// Rows kept when a key comes again in a batch: its last.
TEST(SqlWriter, LastRowsOfKeys) {
  Batch batch(test::schema_of({{"id", Type::int64}, {"region", Type::text}, {"qty", Type::int64}}));
  for (auto [id, region] : {std::pair{1, "n"}, {2, "n"}, {1, "s"}, {1, "n"}, {2, "n"}}) {
    std::span<Value> row = batch.append_row();
    row[0] = Value(id), row[1] = Value(region), row[2] = Value(0);
  }
  EXPECT_EQ(last_rows_of_keys(batch, spec(WriteMode::upsert, {"id", "region", "qty"}, {"id", "region"})),
            (std::vector<char>{0, 0, 1, 1, 1}));
  EXPECT_EQ(count_last_rows_of_keys(batch, spec(WriteMode::upsert, {"id", "region", "qty"}, {"id"})), 2u);
}

TEST(SqlWriter, UpdateBindsNonKeyColumnsThenKeyColumns) {
  WriteStatement st = write_statement(kDialect, spec(WriteMode::update, {"id", "name", "qty"}, {"id"}));
  EXPECT_EQ(st.sql, "UPDATE \"t\" SET \"name\" = ?1, \"qty\" = ?2 WHERE \"id\" = ?3");
  EXPECT_EQ(st.param_columns, (Params{1, 2, 0}));
}

TEST(SqlWriter, UpdateWithCompositeKeyInKeyOrder) {
  WriteStatement st = write_statement(kDialect, spec(WriteMode::update, {"a", "qty", "b"}, {"b", "a"}));
  EXPECT_EQ(st.sql, "UPDATE \"t\" SET \"qty\" = ?1 WHERE \"b\" = ?2 AND \"a\" = ?3");
  EXPECT_EQ(st.param_columns, (Params{1, 2, 0}));
}

TEST(SqlWriter, Remove) {
  WriteStatement st = write_statement(kDialect, spec(WriteMode::remove, {"id", "name"}, {"id"}));
  EXPECT_EQ(st.sql, "DELETE FROM \"t\" WHERE \"id\" = ?1");
  EXPECT_EQ(st.param_columns, (Params{0}));
}

TEST(SqlWriter, RemoveWithCompositeKey) {
  WriteStatement st = write_statement(kDialect, spec(WriteMode::remove, {"x", "a", "b"}, {"b", "a"}));
  EXPECT_EQ(st.sql, "DELETE FROM \"t\" WHERE \"b\" = ?1 AND \"a\" = ?2");
  EXPECT_EQ(st.param_columns, (Params{2, 1}));
}

// A row whose key changes: the new values (key too) first, then the old key in key order.
TEST(SqlWriter, RekeySetsEveryColumnWhereTheOldKeyIs) {
  EXPECT_EQ(rekey_sql(kDialect, spec(WriteMode::update, {"a", "qty", "b"}, {"b", "a"})),
            "UPDATE \"t\" SET \"a\" = ?1, \"qty\" = ?2, \"b\" = ?3 WHERE \"b\" = ?4 AND \"a\" = ?5");
  expect_config_error([] { rekey_sql(kDialect, spec(WriteMode::update, {"a"})); }, "needs its columns and key");
}

TEST(SqlWriter, SchemaQualifiedTable) {
  WriteStatement st = write_statement(kDialect, spec(WriteMode::remove, {"id"}, {"id"}, TableRef{"sales", "orders"}));
  EXPECT_EQ(st.sql, "DELETE FROM \"sales\".\"orders\" WHERE \"id\" = ?1");
}

TEST(SqlWriter, NamesWithDoubleQuotesAreEscaped) {
  WriteStatement st = write_statement(
      kDialect, spec(WriteMode::upsert, {"order", "Say \"hi\""}, {"order"}, TableRef{"", "My \"T\""}));
  EXPECT_EQ(st.sql,
            "INSERT INTO \"My \"\"T\"\"\" (\"order\", \"Say \"\"hi\"\"\") VALUES (?1, ?2) ON CONFLICT (\"order\") "
            "DO UPDATE SET \"Say \"\"hi\"\"\" = excluded.\"Say \"\"hi\"\"\" "
            "WHERE (\"My \"\"T\"\"\".\"Say \"\"hi\"\"\" IS NOT excluded.\"Say \"\"hi\"\"\")");
}

TEST(SqlWriter, ModesWithoutAKeyAreConfigErrors) {
  for (WriteMode mode : {WriteMode::upsert, WriteMode::update, WriteMode::remove})
    expect_config_error([&] { write_statement(kDialect, spec(mode, {"id", "name"})); }, "needs a key");
}

TEST(SqlWriter, KeyNotAmongTheColumnsIsAConfigError) {
  for (WriteMode mode : {WriteMode::upsert, WriteMode::update, WriteMode::remove})
    expect_config_error([&] { write_statement(kDialect, spec(mode, {"name", "qty"}, {"id"})); }, "`id`");
  expect_config_error([&] { write_statement(kDialect, spec(WriteMode::update, {"id", "qty"}, {"id", "region"})); },
                      "`region`");
}

TEST(SqlWriter, UpdateOfOnlyKeyColumnsIsAConfigError) {
  expect_config_error([&] { write_statement(kDialect, spec(WriteMode::update, {"id"}, {"id"})); }, "no non-key column");
  expect_config_error([&] { write_statement(kDialect, spec(WriteMode::update, {"b", "a"}, {"a", "b"})); },
                      "no non-key column");
}

TEST(SqlWriter, NoColumnsIsAConfigError) {
  for (WriteMode mode : {WriteMode::insert, WriteMode::upsert, WriteMode::update, WriteMode::remove})
    expect_config_error([&] { write_statement(kDialect, spec(mode, {}, {"id"})); }, "no columns");
}

TEST(SqlWriter, CreateTable) {
  Schema schema({Column{"id", Type::int64, "", false}, Column{"name", Type::text, "", true},
                 Column{"amount", Type::decimal, "", false}, Column{"at", Type::timestamptz, "", true}});
  EXPECT_EQ(create_table_sql(kDialect, TableRef{"", "orders"}, schema, {"id"}),
            "CREATE TABLE IF NOT EXISTS \"orders\" (\n"
            "  \"id\" INTEGER NOT NULL,\n"
            "  \"name\" TEXT,\n"
            "  \"amount\" DECIMAL_TEXT NOT NULL,\n"
            "  \"at\" TIMESTAMPTZ,\n"
            "  PRIMARY KEY (\"id\")\n"
            ")");
}

TEST(SqlWriter, CreateTableWithCompositeKeyAndAwkwardNames) {
  Schema schema({Column{"region", Type::text, "", false}, Column{"Order \"No\"", Type::int64, "", false},
                 Column{"payload", Type::json, "", true}});
  EXPECT_EQ(create_table_sql(kDialect, TableRef{"s", "My Table"}, schema, {"Order \"No\"", "region"}),
            "CREATE TABLE IF NOT EXISTS \"s\".\"My Table\" (\n"
            "  \"region\" TEXT NOT NULL,\n"
            "  \"Order \"\"No\"\"\" INTEGER NOT NULL,\n"
            "  \"payload\" JSON,\n"
            "  PRIMARY KEY (\"Order \"\"No\"\"\", \"region\")\n"
            ")");
}

TEST(SqlWriter, CreateTableWithoutKey) {
  Schema schema({Column{"x", Type::float64, "", true}, Column{"b", Type::bytes, "", true}});
  EXPECT_EQ(create_table_sql(kDialect, TableRef{"", "t"}, schema, {}),
            "CREATE TABLE IF NOT EXISTS \"t\" (\n  \"x\" REAL,\n  \"b\" BLOB\n)");
}

Column ranged(std::string name, Type type, int precision, int scale, int length, int bits, bool nullable = true) {
  Column c{std::move(name), type, "", nullable};
  c.precision = precision;
  c.scale = scale;
  c.length = length;
  c.bits = bits;
  return c;
}

// Each database's created columns hold every value of the source's, no wider than that: the
// precision and scale of decimals, the length of texts, the size of integers (an unsigned one
// stays unsigned on MariaDB). Unknown ranges get the widest type; a text key in MariaDB a
// VARCHAR (TEXT cannot be a key).
TEST(SqlWriter, CreatedColumnsFollowTheSourceRange) {
  Schema schema({ranged("id", Type::text, 0, 0, 0, 0, false), ranged("price", Type::decimal, 12, 2, 0, 0),
                 ranged("any", Type::decimal, 0, 0, 0, 0), ranged("name", Type::text, 0, 0, 40, 0),
                 ranged("small", Type::int64, 0, 0, 0, 16), ranged("count", Type::int64, 0, 0, 0, 32),
                 ranged("unsigned", Type::int64, 0, 0, 0, 33), ranged("at", Type::timestamptz, 0, 0, 0, 0)});
  EXPECT_EQ(create_table_sql(postgres::PgDialect(), TableRef{"", "t"}, schema, {"id"}),
            "CREATE TABLE IF NOT EXISTS \"t\" (\n  \"id\" text NOT NULL,\n  \"price\" numeric(12,2),\n"
            "  \"any\" numeric,\n  \"name\" character varying(40),\n  \"small\" smallint,\n  \"count\" integer,\n"
            "  \"unsigned\" bigint,\n  \"at\" timestamptz,\n  PRIMARY KEY (\"id\")\n)");
  EXPECT_EQ(create_table_sql(mysql::MyDialect(), TableRef{"", "t"}, schema, {"id"}),
            "CREATE TABLE IF NOT EXISTS `t` (\n  `id` varchar(255) NOT NULL,\n  `price` decimal(12,2),\n"
            "  `any` decimal(65,30),\n  `name` varchar(40),\n  `small` smallint,\n  `count` int,\n"
            "  `unsigned` int unsigned,\n  `at` datetime(6),\n  PRIMARY KEY (`id`)\n) DEFAULT CHARSET=utf8mb4 "
            "COLLATE=utf8mb4_bin");
  EXPECT_EQ(create_table_sql(kDialect, TableRef{"", "t"}, schema, {"id"}),
            "CREATE TABLE IF NOT EXISTS \"t\" (\n  \"id\" TEXT NOT NULL,\n  \"price\" DECIMAL_TEXT(12,2),\n"
            "  \"any\" DECIMAL_TEXT,\n  \"name\" VARCHAR(40),\n  \"small\" INTEGER,\n  \"count\" INTEGER,\n"
            "  \"unsigned\" INTEGER,\n  \"at\" TIMESTAMPTZ,\n  PRIMARY KEY (\"id\")\n)");
}

// Without a key of its own, the created table takes the source's primary key.
TEST(SqlWriter, CreateTableKeepsTheSourcePrimaryKey) {
  Column id{"id", Type::int64, "", false};
  id.primary_key = true;
  Schema schema({id, Column{"x", Type::float64, "", true}});
  EXPECT_EQ(create_table_sql(kDialect, TableRef{"", "t"}, schema, {}),
            "CREATE TABLE IF NOT EXISTS \"t\" (\n  \"id\" INTEGER NOT NULL,\n  \"x\" REAL,\n  PRIMARY KEY (\"id\")\n)");
}

}  // namespace
}  // namespace weir::db
