// `create_table: true` between every pair of databases: a source table holding a value of each
// type weir maps, at the edges that break naive copies (decimals of 30 fractional and 40
// integer digits, the largest unsigned bigint, NaN and infinities, text beyond Latin-1, instants
// before 1970 and after 2038), copied into a table weir creates and read back cell by cell. A
// value the target cannot hold goes to the dead letters with an error naming its column.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "support/test_support.hpp"
#include "weir/db/driver.hpp"
#include "weir/error.hpp"

namespace weir {
namespace {

enum class Db { postgres, mariadb, sqlite };

struct Side {
  Db db;
  const char* name;
  const char* url_variable;  // nullptr: an SQLite file in the test's directory
  const char* create;        // {table}
  const char* rows;          // INSERT … for {table}
};

// The same values in each database's types. MariaDB's source lacks what it cannot hold
// (NaN, infinities, 40 integer digits in a DECIMAL): rows 3 and 4 and the NaN.
const Side kSides[] = {
    {Db::postgres, "postgres", "WEIR_TEST_PG_URL",
     "CREATE TABLE {table} (id integer PRIMARY KEY, dec numeric, money numeric(12,2) NOT NULL, big numeric(20,0), "
     "f double precision, name varchar(40) NOT NULL, d date, ts timestamptz, b bytea, j jsonb, u uuid, n integer, "
     "un bigint)",
     "INSERT INTO {table} VALUES "
     "(1, 0.000000000000000000000000000001, 12345.67, 18446744073709551615, 1.5, 'Łukasz', '1969-07-20', "
     "'1969-07-20 20:17:40+00', '\\x00ff', '{{\"a\": [1, 2]}}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 2147483647, "
     "4294967295),"
     "(2, 1234567890123456789012345678.0123456789, -0.01, 0, 'NaN', 'Zoë 😀', '2040-02-29', "
     "'2040-02-29 12:00:00.123456+00', '\\x', '[]', NULL, -2147483648, 0),"
     "(3, 1234567890123456789012345678901234567890, 0, 1, -0.25, '東京', NULL, NULL, NULL, NULL, NULL, 0, NULL),"
     "(4, 0, 1, NULL, '-Infinity', 'x', NULL, NULL, NULL, NULL, NULL, NULL, NULL),"
     "(5, 0.0000000000000000000000000000001, 2, NULL, 0, 'y', NULL, NULL, NULL, NULL, NULL, NULL, NULL)"},
    {Db::mariadb, "mariadb", "WEIR_TEST_MYSQL_URL",
     "CREATE TABLE {table} (id int PRIMARY KEY, `dec` decimal(65,30), money decimal(12,2) NOT NULL, "
     "big bigint unsigned, f double, name varchar(40) NOT NULL, d date, ts datetime(6), b varbinary(16), j json, "
     "u uuid, n int, un int unsigned) DEFAULT CHARSET=utf8mb4",
     "INSERT INTO {table} VALUES "
     "(1, 0.000000000000000000000000000001, 12345.67, 18446744073709551615, 1.5, 'Łukasz', '1969-07-20', "
     "'1969-07-20 20:17:40', x'00ff', '{{\"a\": [1, 2]}}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 2147483647, "
     "4294967295),"
     "(2, 1234567890123456789012345678.0123456789, -0.01, 0, 2.5, 'Zoë 😀', '2040-02-29', "
     "'2040-02-29 12:00:00.123456', x'', '[]', NULL, -2147483648, 0)"},
    {Db::sqlite, "sqlite", nullptr,
     "CREATE TABLE {table} (id INTEGER PRIMARY KEY, dec DECIMAL_TEXT, money DECIMAL_TEXT(12,2) NOT NULL, "
     "big DECIMAL_TEXT(20,0), f REAL, name VARCHAR(40) NOT NULL, d DATE, ts TIMESTAMPTZ, b BLOB, j JSON, u UUID, "
     "n INTEGER, un INTEGER)",
     "INSERT INTO {table} VALUES "
     "(1, '0.000000000000000000000000000001', '12345.67', '18446744073709551615', 1.5, 'Łukasz', '1969-07-20', "
     "'1969-07-20T20:17:40Z', x'00ff', '{{\"a\": [1, 2]}}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 2147483647, "
     "4294967295),"
     "(2, '1234567890123456789012345678.0123456789', '-0.01', '0', 'NaN', 'Zoë 😀', '2040-02-29', "
     "'2040-02-29T12:00:00.123456Z', x'', '[]', NULL, -2147483648, 0),"
     "(3, '1234567890123456789012345678901234567890', '0.00', '1', -0.25, '東京', NULL, NULL, NULL, NULL, NULL, 0, "
     "NULL),"
     "(4, '0', '1.00', NULL, -9e999, 'x', NULL, NULL, NULL, NULL, NULL, NULL, NULL),"
     "(5, '0.0000000000000000000000000000001', '2.00', NULL, 0, 'y', NULL, NULL, NULL, NULL, NULL, NULL, NULL)"},
};

using Pair = std::tuple<int, int>;

class CreateTable : public ::testing::TestWithParam<Pair> {
 protected:
  std::unique_ptr<db::Connection> connect(const Side& side, std::string& url) {
    if (side.url_variable) {
      auto found = test::server_url(side.url_variable);
      if (!found) return nullptr;
      url = *found;
    } else {
      url = "sqlite:" + dir_.file(std::string(side.name) + ".db");
    }
    db::ConnectionConfig config;
    config.url = Url::parse(url);
    return db::connect(config);
  }

  // Each row as "id|cell|cell…", a cell as its text and logical type, NULL as NULL.
  static std::vector<std::string> rows(db::Connection& connection, const std::string& sql) {
    std::vector<std::string> out;
    auto cursor = connection.query(sql, {});
    Batch batch;
    while (cursor->next(batch, 100))
      for (std::size_t r = 0; r < batch.rows(); ++r) {
        std::string line;
        for (std::size_t c = 0; c < batch.width(); ++c) {
          const Value& v = batch.at(r, c);
          line += (c ? " | " : "") + (v.is_null() ? std::string("NULL") : v.to_text() + ":" + std::string(to_string(v.type())));
        }
        out.push_back(line);
      }
    return out;
  }

  test::TempDir dir_;
};

// What the target holds of each source row: the values as the source holds them, with the
// differences each database's types make pinned here.
std::vector<std::string> expected_rows(Db source, Db target) {
  bool mariadb = source == Db::mariadb || target == Db::mariadb;
  // MariaDB's DECIMAL(65,30) answers with all 30 fractional digits; MariaDB has no zoned
  // timestamp type that reaches 1969 and 2040, so instants come back as UTC date and time.
  std::string dec1 = "0.000000000000000000000000000001";
  std::string dec2 = mariadb ? "1234567890123456789012345678.012345678900000000000000000000"
                             : "1234567890123456789012345678.0123456789";
  std::string ts1 = mariadb ? "1969-07-20 20:17:40:timestamp" : "1969-07-20 20:17:40+00:00:timestamptz";
  std::string ts2 = mariadb ? "2040-02-29 12:00:00.123456:timestamp" : "2040-02-29 12:00:00.123456+00:00:timestamptz";
  std::string f2 = source == Db::mariadb ? "2.5:float64" : "NaN:float64";
  std::vector<std::string> rows{
      fmt::format("1:int64 | {}:decimal | 12345.67:decimal | 18446744073709551615:decimal | 1.5:float64 | "
                  "Łukasz:text | 1969-07-20:date | {} | \\x00ff:bytes | {{\"a\": [1, 2]}}:json | "
                  "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11:{} | 2147483647:int64 | 4294967295:int64",
                  dec1, ts1, target == Db::mariadb ? "text" : "uuid"),  // MySQL has no uuid type: CHAR(36)
      fmt::format("2:int64 | {}:decimal | -0.01:decimal | 0:decimal | {} | Zoë 😀:text | 2040-02-29:date | {} | "
                  "\\x:bytes | []:json | NULL | -2147483648:int64 | 0:int64",
                  dec2, f2, ts2),
  };
  if (source == Db::mariadb) return rows;
  rows.push_back(std::string("3:int64 | 1234567890123456789012345678901234567890:decimal | ") +
                 (source == Db::sqlite ? "0.00" : "0.00") + ":decimal | 1:decimal | -0.25:float64 | 東京:text | "
                 "NULL | NULL | NULL | NULL | NULL | 0:int64 | NULL");
  rows.push_back("4:int64 | 0:decimal | 1.00:decimal | NULL | -Infinity:float64 | x:text | NULL | NULL | NULL | NULL | "
                 "NULL | NULL | NULL");
  rows.push_back("5:int64 | 0.0000000000000000000000000000001:decimal | 2.00:decimal | NULL | 0:float64 | y:text | "
                 "NULL | NULL | NULL | NULL | NULL | NULL | NULL");
  return rows;
}

TEST_P(CreateTable, EveryValueComesBackAsTheSourceHoldsIt) {
  const Side& source = kSides[std::get<0>(GetParam())];
  const Side& target = kSides[std::get<1>(GetParam())];
  std::string source_url, target_url;
  auto src = connect(source, source_url);
  auto dst = connect(target, target_url);
  if (!src || !dst) GTEST_SKIP() << "no " << (src ? target.name : source.name) << " server";
  std::string suffix = test::unique_suffix();
  std::string src_table = "ct_src_" + suffix, dst_table = "ct_dst_" + suffix;
  src->execute_script(fmt::format(fmt::runtime(source.create), fmt::arg("table", src_table)));
  src->execute_script(fmt::format(fmt::runtime(source.rows), fmt::arg("table", src_table)));

  test::write_file(dir_.file("copy.yaml"),
                   fmt::format("connections:\n  src: \"{}\"\n  dst: \"{}\"\n  letters: \"sqlite:letters.db\"\n"
                               "pipelines:\n  copy:\n"
                               "    input: {{ sql_poll: {{ connection: src, query: \"SELECT * FROM {} ORDER BY id\" }} }}\n"
                               "    output: {{ sql_write: {{ connection: dst, table: {}, create_table: true }} }}\n"
                               "    dead_letter: {{ connection: letters, table: letters }}\n",
                               source_url, target_url, src_table, dst_table));
  auto r = test::run_weir({"run", "--once", dir_.file("copy.yaml")});
  src->execute_script("DROP TABLE " + src_table);
  bool rejects = target.db == Db::mariadb && source.db != Db::mariadb;
  if (!rejects) {
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }

  std::vector<std::string> expected = expected_rows(source.db, target.db);
  // Row 2's NaN, row 3's 40 integer digits, row 4's -Infinity, row 5's 31 fractional digits.
  if (rejects) expected.resize(1);
  EXPECT_EQ(rows(*dst, "SELECT * FROM " + dst_table + " ORDER BY id"), expected) << r.out << r.err;

  auto info = dst->describe_table(db::TableRef{"", dst_table});
  ASSERT_TRUE(info);
  std::map<std::string, Column> columns;
  for (const Column& c : info->columns) columns[c.name] = c;
  // The source's NOT NULLs and primary key, from every database (PostgreSQL's from its catalog:
  // a result does not carry them).
  EXPECT_FALSE(columns["name"].nullable);
  EXPECT_FALSE(columns["money"].nullable);
  EXPECT_TRUE(columns["d"].nullable);
  EXPECT_EQ(info->primary_key, std::vector<std::string>{"id"});
  // No wider than the source's types: varchar(40) stays varchar(40), a 32-bit integer 32 bits
  // (SQLite's INTEGER is 64), numeric(12,2) numeric(12,2); instants in MariaDB DATETIME(6).
  std::string declared = columns["name"].native_type + ", " + columns["n"].native_type + ", " +
                         columns["money"].native_type + ", " + columns["big"].native_type + ", " +
                         columns["ts"].native_type;
  std::transform(declared.begin(), declared.end(), declared.begin(), ::tolower);
  bool int64_source = source.db == Db::sqlite;
  const std::string kDeclared[] = {
      fmt::format("character varying(40), {}, numeric(12,2), numeric(20,0), timestamp", int64_source ? "bigint" : "integer"),
      fmt::format("varchar(40), {}, decimal(12,2), decimal(20,0), datetime(6)", int64_source ? "bigint(20)" : "int(11)"),
      fmt::format("varchar(40), integer, decimal_text(12,2), decimal_text(20,0), timestamp")};
  EXPECT_TRUE(declared.starts_with(kDeclared[static_cast<int>(target.db)])) << declared;
  // An unsigned 32-bit integer stays one on MariaDB; elsewhere it takes the next integer up.
  if (source.db == Db::mariadb) {
    std::string un = columns["un"].native_type;
    std::transform(un.begin(), un.end(), un.begin(), ::tolower);
    const char* kUnsigned[] = {"bigint", "int(10) unsigned", "integer"};
    EXPECT_EQ(un, kUnsigned[static_cast<int>(target.db)]);
  }
  if (target.db == Db::mariadb) {
    EXPECT_EQ(test::scalar(*dst, "SELECT table_collation FROM information_schema.tables WHERE table_schema = "
                                 "DATABASE() AND table_name = '" + dst_table + "'"),
              "utf8mb4_bin");
  }
  dst->execute_script("DROP TABLE " + dst_table);

  if (rejects) {
    auto letters = test::open_sqlite(dir_.file("letters.db"));
    auto messages = rows(*letters, "SELECT error_kind, error_message FROM letters ORDER BY json_extract(record, '$.id')");
    ASSERT_EQ(messages.size(), 4u) << r.out << r.err;
    EXPECT_NE(messages[0].find("column `f`"), std::string::npos) << messages[0];
    EXPECT_NE(messages[1].find("'dec'"), std::string::npos) << messages[1];
    EXPECT_NE(messages[2].find("column `f`"), std::string::npos) << messages[2];
    // 31 fractional digits: weir's own check, before MariaDB would round them off with a note.
    EXPECT_NE(messages[3].find("column `dec`"), std::string::npos) << messages[3];
    EXPECT_NE(messages[3].find("0.0000000000000000000000000000001 has more decimal places than decimal(65,30) keeps "
                               "(30)"),
              std::string::npos)
        << messages[3];
  }
}

INSTANTIATE_TEST_SUITE_P(EveryPair, CreateTable, ::testing::Combine(::testing::Range(0, 3), ::testing::Range(0, 3)),
                         [](const ::testing::TestParamInfo<Pair>& info) {
                           return std::string(kSides[std::get<0>(info.param)].name) + "_to_" +
                                  kSides[std::get<1>(info.param)].name;
                         });

}  // namespace
}  // namespace weir
